"""Storing canonical records idempotently: new rows are inserted, changed rows updated, the
same row again is skipped. Bad rows are collected with their line and reason, never half-stored.

The whole batch is one transaction: a crash or Ctrl-C leaves the store as it was. The big point
layers (crimes, observations) take the chunked fast path of `ingest.bulk`, with the same rules
and results.

A record may carry the key `REJECT` (with the reason) when its reader could not make a record of
the row at all (e.g. a CSV row with the wrong number of fields); it is rejected like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.ingest.layers import LayerSpec, Record, RowContext, layer_spec
from lagesbild.ingest.rejects import REJECT, Rejected
from lagesbild.store import assign
from lagesbild.store.engine import Store
from lagesbild.store.resolve import Resolver
from lagesbild.store.schema import metadata

_BOOKKEEPING = {"created_at", "updated_at", "created_by"}


@dataclass
class WriteSummary:
    layer: str
    read: int = 0
    stored: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    # the ids of the rows stored, where the writer knew them without a query (`write_together`)
    ids: list[int] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "read": self.read,
            "stored": self.stored,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "rejected": self.rejected_count,
        }


class StrictRejection(LagesbildError):
    """--strict and at least one row was rejected: nothing was stored."""


def _natural_key(spec: LayerSpec, table: Table, row: dict[str, Any]):
    """The condition that finds the stored version of this row."""
    if "source_key" in table.c:
        return table.c.source_key == row["source_key"]
    if spec.name == "extents":
        return and_(table.c.place_id == row["place_id"], table.c.round_id == row["round_id"])
    return table.c.name == row["name"]


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, BaseGeometry) or isinstance(old, BaseGeometry):
        return old is not None and new is not None and shapely.equals_exact(old, new, 1e-9)
    if isinstance(new, datetime) and isinstance(old, datetime):
        return old.astimezone(UTC) == new.astimezone(UTC)
    return old == new


FEW_ROWS = 20  # a list this short is written row by row: the bulk path's columns and
# look-ups cost more than they save (a field report: 3.3 -> 1.9 ms of CPU, issue 20)


def _few(records) -> bool:
    return isinstance(records, list | tuple) and len(records) < FEW_ROWS


class _DryRun(Exception):
    """Raised at the end of a dry run's transaction, so that everything is rolled back."""

    def __init__(self, summary: WriteSummary) -> None:
        super().__init__("dry run")
        self.summary = summary


def write_records(
    store: Store,
    layer: str,
    records: Iterable[tuple[int, Record, BaseGeometry | None]],
    *,
    crs: str | None = None,
    user_id: int | None = None,
    strict: bool = False,
    on_progress: Callable[[int], None] | None = None,
    offences: Mapping[str, str] | None = None,
    writer_org: int | None = None,
    dry_run: bool = False,
    then: Callable[[Connection, WriteSummary], None] | None = None,
) -> WriteSummary:
    """`_write_records`; `dry_run`: every row checked and written as it would be, then the
    transaction rolled back (the counts are those of a real import now). `then` runs in the
    same transaction after the rows (one transaction for a record and its audit entry)."""
    try:
        return _write_records(
            store,
            layer,
            records,
            crs,
            user_id,
            strict,
            on_progress,
            offences,
            writer_org,
            dry_run,
            then,
        )
    except _DryRun as done:
        return done.summary


@dataclass
class Submission:
    """One caller's few records in a transaction shared with others (`write_together`)."""

    records: list[tuple[int, Record, BaseGeometry | None]]
    user_id: int | None = None
    writer_org: int | None = None
    then: Callable[[Connection, WriteSummary], None] | None = None


