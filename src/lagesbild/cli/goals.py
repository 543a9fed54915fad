"""`lagesbild goals ...`: the strategic forum's goals at the terminal (as `SYSTEM`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lagesbild.cli.meeting_options import Json, day_option, dump_json
from lagesbild.cli.options import DbOption, console, open_store_cli
from lagesbild.domain.model import SYSTEM

goals_app = typer.Typer(
    help="Strategic forum: goals and the monthly dashboard.", no_args_is_help=True
)


def _blank(value) -> str:
    return "" if value is None else str(value)


@goals_app.command("list")
def goals_list(db: DbOption = None) -> None:
    """The goals."""
    from lagesbild.briefing import forum

    t = Table("id", "title", "place", "indicator", "baseline", "target", "deadline")
    for g in forum.list_goals(open_store_cli(db), SYSTEM):
        target = g["target_value"] if g["target_value"] is not None else ""
        t.add_row(
            str(g["id"]),
            g["title"],
            g["place"] or "",
            g["indicator"],
            f"{g['baseline_period'] or ''} {_blank(g['baseline_value'])}",
            str(target),
            str(g["deadline"] or ""),
        )
    console.print(t)


@goals_app.command("add")
def goals_add(
    title: str,
    place: Annotated[str, typer.Option("--place")],
    indicator: Annotated[
        str, typer.Option("--indicator", help="crimes:CAT, observations:CAT, status")
    ],
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="Baseline period, e.g. 2022")
    ] = None,
    change: Annotated[
        float | None, typer.Option("--change", help="Target change, -0.2 = down 20 %")
    ] = None,
    target: Annotated[float | None, typer.Option("--target", help="Target value")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="YYYY-MM-DD")] = None,
    db: DbOption = None,
) -> None:
    """Add a goal of the strategic forum."""
    from lagesbild.briefing import forum

    gid = forum.add_goal(
        open_store_cli(db),
        SYSTEM,
        title,
        place,
        indicator,
        baseline_period=baseline,
        target_change=change,
        target_value=target,
        deadline=day_option(deadline, "--deadline"),
    )
    console.print(f"goal {gid} added")


@goals_app.command("dashboard")
def goals_dashboard(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default the latest month with data)")
    ] = None,
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """Progress per goal with the trend and its uncertainty."""
    from lagesbild.briefing import forum
    from lagesbild.i18n import format as fmt

    res = forum.dashboard(open_store_cli(db), SYSTEM, month)
    if as_json:
        return dump_json(res)
    t = Table("goal", "status", "figures", "trend (24 months)", title=f"Goals, {res['month']}")
    for g in res["goals"]:
        if g["indicator"] == "status":
            figs = f"round {g.get('latest_round')}: {g.get('latest_status')}"
            trend = ", ".join(f"{r['round']}: {r['area_ha']:.1f} ha" for r in g.get("rounds", []))
        elif g.get("past_data"):  # zeros past the data are missing data: no ratio, no p
            figs = (
                f"{g['baseline_count']} ({g['baseline_period']}); no data after "
                f"{g.get('data_ends') or '-'}"
            )
            trend = ""
        elif g.get("too_few"):
            figs = (
                f"{g['baseline_count']} ({g['baseline_period']}) -> {g['current_count']}; "
                "too few to compare"
            )
            trend = ""
        elif "rate_ratio" in g:
            figs = (
                f"{g['baseline_count']} ({g['baseline_period']}) -> {g['current_count']}; "
                f"ratio {fmt.ratio_ci(g, 'en')}, target {fmt.num(g['target_ratio'], 'en', 2)}"
            )
            tr = g["trend"]
            trend = f"{tr['direction']} (tau {tr['tau']:.2f}, p {tr['p_value']:.2f})"
        else:
            figs, trend = g.get("error", ""), ""
        t.add_row(g["title"], g["status"], figs, trend)
    console.print(t)
