"""Numbers, percentages, hectares and dates as each language writes them, for every page,
printout and report.

Swedish: a decimal comma and U+00A0 NO-BREAK SPACE between thousands (CLDR's `sv`; a plain
space would let a line break split a number), a no-break space before "%"; English: a decimal
point, a comma between thousands, no space before "%". A minus is U+2212. None and NaN show as
"–", infinity as "∞". Dates: ISO 2023-05-01 in Swedish, "1 May 2023" in English.
"""

from __future__ import annotations

import math
from datetime import date, datetime, tzinfo

from lagesbild.errors import ValidationError
from lagesbild.i18n.catalogue import DEFAULT_LANG, LANGS

THOUSANDS_SV = "\u00a0"
NBSP = "\u00a0"
MINUS = "\u2212"
DASH = "–"


def check_lang(lang: str | None) -> str:
    """`sv` or `en` (case and spaces ignored); anything else is a ValidationError."""
    value = (lang or DEFAULT_LANG).strip().lower()
    if value not in LANGS:
        raise ValidationError("lang", f"{value!r}: expected sv or en")
    return value


def num(value: float | int | None, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """A number with `digits` decimals: 17 850 and 12,5 in Swedish; 17,850 and 12.5 in English."""
    if value is None:
        return DASH
    v = float(value)
    if math.isnan(v):
        return DASH
    if math.isinf(v):
        return "∞" if v > 0 else MINUS + "∞"
    text = f"{v:,.{digits}f}"
    if lang == "sv":
        text = text.replace(",", THOUSANDS_SV).replace(".", ",")
    return text.replace("-", MINUS)


def count(value: int | None, lang: str = DEFAULT_LANG) -> str:
    """A whole number (a count of records or people)."""
    return num(value, lang, 0)


def pct(share: float | None, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """A share 0..1 as a percentage: 34 % in Swedish (no-break space), 34% in English."""
    if share is None:
        return DASH
    sep = NBSP if lang == "sv" else ""
    return f"{num(100 * float(share), lang, digits)}{sep}%"


def ha(value: float | None, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    """Hectares: 12,5 ha / 12.5 ha."""
    return f"{num(value, lang, digits)} ha"


def parse_num(text: str, lang: str | None = None) -> float:
    """Read back what `num` or `pct` wrote (tests compare printed figures with the engine's).
    Without `lang`, a lone comma is taken as Swedish decimals (as `num` writes 0,79)."""
    t = text.strip()
    for ch in (NBSP, "\u202f", "%", " "):
        t = t.replace(ch, "")
    t = t.replace(MINUS, "-")
    if lang == "en" or ("," in t and "." in t):
        return float(t.replace(",", ""))
    return float(t.replace(",", "."))


def _as_time(value: date | datetime | str) -> date | datetime:
    if isinstance(value, str):
        return (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    return value


def _local(value: datetime, tz: tzinfo | None) -> datetime:
    return value.astimezone(tz) if tz is not None and value.tzinfo is not None else value


def day(
    value: date | datetime | str | None, lang: str = DEFAULT_LANG, tz: tzinfo | None = None
) -> str:
    """A day: 2023-05-01 (Swedish usage) or 1 May 2023."""
    if value is None:
        return DASH
    value = _as_time(value)
    if isinstance(value, datetime):
        value = _local(value, tz).date()
    if lang == "sv":
        return value.isoformat()
    return f"{value.day} {value.strftime('%b')} {value.year}"


def moment(value: datetime | str | None, lang: str = DEFAULT_LANG, tz: tzinfo | None = None) -> str:
    """A day and a local time: 2023-05-01 21:30 / 1 May 2023 21:30."""
    if value is None:
        return DASH
    value = _as_time(value)
    if not isinstance(value, datetime):
        return day(value, lang)
    local = _local(value, tz)
    return f"{day(local.date(), lang)} {local:%H:%M}"


def when(
    value: date | datetime | str | None,
    tz: tzinfo,
    lang: str = DEFAULT_LANG,
    with_time: bool = True,
) -> str:
    """A printout's date (and local time): ISO in both languages, as the minutes are filed."""
    if value is None:
        return DASH
    value = _as_time(value)
    if isinstance(value, datetime):
        local = value.astimezone(tz)
        return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return value.isoformat()


def clock(value: datetime | str, tz: tzinfo) -> str:
    """The local time of day, 18:00."""
    value = _as_time(value)
    return value.astimezone(tz).strftime("%H:%M")


def ratio_ci(row: dict, lang: str = DEFAULT_LANG) -> str:
    """`0,50 (0,11–1,87)`: the rate ratio with its interval. JSON has no infinity, so a missing
    upper limit above a known lower one is the open interval's ∞."""
    ratio, low, high = row.get("rate_ratio"), row.get("ci_low"), row.get("ci_high")
    if low is None:
        return DASH
    top = "∞" if high is None else num(high, lang, 2)
    return f"{num(ratio, lang, 2)} ({num(low, lang, 2)}–{top})"
