"""A rejected import row's reason in the reader's language.

The ingest code writes each reason in English, as ``field: message`` (a `ValidationError`),
and the rejected-rows CSV keeps that text. Shown to a person (the import page), the message
is matched against the English texts of `messages/rejects.json`, whose ``{placeholders}``
capture the row's own values, and the same key's text in the reader's language is filled
with them. A reason no pattern matches is shown as written.
"""

from __future__ import annotations

import re
from functools import cache

from lagesbild.i18n.catalogue import DEFAULT_LANG, area
from lagesbild.i18n.codes import label

_FIELD = re.compile(r"(?P<field>[A-Za-z_/ ]+): (?P<message>.*)", re.S)


@cache
def _patterns() -> list[tuple[re.Pattern[str], dict[str, str]]]:
    out = []
    for texts in area("rejects").values():
        parts = re.split(r"\{(\w+)\}", texts["en"])
        rx = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        out.append((re.compile(rx, re.S), texts))
    return out


def _value(name: str, value: str, lang: str) -> str:
    """A captured part: a reason quoted inside a message (a strict import's first rejected
    row) and a layer's name are translated too; the row's own values stay as written."""
    if name == "reason":
        return reason(value, lang)
    if name == "layer":
        return label("layer", value, lang)
    return value


def _message(message: str, lang: str) -> str:
    for rx, texts in _patterns():
        m = rx.fullmatch(message)
        if m:
            return texts[lang].format(**{k: _value(k, v, lang) for k, v in m.groupdict().items()})
    return message


def reason(text: str, lang: str = DEFAULT_LANG) -> str:
    """`text` (an ingest reason, English) in `lang`."""
    if lang == "en" or not text:
        return text
    m = _FIELD.fullmatch(text)
    if m is None:
        return _message(text, lang)
    return f"{m['field']}: {_message(m['message'], lang)}"
