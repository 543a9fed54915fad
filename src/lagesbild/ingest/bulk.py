"""The fast path of `write_records` for the big point layers (crimes, observations).

Rows arrive in chunks of columns (`ingest.columns`): from Arrow's CSV reader for a CSV file, or
made from any reader's records. Each chunk is validated column-wise with Arrow compute and numpy;
every row that the column-wise checks do not pass goes through the layer's own `build`
(ingest.layers), so rejects carry the same reasons and the rules stay written once.

New rows are inserted with the driver's own bulk call on the connection of the caller's
transaction: on SQLite, multi-row `INSERT ... ON CONFLICT(source_key) DO NOTHING` with numbered
parameters (the bookkeeping columns, the same for every row, are written once in the statement);
on PostgreSQL, `COPY` into a temporary table and one `INSERT ... SELECT ... ON CONFLICT DO
NOTHING RETURNING`. Rows that met a stored key (a re-import, an overlapping extract) are then
compared with the stored row: equal ones are duplicates (on SQLite compared as stored, without a
build), the others are compared and updated through SQLAlchemy (`update_one`). Assignment to
places and extents is done per chunk (store.assign), so memory stays bounded by the chunk size,
not the file. An import larger than the layer drops its secondary indexes and builds them again
at the end (`_Sink.defer_indexes`).

All of it is inside the caller's one write transaction, so a crash or Ctrl-C leaves the store as
it was.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from lagesbild.domain.periods import MAX_YEAR, MIN_YEAR
from lagesbild.domain.values import parse_int
from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.ingest.columns import Columns, CsvColumns, from_records
from lagesbild.ingest.layers import LayerSpec, RowContext, parse_sensitivity, record_key
from lagesbild.ingest.offences import category_for, default_table
from lagesbild.ingest.rejects import REJECT, Rejected
from lagesbild.store import assign

BULK_LAYERS = frozenset({"crimes", "observations"})
CHUNK = 50_000  # rows per chunk of a row-by-row reader
ENABLED = True  # tests switch it off to compare with the row-by-row path
_KEY_BATCH = 900
DEFER_INDEXES_FROM = 50_000  # rows; smaller imports keep the indexes as they go
_ROWS_PER_INSERT = 100  # rows per multi-row INSERT on SQLite
_IMPORT_CACHE_KIB, _DEFAULT_CACHE_KIB = 262_144, 2_000  # SQLite page cache while importing, after
_SORTER_THREADS = min(4, os.cpu_count() or 1)  # SQLite's helper threads for CREATE INDEX
_TEXT_LIMITS = {"offence_code": 32, "place_text": 300, "text": 2000, "id": 200}
_NUMBER = r"^[-+]?[0-9]+([.,][0-9]+)?$"
_ISO_LOCAL = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$"
_BOOKKEEPING = ("created_at", "updated_at", "created_by")
_ALIASES = {"maxx": "minx", "maxy": "miny"}  # a point's box is the point


# ---------------------------------------------------------------------- DB adapters
class _Sink:
    """Bulk inserts on the DBAPI connection under the caller's SQLAlchemy transaction."""

    def __init__(self, conn: Connection, table: Table, ctx: RowContext) -> None:
        self.conn = conn
        self.table = table
        self.columns = [c.name for c in table.columns]
        self.raw = conn.connection.driver_connection
        self.pg = conn.dialect.name == "postgresql"
        self.now = self.dt(ctx.now)
        self.user_id = ctx.user_id
        # what a row tuple carries: not the id nor the bookkeeping (the same for every row),
        # and on SQLite not the aliased columns either (numbered parameters repeat them)
        self.row_columns = [
            c for c in self.columns[1:] if c not in _BOOKKEEPING and (self.pg or c not in _ALIASES)
        ]
        self._next_id: int | None = None
        self._locked = False  # PostgreSQL: this transaction holds the table for itself
        self._deferred: list[tuple[str, str]] = []
        self._foreign: list[tuple[str, str, str]] = []  # PostgreSQL: (table, name, definition)
        self._staged = False  # PostgreSQL: the temporary table of _insert_pg exists
        self._sql: dict[int, str] = {}

    # values as the driver wants them
    def dt(self, value: datetime | None) -> Any:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value if self.pg else value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def points(self, lon: np.ndarray, lat: np.ndarray) -> list[Any]:
        """Point WKB built with numpy (what shapely.to_wkb writes, without a GEOS object per
        point); EWKB hex with SRID 4326 for PostGIS."""
        n = len(lon)
        if self.pg:
            layout = [("o", "u1"), ("t", "<u4"), ("s", "<u4"), ("x", "<f8"), ("y", "<f8")]
            rec = np.empty(n, dtype=layout)
            rec["t"], rec["s"] = 0x20000001, 4326
        else:
            rec = np.empty(n, dtype=[("o", "u1"), ("t", "<u4"), ("x", "<f8"), ("y", "<f8")])
            rec["t"] = 1
        rec["o"], rec["x"], rec["y"] = 1, lon, lat
        size = rec.dtype.itemsize
        buf = rec.tobytes()
        if self.pg:
            return [buf[i : i + size].hex() for i in range(0, size * n, size)]
        return [buf[i : i + size] for i in range(0, size * n, size)]

    def _allocate(self, n: int) -> np.ndarray:
        """Ids for n new rows after the largest: on SQLite the write lock keeps them ours; on
        PostgreSQL only while the table is locked for a deferred import (`defer_indexes`),
        else the table's sequence hands them out."""
        if self.pg and not self._locked:
            cur = self.raw.cursor()
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                (self.table.name, n),
            )
            return np.fromiter((r[0] for r in cur.fetchall()), dtype=np.int64, count=n)
        if self._next_id is None:
            cur = self.raw.cursor()
            top = cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.table.name}"').fetchone()
            self._next_id = top[0] + 1
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        return ids

    def begin(self) -> None:
        if self.pg:
            # The table grows inside this transaction while its statistics still describe it
            # as before; keep the conflict checks and the re-import comparison on the unique
            # index instead of a sequential scan.
            self.raw.cursor().execute("SET LOCAL enable_seqscan = off")
        else:
            # a page cache that holds the import's index pages: 256 MiB while importing (a fixed
            # bound, whatever the file's size), given back by `end`
            self.raw.cursor().execute(f"PRAGMA cache_size=-{_IMPORT_CACHE_KIB}")
            # sorter threads for the deferred index builds: ~15 % off them on two cores
            self.raw.cursor().execute(f"PRAGMA threads={_SORTER_THREADS}")

    def end(self) -> None:
        if not self.pg:
            self.raw.cursor().execute(f"PRAGMA cache_size=-{_DEFAULT_CACHE_KIB}")
            self.raw.cursor().execute("PRAGMA threads=0")

    def defer_indexes(self, expected_rows: int) -> None:
        """For an import larger than the table: drop the table's secondary indexes now and
        build them again at the end (`restore_indexes`), inside the same transaction (DDL is
        transactional on both backends). Building an index from all rows at once costs a
        fraction of keeping it row by row (on SQLite ~1.7 us per row and index here; GiST on
        PostGIS more). The primary key and the unique key stay.

        On PostgreSQL the foreign keys of the table (and of `assignments`, when it is not
        larger than the import) are dropped too and added again at the end, which checks all
        rows in one join: the per-row check triggers took 5 of 31 s for 1M crimes (PostgreSQL's
        own advice for bulk loads, "Populating a Database"). The validator has resolved every
        owner organisation already; the re-added constraint still checks them."""
        if expected_rows < DEFER_INDEXES_FROM:
            return
        cur = self.raw.cursor()
        name = self.table.name
        if self.pg:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {name}")
            (have,) = cur.fetchone()
            if have > expected_rows:
                return
            # Dropping its indexes locks the table anyway; lock it first, so that no other
            # writer gets in between and ids can be numbered on from the largest (nextval per
            # row cost 3 s per 1M rows)
            cur.execute(f"LOCK TABLE {name} IN EXCLUSIVE MODE")
            self._locked = True
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = %s AND indexname NOT IN (%s, %s)",
                (name, f"pk_{name}", f"uq_{name}_source_key"),
            )
            self._deferred = cur.fetchall()
            cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'assignments'::regclass")
            tables = [name] + (["assignments"] if cur.fetchone()[0] <= expected_rows else [])
            cur.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
                (tables,),
            )
            self._foreign = cur.fetchall()
            for table, constraint, _ in self._foreign:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
        else:
            (have,) = cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{name}"').fetchone()
            if have > expected_rows:
                return
            self._deferred = cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (name,),
            ).fetchall()
        for index, _sql in self._deferred:
            cur.execute(f'DROP INDEX "{index}"')

    def restore_indexes(self) -> None:
        cur = self.raw.cursor()
        for _name, sql in self._deferred:
            cur.execute(sql)
        for table, constraint, definition in self._foreign:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}')
        if self._locked and self._next_id is not None:  # the sequence goes on after our ids
            cur.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                (self.table.name, self._next_id - 1),
            )
        self._deferred, self._foreign = [], []

    def _insert_sql(self, rows: int) -> str:
        if rows not in self._sql:
            slot = {name: k for k, name in enumerate(self.row_columns)}
            consts = {
                "created_at": f"'{self.now}'",
                "updated_at": f"'{self.now}'",
                "created_by": "NULL" if self.user_id is None else str(int(self.user_id)),
            }
            m = len(self.row_columns) + 1  # + id
            groups = []
            for r in range(rows):
                cells = [f"?{r * m + 1}"]
                for name in self.columns[1:]:
                    if name in consts:
                        cells.append(consts[name])
                    else:
                        cells.append(f"?{r * m + 2 + slot[_ALIASES.get(name, name)]}")
                groups.append("(" + ",".join(cells) + ")")
            cols = ", ".join(f'"{c}"' for c in self.columns)
            self._sql[rows] = (
                f'INSERT INTO "{self.table.name}" ({cols}) VALUES {",".join(groups)} '
                "ON CONFLICT(source_key) DO NOTHING"
            )
        return self._sql[rows]

    def insert(self, rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
        """Insert rows whose key is not stored yet (nor earlier in `rows`). Returns the mask of
        rows stored and their ids (-1 for the others, which met a stored key)."""
        n = len(rows)
        if not n:
            return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
        if self.pg:
            return self._insert_pg(rows)
        ids = self._allocate(n)
        idl = ids.tolist()
        cur = self.raw.cursor()
        per = _ROWS_PER_INSERT
        m = len(self.row_columns) + 1
        flat = list(chain.from_iterable((i, *row) for i, row in zip(idl, rows, strict=True)))
        full = (n // per) * per
        done = 0
        if full:
            cur.executemany(
                self._insert_sql(per),
                [flat[k : k + per * m] for k in range(0, full * m, per * m)],
            )
            done += cur.rowcount
        if full < n:
            cur.execute(self._insert_sql(n - full), flat[full * m :])
            done += cur.rowcount
        stored = np.full(n, done > 0)
        if 0 < done < n:  # some keys were stored already: which rows went in?
            present = {
                r[0]
                for r in cur.execute(
                    f'SELECT id FROM "{self.table.name}" WHERE id BETWEEN ? AND ?',
                    (idl[0], idl[-1]),
                )
            }
            stored = np.fromiter((i in present for i in idl), dtype=bool, count=n)
        ids[~stored] = -1
        return stored, ids

    def _insert_pg(self, rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
        """COPY into a temporary table, with the rows' ids (`_allocate`), then one INSERT ...
        SELECT ... ON CONFLICT DO NOTHING: the server skips stored keys (and a key's later rows
        in the chunk, inserted in file order). Which rows went in is asked only when some did
        not (RETURNING every new row's key cost 2.7 s per 1M rows)."""
        cur = self.raw.cursor()
        name = self.table.name
        stage = f"_import_{name}"
        cols = ", ".join(f'"{c}"' for c in self.row_columns)
        if not self._staged:
            cur.execute(
                f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
                f"SELECT 0 AS pos, id, {cols} FROM {name} WITH NO DATA"
            )
            self._staged = True
        else:
            cur.execute(f"TRUNCATE {stage}")
        n = len(rows)
        ids = self._allocate(n)
        columns = {"pos": np.arange(n), "id": ids}
        columns.update(zip(self.row_columns, zip(*rows, strict=True), strict=True))
        _copy(cur, stage, columns)
        cur.execute(
            f"INSERT INTO {name} (id, {cols}, {', '.join(_BOOKKEEPING)}) "
            f"SELECT id, {cols}, %s, %s, %s FROM {stage} ORDER BY pos "
            "ON CONFLICT (source_key) DO NOTHING",
            (self.now, self.now, self.user_id),
        )
        stored = np.full(n, cur.rowcount > 0)
        if 0 < cur.rowcount < n:  # some keys were stored already: which rows went in?
            cur.execute(f"SELECT s.pos FROM {stage} s JOIN {name} t ON t.id = s.id")
            stored[:] = False
            stored[[r[0] for r in cur.fetchall()]] = True
        ids[~stored] = -1
        return stored, ids

    def insert_assignments(self, layer: str, record_ids, place_ids, round_ids) -> None:
        if not len(record_ids):
            return
        order = np.lexsort((record_ids, round_ids, place_ids))  # the primary key's order
        cur = self.raw.cursor()
        if self.pg:
            cols = {"place_id": place_ids[order], "round_id": round_ids[order]}
            _copy(
                cur,
                "assignments",
                {"layer": [layer] * len(order), **cols, "record_id": record_ids[order]},
            )
            return
        rows = zip(
            place_ids[order].tolist(),
            round_ids[order].tolist(),
            record_ids[order].tolist(),
            strict=True,
        )
        cur.executemany(
            f"INSERT INTO assignments (layer, place_id, round_id, record_id) "
            f"VALUES ('{layer}', ?, ?, ?)",
            rows,
        )

    def unchanged(self, again: list[int], rows: list[tuple]) -> np.ndarray:
        """Which of the rows `again` (positions in `rows`, whose keys were stored already)
        equal their stored row, column for column as stored: a re-import. Any difference,
        even of form, is left to the caller's comparison, which decides; this only spares it
        the rows that are plainly the same."""
        cols = [f'"{c}"' for c in self.row_columns]
        cur = self.raw.cursor()
        if self.pg:  # compared in the server, against the staged copy of `rows`
            stage = f"_import_{self.table.name}"
            cur.execute(
                f"SELECT s.pos FROM unnest(%s::int[]) AS a(pos) JOIN {stage} s USING (pos) "
                f"JOIN {self.table.name} t ON t.source_key = s.source_key WHERE "
                f"({', '.join('s.' + c for c in cols)}) IS NOT DISTINCT FROM "
                f"({', '.join('t.' + c for c in cols)})",
                (again,),
            )
            same = {r[0] for r in cur.fetchall()}
            return np.fromiter((j in same for j in again), dtype=bool, count=len(again))
        stored: dict[str, tuple] = {}
        keys = [rows[j][0] for j in again]
        for start in range(0, len(keys), _KEY_BATCH):
            part = list(dict.fromkeys(keys[start : start + _KEY_BATCH]))
            marks = ", ".join("?" * len(part))
            for row in cur.execute(
                f'SELECT {", ".join(cols)} FROM "{self.table.name}" WHERE source_key IN ({marks})',
                part,
            ):
                stored[row[0]] = row
        return np.fromiter(
            (stored.get(rows[j][0]) == rows[j] for j in again), dtype=bool, count=len(again)
        )


def _copy(cur, table: str, columns: dict[str, Any]) -> None:
    """PostgreSQL: COPY columns (numpy arrays or sequences) into `table` as CSV written by
    Arrow, in C; psycopg's write_row per row cost 5 s per 1M crimes. Arrow writes NULL as an
    empty field and an empty text as "", as COPY reads them, and floats in their shortest form
    that reads back to the same double."""
    names = ", ".join(f'"{c}"' for c in columns)
    try:
        data = pa.table({c: pa.array(v) for c, v in columns.items()})
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # mixed types: let psycopg adapt
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in zip(*(list(v) for v in columns.values()), strict=True):
                copy.write_row(row)
        return
    out = io.BytesIO()
    pa_csv.write_csv(data, out, pa_csv.WriteOptions(include_header=False))
    with cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(out.getbuffer())


# ---------------------------------------------------------------------- column parsers
def _trim(a: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(pc.cast(a, pa.string()))


def _np(a: pa.Array, fill: Any) -> np.ndarray:
    return pc.fill_null(a, fill).to_numpy(zero_copy_only=False, writable=True)


def _is_blank(t: pa.Array) -> np.ndarray:
    """Of trimmed text: null or empty."""
    return _np(pc.equal(t, ""), True)


def _floats(t: pa.Array) -> np.ndarray:
    """Plain decimal numbers (point or comma) of trimmed text; NaN for anything else, which
    the row-by-row parser then reads or rejects."""
    plain = pc.match_substring_regex(t, _NUMBER)
    text = pc.if_else(plain, pc.replace_substring(t, ",", "."), pa.scalar(None, pa.string()))
    return _np(pc.cast(text, pa.float64()), np.nan)


def _texts(t: pa.Array, limit: int) -> tuple[list[str | None], np.ndarray]:
    """Trimmed text, blank as None; rows longer than `limit` are not ok."""
    ok = _np(pc.less_equal(pc.utf8_length(t), limit), True)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t).to_pylist(), ok


@functools.lru_cache(maxsize=256)
def _year_offsets(tz, year: int) -> tuple[np.ndarray, np.ndarray]:
    """For each hour of a local year: its UTC offset (us) as `datetime.replace(tzinfo=tz)` gives
    it (fold=0), and whether the offset holds for the whole hour (not in a DST change)."""
    start = datetime(year, 1, 1)
    hours = (datetime(year + 1, 1, 1) - start) // timedelta(hours=1)
    offsets = np.empty(hours, dtype=np.int64)
    good = np.empty(hours, dtype=bool)
    for i in range(hours):
        h = start + timedelta(hours=i)
        first = h.replace(tzinfo=tz).utcoffset()
        last = (h + timedelta(minutes=59, seconds=59)).replace(tzinfo=tz).utcoffset()
        offsets[i] = first // timedelta(microseconds=1)
        good[i] = first == last
    return offsets, good


def _local_to_utc(naive: np.ndarray, tz) -> tuple[np.ndarray, np.ndarray]:
    """Naive local datetime64[us] to UTC, exactly as `datetime.replace(tzinfo=tz)` does
    (fold=0), by a table of each hour's offset per year. Returns (utc, ok): an hour in which
    the offset changes (a DST gap or fold) is not ok and goes row by row."""
    years = naive.astype("datetime64[Y]").astype(np.int64) + 1970
    y0, y1 = int(years.min()), int(years.max())
    if y1 - y0 > 200:  # not a police extract: no table, row by row
        return naive, np.zeros(len(naive), dtype=bool)
    tables = [_year_offsets(tz, y) for y in range(y0, y1 + 1)]
    offsets = np.concatenate([t[0] for t in tables])
    good = np.concatenate([t[1] for t in tables])
    first = np.datetime64(f"{y0:04d}-01-01T00", "h").astype(np.int64)
    at = naive.astype("datetime64[h]").astype(np.int64) - first
    return naive - offsets[at].astype("timedelta64[us]"), good[at]


def _parse_local(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """`YYYY-MM-DD[ HH:MM[:SS]]` text (already matched by _ISO_LOCAL) to naive datetime64[us],
    with the checks of `datetime.fromisoformat` (month, day of that month, hour, minute,
    second). Arrow's strptime is not used: it rolls 30 February over into March."""
    padded = pc.utf8_rpad(pc.replace_substring(text, "T", " "), 19, "0")

    def part(a: int, b: int) -> np.ndarray:
        return pc.cast(pc.utf8_slice_codeunits(padded, a, b), pa.int64()).to_numpy()

    y, mo, d = part(0, 4), part(5, 7), part(8, 10)
    h, mi, s = part(11, 13), part(14, 16), part(17, 19)
    ok = (y >= 1) & (mo >= 1) & (mo <= 12) & (d >= 1) & (h <= 23) & (mi <= 59) & (s <= 59)
    months = ((y - 1970) * 12 + np.clip(mo, 1, 12) - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    ok &= d <= ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    naive = (first + (d - 1)).astype("datetime64[us]") + (
        (h * 3600 + mi * 60 + s) * 1_000_000
    ).astype("timedelta64[us]")
    return naive, ok


def _utc_text(utc: np.ndarray, suffix: str) -> list[str]:
    """datetime64[us] as `YYYY-MM-DD HH:MM:SS.ffffff` + suffix, the text SQLAlchemy stores on
    SQLite (strftime in Arrow or numpy is 3-5x slower for this)."""
    n = len(utc)
    days = utc.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    rem = (utc - days.astype("datetime64[us]")).astype(np.int64)
    fields = (
        (0, 4, months.astype(np.int64) // 12 + 1970),
        (5, 2, months.astype(np.int64) % 12 + 1),
        (8, 2, (days - months.astype("datetime64[D]")).astype(np.int64) + 1),
        (11, 2, rem // 3_600_000_000),
        (14, 2, rem // 60_000_000 % 60),
        (17, 2, rem // 1_000_000 % 60),
        (20, 6, rem % 1_000_000),
    )
    width = 26 + len(suffix)
    buf = np.full((n, width), ord("0"), dtype=np.uint8)
    for col, ch in ((4, "-"), (7, "-"), (10, " "), (13, ":"), (16, ":"), (19, ".")):
        buf[:, col] = ord(ch)
    for k, ch in enumerate(suffix):
        buf[:, 26 + k] = ord(ch)
    for col, size, value in fields:
        for k in range(size):
            buf[:, col + size - 1 - k] += (value // 10**k % 10).astype(np.uint8)
    return buf.view(f"S{width}").ravel().astype(f"U{width}").tolist()


def _instants(t: pa.Array, tz, sink: _Sink, required: bool) -> tuple[list[Any], np.ndarray]:
    """Local `YYYY-MM-DD[ HH:MM[:SS]]` (T or space) of trimmed text to the driver's UTC text.
    Anything else (offsets, fractions, other forms) is not ok and goes row by row."""
    n = len(t)
    blank = _is_blank(t)
    ok = _np(pc.match_substring_regex(t, _ISO_LOCAL), False)
    out: list[Any] = [None] * n
    if ok.any():
        pos = np.flatnonzero(ok)
        naive, valid = _parse_local(pc.filter(t, pa.array(ok)))
        # years outside MIN_YEAR..MAX_YEAR go row by row (parse_datetime rejects them); a
        # stand-in keeps them out of the table of UTC offsets, which ends at year 9999
        years = naive.astype("datetime64[Y]").astype(np.int64) + 1970
        valid &= (years >= MIN_YEAR) & (years <= MAX_YEAR)
        naive = np.where(valid, naive, np.datetime64("2000-01-01T00:00:00", "us"))
        utc, good = _local_to_utc(naive, tz)
        valid &= good & (utc >= np.datetime64("0001-01-02")) & (utc < np.datetime64("9999-12-31"))
        ok[pos[~valid]] = False
        keep = np.flatnonzero(valid)
        values = _utc_text(utc[keep], "+00" if sink.pg else "")
        for p, v in zip(pos[keep].tolist(), values, strict=True):
            out[p] = v
    ok |= blank & (not required)
    return out, ok


def _per_distinct(t: pa.Array, fn: Callable[[Any], Any]) -> tuple[list[Any], np.ndarray]:
    """Apply a validating function once per distinct value (None for null)."""
    enc = pc.dictionary_encode(t, null_encoding="encode")
    keys = enc.dictionary.to_pylist()
    results, oks = [], []
    for k in keys:
        try:
            results.append(fn(k))
            oks.append(True)
        except (LagesbildError, ValueError, TypeError):
            results.append(None)
            oks.append(False)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    return np.asarray(results, dtype=object)[idx].tolist(), np.asarray(oks, dtype=bool)[idx]


def _categories(ctx: RowContext, spec: LayerSpec, cols: Columns) -> tuple[list, np.ndarray]:
    allowed = pa.array(sorted(set(ctx.taxonomy.codes(spec.name))), type=pa.string())
    text = pc.fill_null(pc.utf8_lower(_trim(cols.column("category"))), "")
    if spec.name == "crimes" and "offence_code" in cols.values:
        table = ctx.offences if ctx.offences is not None else default_table()
        by_code, _ = _per_distinct(
            cols.column("offence_code"),
            lambda c: "" if c is None or not c.strip() else category_for(table, c) or "",
        )
        text = pc.if_else(pc.equal(text, ""), pa.array(by_code, type=pa.string()), text)
    ok = _np(pc.is_in(text, value_set=allowed), False)
    return text.to_pylist(), ok


def _keys(spec: LayerSpec, cols: Columns) -> tuple[list, list, np.ndarray]:
    """Stable keys: the source's id, else (row by row) a hash of the row's content."""
    sid = pc.fill_null(_trim(cols.column("id")), "")
    has = _np(pc.and_(pc.not_equal(sid, ""), pc.invert(pc.starts_with(sid, "h:"))), False)
    ok = _np(pc.less_equal(pc.utf8_length(sid), _TEXT_LIMITS["id"]), True) | ~has
    keys = pc.binary_join_element_wise(f"{spec.name}:id:", sid, "").to_pylist()
    ids: list[str | None] = sid.to_pylist()
    for i in np.flatnonzero(~has).tolist():
        keys[i], ids[i] = record_key(spec.name, cols.record(i), cols.geom(i))
    return keys, ids, ok


def _location(ctx: RowContext, spec: LayerSpec, cols: Columns) -> tuple[np.ndarray, ...]:
    """lon, lat and the rows whose point the column-wise checks settle: lat/lon, x/y in ctx.crs,
    or a GIS point; anything odd goes through build for its reason."""
    n = len(cols)
    lat_t, lon_t = _trim(cols.column("lat")), _trim(cols.column("lon"))
    lon, lat = _floats(lon_t), _floats(lat_t)
    ok = (lat >= -90) & (lat <= 90) & (lon >= -180) & (lon <= 180)  # NaN fails
    if ctx.crs is not None:
        no_latlon = _is_blank(lat_t) & _is_blank(lon_t)
        if no_latlon.any():
            from lagesbild.geo.crs import _transformer, parse_crs

            x = _floats(_trim(cols.column("x")))[no_latlon]
            y = _floats(_trim(cols.column("y")))[no_latlon]
            tr = _transformer(parse_crs(ctx.crs).to_string(), "EPSG:4326")
            tx, ty = tr.transform(x, y)
            lon[no_latlon], lat[no_latlon] = tx, ty
            ok |= no_latlon & np.isfinite(lon) & np.isfinite(lat)
    if cols.geoms is not None:
        for i, g in enumerate(cols.geoms):
            if g is not None:
                point = g.geom_type == "Point" and not g.is_empty
                if point:
                    lon[i], lat[i] = g.x, g.y
                ok[i] = point
    if spec.name == "crimes" and "place" in cols.values:  # known only to a place: build
        ok &= _is_blank(_trim(cols.column("place"))) | ~np.isnan(lon)
    reg = ctx.region
    ok &= (lon >= reg.min_lon) & (lon <= reg.max_lon) & (lat >= reg.min_lat) & (lat <= reg.max_lat)
    assert len(ok) == n
    return lon, lat, ok


# ---------------------------------------------------------------------- chunk building
def _columnar(ctx: RowContext, spec: LayerSpec, cols: Columns, sink: _Sink):
    """The driver rows (`sink.row_columns`) of a chunk, the mask of the rows that passed the
    column-wise checks (the others are to be built row by row), their keys, lon and lat."""
    n = len(cols)
    lon, lat, ok = _location(ctx, spec, cols)
    keys, ids, k_ok = _keys(spec, cols)
    categories, cat_ok = _categories(ctx, spec, cols)
    occurred, t_ok = _instants(_trim(cols.column("occurred_at")), ctx.tz, sink, required=True)
    orgs, o_ok = _per_distinct(
        cols.column("organisation"),
        lambda v: (
            ctx.writer_org
            if ctx.writer_org is not None
            else ctx.resolver.organisation(None if v is None or not v.strip() else v.strip())
        ),
    )
    sens, s_ok = _per_distinct(cols.column("sensitivity"), parse_sensitivity)
    ok &= k_ok & cat_ok & t_ok & o_ok & s_ok
    values: dict[str, Any] = {
        "source_key": keys,
        "source_id": ids,
        "category": categories,
        "occurred_at": occurred,
        "geom": sink.points(lon, lat),
        "minx": lon.tolist(),
        "miny": lat.tolist(),
        "maxx": lon.tolist(),
        "maxy": lat.tolist(),
        "owner_org_id": orgs,
        "sensitivity": sens,
    }
    if spec.name == "crimes":
        values["reported_at"], r_ok = _instants(
            _trim(cols.column("reported_at")), ctx.tz, sink, required=False
        )
        for name in ("offence_code", "place_text"):
            values[name], t_ok = _texts(_trim(cols.column(name)), _TEXT_LIMITS[name])
            r_ok &= t_ok
        values["area_place_id"] = [None] * n
        ok &= r_ok
    else:
        values["count"], n_ok = _per_distinct(
            cols.column("count"), lambda v: parse_int(v, "count", minimum=0)
        )
        values["text"], x_ok = _texts(_trim(cols.column("text")), _TEXT_LIMITS["text"])
        ok &= n_ok & x_ok
    rows = list(zip(*(values[c] for c in sink.row_columns), strict=True))
    return rows, ok, keys, lon, lat


# ---------------------------------------------------------------------- the writer
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

    Chunks are read and validated (`_prepare`) and then written (`_store`) in turn. Doing the
    first in a second thread was tried and measured: the GIL, held while the driver binds each
    row's parameters, made it no faster on two cores (13.9 s vs 14.5 s for 1M rows)."""
    sink = _Sink(conn, table, ctx)
    index = assign.PlaceIndex(conn)
    ctx.resolver.preload()
    sink.begin()
    try:
        _write_chunks(sink, ctx, spec, index, records, summary, on_progress, reject, update_one)
    finally:
        sink.end()
    summary.rejected.sort(key=lambda r: r.line)


def _write_chunks(sink, ctx, spec, index, records, summary, on_progress, reject, update_one):
    chunks = _column_chunks(records, reject)
    prepared = (_prepare(ctx, spec, sink, index, cols) for cols in chunks)
    first = True
    for prep in prepared:
        if first:
            expected = len(prep.cols) + len(prep.cols.rejects)
            if isinstance(records, CsvColumns):
                expected = records.expected_rows(expected)
            sink.defer_indexes(expected)
            first = False
        summary.read += len(prep.cols) + len(prep.cols.rejects)
        _store(sink, spec, prep, summary, update_one)
        if on_progress:
            on_progress(summary.read)
    sink.restore_indexes()


@dataclass
class _Prepared:
    """A validated chunk: the rows to store (positions in the chunk, driver rows, keys), the
    places and extents their points fall in, and the rows rejected."""

    cols: Columns
    positions: np.ndarray
    rows: list[tuple]
    keys: list[str]
    hits: tuple[np.ndarray, np.ndarray, np.ndarray]  # (index into positions, place, round)
    rejected: list


def _prepare(ctx, spec, sink: _Sink, index, cols: Columns) -> _Prepared:
    rejected = [Rejected(line, str(rec[REJECT]), rec) for line, rec in cols.rejects]
    if not len(cols):
        empty = np.zeros(0, dtype=np.int64)
        return _Prepared(cols, empty, [], [], (empty, empty, empty), rejected)
    rows, ok, keys, lon, lat = _columnar(ctx, spec, cols, sink)
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
        rows[i] = _driver_row(sink, row)
        g = row.get("geom")
        lon[i], lat[i] = (g.x, g.y) if g is not None else (np.nan, np.nan)
    positions = np.flatnonzero(built)
    pos = positions.tolist()
    has_point = np.flatnonzero(~np.isnan(lon[positions]))
    if index.empty or not len(has_point):
        empty = np.zeros(0, dtype=np.int64)
        hits = (empty, empty, empty)
    else:
        pt, place_ids, round_ids = index.containing_xy(
            lon[positions][has_point], lat[positions][has_point]
        )
        hits = (has_point[pt], place_ids, round_ids)
    return _Prepared(
        cols, positions, [rows[i] for i in pos], [keys[i] for i in pos], hits, rejected
    )


def _store(sink: _Sink, spec: LayerSpec, prep: _Prepared, summary, update_one) -> None:
    summary.rejected.extend(prep.rejected)
    inserted, record_ids = sink.insert(prep.rows)
    summary.stored += int(inserted.sum())
    j, place_ids, round_ids = prep.hits
    mine = inserted[j]
    sink.insert_assignments(spec.name, record_ids[j[mine]], place_ids[mine], round_ids[mine])
    again = np.flatnonzero(~inserted).tolist()
    if again:  # the same row again: compare stored values, no build
        same = sink.unchanged(again, prep.rows)
        keys = [prep.keys[j] for j in again]
        if len(set(keys)) < len(keys):
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


def _driver_row(sink: _Sink, row: dict[str, Any]) -> tuple:
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
