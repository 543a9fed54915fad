"""Importing a file into a layer: the service the CLI and the web app both call.

`import_file` opens and checks the file (`sources`), streams its rows to `write_records` in one
transaction, and writes the rejected rows to a report beside the input (`FILE.rejected.csv`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lagesbild.domain.model import Viewer
from lagesbild.domain.values import blank, safe_cell
from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.ingest import bulk
from lagesbild.ingest.columns import CsvColumns
from lagesbild.ingest.layers import layer_spec
from lagesbild.ingest.offences import load_table
from lagesbild.ingest.sources import ReadOptions, Source, open_source
from lagesbild.ingest.writer import StrictRejection, WriteSummary, write_records
from lagesbild.store.engine import Store
from lagesbild.store.names import find_id
from lagesbild.store.schema import organisations


@dataclass(frozen=True)
class ImportOptions:
    mapping: dict[str, str] = field(default_factory=dict)
    crs: str | None = None
    strict: bool = False
    organisation: str | None = None  # owner of rows without an organisation column
    offence_table: str | Path | None = None
    user_id: int | None = None
    encoding: str | None = None
    # a user's import: its rows are this organisation's, and it changes no other's records
    writer_org: int | None = None
    dry_run: bool = False  # check and count every row, store nothing


@dataclass(frozen=True)
class ImportResult:
    path: Path
    layer: str
    source: str  # what the file was read as, e.g. "CSV, cp1252, semicolon-separated"
    summary: WriteSummary
    report: Path | None  # the rejected rows, when there were any
    ignored_columns: tuple[str, ...]


def report_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.csv")


def open_file(store: Store, layer: str, path: str | Path, options: ImportOptions) -> Source:
    """Open and check a file without storing anything (raises `FileProblem`)."""
    return open_source(path, layer, ReadOptions(options.mapping, options.crs, options.encoding))


def audit_import(
    store: Store, viewer: Viewer, result: ImportResult, remote: str | None = None
) -> None:
    """The audit entry of an import (the terminal's, the API's and the import page's alike):
    who brought which file into which layer, with its counts."""
    from lagesbild.store import audit

    detail = f"{result.path.name}: {result.summary.as_dict()}"
    with store.write() as conn:
        audit.record(conn, viewer, "import", result.layer, None, detail, remote)


def import_file(
    store: Store,
    layer: str,
    path: str | Path,
    options: ImportOptions | None = None,
    *,
    source: Source | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import one file into one layer in one transaction; see the module docstring."""
    options = options or ImportOptions()
    spec = layer_spec(layer)
    path = Path(path)
    offences = load_table(options.offence_table, store.taxonomy)
    source = source or open_file(store, spec.name, path, options)
    if options.organisation:
        _check_organisation(store, options.organisation)
    records: Iterable | CsvColumns | None = None
    if spec.name in bulk.BULK_LAYERS and bulk.ENABLED:
        records = CsvColumns.open(source, options.organisation)  # read by Arrow, in columns
    if records is None:
        records = _with_owner(source.records(), options.organisation, spec.name)
    report = report_path(path)
    try:
        summary = write_records(
            store,
            spec.name,
            records,
            crs=source.crs,
            user_id=options.user_id,
            strict=options.strict,
            on_progress=on_progress,
            offences=offences,
            writer_org=options.writer_org,
            dry_run=options.dry_run,
        )
    except StrictRejection as exc:
        _write_report(report, exc.summary, source)
        raise StrictRejection(exc.message, f"the rejected rows are listed in {report}") from None
    written = _write_report(report, summary, source)
    return ImportResult(path, spec.name, source.describe, summary, written, tuple(source.ignored))


def _check_organisation(store: Store, name: str) -> None:
    with store.read() as conn:
        found = find_id(conn, organisations, name)
    if found is None:
        raise ValidationError(
            "--organisation",
            f"unknown organisation {name!r}",
            "import it with the organisations layer first",
        )


def _with_owner(records: Iterator, organisation: str | None, layer: str) -> Iterator:
    if not organisation or layer == "organisations":
        yield from records
        return
    for line, rec, geom in records:
        if blank(rec.get("organisation")):
            rec["organisation"] = organisation
        yield line, rec, geom


def _write_report(report: Path, summary: WriteSummary, source: Source) -> Path | None:
    """Write `FILE.rejected.csv` (line, reason, the row's values); remove a stale one."""
    if not summary.rejected:
        if report.exists():
            report.unlink()
        return None
    columns = list(source.index)
    try:
        with open(report, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["line", "reason", *columns])
            for r in sorted(summary.rejected, key=lambda r: r.line):
                writer.writerow(
                    [
                        r.line,
                        safe_cell(r.reason),
                        *[safe_cell(_cell(r.record.get(c))) for c in columns],
                    ]
                )
    except OSError as exc:
        raise LagesbildError(
            f"cannot write the report of rejected rows {report}: {exc.strerror}"
        ) from None
    return report


def _cell(value: object) -> object:
    return "" if value is None else value
