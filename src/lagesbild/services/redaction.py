"""Personal data in a resident's free text, found so a moderator sees it highlighted and can
remove it before the text is shared: e-mail addresses, Swedish personal identity numbers,
phone numbers, and names after "jag heter" / "heter" / "ring" (or "my name is" / "call") or
signed after a slash ("/Anna Svensson")."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = r"[A-ZÅÄÖÉ][a-zåäöéü]+(?:[- ][A-ZÅÄÖÉ][a-zåäöéü]+)?"
PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    # YYMMDD-NNNN or YYYYMMDDNNNN (with - or +), before phone numbers: both are digit runs
    ("personnummer", re.compile(r"\b(?:19|20)?\d{6}[-+]?\d{4}\b")),
    ("phone", re.compile(r"(?<![\w+])(?:\+46|0046|0)\s?\d{1,3}(?:[\s-]?\d){5,9}\b")),
    (
        "name",
        re.compile(
            r"(?:(?i:jag heter|heter|ring|ringa|my name is|call)\s+(?:(?i:till)\s+)?)("
            + _NAME
            + ")"
        ),
    ),
    ("name", re.compile(r"/\s*(" + _NAME + ")")),
)
MARKS = {
    "email": "[e-post borttagen]",
    "personnummer": "[personnummer borttaget]",
    "phone": "[telefon borttagen]",
    "name": "[namn borttaget]",
}


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str


def find(text: str | None) -> list[Finding]:
    """The spans of personal data in `text`, in order and not overlapping."""
    if not text:
        return []
    found: list[Finding] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            start, end = (m.start(1), m.end(1)) if m.groups() else (m.start(), m.end())
            if not any(f.start < end and start < f.end for f in found):
                found.append(Finding(start, end, kind))
    return sorted(found, key=lambda f: f.start)


def redact(text: str | None) -> str | None:
    """`text` with every finding replaced by a marker of its kind."""
    if not text:
        return text
    out, at = [], 0
    for f in find(text):
        out += [text[at : f.start], MARKS[f.kind]]
        at = f.end
    out.append(text[at:])
    return "".join(out)


def segments(text: str | None) -> list[tuple[str, str | None]]:
    """(piece, kind or None) covering `text`: for highlighting the findings on a page."""
    if not text:
        return []
    out, at = [], 0
    for f in find(text):
        if f.start > at:
            out.append((text[at : f.start], None))
        out.append((text[f.start : f.end], f.kind))
        at = f.end
    if at < len(text):
        out.append((text[at:], None))
    return out
