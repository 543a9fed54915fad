"""`lagesbild week ...`: the EST group's weekly work at the terminal (as `SYSTEM`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lagesbild.cli.meeting_options import Json, day_option, dump_json
from lagesbild.cli.options import DbOption, console, open_store_cli
from lagesbild.domain.model import SYSTEM

week_app = typer.Typer(
    help="EST: weekly picture, priority places, four-monthly ranking by need, feedback.",
    no_args_is_help=True,
)


@week_app.command("picture")
def week_picture(
    district: Annotated[str, typer.Option("--district", help="District (or municipality)")],
    week: Annotated[str, typer.Option("--week", help="ISO week 2024-W48, or a date in it")],
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """The week's picture: the district's places ranked by what happened."""
    from lagesbild.briefing import est
    from lagesbild.i18n import format as fmt

    res = est.weekly_picture(open_store_cli(db), SYSTEM, district, week)
    if as_json:
        return dump_json(res)
    t = Table(
        "rank",
        "place",
        "score",
        "crimes",
        "(before)",
        "obs.",
        "(before)",
        "ratio (95 % CI)",
        title=f"{res['district']} {res['week']}",
    )
    for r in res["places"]:
        t.add_row(
            str(r["rank"]),
            r["place"],
            str(r["score"]),
            str(r["crimes_now"]),
            str(r["crimes_before"]),
            str(r["observations_now"]),
            str(r["observations_before"]),
            fmt.ratio_ci(r, "en"),
        )
    console.print(t)
    console.print(f"[dim]{res['method']}[/dim]")
    for p in res["priorities"]:
        console.print(f"priority: {p['place']} - {p['organisation']}")


@week_app.command("prioritise")
def week_prioritise(
    week: Annotated[str, typer.Option("--week", help="ISO week 2024-W49, or a date in it")],
    place: Annotated[str, typer.Option("--place")],
    organisation: Annotated[list[str], typer.Option("--org", help="Organisation (repeatable)")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: DbOption = None,
) -> None:
    """Record the weekly meeting's priority place for the week, per organisation."""
    from lagesbild.briefing import est

    store = open_store_cli(db)
    for org in organisation:
        pid = est.set_priority(store, SYSTEM, week, place, org, note)
        console.print(f"priority {pid}: {place} for {org}, week of {est.week_start(week)}")


@week_app.command("priorities")
def week_priorities(
    week: Annotated[str, typer.Option("--week", help="ISO week or a date in it")],
    db: DbOption = None,
) -> None:
    """The priority places of a week."""
    from lagesbild.briefing import est

    t = Table("id", "place", "organisation", "note", title="Priority places")
    for p in est.priorities_on(open_store_cli(db), SYSTEM, est.week_start(week)):
        t.add_row(str(p["id"]), p["place"], p["organisation"], p["note"] or "")
    console.print(t)


@week_app.command("ranking")
def week_ranking(
    district: Annotated[str, typer.Option("--district")],
    to: Annotated[str, typer.Option("--to", help="Last day of the period, YYYY-MM-DD")],
    months: Annotated[int, typer.Option("--months")] = 4,
    category: Annotated[str | None, typer.Option("--category")] = None,
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """Rank the district's areas by need (level per hectare and trend) for the coming period."""
    from lagesbild.briefing import est
    from lagesbild.i18n import format as fmt

    res = est.ranking(
        open_store_cli(db),
        SYSTEM,
        district,
        day_option(to, "--to", True),
        months,
        category=category,
    )
    if as_json:
        return dump_json(res)
    if res["no_data"]:  # zeros after the last record are missing data: nothing to rank
        ends = res["data_ends"]
        console.print(
            f"no records after {ends}: the period has no data, no area is ranked"
            if ends
            else "no records: no area is ranked"
        )
        return None
    t = Table("rank", "place", "now", "before", "per ha (95 % CI)", "ratio (95 % CI)", "trend")
    for r in res["areas"]:
        t.add_row(
            str(r["rank"]),
            r["place"],
            str(r["count_now"]),
            str(r["count_before"]),
            f"{fmt.num(r['per_ha'], 'en', 1)} ({fmt.num(r['per_ha_low'], 'en', 1)}-"
            f"{fmt.num(r['per_ha_high'], 'en', 1)})",
            fmt.ratio_ci(r, "en"),
            r["trend"],
        )
    console.print(t)
    console.print(f"[dim]{res['method']}[/dim]")


@week_app.command("feedback")
def week_feedback(
    organisation: Annotated[str, typer.Option("--org")],
    date_from: Annotated[str, typer.Option("--from")],
    date_to: Annotated[str, typer.Option("--to")],
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """What an organisation's reports led to (återkoppling)."""
    from lagesbild.briefing import est

    res = est.feedback(
        open_store_cli(db),
        SYSTEM,
        organisation,
        day_option(date_from, "--from", True),
        day_option(date_to, "--to", True),
    )
    if as_json:
        return dump_json(res)
    console.print(f"[bold]{res['organisation']}[/bold]: {res['reports']} reports")
    for p in res["places"]:
        console.print(
            f"  {p['place']}: {p['reports']} reports; priority {p['priority_weeks']} weeks, "
            f"{p['briefings']} briefings, {p['decisions']} decisions, {p['action_items']} "
            f"action items ({p['action_items_done']} done)"
        )
