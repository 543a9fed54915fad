"""Parsers for the values of canonical columns, each raising a ValidationError that names the
field and what was expected. Shared by file imports, the demo scenario and the API."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from lagesbild.errors import ValidationError

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_text(value: object, field: str, max_len: int = 5000) -> str | None:
    if blank(value):
        return None
    text = str(value).strip()
    if len(text) > max_len:
        raise ValidationError(field, f"is {len(text)} characters; at most {max_len} allowed")
    return text


def parse_float(value: object, field: str) -> float | None:
    """A number with decimal point or decimal comma (`59,3326`); thousands spaces ignored."""
    if blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise ValidationError(field, f"{value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValidationError(field, f"{value!r} is not a finite number")
    return number


def parse_int(value: object, field: str, minimum: int | None = None) -> int | None:
    number = parse_float(value, field)
    if number is None:
        return None
    if number != int(number):
        raise ValidationError(field, f"{value!r} is not a whole number")
    if minimum is not None and number < minimum:
        raise ValidationError(field, f"{value!r} is below the minimum {minimum}")
    return int(number)


def parse_datetime(value: object, field: str, tz: ZoneInfo) -> datetime | None:
    """ISO 8601 with offset, or `YYYY-MM-DD[ HH:MM[:SS]]` read as local time in `tz`."""
    if blank(value):
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                field, f"{value!r} is not a date-time; expected e.g. 2023-05-01 21:30"
            ) from None
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt


def parse_date(value: object, field: str) -> date | None:
    if blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if _DATE_ONLY.match(text):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a date; expected YYYY-MM-DD") from None


def parse_share(value: object, field: str) -> float | None:
    """A share as 0..1, or a percentage (`34`, `34 %`, `34,5%`) which is divided by 100."""
    if blank(value):
        return None
    text = str(value).strip()
    percent = text.endswith("%")
    number = parse_float(text.rstrip("%").strip(), field)
    assert number is not None
    if percent or number > 1:
        number /= 100.0
    if not 0 <= number <= 1:
        raise ValidationError(field, f"{value!r} is not a share between 0 and 1 (or 0-100 %)")
    return number
