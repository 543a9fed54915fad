"""Moved to `lagesbild.i18n.format` (numbers and dates) and `lagesbild.i18n.codes` (category
labels); kept for the CLI's imports until they use `lagesbild.i18n` directly."""

from __future__ import annotations

from lagesbild.i18n.catalogue import LANGS
from lagesbild.i18n.codes import category
from lagesbild.i18n.format import check_lang, clock, num, parse_num, pct, ratio_ci, when

__all__ = [
    "LANGS",
    "category",
    "check_lang",
    "clock",
    "num",
    "parse_num",
    "pct",
    "ratio_ci",
    "when",
]
