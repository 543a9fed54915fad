"""Periods as users write them: a year (`2023`), a month (`2023-05`), a day (`2023-05-01`) or a
range of days (`2023-01-01..2023-06-30`, both ends included). A period is a half-open interval
[start, end) of timezone-aware instants in the store's time zone."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lagesbild.errors import ValidationError

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The years a date given by a user may fall in: wide enough for any record, far enough from
# Python's limits (years 1 and 9999) that time zones, the period before, years or weeks back
# and the open ends of a time filter (1900-01-01, 2999-12-31) never overflow.
MIN_YEAR, MAX_YEAR = 1900, 2999


def check_year(value: date, field: str, shown: object = None) -> None:
    """A ValidationError naming `field` when a given date or instant lies outside the years
    lagesbild accepts (MIN_YEAR..MAX_YEAR)."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(
            field, f"{str(shown or value)!r} is outside the years {MIN_YEAR}-{MAX_YEAR}"
        )


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime  # exclusive

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        length = self.end - self.start
        return Period(f"before {self.label}", self.start - length, self.start)


def _midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(), tzinfo=tz)


def _days(raw: str, field: str) -> tuple[date, date]:
    """The first and the last day (included) of a period as written; ValueError if it is none."""
    if _YEAR.match(raw):
        y = int(raw)
        return date(y, 1, 1), date(y, 12, 31)
    if m := _MONTH.match(raw):
        y, mo = int(m[1]), int(m[2])
        first = date(y, mo, 1)
        return first, first.replace(day=calendar.monthrange(y, mo)[1])
    if ".." in raw:
        a, b = (part.strip() for part in raw.split("..", 1))
        first, last = date.fromisoformat(a), date.fromisoformat(b)
        if last < first:
            raise ValidationError(field, f"{raw!r}: the end is before the start")
        return first, last
    day = date.fromisoformat(raw)
    return day, day


def parse_period(text: str, tz: ZoneInfo, field: str = "period") -> Period:
    raw = str(text or "").strip()
    try:
        first, last = _days(raw, field)
    except ValueError:
        raise ValidationError(
            field,
            f"{raw!r} is not a period; expected 2023, 2023-05, 2023-05-01 or "
            "2023-01-01..2023-06-30",
        ) from None
    for day in (first, last):
        check_year(day, field, raw)
    return Period(raw, _midnight(first, tz), _midnight(last + timedelta(days=1), tz))


def parse_day(text: str, field: str = "date") -> date:
    """One day, written YYYY-MM-DD. A year or a month is refused rather than read as its first
    day: "coverage on 2023" has no one answer."""
    raw = str(text or "").strip()
    try:
        first, last = _days(raw, field)
    except ValueError:
        first = last = None
    if first is None or first != last or ".." in raw:
        raise ValidationError(field, f"{raw!r} is not a day; expected a date such as 2023-06-01")
    check_year(first, field, raw)
    return first


def between(start: datetime, end: datetime, label: str | None = None) -> Period:
    if end <= start:
        raise ValidationError("to", "must be after from")
    return Period(label or f"{start.date()}..{end.date()}", start, end)
