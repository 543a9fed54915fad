"""What the web says about an uploaded file: the user's own file name, never the server's
temporary path, in the reader's language, and without the CLI's flags (`--crs`, `--map`).

The readers (`ingest.sources`) raise `FileProblem` with English messages that name the path
they opened; `file_message` puts the uploaded name in its place and matches the message
against the known shapes below, giving the same key's text in `messages/intake.json`.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import Request

from lagesbild.errors import LagesbildError
from lagesbild.i18n import LANGS, label, text
from lagesbild.web.lang import LANG_COOKIE

# key -> the English message of ingest.sources (after the path became `{file}`), as a regex
_SHAPES: dict[str, str] = {
    "intake.fp.format": r"(?P<file>.+?): unknown format (?P<suffix>.+)",
    "intake.fp.binary": r"(?P<file>.+?) is not a text file \(it holds NUL bytes\)",
    "intake.fp.encoding": r"(?P<file>.+?): the text is neither UTF-8 nor cp1252 \(Windows-1252\)",
    "intake.fp.empty": r"(?P<file>.+?) is empty; expected a header row with the columns of "
    r"(?P<layer>\w+)",
    "intake.fp.no_header": r"(?P<file>.+?) has no header row; expected the columns of "
    r"(?P<layer>\w+)",
    "intake.fp.not_csv": r"(?P<file>.+?) does not look like CSV \(it starts with (?P<start>.*)\)",
    "intake.fp.csv_line": r"(?P<file>.+?): line (?P<line>\d+): (?P<error>.*)",
    "intake.fp.twins": r"(?P<file>.+?): columns (?P<cols>.+) have the same name",
    "intake.fp.map_target": r"--map (?P<pair>.+?): (?P<target>.+?) is not a column of layer "
    r"(?P<layer>\w+); expected one of: (?P<cols>.*)",
    "intake.fp.map_source": r"(?P<file>.+?) has no column (?P<source>.+?) \(from --map "
    r"(?P<target>[^=]+)=.*\); its columns are: (?P<cols>.*)",
    "intake.fp.geometry": r"(?P<file>.+?): the (?P<layer>\w+) layer needs (?P<geometry>\w+) "
    r"geometries, which a CSV cannot hold",
    "intake.fp.xy_crs": r"(?P<file>.+?): columns x/y need their CRS",
    "intake.fp.missing": r"(?P<file>.+?): missing required column\(s\) for layer (?P<layer>\w+): "
    r"(?P<missing>.+?); the file's columns are: (?P<cols>.*)",
}
_COMPILED = [(key, re.compile(rx, re.S)) for key, rx in _SHAPES.items()]


# the readers' phrases inside a list of missing columns -> their keys
_MISSING_PHRASES = {
    "category (or offence_code)": "intake.missing.category",
    "lat and lon (or x and y with --crs)": "intake.missing.location",
    "or place": "intake.missing.or_place",
}


def _missing(listed: str, lang: str) -> str:
    for phrase, key in _MISSING_PHRASES.items():
        listed = listed.replace(phrase, text(key, lang))
    return listed


def hide_path(message: str, server_path: Path, filename: str) -> str:
    """`message` with the server's path (and its folder) replaced by the user's file name."""
    for p in (str(server_path), str(server_path.parent)):
        message = message.replace(p, filename)
    return message


def file_message(exc: LagesbildError, server_path: Path, filename: str, lang: str) -> str:
    """A file problem told to the person who uploaded `filename`, in `lang`."""
    message = hide_path(exc.message, server_path, filename)
    for key, rx in _COMPILED:
        m = rx.fullmatch(message)
        if m:
            values = {k: v for k, v in m.groupdict().items()}
            values["file"] = filename
            if "missing" in values:
                values["missing"] = _missing(values["missing"], lang)
            if "layer" in values:
                values["layer"] = label("layer", values["layer"], lang)
            return text(key, lang, **values)
    # a shape not known here: still the user's name, never the path or a CLI flag's hint
    if message.startswith(filename):
        return message
    return text("intake.fp.other", lang, file=filename, error=message)


class UploadProblem(LagesbildError):
    """A file problem re-told for the web, keeping the reader's HTTP status."""

    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.http_status = http_status


def told(exc: LagesbildError, server_path: Path, filename: str, lang: str) -> UploadProblem:
    return UploadProblem(file_message(exc, server_path, filename, lang), exc.http_status)


def api_lang(request: Request) -> str:
    """The API caller's language: `?lang=` or the `lang` cookie when given, else English (the
    API's answers were English before they could be Swedish)."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGS:
            return value
    return "en"
