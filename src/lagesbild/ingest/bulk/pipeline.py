"""The fast path's pipeline: records in chunks of columns, each chunk validated column-wise
(`parsers`), the rows those checks do not settle built row by row by the layer's own `build`, the
chunk's places and extents found, and the chunk written (`sink`). See the package's docstring."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from lagesbild.domain.values import parse_int
from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.ingest.bulk import overlap
from lagesbild.ingest.bulk.parsers import (
    TEXT_LIMITS,
    category_codes,
    instants,
    locations,
    per_distinct,
    source_keys,
    texts,
    trim,
)
from lagesbild.ingest.bulk.sink import Behind, Packed, Sink
from lagesbild.ingest.columns import Columns, CsvColumns, from_records
from lagesbild.ingest.layers import LayerSpec, RowContext, parse_sensitivity
from lagesbild.ingest.rejects import REJECT, Rejected
from lagesbild.store import assign

CHUNK = 50_000  # rows per chunk of a row-by-row reader


# ---------------------------------------------------------------------- chunk building
def _columnar(ctx: RowContext, spec: LayerSpec, cols: Columns, sink: Sink):
    """The mask of a chunk's rows that passed the column-wise checks (the others are to be
    built row by row), their keys, lon and lat, and the columns of the driver rows
    (`sink.row_columns`)."""
    n = len(cols)
    lon, lat, ok = locations(ctx, spec, cols)
    keys, ids, k_ok = source_keys(spec, cols)
    categories, cat_ok = category_codes(ctx, spec, cols)
    occurred, t_ok = instants(trim(cols.column("occurred_at")), ctx.tz, sink.pg, required=True)
    orgs, o_ok = per_distinct(
        cols.column("organisation"),
        lambda v: (
            ctx.writer_org
            if ctx.writer_org is not None
            else ctx.resolver.organisation(None if v is None or not v.strip() else v.strip())
        ),
    )
    sens, s_ok = per_distinct(cols.column("sensitivity"), parse_sensitivity)
    ok &= k_ok & cat_ok & t_ok & o_ok & s_ok
    xs, ys = lon.tolist(), lat.tolist()
    values: dict[str, Any] = {
        "source_key": keys,
        "source_id": ids,
        "category": categories,
        "occurred_at": occurred,
        "geom": sink.points(lon, lat),
        "minx": xs,
        "miny": ys,
        "maxx": xs,  # a point's box is the point: the same lists, never changed after
        "maxy": ys,
        "owner_org_id": orgs,
        "sensitivity": sens,
    }
    if spec.name == "crimes":
        values["reported_at"], r_ok = instants(
            trim(cols.column("reported_at")), ctx.tz, sink.pg, required=False
        )
        for name in ("offence_code", "place_text"):
            values[name], t_ok = texts(trim(cols.column(name)), TEXT_LIMITS[name])
            r_ok &= t_ok
        values["area_place_id"] = [None] * n
        ok &= r_ok
    else:
        values["count"], n_ok = per_distinct(
            cols.column("count"), lambda v: parse_int(v, "count", minimum=0)
        )
        values["text"], x_ok = texts(trim(cols.column("text")), TEXT_LIMITS["text"])
        ok &= n_ok & x_ok
    return ok, keys, lon, lat, values


def _column_chunks(records: Iterable, reject: str) -> Iterator[Columns]:
    if isinstance(records, CsvColumns):
        yield from records.chunks()
        return
    chunk: list = []
    bad: list = []
    for line, rec, geom in records:
        if reject in rec:
            bad.append((line, rec))
        else:
            chunk.append((line, rec, geom))
        if len(chunk) + len(bad) >= CHUNK:
            yield _made(chunk, bad)
            chunk, bad = [], []
    if chunk or bad:
        yield _made(chunk, bad)


def _made(chunk: list, bad: list) -> Columns:
    cols = from_records(chunk)
    cols.rejects = bad
    return cols


def write_bulk(
    conn: Connection,
    ctx: RowContext,
    spec: LayerSpec,
    table: Table,
    records: Iterable | CsvColumns,
    summary,
    on_progress,
    reject: str,
    update_one,
) -> None:
    """Store the records of a point layer chunk by chunk (see the module's docstring).

    Chunks are read and validated (`_prepare`) and then written (`_store`) in turn. On
    PostgreSQL a big first import's COPYs and a re-import's look-ups run in a thread of their
    own while the next chunk is read (`Sink.send`): the server works while the client reads.
    On SQLite, reading in a second thread was tried and measured: the GIL, held while the
    driver binds each row's parameters, made it no faster on two cores (13.9 s vs 14.5 s for
    1M rows; again in 2026-12: wall 0.96x). The reading touches no connection: the resolver
    is preloaded and the places are in memory (`assign.PlaceIndex`)."""
    sink = Sink(conn, table, ctx)
    index = assign.PlaceIndex(conn)
    ctx.resolver.preload()
    sink.begin()
    try:
        _write_chunks(sink, ctx, spec, index, records, summary, on_progress, reject, update_one)
    finally:
        sink.end()
    summary.rejected.sort(key=lambda r: r.line)


def _write_chunks(sink, ctx, spec, index, records, summary, on_progress, reject, update_one):
    def prepare(cols: Columns) -> _Prepared:
        return _prepare(ctx, spec, sink, index, cols)

    if _overlapped(records):
        prepared = overlap.prepared_in_child(
            lambda: _column_chunks(records, reject), prepare, lambda: _forget_store(ctx, sink)
        )
    else:
        # in one process the places are looked up after the insert, for the rows it stored
        # only: a re-import stores none (0.37 of 2.9 s CPU for 300,000 rows met again)
        prepared = (
            _prepare(ctx, spec, sink, index, cols, locate=False)
            for cols in _column_chunks(records, reject)
        )
    first = True
    sent: tuple[_Prepared, Behind] | None = None  # the chunk in the COPY thread
    for prep in prepared:
        if first:
            expected = len(prep.cols) + len(prep.cols.rejects)
            if isinstance(records, CsvColumns):
                expected = records.expected_rows(expected)
            sink.defer_indexes(expected)
            first = False
        summary.read += len(prep.cols) + len(prep.cols.rejects)
        # this chunk was read, and its COPY data is made, while the one before is sent
        made = _to_send(sink, spec, index, prep)
        if sent is not None:
            _settle(sink, spec, index, *sent, summary, update_one)
            sent = None
        if made is not None and sink.still_to_send(made):
            sink.send(made)
            sent = prep, made
        else:
            _store(sink, spec, index, prep, summary, update_one)
        if on_progress:
            on_progress(summary.read)
    if sent is not None:
        _settle(sink, spec, index, *sent, summary, update_one)
    sink.restore_indexes()


def _to_send(sink: Sink, spec: LayerSpec, index, prep: _Prepared) -> Behind | None:
    """PostgreSQL: a chunk's work for the COPY thread, when it goes there: a big first
    import's straight COPY, or a re-import's look-up (a key twice in the chunk compares with
    its row before: that goes to `_store`)."""
    if not prep.count:
        return None
    if sink.streams:
        if prep.hits is None:  # every row goes in: look up the places of all
            prep.hits = _located(index, prep.lon, prep.lat, np.arange(prep.count))
        return sink.straight(prep.rows, spec.name, prep.hits, prep.arrow)
    if sink.checks and prep.unique:
        return sink.check(prep.rows, prep.arrow)
    return None


def _settle(sink: Sink, spec, index, prep: _Prepared, sent: Behind, summary, update_one):
    """The outcome of a chunk sent to the COPY thread: stored whole (`Sink.straight`), or
    met stored and equal whole (`Sink.check`); else stored as any other chunk."""
    if not sink.settle(sent):
        _store(sink, spec, index, prep, summary, update_one)
        return
    summary.rejected.extend(prep.rejected)
    if sent.ids is None:
        summary.duplicates += prep.count
    else:
        summary.stored += prep.count


def _overlapped(records) -> bool:
    """Whether to read and check in a second process (`overlap`): a big CSV, read by Arrow,
    when `overlap.available` says a process can be forked and has a core."""
    return (
        isinstance(records, CsvColumns)
        and records.source.path.stat().st_size >= overlap.PARALLEL_FROM_BYTES
        and overlap.available()
    )


def _forget_store(ctx: RowContext, sink: Sink) -> None:
    """In the reading child: the store's connections are the parent's; drop them."""
    ctx.resolver.conn = None
    sink.conn = sink.raw = None


@dataclass
class _Prepared:
    """A validated chunk: the rows to store (positions in the chunk, driver rows, keys), the
    places and extents their points fall in, and the rows rejected."""

    cols: Columns
    positions: np.ndarray
    # tuples of `Sink.row_columns`; on SQLite packed (`Packed`) when every row of the chunk
    # passed the column-wise checks; None: `arrow` holds them
    rows: list[tuple] | Packed | None
    keys: list[str]
    # (index into positions, place, round); None: not looked up yet (`_store` does it)
    hits: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    rejected: list
    lon: np.ndarray  # of the rows to store
    lat: np.ndarray
    # PostgreSQL: the rows' columns as Arrow arrays (`Sink.arrow_columns`), when every row of
    # the chunk passed the column-wise checks; else None and the rows are taken apart
    arrow: Any = None
    # no key twice among the rows to store (found by the reading process, which has time)
    unique: bool = False

    @property
    def count(self) -> int:
        """How many rows are to be stored."""
        return len(self.keys)


def _located(index, lon: np.ndarray, lat: np.ndarray, among: np.ndarray):
    """The places containing the points `among` (indexes into lon and lat): (index, place,
    round) per hit."""
    has_point = among[~np.isnan(lon[among])]
    if index.empty or not len(has_point):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    pt, place_ids, round_ids = index.containing_xy(lon[has_point], lat[has_point])
    return has_point[pt], place_ids, round_ids


def _prepare(ctx, spec, sink: Sink, index, cols: Columns, locate: bool = True) -> _Prepared:
    rejected = [Rejected(line, str(rec[REJECT]), rec) for line, rec in cols.rejects]
    if not len(cols):
        empty = np.zeros(0, dtype=np.int64)
        nothing = np.zeros(0)
        return _Prepared(cols, empty, [], [], (empty, empty, empty), rejected, nothing, nothing)
    ok, keys, lon, lat, values = _columnar(ctx, spec, cols, sink)
    # PostgreSQL: the COPY data's Arrow columns, made from the checked columns here (in the
    # reading process, when there is one), stand for the rows: the writer neither unpickles
    # row tuples nor takes them apart (a re-import's chunk: 0.9 -> 0.3 s per 300,000 rows)
    every = bool(ok.all())
    arrow = sink.arrow_columns(values) if sink.pg and every else None
    rows: list[tuple] | Packed | None = None
    tuples: list[tuple] = []
    if not every or (sink.pg and arrow is None):  # rows built one by one below, or Arrow
        # refused a column (`arrow_columns`): the rows go as tuples
        rows = tuples = list(zip(*(values[c] for c in sink.row_columns), strict=True))
    elif not sink.pg:  # SQLite: packed for the insert here, in the reading process
        rows = sink.packed(values)
    built = ok.copy()
    for i in np.flatnonzero(~ok).tolist():
        line, rec = int(cols.lines[i]), cols.record(i)
        try:
            row = spec.build(ctx, rec, cols.geom(i))
        except LagesbildError as exc:
            rejected.append(Rejected(line, str(exc), rec))
            continue
        except (ValueError, TypeError) as exc:
            rejected.append(Rejected(line, str(ValidationError("row", str(exc))), rec))
            continue
        built[i] = True
        keys[i] = row["source_key"]
        tuples[i] = _driver_row(sink, row)
        g = row.get("geom")
        lon[i], lat[i] = (g.x, g.y) if g is not None else (np.nan, np.nan)
    positions = np.flatnonzero(built)
    pos = positions.tolist()
    lon, lat = lon[positions], lat[positions]
    hits = _located(index, lon, lat, np.arange(len(pos))) if locate else None
    kept = keys if len(pos) == len(keys) else [keys[i] for i in pos]
    return _Prepared(
        cols,
        positions,
        rows if len(pos) == len(cols) else [tuples[i] for i in pos],
        kept,
        hits,
        rejected,
        lon,
        lat,
        arrow,
        len(set(kept)) == len(kept),
    )


def _store(sink: Sink, spec: LayerSpec, index, prep: _Prepared, summary, update_one) -> None:
    summary.rejected.extend(prep.rejected)
    inserted, record_ids = sink.insert(prep.rows, prep.arrow)
    if sink.met_whole and prep.unique:
        # every row met again and equal, no key twice: all duplicates, with no list of
        # positions, no second comparison and no set of keys (2-3 ms a chunk of 19,000)
        summary.duplicates += prep.count
        return
    summary.stored += int(inserted.sum())
    hits = prep.hits
    if hits is None:
        hits = _located(index, prep.lon, prep.lat, np.flatnonzero(inserted))
    j, place_ids, round_ids = hits
    mine = inserted[j]
    sink.insert_assignments(spec.name, record_ids[j[mine]], place_ids[mine], round_ids[mine])
    again = np.flatnonzero(~inserted).tolist()
    if again:  # the same row again: compare stored values, no build
        same = sink.unchanged(again, prep.rows)
        keys = prep.keys if len(again) == prep.count else [prep.keys[j] for j in again]
        if not prep.unique and len(set(keys)) < len(keys):  # unique in the chunk: here too
            # a key met again later in the chunk compares with the row before it, not with
            # what was stored: (A c1, A c2, A c1) ends as c1, so those go to `update_one`
            seen: set[str] = set()
            for n, key in enumerate(keys):
                if key in seen:
                    same[n] = False
                seen.add(key)
        summary.duplicates += int(same.sum())
        again = [j for j, s in zip(again, same.tolist(), strict=True) if not s]
    if again:
        cols, pos = prep.cols, prep.positions
        update_one(
            [(int(cols.lines[i]), cols.record(i), cols.geom(i)) for i in pos[again].tolist()]
        )


def _driver_row(sink: Sink, row: dict[str, Any]) -> tuple:
    out = []
    for name in sink.row_columns:
        v = row.get(name)
        if isinstance(v, datetime):  # as the column-wise path writes it, one type per column
            v = sink.dt(v)
            if sink.pg:
                v = v.strftime("%Y-%m-%d %H:%M:%S.%f+00")
        elif isinstance(v, BaseGeometry):
            v = sink.points(np.asarray([v.x]), np.asarray([v.y]))[0]
        out.append(v)
    return tuple(out)
