"""What the meeting commands share: `--lang`, `--json`, and reading dates and times."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from lagesbild.cli.options import console
from lagesbild.errors import ValidationError

Lang = Annotated[str, typer.Option("--lang", help="sv or en")]
Json = Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")]


def dump_json(value) -> None:
    console.print_json(json.dumps(value, ensure_ascii=False, default=str))


def local_time(store, text: str, field: str):
    from lagesbild.domain.values import parse_datetime

    value = parse_datetime(text, field, store.tz)
    if value is None:  # given, but empty
        raise ValidationError(field, "is empty; expected e.g. '2024-12-17 18:00'")
    return value


def day_option(text: str | None, field: str, required: bool = False) -> date | None:
    from lagesbild.domain.values import parse_date

    value = parse_date(text, field)
    if value is None and required:
        raise ValidationError(field, "is empty; expected a date, YYYY-MM-DD")
    return value


# ---------------------------------------------------------------- briefing
