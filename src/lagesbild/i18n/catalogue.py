"""The message catalogue: every sv/en text, read once from the JSON files in `messages/`.

One file per area (`pages`, `codes`, `report`, `briefing`, `rejects`), each a flat object
``"key": {"sv": "...", "en": "..."}``. Keys are unique across the files (checked at load), so
a key names its text wherever it is used. Placeholders are `str.format` fields (``{n}``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGS: tuple[str, ...] = ("sv", "en")
DEFAULT_LANG = "sv"
FOLDER = Path(__file__).parent / "messages"
# every file in the folder: a feature brings its texts in a file of its own
AREAS: tuple[str, ...] = tuple(sorted(p.stem for p in FOLDER.glob("*.json")))


@cache
def messages() -> dict[str, dict[str, str]]:
    """key -> {lang: text}, all areas merged; a key in two files is an error."""
    out: dict[str, dict[str, str]] = {}
    for area in AREAS:
        data = json.loads((FOLDER / f"{area}.json").read_text(encoding="utf-8"))
        for key, texts in data.items():
            if key in out:
                raise ValueError(f"message key {key!r} of {area}.json is already defined")
            out[key] = texts
    return out


def area(name: str) -> dict[str, dict[str, str]]:
    """The messages of one file (for the catalogue's own checks)."""
    return json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))


def text(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The message `key` in `lang`, its placeholders filled; an unknown key shows as itself
    (and the visible-text test catches it)."""
    entry = messages().get(key)
    if entry is None:
        return key
    message = entry.get(lang) or entry[DEFAULT_LANG]
    return message.format(**values) if values else message


def has(key: str) -> bool:
    return key in messages()


def section(prefix: str, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """Every message under `prefix.` keyed without it: ``section("doc", "sv")["title"]``;
    what a document template reads as ``t.title``."""
    start = prefix + "."
    return {
        k[len(start) :]: v.get(lang) or v[DEFAULT_LANG]
        for k, v in messages().items()
        if k.startswith(start)
    }
