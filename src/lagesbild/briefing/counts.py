"""Small counts at a meeting: below `TOO_FEW` in both periods a rate ratio and its interval are
noise, so the meetings show the two counts and "too few to compare" instead (the briefing page
and its print, the EST week, the forum's goals)."""

from __future__ import annotations

from typing import Any

from lagesbild.i18n import format as fmt
from lagesbild.i18n import text

TOO_FEW = 10


def too_few(count_a: Any, count_b: Any) -> bool:
    """Both counts under `TOO_FEW` (a suppressed or missing count is not a small count)."""
    return all(isinstance(c, (int, float)) and c < TOO_FEW for c in (count_a, count_b))


def ratio_text(row: dict[str, Any], lang: str, a: str = "count_a", b: str = "count_b") -> str:
    """The ratio with its interval, or "too few to compare" for small counts."""
    if too_few(row.get(a), row.get(b)):
        return text("meet.too_few", lang)
    return fmt.ratio_ci(row, lang)
