"""`lagesbild report`: the follow-up report for a place, or with `--municipality` the statutory
situational picture (lag 2023:196) for a whole municipality or district."""

from __future__ import annotations

from typing import Annotated

import typer

from lagesbild.cli.options import DbOption, console, open_store_cli
from lagesbild.domain.model import SHARED_AUDIENCE, SYSTEM


def report(
    date_from: Annotated[str, typer.Option("--from", help="First day, month or year")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, month or year (included)")],
    out: Annotated[str, typer.Option("--out", help="FILE.pdf or FILE.html")],
    place: Annotated[str | None, typer.Option("--place", help="Place name, code or id")] = None,
    municipality: Annotated[
        str | None,
        typer.Option(
            "--municipality",
            help="A municipality or district (a place of kind city or district): the statutory "
            "lägesbild with every area below it, the ranking and the action plan",
        ),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="sv or en")] = "sv",
    db: DbOption = None,
) -> None:
    """Write the follow-up report: maps of the extent per round, counts and rates per hectare
    with intervals, the survey against the city, coverage, activation and its effect, and a
    short text stating each finding with its number. It counts public and shared records
    only: restricted records are never in a report."""
    from lagesbild.errors import ValidationError
    from lagesbild.report import render

    if bool(place) == bool(municipality):
        raise ValidationError("--place", "give either --place or --municipality")
    store = open_store_cli(db)
    # a printed report goes to everyone who reads it (the committee, every partner): it holds
    # public and shared records only, never restricted ones (see store.access)
    who = SHARED_AUDIENCE
    if place:
        html, _ = render.place_report(store, who, place, date_from, date_to, lang)
    else:
        html, _ = render.municipality_report(store, who, municipality, date_from, date_to, lang)
    path = render.write(html, out)
    from lagesbild.store import audit

    with store.write() as conn:
        audit.record(conn, SYSTEM, "export", "report", None, f"{place or municipality} {path.name}")
    console.print(f"wrote {path}")
