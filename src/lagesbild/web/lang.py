"""The reader's language from a request: `?lang=`, else the `lang` cookie, else Swedish. The
texts themselves are in `lagesbild.i18n`."""

from __future__ import annotations

from fastapi import Request

from lagesbild.i18n import DEFAULT_LANG, LANGS, Translator

LANG_COOKIE = "lang"

__all__ = ["DEFAULT_LANG", "LANGS", "LANG_COOKIE", "Translator", "lang_of"]


def lang_of(request: Request) -> str:
    """The reader's language: `?lang=`, else the `lang` cookie, else Swedish."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGS:
            return value
    return DEFAULT_LANG
