"""Request values every route reads the same way: record ids, offsets and dates, checked once
here so that a value the store cannot hold (an id above 2^63-1, a date in year 9999) is a 4xx
naming the parameter, never an overflow deep in a query. `out_of_range` is the safety net's
guess at which parameter an OverflowError came from (web.app)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from lagesbild.domain.periods import MAX_YEAR, MIN_YEAR
from lagesbild.domain.values import MAX_INT

# a record's id in a path: ids start at 1 and fit the stores' 64-bit integers
Id = Annotated[int, Path(ge=1, le=MAX_INT)]
# how many records to skip in a listing
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]


def _year_checked(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:  # pydantic names the field in its 422
        raise ValueError(f"must lie in the years {MIN_YEAR}-{MAX_YEAR}")
    return value


# a date or date-time given by a user, within the years lagesbild accepts
Day = Annotated[date, AfterValidator(_year_checked)]
Instant = Annotated[datetime, AfterValidator(_year_checked)]


_INTEGER = re.compile(r"^[+-]?\d+$")
_YEAR_FIRST = re.compile(r"^[+-]?(\d{4,})-")


def out_of_range(params: list[tuple[str, str]]) -> str | None:
    """The first parameter whose value looks like a number or date beyond what lagesbild
    handles (an integer above 2^63-1, a date outside MIN_YEAR..MAX_YEAR), or None."""
    for name, value in params:
        text = str(value).strip()
        if _INTEGER.match(text) and (len(text) > 20 or abs(int(text)) > MAX_INT):
            return name
        if (m := _YEAR_FIRST.match(text)) and not MIN_YEAR <= int(m[1]) <= MAX_YEAR:
            return name  # a date, date-time or ISO week (9999-W52)
    return None