def write_together(
    store: Store, layer: str, submissions: list[Submission]
) -> list[WriteSummary | LagesbildError | IntegrityError]:
    """Several callers' records of one point layer in one transaction (a group commit).

    New single records (a field report) go in together: one look-up of their keys, one
    multi-row insert, one place assignment. Everything else (a key met again: a retry, or a
    caller's several records) goes one caller at a time, each in a savepoint of its own, so
    that one caller's bad row or refused key takes back that caller's rows only, with its error
    in its place of the answer. A failure of the transaction itself (the commit, a lost
    connection), or of a `then` after the rows that went in together, is raised for all and
    stores nothing: `services.group_commit` then writes each caller alone.

    Why: a field report alone paid a transaction (on PostgreSQL ~17 round trips, the import
    lock among them) for one row; reports that arrive together now share it (issue 20)."""
    spec = layer_spec(layer)
    if spec.name not in assign.POINT_LAYERS:
        raise ValueError(f"write_together takes point layers, not {spec.name}")
    table = metadata.tables[spec.table]
    out: list[WriteSummary | LagesbildError | IntegrityError | None] = [None] * len(submissions)
    # beside other groups (the other workers'), not beside an import
    with store.write(serial="import", shared=True) as conn:
        resolver = Resolver(conn)
        ctxs = [
            RowContext(
                store.tz,
                store.settings.region,
                store.taxonomy,
                resolver,
                None,
                sub.user_id,
                None,
                writer_org=sub.writer_org,
            )
            for sub in submissions
        ]
        fresh = _insert_new(conn, spec, table, submissions, ctxs, out)
        index = _after_write(conn, spec, [(new_id, geom) for _, new_id, geom in fresh], fresh=True)
        for i, sub in enumerate(submissions):
            summary = out[i]
            if summary is not None:  # settled above: stored, or its row rejected
                if sub.then is not None:
                    sub.then(conn, summary)
                continue
            summary = WriteSummary(spec.name)
            try:
                with conn.begin_nested():
                    touched: list[tuple[int, BaseGeometry | None]] = []
                    _write_rows(conn, ctxs[i], spec, table, sub.records, summary, touched)
                    index = _after_write(conn, spec, touched, index)
                    if sub.then is not None:
                        sub.then(conn, summary)
            except (LagesbildError, IntegrityError) as exc:
                resolver.forget_created()  # what the savepoint took back
                out[i] = exc
            else:
                out[i] = summary
    return out  # type: ignore[return-value]


def _insert_new(conn, spec, table, submissions, ctxs, out) -> list[tuple[int, int, Any]]:
    """The single records of `submissions` whose keys are new, in one multi-row insert.
    Fills `out` for them (and for rows that cannot be built: rejected, as one by one) and
    returns (submission, new id, point) of the stored ones. Rows whose key is stored, or met
    twice, are left to the one-by-one path, which compares them."""
    built: list[tuple[int, dict[str, Any]]] = []
    for i, sub in enumerate(submissions):
        if len(sub.records) != 1:
            continue
        line, rec, geom = sub.records[0]
        try:
            if REJECT not in rec:
                built.append((i, _build(spec, ctxs[i], rec, geom)))
                continue
            reason = str(rec[REJECT])
        except LagesbildError as exc:
            reason = str(exc)
        out[i] = WriteSummary(spec.name, read=1, rejected=[Rejected(line, reason, rec)])
    if not built:
        return []
    keys = [row["source_key"] for _, row in built]
    stored = set(
        conn.execute(select(table.c.source_key).where(table.c.source_key.in_(keys))).scalars()
    )
    new: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
    for i, row in built:
        if row["source_key"] in stored:
            continue
        stored.add(row["source_key"])  # a second row of the same key goes one by one
        new.setdefault(tuple(row), []).append((i, row))
    fresh = []
    try:
        with conn.begin_nested():
            for items in new.values():  # rows with the same columns in one statement
                stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
                ids = conn.execute(stmt, [row for _, row in items]).scalars().all()
                for (i, row), new_id in zip(items, ids, strict=True):
                    fresh.append((i, new_id, row.get("geom")))
    except IntegrityError:
        return []  # another writer stored one of the keys meanwhile: one by one sorts it out
    for i, new_id, _ in fresh:
        out[i] = WriteSummary(spec.name, read=1, stored=1, ids=[new_id])
    return fresh


def _write_records(
    store: Store,
    layer: str,
    records: Iterable[tuple[int, Record, BaseGeometry | None]],
    crs: str | None,
    user_id: int | None,
    strict: bool,
    on_progress: Callable[[int], None] | None,
    offences: Mapping[str, str] | None,
    writer_org: int | None,
    dry_run: bool,
    then: Callable[[Connection, WriteSummary], None] | None,
) -> WriteSummary:
    """Validate and store `(line, record, geometry)` triples of one layer in one transaction.

    `offences` maps a source's offence codes to categories (crimes without a category); None
    uses the default table of `ingest.offences`. `writer_org`: a user's write, whose rows all
    belong to that organisation and which may change no other organisation's records (a row
    whose key meets one is rejected); None for the operator.
    """
    from lagesbild.ingest import bulk

    spec = layer_spec(layer)
    table = metadata.tables[spec.table]
    summary = WriteSummary(spec.name)
    with store.write(serial="import") as conn:  # on PostGIS one import at a time
        ctx = RowContext(
            store.tz,
            store.settings.region,
            store.taxonomy,
            Resolver(conn),
            crs,
            user_id,
            offences,
            writer_org=writer_org,
        )
        touched_points: list[tuple[int, BaseGeometry | None]] = []
        if spec.name in bulk.BULK_LAYERS and bulk.ENABLED and not _few(records):

            def update_one(items: list[tuple[int, Record, BaseGeometry | None]]) -> None:
                _store_existing(conn, ctx, spec, table, items, summary, touched_points)

            bulk.write_bulk(
                conn, ctx, spec, table, records, summary, on_progress, REJECT, update_one
            )
        else:
            _write_rows(conn, ctx, spec, table, records, summary, touched_points, on_progress)
        if strict and summary.rejected:
            first = summary.rejected[0]
            exc = StrictRejection(
                f"{summary.rejected_count} row(s) rejected with --strict, so nothing was stored; "
                f"first at line {first.line}: {first.reason}"
            )
            exc.summary = summary  # the caller may still report the rejected rows
            raise exc
        if dry_run:
            raise _DryRun(summary)  # nothing kept
        _after_write(conn, spec, touched_points)
        if then is not None:
            then(conn, summary)
    return summary


