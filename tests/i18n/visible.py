"""What a person reads in an HTML page: its text without scripts, styles and attributes, and the
words in it that give away an untranslated code or the other language."""

from __future__ import annotations

import re
from html.parser import HTMLParser

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
WORD = re.compile(r"[A-Za-zÅÄÖåäöÉé]+")

# Codes and status words that are English: in Swedish text each means a code was shown as it is.
ENGLISH = set(
    """
    listed delisted watch watched public shared restricted open done pending accepted rejected
    merged locked cancelled overdue rising falling stable scene district city police
    operational weekly coordinator analyst viewer admin extent extents place places crimes
    observations cameras streets roster measurements organisations met track target
    create update delete login logout the and of with is not row missing unknown expected
    mapping round event events cleanup music sports guard areas spots hotspots cold
    significant share ratio count
    """.split()
)
# Swedish words that in English text mean a Swedish text was shown.
SWEDISH = set(
    """
    och platser plats antal brott är för inte med av till kartläggning utbredning listad
    avförd bevakas öppen delad begränsad stadsdel stad kameror gata gator område perioden kvot
    ökande minskande åtgärd åtgärder samordnare läsare polis ordningsvakter narkotikabrott
    våldsbrott rad saknas okänd uppnått
    """.split()
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


def _other_messages(lang: str) -> set[str]:
    """The catalogue's texts in the other language (of three words or more, and unlike this
    language's): one of them whole in a page is a message shown in the wrong language."""
    from lagesbild.i18n import messages

    other = "en" if lang == "sv" else "sv"
    out = set()
    for texts in messages().values():
        t = texts[other]
        if t != texts[lang] and "{" not in t and len(t.split()) >= 3:
            out.add(" ".join(t.split()))
    return out


def offending(text: str, lang: str, allowed: set[str] = frozenset()) -> set[str]:
    """snake_case codes, the other language's words and the other language's messages found
    in `text` written in `lang`."""
    found = set(CODE.findall(text))
    words = {w.lower() for w in WORD.findall(text)} if lang else set()
    found |= words & (ENGLISH if lang == "sv" else SWEDISH)
    found |= {m for m in _other_messages(lang) if m in text}
    return found - set(allowed)


# Free text people write (names, titles, criteria, notes), in whatever language they write it:
# taken out of a page before the check, since it is user data and not a code or a message.
USER_TEXT = {
    "organisations": ("name", "code"),
    "users": ("username", "display_name"),
    "places": ("name", "code"),
    "mapping_rounds": ("name",),
    "extent_versions": ("motivation", "saved_by_name"),
    "extents": ("motivation", "assessed_by", "participants"),  # criteria are codes
    "crimes": ("place_text", "source_id"),  # the source system's own ids
    "observations": ("text", "source_id"),
    "measurements": ("method", "unit"),
    "cameras": ("operator", "legal_basis"),
    "guard_areas": ("name", "decision"),
    "streets": ("name",),
    "activation_events": ("title",),
    "survey_results": ("survey", "area", "question"),
    "briefings": ("notes",),
    "roster_entries": ("role",),
    "action_items": ("text",),
    "decisions": ("text",),
    "goals": ("title",),
    "priorities": ("note",),
    "resident_reports": ("text",),
}


def user_text(store) -> list[str]:
    """Every piece of free text in the store, longest first (so a name inside a title goes
    with the title)."""
    from sqlalchemy import select

    from lagesbild.store import schema

    found: set[str] = set()
    with store.read() as conn:
        for table, columns in USER_TEXT.items():
            t = getattr(schema, table)
            for col in columns:
                for value in conn.execute(select(t.c[col]).distinct()).scalars():
                    if value and str(value).strip():
                        found.add(" ".join(str(value).split()))
    return sorted(found, key=len, reverse=True)


def without(text: str, pieces: list[str]) -> str:
    """`text` with every user text taken out (also when a page shortens it with "...")."""
    for piece in pieces:
        if piece in text:  # whole words only: an organisation's code "sl" is not in "slagsmål"
            text = re.sub(rf"(?<!\w){re.escape(piece)}(?!\w)", " ", text)
    return text
