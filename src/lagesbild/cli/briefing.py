"""`lagesbild briefing ...`: the operational briefing (samverkansuppställning) and the other
meetings' minutes at the terminal (as `SYSTEM`, the operator who sees everything)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lagesbild.cli.meeting_options import Json, Lang, day_option, dump_json, local_time
from lagesbild.cli.options import DbOption, console, open_store_cli
from lagesbild.domain.model import SYSTEM

briefing_app = typer.Typer(
    help="Briefings: the operational briefing (samverkansuppställning), the weekly EST "
    "meeting and the monthly strategic forum. Generate the picture, mark attendance, record "
    "decisions and action items, lock, print.",
    no_args_is_help=True,
)


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
    start = local_time(store, since, "--since") if since else None
    bid = service.new_briefing(
        store, SYSTEM, place, local_time(store, at, "--at"), period_from=start, kind=kind
    )
    console.print(f"[green]briefing {bid}[/green] created")
    _show(store, bid, "sv")


def _show(store, bid: int, lang: str) -> None:
    from lagesbild.briefing import service
    from lagesbild.i18n import category, label, text
    from lagesbild.i18n.format import clock, ratio_ci, when

    b = service.get_briefing(store, SYSTEM, bid)
    p, tz = b["picture"], store.tz

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    console.print(
        t(
            "cli.briefing.summary",
            place=f"[bold]{b['place']}[/bold]",
            kind=label("briefing_kind", b["kind"], lang),
            at=when(b["at"], tz),
            status=label("briefing_status", b["status"], lang),
            start=when(p["period"]["from"], tz),
            end=when(p["period"]["to"], tz),
        )
    )
    table = Table(
        t("cli.briefing.layer"),
        t("print.category"),
        t("print.before"),
        t("print.now"),
        t("print.ratio"),
        title=t("print.counts"),
    )
    for layer in ("crimes", "observations"):
        for r in p["counts"][layer]:
            table.add_row(
                label("layer", layer, lang),
                category(layer, r["category"], lang),
                str(r["count_a"]),
                str(r["count_b"]),
                ratio_ci(r, lang),
            )
    console.print(table)
    console.print(f"{t('print.notable')}: {len(p['notable'])}")
    for e in p["notable"][:10]:
        reason = {"severe": "print.severe", "new": "print.new"}.get(e["reason"])
        console.print(
            f"  {when(e['occurred_at'], tz)} {label('layer', e['layer'], lang)} "
            f"{category(e['layer'], e['category'], lang)} ({t(reason) if reason else e['reason']})"
        )
    for layer, h in p["hotspots"].items():
        n = h.get("hot_cells", 0)
        console.print(
            f"{t('print.hotspots')}: "
            + t("cli.briefing.hot_cells", layer=label("layer", layer, lang), n=n)
        )
    r = p["roster"]
    console.print(
        f"{t('print.roster')}: "
        + t("cli.briefing.roster", n=r["headcount"], orgs=r["organisations"])
    )
    for e in r["entries"]:
        console.print(
            f"  {e['organisation']}: {e['headcount']} {clock(e['starts_at'], tz)}-"
            f"{clock(e['ends_at'], tz)} {e.get('place') or ''}"
        )
    console.print(f"{t('print.activations')}: {len(p['activations'])}")
    console.print(f"{t('print.actions')}: {len(p['actions'])}")
    for a in p["actions"]:
        console.print(
            "  "
            + t(
                "cli.briefing.action",
                id=a["id"],
                text=a["text"],
                responsible=a["responsible"],
                due=a["due_date"],
            )
        )
    m = b["minutes"]
    console.print(f"{t('print.attendance')}: {', '.join(m['attendance']) or '-'}")
    for d in m["decisions"]:
        console.print(f"{t('print.decisions')}: {d['text']}")
    for a in m["new_actions"]:
        console.print(f"{t('print.new_actions')}: #{a['id']} {a['text']} - {a['responsible']}")


@briefing_app.command("show")
def briefing_show(
    briefing_id: int, lang: Lang = "sv", as_json: Json = False, db: DbOption = None
) -> None:
    """Show a briefing: its picture and minutes."""
    from lagesbild.briefing import service
    from lagesbild.i18n import check_lang

    lang = check_lang(lang)  # an unknown language is refused, not shown in English
    store = open_store_cli(db)
    if as_json:
        dump_json(service.get_briefing(store, SYSTEM, briefing_id))
    else:
        _show(store, briefing_id, lang)


@briefing_app.command("list")
def briefing_list(
    place: Annotated[str | None, typer.Option("--place")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="operational, weekly, forum")] = None,
    db: DbOption = None,
) -> None:
    """The latest briefings, newest first."""
    from lagesbild.briefing import service
    from lagesbild.i18n.format import when

    store = open_store_cli(db)
    t = Table("id", "place", "kind", "at", "status", title="Briefings")
    for b in service.list_briefings(store, SYSTEM, place, kind):
        t.add_row(str(b["id"]), b["place"] or "", b["kind"], when(b["at"], store.tz), b["status"])
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
        open_store_cli(db), SYSTEM, briefing_id, text, responsible, day_option(due, "--due")
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
    when = local_time(store, at, "--at") if at else None
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
