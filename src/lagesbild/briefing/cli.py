"""`lagesbild briefing ...`, `lagesbild week ...` and `lagesbild goals ...`: the meetings at
the terminal (as `SYSTEM`, the operator who sees everything)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from lagesbild.cli import DbOption, console, open_store_cli
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError

briefing_app = typer.Typer(
    help="Briefings: the operational briefing (samverkansuppställning), the weekly EST "
    "meeting and the monthly strategic forum. Generate the picture, mark attendance, record "
    "decisions and action items, lock, print.",
    no_args_is_help=True,
)
week_app = typer.Typer(
    help="EST: weekly picture, priority places, four-monthly ranking by need, feedback.",
    no_args_is_help=True,
)
goals_app = typer.Typer(
    help="Strategic forum: goals and the monthly dashboard.", no_args_is_help=True
)

Lang = Annotated[str, typer.Option("--lang", help="sv or en")]
Json = Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")]


def _dump(value) -> None:
    console.print_json(json.dumps(value, ensure_ascii=False, default=str))


def _datetime(store, text: str, field: str):
    from lagesbild.domain.values import parse_datetime

    value = parse_datetime(text, field, store.tz)
    if value is None:  # given, but empty
        raise ValidationError(field, "is empty; expected e.g. '2024-12-17 18:00'")
    return value


def _date(text: str | None, field: str, required: bool = False) -> date | None:
    from lagesbild.domain.values import parse_date

    value = parse_date(text, field)
    if value is None and required:
        raise ValidationError(field, "is empty; expected a date, YYYY-MM-DD")
    return value


# ---------------------------------------------------------------- briefing


@briefing_app.command("new")
def briefing_new(
    place: Annotated[str, typer.Option("--place", help="Place name, code or id")],
    at: Annotated[str, typer.Option("--at", help="When, e.g. '2024-12-17 18:00' (local time)")],
    since: Annotated[
        str | None,
        typer.Option("--since", help="Period start (default: the previous briefing of the place)"),
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="operational (samverkansuppställning), weekly (EST meeting) or forum "
            "(strategic forum, monthly)",
        ),
    ] = "operational",
    db: DbOption = None,
) -> None:
    """Create a briefing with its generated situational picture and show it."""
    from lagesbild.briefing import service

    store = open_store_cli(db)
    start = _datetime(store, since, "--since") if since else None
    bid = service.new_briefing(
        store, SYSTEM, place, _datetime(store, at, "--at"), period_from=start, kind=kind
    )
    console.print(f"[green]briefing {bid}[/green] created")
    _show(store, bid, "sv")


def _show(store, bid: int, lang: str) -> None:
    from lagesbild.briefing import fmt, service

    b = service.get_briefing(store, SYSTEM, bid)
    p, tz = b["picture"], store.tz
    console.print(
        f"[bold]{b['place']}[/bold] {b['kind']} {fmt.when(b['at'], tz)} · {b['status']} · period "
        f"{fmt.when(p['period']['from'], tz)} – {fmt.when(p['period']['to'], tz)}"
    )
    t = Table("layer", "category", "before", "now", "ratio (95 % CI)", title="Counts by category")
    for layer in ("crimes", "observations"):
        for r in p["counts"][layer]:
            t.add_row(
                layer,
                fmt.category(layer, r["category"], lang),
                str(r["count_a"]),
                str(r["count_b"]),
                fmt.ratio_ci(r, lang),
            )
    console.print(t)
    console.print(f"notable events: {len(p['notable'])}")
    for e in p["notable"][:10]:
        console.print(
            f"  {fmt.when(e['occurred_at'], tz)} {e['layer']} "
            f"{fmt.category(e['layer'], e['category'], lang)} ({e['reason']})"
        )
    for layer, h in p["hotspots"].items():
        console.print(f"hot spots ({layer}): {h.get('hot_cells', 0)} hot cells")
    r = p["roster"]
    console.print(f"tonight: {r['headcount']} people from {r['organisations']} organisations")
    for e in r["entries"]:
        console.print(
            f"  {e['organisation']}: {e['headcount']} {fmt.clock(e['starts_at'], tz)}-"
            f"{fmt.clock(e['ends_at'], tz)} {e.get('place') or ''}"
        )
    console.print(f"activation events: {len(p['activations'])}")
    console.print(f"open action items: {len(p['actions'])}")
    for a in p["actions"]:
        console.print(f"  #{a['id']} {a['text']} - {a['responsible']}, due {a['due_date']}")
    m = b["minutes"]
    console.print(f"present: {', '.join(m['attendance']) or '-'}")
    for d in m["decisions"]:
        console.print(f"decision: {d['text']}")
    for a in m["new_actions"]:
        console.print(f"new action #{a['id']}: {a['text']} - {a['responsible']}")


@briefing_app.command("show")
def briefing_show(
    briefing_id: int, lang: Lang = "sv", as_json: Json = False, db: DbOption = None
) -> None:
    """Show a briefing: its picture and minutes."""
    from lagesbild.briefing import fmt, service

    lang = fmt.check_lang(lang)  # an unknown language is refused, not shown in English
    store = open_store_cli(db)
    if as_json:
        _dump(service.get_briefing(store, SYSTEM, briefing_id))
    else:
        _show(store, briefing_id, lang)


@briefing_app.command("list")
def briefing_list(
    place: Annotated[str | None, typer.Option("--place")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="operational, weekly, forum")] = None,
    db: DbOption = None,
) -> None:
    """The latest briefings, newest first."""
    from lagesbild.briefing import fmt, service

    store = open_store_cli(db)
    t = Table("id", "place", "kind", "at", "status", title="Briefings")
    for b in service.list_briefings(store, SYSTEM, place, kind):
        t.add_row(
            str(b["id"]), b["place"] or "", b["kind"], fmt.when(b["at"], store.tz), b["status"]
        )
    console.print(t)


@briefing_app.command("attend")
def briefing_attend(
    briefing_id: int,
    organisation: Annotated[list[str], typer.Option("--org", help="Organisation (repeatable)")],
    absent: Annotated[bool, typer.Option("--absent", help="Remove instead of add")] = False,
    db: DbOption = None,
) -> None:
    """Mark organisations present at the briefing."""
    from lagesbild.briefing import service

    names = service.attend(open_store_cli(db), SYSTEM, briefing_id, organisation, not absent)
    console.print(f"present: {', '.join(names) or '-'}")


@briefing_app.command("decide")
def briefing_decide(briefing_id: int, text: str, db: DbOption = None) -> None:
    """Record a decision taken at the briefing."""
    from lagesbild.briefing import service

    did = service.decide(open_store_cli(db), SYSTEM, briefing_id, text)
    console.print(f"decision {did} recorded")


@briefing_app.command("action")
def briefing_action(
    briefing_id: int,
    text: str,
    responsible: Annotated[str, typer.Option("--responsible", help="Organisation name or code")],
    due: Annotated[str | None, typer.Option("--due", help="Due date YYYY-MM-DD")] = None,
    db: DbOption = None,
) -> None:
    """Add an action item decided at the briefing."""
    from lagesbild.briefing import service

    aid = service.add_action(
        open_store_cli(db), SYSTEM, briefing_id, text, responsible, _date(due, "--due")
    )
    console.print(f"action item {aid} added")


@briefing_app.command("done")
def briefing_done(
    item_id: int,
    status: Annotated[str, typer.Option("--status", help="done, cancelled or open")] = "done",
    at: Annotated[str | None, typer.Option("--at", help="When it was done (default now)")] = None,
    db: DbOption = None,
) -> None:
    """Close an action item (it is carried over to every briefing until then)."""
    from lagesbild.briefing import service

    store = open_store_cli(db)
    when = _datetime(store, at, "--at") if at else None
    service.set_action_status(store, SYSTEM, item_id, status, when)
    console.print(f"action item {item_id}: {status}")


@briefing_app.command("refresh")
def briefing_refresh(briefing_id: int, db: DbOption = None) -> None:
    """Generate the picture of an open briefing again."""
    from lagesbild.briefing import service

    service.refresh(open_store_cli(db), SYSTEM, briefing_id)
    console.print(f"briefing {briefing_id}: picture generated again")


@briefing_app.command("lock")
def briefing_lock(briefing_id: int, db: DbOption = None) -> None:
    """Lock the briefing: picture and minutes are kept and cannot change."""
    from lagesbild.briefing import service

    service.lock(open_store_cli(db), SYSTEM, briefing_id)
    console.print(f"briefing {briefing_id} locked")


@briefing_app.command("print")
def briefing_print(
    briefing_id: int,
    out: Annotated[str, typer.Option("--out", help="FILE.html or FILE.pdf")],
    lang: Lang = "sv",
    db: DbOption = None,
) -> None:
    """The one-page printable briefing as HTML (print styles) or PDF."""
    from lagesbild.briefing import render, service

    store = open_store_cli(db)
    html = render.briefing_html(store, service.get_briefing(store, SYSTEM, briefing_id), lang)
    console.print(f"wrote {render.write_document(html, out)}")


# ---------------------------------------------------------------- week (EST)


@week_app.command("picture")
def week_picture(
    district: Annotated[str, typer.Option("--district", help="District (or municipality)")],
    week: Annotated[str, typer.Option("--week", help="ISO week 2024-W48, or a date in it")],
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """The week's picture: the district's places ranked by what happened."""
    from lagesbild.briefing import est, fmt

    res = est.weekly_picture(open_store_cli(db), SYSTEM, district, week)
    if as_json:
        return _dump(res)
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
    from lagesbild.briefing import est, fmt

    res = est.ranking(
        open_store_cli(db), SYSTEM, district, _date(to, "--to", True), months, category=category
    )
    if as_json:
        return _dump(res)
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
        _date(date_from, "--from", True),
        _date(date_to, "--to", True),
    )
    if as_json:
        return _dump(res)
    console.print(f"[bold]{res['organisation']}[/bold]: {res['reports']} reports")
    for p in res["places"]:
        console.print(
            f"  {p['place']}: {p['reports']} reports; priority {p['priority_weeks']} weeks, "
            f"{p['briefings']} briefings, {p['decisions']} decisions, {p['action_items']} "
            f"action items ({p['action_items_done']} done)"
        )


# ---------------------------------------------------------------- goals


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
        deadline=_date(deadline, "--deadline"),
    )
    console.print(f"goal {gid} added")


@goals_app.command("dashboard")
def goals_dashboard(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default last month)")
    ] = None,
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """Progress per goal with the trend and its uncertainty."""
    from lagesbild.briefing import fmt, forum

    res = forum.dashboard(open_store_cli(db), SYSTEM, month)
    if as_json:
        return _dump(res)
    t = Table("goal", "status", "figures", "trend (24 months)", title=f"Goals, {res['month']}")
    for g in res["goals"]:
        if g["indicator"] == "status":
            figs = f"round {g.get('latest_round')}: {g.get('latest_status')}"
            trend = ", ".join(f"{r['round']}: {r['area_ha']:.1f} ha" for r in g.get("rounds", []))
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


def register(app: typer.Typer) -> None:
    app.add_typer(briefing_app, name="briefing")
    app.add_typer(week_app, name="week")
    app.add_typer(goals_app, name="goals")
