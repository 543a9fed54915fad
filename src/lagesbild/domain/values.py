"""Parsers for the values of canonical columns, each raising a ValidationError that names the
field and what was expected. Shared by file imports, the demo scenario and the API."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from lagesbild.domain.periods import check_year
from lagesbild.errors import ValidationError

# The largest whole number the stores keep (SQLite INTEGER, PostgreSQL bigint)
MAX_INT = 2**63 - 1
# The largest an Integer column keeps on both stores (PostgreSQL's integer is 4 bytes): the
# bound of a whole number read from a file (counts, years, headcounts), so that a value beyond
# it is a rejected row, not the server's error for the whole import
MAX_COLUMN_INT = 2**31 - 1

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Swedish clock times use a dot (kl. 22.15) and often a one-digit hour (9.05, 9:05)
_LOCAL_CLOCK = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?$")
# what fromisoformat would read as a fraction of the hour: 22.5 -> 22:00:00.5
_HOUR_FRACTION = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}[.,]")


# What a spreadsheet runs as a formula when a cell starts with it (CSV injection)
UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or
    carriage return) gets a leading apostrophe. `unguard` takes it off again on import."""
    if isinstance(value, str) and value.startswith(UNSAFE_START):
        return "'" + value
    return value


def unguard(value: str) -> str:
    """A CSV cell as it was before `safe_cell`: an apostrophe before = + - @ (as lagesbild's
    and most tools' exports write them) is the guard, not the value; an export imports again as
    the same records."""
    if value[:1] == "'" and value[1:2] and value[1] in UNSAFE_START:
        return value[1:]
    return value


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


def as_id(text: str) -> int | None:
    """`text` as a record id, or None: ASCII digits only (isdigit() also takes '²', which int()
    refuses) of a number the store can hold."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(MAX_INT)):
        return None  # the length first: int() refuses thousands of digits
    value = int(text)
    return value if value <= MAX_INT else None


def parse_int(value: object, field: str, minimum: int | None = None) -> int | None:
    number = parse_float(value, field)
    if number is None:
        return None
    if number != int(number):
        raise ValidationError(field, f"{value!r} is not a whole number")
    if minimum is not None and number < minimum:
        raise ValidationError(field, f"{value!r} is below the minimum {minimum}")
    if abs(number) > MAX_COLUMN_INT:  # the store's column could not keep it
        raise ValidationError(field, f"{value!r} is too large; expected at most {MAX_COLUMN_INT}")
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
        if text.endswith("z"):  # RFC 3339 allows a lowercase z as it does a lowercase t
            text = text[:-1] + "+00:00"
        clock = _LOCAL_CLOCK.match(text)
        if clock:
            day, hour, minute, second = clock.groups()
            text = f"{day} {int(hour):02d}:{minute}:{second or '00'}"
        try:
            if _HOUR_FRACTION.match(text):
                raise ValueError(text)
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                field, f"{value!r} is not a date-time; expected e.g. 2023-05-01 21:30"
            ) from None
    check_year(dt, field, value)  # near year 1 or 9999 the change to UTC would overflow
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
