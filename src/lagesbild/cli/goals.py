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
        str,
        typer.Option(
            "--indicator",
            help="crimes:CAT, observations:CAT, measurements:METRIC[:GROUP], status",
        ),
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
    from lagesbild.briefing import forum, goal_measurements
    from lagesbild.i18n import format as fmt

    res = forum.dashboard(open_store_cli(db), SYSTEM, month)
    if as_json:
        return dump_json(res)
    t = Table("goal", "status", "figures", "trend (24 months)", title=f"Goals, {res['month']}")
    for g in res["goals"]:
        if g["indicator"] == "status":
            figs = f"round {g.get('latest_round')}: {g.get('latest_status')}"
            trend = ", ".join(f"{r['round']}: {r['area_ha']:.1f} ha" for r in g.get("rounds", []))
        elif g["indicator"].startswith("measurements:"):
            figs, trend = goal_measurements.dashboard_cells(g, lambda v: fmt.num(v, "en", 1))
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
    if res.get("metrics"):
        console.print(goal_measurements.agenda_table(res["metrics"]))


template_app = typer.Typer(
    help="The place partnership's four goals as a template to apply to a place.",
    no_args_is_help=True,
)
goals_app.add_typer(template_app, name="template")


@template_app.command("show")
def template_show() -> None:
    """The template as JSON: save it, edit it, apply the copy with --file."""
    import json

    from lagesbild.briefing.goal_template import PARTNERSHIP

    print(json.dumps(PARTNERSHIP, ensure_ascii=False, indent=2))


@template_app.command("apply")
def template_apply(
    place: Annotated[str, typer.Option("--place")],
    baseline: Annotated[str, typer.Option("--baseline", help="Baseline period, e.g. 2022")],
    deadline: Annotated[str | None, typer.Option("--deadline", help="YYYY-MM-DD")] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="An edited template (JSON; see template show)")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="sv or en: the goals' titles")] = "sv",
    db: DbOption = None,
) -> None:
    """Add the template's goals for a place, one per indicator with data there."""
    from lagesbild.briefing import goal_template
    from lagesbild.i18n import format as fmt

    rows = goal_template.apply(
        open_store_cli(db),
        SYSTEM,
        place,
        baseline,
        deadline=day_option(deadline, "--deadline"),
        lang=fmt.check_lang(lang),
        template=goal_template.load_template(file),
    )
    t = Table("goal", "indicator", "result")
    for r in rows:
        if "evidence" in r:
            t.add_row(r["goal"], r["evidence"], "evidence to bring to the meeting (no indicator)")
        else:
            t.add_row(r["goal"], r["indicator"], f"goal {r['id']}" if "id" in r else r["skipped"])
    console.print(t)


@goals_app.command("edit")
def goals_edit(
    goal_id: int,
    title: Annotated[str | None, typer.Option("--title")] = None,
    change: Annotated[
        float | None, typer.Option("--change", help="Target change, -0.2 = down 20 %")
    ] = None,
    target: Annotated[float | None, typer.Option("--target", help="Target value")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="YYYY-MM-DD")] = None,
    db: DbOption = None,
) -> None:
    """Edit a goal's title, target or deadline (the baseline stays)."""
    from lagesbild.briefing import goal_template

    goal_template.edit(
        open_store_cli(db),
        SYSTEM,
        goal_id,
        title=title,
        change=change,
        target=target,
        deadline=day_option(deadline, "--deadline"),
    )
    console.print(f"goal {goal_id} changed")