def _write_rows(conn, ctx, spec, table, records, summary, touched, on_progress=None) -> None:
    """The records one by one, each in a savepoint (the path for a few rows, and for layers
    the bulk writer does not take)."""
    waiting: list[tuple[int, Record, BaseGeometry | None, Rejected]] = []
    for line, rec, geom in records:
        summary.read += 1
        if REJECT in rec:
            summary.rejected.append(Rejected(line, str(rec[REJECT]), rec))
            continue
        failed = _store_row(conn, ctx, spec, table, line, rec, geom, summary, touched)
        if failed is not None:
            rejected, may_wait = failed
            if may_wait:
                waiting.append((line, rec, geom, rejected))
            else:
                summary.rejected.append(rejected)
        if on_progress and summary.read % 1000 == 0:
            on_progress(summary.read)
    # A parent may come after its child in the file: try those rows again while any
    # of them goes in; the others keep their reason.
    while waiting:
        later = []
        for line, rec, geom, first in waiting:
            failed = _store_row(conn, ctx, spec, table, line, rec, geom, summary, touched)
            if failed is not None and failed[1]:
                later.append((line, rec, geom, first))
            elif failed is not None:
                summary.rejected.append(failed[0])
        if len(later) == len(waiting):
            summary.rejected.extend(r for *_, r in later)
            break
        waiting = later
    if on_progress:
        on_progress(summary.read)


_UNIQUE_SQLITE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")
_KEY_PG = re.compile(r"Key \(([^)]*)\)=\((.*)\)")


def _conflict(exc: IntegrityError, spec: LayerSpec, rec: Record) -> ValidationError:
    """A row the database refused (a value that must be unique, a reference to a missing
    record) as a row's reason: the rules checked before storing do not cover every such case,
    e.g. a new organisation given the code of another. Both backends' messages are read."""
    text = str(exc.orig)
    unique = getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE" in text
    if unique:
        found = _UNIQUE_SQLITE.search(text)
        fields = (
            [c.split(".")[-1] for c in found.group(1).split(", ")]
            if found
            else [c.strip() for c in (_KEY_PG.search(text) or ["", ""])[1].split(",") if c]
        )
        field = ", ".join(fields) or "row"
        values = ", ".join(repr(rec.get(f)) for f in fields if rec.get(f) not in (None, ""))
        return ValidationError(
            field,
            f"{values or 'this value'} is already used by another record of {spec.name}",
            "give each record its own value, or the name of the record it is",
        )
    found = _KEY_PG.search(text)
    field = found.group(1) if found else "row"
    return ValidationError(field, "refers to a record that is not in this store")


def _store_row(conn, ctx, spec, table, line, rec, geom, summary, touched):
    """Store one row in a savepoint (a bad row's side effects, such as a new round, roll back).
    None if it went in, else (its rejection, whether an unknown parent may still come)."""
    counts, n_touched = (summary.stored, summary.updated, summary.duplicates), len(touched)
    try:
        with conn.begin_nested():
            _store_one(conn, ctx, spec, table, rec, geom, summary, touched)
    except (LagesbildError, IntegrityError) as exc:
        # the savepoint took back what the row wrote (a place before its extent failed, a new
        # round): take back its counts and the ids the resolver cached for it as well
        summary.stored, summary.updated, summary.duplicates = counts
        del touched[n_touched:]
        ctx.resolver.forget_created()
        if isinstance(exc, IntegrityError):
            return Rejected(line, str(_conflict(exc, spec, rec)), rec), False
        parent = isinstance(exc, ValidationError) and exc.field == "parent"
        return Rejected(line, str(exc), rec), parent
    ctx.resolver.keep_created()
    return None


