"""Numbers, dates and labels as the reader's language writes them (sv: decimal comma and a
no-break space between thousands; en: decimal point and a comma), shared by the briefing's
printout and the follow-up report."""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lagesbild.domain.taxonomy import DEFAULT_TAXONOMY
from lagesbild.errors import ValidationError

LANGS = ("sv", "en")


def check_lang(lang: str) -> str:
    lang = (lang or "sv").strip().lower()
    if lang not in LANGS:
        raise ValidationError("lang", f"{lang!r}: expected sv or en")
    return lang


def num(value, lang: str = "sv", digits: int = 0) -> str:
    """A number with `digits` decimals; "–" for None/NaN, "∞" for infinity."""
    if value is None:
        return "–"
    v = float(value)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞"
    text = f"{v:,.{digits}f}"
    if lang == "sv":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text.replace("-", "−")


def pct(share, lang: str = "sv", digits: int = 0) -> str:
    """A share (0..1) as a percentage."""
    if share is None:
        return "–"
    return f"{num(100 * float(share), lang, digits)}\u00a0%"


def parse_num(text: str) -> float:
    """Read back what `num` wrote (tests compare printed figures with the engine's)."""
    t = text.strip().replace("\u00a0", "").replace("−", "-").replace("%", "").strip()
    if "," in t and "." not in t:
        t = t.replace(",", ".")
    else:
        t = t.replace(",", "")
    return float(t)


def when(value, tz: ZoneInfo, lang: str = "sv", with_time: bool = True) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        local = value.astimezone(tz)
        return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return value.isoformat()


def clock(value, tz: ZoneInfo) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(tz).strftime("%H:%M")


def category(layer: str, code: str, lang: str = "sv") -> str:
    cat = DEFAULT_TAXONOMY.get(layer, code)
    return cat.label(lang) if cat else code


def ratio_ci(row: dict, lang: str = "sv") -> str:
    """`0,50 (0,11–1,87)`: the rate ratio with its interval. JSON has no infinity, so a missing
    upper limit above a known lower one is the open interval's ∞."""
    ratio, low, high = row.get("rate_ratio"), row.get("ci_low"), row.get("ci_high")
    if low is None:
        return "–"
    top = "∞" if high is None else num(high, lang, 2)
    return f"{num(ratio, lang, 2)} ({num(low, lang, 2)}–{top})"
