"""Moved: the catalogue and the formatter are `lagesbild.i18n`, the language of a request is
`lagesbild.web.lang`. Kept for the CLI's import until it uses `lagesbild.i18n` itself."""

from __future__ import annotations

from lagesbild.i18n import DEFAULT_LANG, LANGS, Translator
from lagesbild.web.lang import LANG_COOKIE, lang_of

__all__ = ["DEFAULT_LANG", "LANGS", "LANG_COOKIE", "Translator", "lang_of"]
