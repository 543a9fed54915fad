"""Every number a report prints goes through `Figures`: it is formatted in the report's language
and wrapped as ``<span class="fig" data-key=KEY data-value=VALUE>text</span>``, and the value is
kept in `Figures.values` under its key. Keys name the engine's query, e.g.
``ind|place: Klara|violent_crime|count_b`` is the `count_b` of that row of
`services.analyse.indicators`, so a test can compare the printed document with the engine."""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

from lagesbild.i18n import format as fmt


class Figures:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.values: dict[str, Any] = {}

    def __call__(self, key: str, value: Any, digits: int = 0, pct: bool = False) -> Markup:
        """The number as printed. `pct`: a share 0..1 printed as a percentage."""
        self.values[key] = value
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            text = "∞" if isinstance(value, float) and math.isinf(value) else "–"
        elif pct:
            text = fmt.pct(value, self.lang, digits)
        else:
            text = fmt.num(value, self.lang, digits)
        data_value = "" if value is None else repr(float(value))
        return Markup(
            f'<span class="fig" data-key="{escape(key)}" data-value="{data_value}" '
            f'data-digits="{digits}" data-pct="{int(pct)}">{escape(text)}</span>'
        )

    def interval(self, key: str, low: Any, high: Any, digits: int = 2) -> Markup:
        return Markup("{}–{}").format(
            self(f"{key}|ci_low", low, digits), self(f"{key}|ci_high", high, digits)
        )
