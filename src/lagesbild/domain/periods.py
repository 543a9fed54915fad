"""Periods as users write them: a year (`2023`), a month (`2023-05`), a day (`2023-05-01`) or a
range of days (`2023-01-01..2023-06-30`, both ends included). A period is a half-open interval
[start, end) of timezone-aware instants in the store's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lagesbild.errors import ValidationError

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


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


def parse_period(text: str, tz: ZoneInfo, field: str = "period") -> Period:
    raw = str(text or "").strip()
    try:
        if _YEAR.match(raw):
            y = int(raw)
            return Period(raw, _midnight(date(y, 1, 1), tz), _midnight(date(y + 1, 1, 1), tz))
        if m := _MONTH.match(raw):
            y, mo = int(m[1]), int(m[2])
            nxt = date(y + (mo == 12), mo % 12 + 1, 1)
            return Period(raw, _midnight(date(y, mo, 1), tz), _midnight(nxt, tz))
        if ".." in raw:
            a, b = (part.strip() for part in raw.split("..", 1))
            start, end = date.fromisoformat(a), date.fromisoformat(b)
            if end < start:
                raise ValidationError(field, f"{raw!r}: the end is before the start")
            return Period(raw, _midnight(start, tz), _midnight(end + timedelta(days=1), tz))
        day = date.fromisoformat(raw)
        return Period(raw, _midnight(day, tz), _midnight(day + timedelta(days=1), tz))
    except ValueError:
        raise ValidationError(
            field,
            f"{raw!r} is not a period; expected 2023, 2023-05, 2023-05-01 or "
            "2023-01-01..2023-06-30",
        ) from None


def between(start: datetime, end: datetime, label: str | None = None) -> Period:
    if end <= start:
        raise ValidationError("to", "must be after from")
    return Period(label or f"{start.date()}..{end.date()}", start, end)
