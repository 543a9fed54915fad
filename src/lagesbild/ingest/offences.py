"""Offence codes of a source (e.g. Swedish *brottskoder* or offence names) to the category
taxonomy, through a table the user can edit.

A table is a CSV with the columns `offence_code` and `category` (a `label` column is optional and
only for people); lines starting with `#` are comments. The package ships a small default table
(`data/offence_codes.csv`); a table the user passes with `--offence-table` is read on top of it,
so its rows add codes and override the default ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lagesbild.domain.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from lagesbild.errors import LagesbildError


class OffenceTableError(LagesbildError):
    """An offence table that cannot be used."""


def normalise_code(code: object) -> str:
    """Codes match case-insensitively, with runs of spaces and commas treated alike."""
    return " ".join(str(code).replace(",", " ").split()).lower()


def _parse(text: str, origin: str, taxonomy: Taxonomy) -> dict[str, str]:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=_delimiter(lines))
    fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
    if "offence_code" not in fields or "category" not in fields:
        raise OffenceTableError(
            f"{origin}: an offence table needs the columns offence_code and category",
            f"found: {', '.join(fields) or 'no header'}",
        )
    table: dict[str, str] = {}
    for n, row in enumerate(reader, start=2):
        code, category = row[fields["offence_code"]], row[fields["category"]]
        if not code or not code.strip():
            continue
        try:
            table[normalise_code(code)] = taxonomy.validate("crimes", category)
        except LagesbildError as exc:
            raise OffenceTableError(f"{origin}, row {n}: {exc}") from None
    return table


def _delimiter(lines: list[str]) -> str:
    head = lines[0] if lines else ""
    return max((",", ";", "\t"), key=head.count)


@lru_cache(maxsize=1)
def default_table() -> Mapping[str, str]:
    """The table shipped with the package."""
    text = resources.files("lagesbild.ingest").joinpath("data/offence_codes.csv").read_text("utf-8")
    return _parse(text, "default offence table", DEFAULT_TAXONOMY)


def load_table(path: str | Path | None, taxonomy: Taxonomy = DEFAULT_TAXONOMY) -> dict[str, str]:
    """The default table, with the user's table (if any) on top of it."""
    table = dict(default_table())
    if path is None:
        return table
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise OffenceTableError(f"cannot read the offence table {p}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    table.update(_parse(text, str(p), taxonomy))
    return table


def category_for(table: Mapping[str, str], code: object) -> str | None:
    return table.get(normalise_code(code))