def _build(spec: LayerSpec, ctx: RowContext, rec: Record, geom) -> dict[str, Any]:
    """The layer's row of a record; a parser's own complaint is reworded as the row's."""
    try:
        return spec.build(ctx, rec, geom)
    except (ValueError, TypeError) as exc:
        raise ValidationError("row", str(exc)) from None


def _store_one(conn, ctx, spec, table, rec, geom, summary, touched) -> None:
    row = _build(spec, ctx, rec, geom)
    existing = conn.execute(select(table).where(_natural_key(spec, table, row))).mappings().first()
    carries_extent = spec.name == "places" and rec.get("round") not in (None, "")
    if existing is None:
        new_id = conn.execute(insert(table).values(**row)).inserted_primary_key[0]
        summary.stored += 1
        touched.append((new_id, row.get("geom")))
    elif carries_extent:
        pass  # a place row that carries an extent creates the place only if it is new
    else:
        if not _update_if_changed(conn, table, existing, row, ctx, summary, touched):
            return
    if carries_extent:
        extent_rec = {**rec, "place": row["name"]}
        extent_spec = layer_spec("extents")
        ctx.resolver.forget_place(row["name"])
        # the row of a stored place counts as its extent went (stored, updated, duplicate),
        # and a changed extent is `touched`, so points are assigned to its new polygon
        _store_one(
            conn,
            ctx,
            extent_spec,
            metadata.tables["extents"],
            extent_rec,
            geom,
            WriteSummary("extents") if existing is None else summary,
            touched,
        )


def _store_existing(conn, ctx, spec, table, items, summary, touched) -> None:
    """Rows whose key is already stored (a re-import, an overlapping extract): compare with the
    stored rows, fetched in batches, and update the changed ones."""
    built: list[tuple[int, Record, dict[str, Any]]] = []
    for line, rec, geom in items:
        try:
            built.append((line, rec, _build(spec, ctx, rec, geom)))
        except LagesbildError as exc:
            summary.rejected.append(Rejected(line, str(exc), rec))
    for start in range(0, len(built), 900):
        part = built[start : start + 900]
        keys = list({row["source_key"] for _, _, row in part})
        stored = {
            r["source_key"]: dict(r)
            for r in conn.execute(select(table).where(table.c.source_key.in_(keys))).mappings()
        }
        for line, rec, row in part:
            existing = stored.get(row["source_key"])
            if existing is None:  # cannot happen on the bulk path; stay correct anyway
                _store_one(conn, ctx, spec, table, rec, row.get("geom"), summary, touched)
                continue
            try:
                _update_if_changed(conn, table, existing, row, ctx, summary, touched)
            except LagesbildError as exc:
                summary.rejected.append(Rejected(line, str(exc), rec))


def _update_if_changed(conn, table, existing, row, ctx, summary, touched) -> bool:
    """Update the stored row where the new one differs; count it as updated or duplicate."""
    owner = existing.get("owner_org_id")
    if ctx.writer_org is not None and owner is not None and owner != ctx.writer_org:
        # Keys are one per layer: another organisation's record is not this user's to change
        raise ValidationError(
            "id",
            "a record with this key belongs to another organisation",
            "give your own ids (or none: a row without one is keyed by its content)",
        )
    changes = {k: v for k, v in row.items() if k not in _BOOKKEEPING and not _same(existing[k], v)}
    if not changes:
        summary.duplicates += 1
        return False
    if "updated_at" in table.c:  # organisations have no bookkeeping columns
        changes["updated_at"] = ctx.now
    conn.execute(update(table).where(table.c.id == existing["id"]).values(**changes))
    if isinstance(existing, dict):
        existing.update(changes)  # a later row of the same key compares with this one
    summary.updated += 1
    touched.append((existing["id"], row.get("geom")))
    return True


def _after_write(
    conn: Connection,
    spec: LayerSpec,
    touched: list,
    index: assign.PlaceIndex | None = None,
    fresh: bool = False,
) -> assign.PlaceIndex | None:
    """Assign the touched points to places (or all points, after places changed). Returns the
    place index used, for the next write of the same transaction. `fresh`: every touched
    record was just inserted, so it has no assignments to replace."""
    if spec.name in assign.POINT_LAYERS and touched:
        # a record stored and then changed by a later row of its key is touched twice: its
        # last point is the one it keeps (twice, its assignments were inserted twice)
        touched = list(dict(touched).items())
        index = index or assign.PlaceIndex(conn)
        for start in range(0, len(touched), assign.BATCH):
            part = touched[start : start + assign.BATCH]
            ids, points = [t[0] for t in part], [t[1] for t in part]
            assign.assign(conn, spec.name, ids, points, index, fresh=fresh)
    elif spec.name in ("places", "extents") and touched:
        assign.reassign_all(conn)
    return index
