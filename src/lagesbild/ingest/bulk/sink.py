"""The driver's side of the fast path: bulk inserts on the DBAPI connection of the caller's
transaction (multi-row INSERT on SQLite, binary COPY on PostgreSQL, sent by a thread while the
next chunk is read), the comparison of rows met again with the stored ones, and dropping and
rebuilding the secondary indexes of a large import."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Integer,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.engine import Connection

from lagesbild.ingest.layers import RowContext
from lagesbild.store.types import Geometry, UTCDateTime

_KEY_BATCH = 900
DEFER_INDEXES_FROM = 50_000  # rows; smaller imports keep the indexes as they go
_ROWS_PER_INSERT = 100  # rows per multi-row INSERT on SQLite
_IMPORT_CACHE_KIB, _DEFAULT_CACHE_KIB = 262_144, 2_000  # SQLite page cache while importing, after
_SORTER_THREADS = min(4, os.cpu_count() or 1)  # SQLite's helper threads for CREATE INDEX
# SQLite page cache while the deferred indexes are built (`restore_indexes`)
_SORT_CACHE_KIB = 4_096
_BOOKKEEPING = ("created_at", "updated_at", "created_by")
_ALIASES = {"maxx": "minx", "maxy": "miny"}  # a point's box is the point


_ID = -1  # a cell of `_values_sql`: the statement's first id (?1) plus the row's place in it


@dataclass
class Packed:
    """A chunk's driver rows (`Sink.row_columns`) as SQLite's multi-row INSERT binds them: the
    columns of one value in every row apart (`fixed`: position and value, bound once per
    statement), the others' values row after row in one list (`flat`, their positions in
    `varying`). The reading process packs them from its columns; the writer then binds slices
    of `flat` as they are, instead of taking row tuples apart into columns and putting them
    together again (7-12 ms of the writer per chunk of 19,000 rows, the writer being the
    slower of the two processes), and unpickles fewer objects (the fixed values once).
    Tuples are made only for rows compared one by one (`tuples`)."""

    n: int
    fixed: tuple[tuple[int, Any], ...]
    varying: tuple[int, ...]
    flat: list
    # `tuples`, made once: a chunk with a changed row asks for them up to three times
    _whole: list[tuple] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of_columns(
        cls, columns: list[list] | list[tuple], always_varying: tuple[int, ...] = ()
    ) -> Packed:
        """Packed from equally long columns. A column is fixed when it holds one value of one
        type (1, 1.0 and True are equal in Python but not stored alike in a text column; a
        NaN never counts, as it equals nothing); those in `always_varying` never are."""
        n = len(columns[0]) if columns else 0
        fixed = tuple(
            (k, col[0])
            for k, col in enumerate(columns)
            if n and k not in always_varying and _one_value(col)
        )
        shared = {k for k, _ in fixed}
        varying = tuple(k for k in range(len(columns)) if k not in shared)
        chosen = [columns[k] for k in varying]
        flat = (
            list(chosen[0])
            if len(chosen) == 1
            else list(chain.from_iterable(zip(*chosen, strict=True)))
        )
        return cls(n, fixed, varying, flat)

    @classmethod
    def of_rows(cls, rows: list[tuple], always_varying: tuple[int, ...] = (0,)) -> Packed:
        """Packed from row tuples of `Sink.row_columns` (the key first, never fixed)."""
        return cls.of_columns(list(zip(*rows, strict=True)), always_varying)

    def __len__(self) -> int:
        return self.n

    def column(self, k: int) -> list:
        """The values of the varying column at position `k`."""
        m = len(self.varying)
        return self.flat[self.varying.index(k) :: m]

    def varying_rows(self, skip: int = 0) -> list[tuple]:
        """Each row's varying values after the first `skip` of them, as a tuple."""
        m = len(self.varying)
        if skip >= m:
            return [()] * self.n
        if not skip:
            it = iter(self.flat)
            return list(zip(*[it] * m, strict=True))
        return list(zip(*(self.flat[j::m] for j in range(skip, m)), strict=True))

    def tuples(self) -> list[tuple]:
        """The rows as tuples of every column, as the row-by-row comparisons take them."""
        if self._whole is not None:
            return self._whole
        width = len(self.varying) + len(self.fixed)
        columns: list[Any] = [None] * width
        for k, value in self.fixed:
            columns[k] = [value] * self.n
        for j, k in enumerate(self.varying):
            columns[k] = self.flat[j :: len(self.varying)]
        self._whole = list(zip(*columns, strict=True))
        return self._whole


def _tuples(rows: list[tuple] | Packed) -> list[tuple]:
    return rows.tuples() if isinstance(rows, Packed) else rows


class Sink:
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
        self._staged = False  # PostgreSQL: the temporary table (`_stage`) exists
        self._staged_rows = 0  # PostgreSQL: how many rows it holds
        # PostgreSQL: whether to look for the chunk's stored keys before numbering its rows
        # (a re-import): on until a chunk brings new rows
        self._precheck: bool | None = None
        # PostgreSQL, table locked: COPY each chunk straight into it while no key conflicts
        self._direct = True
        # every row of the last chunk met its key stored and equals the stored row (on
        # PostgreSQL: of the rows staged last; on SQLite: of the chunk `_stored_rows` read)
        self._all_same = False
        self._sql: dict[tuple[int, tuple[int, ...]], str] = {}
        # PostgreSQL: the Arrow types of the COPY targets' columns (`arrow_types`)
        if self.pg:
            self._types = arrow_types(table)
            self._stage_types = {**self._types, "pos": pa.int32()}
            self._link_types = arrow_types(table.metadata.tables["assignments"])
        # PostgreSQL: the thread that sends a chunk (straight COPY, or a re-import's look-up)
        # while the caller reads the next one, and that chunk's work
        self._behind: ThreadPoolExecutor | None = None
        self._in_flight: Future | None = None
        # SQLite: whether the table had rows when the import began (then each chunk's stored
        # rows are read before inserting), and the stored rows of the chunk's keys
        self._had_rows: bool | None = None
        self._known: dict[str, tuple] = {}

    # values as the driver wants them
    def dt(self, value: datetime | None) -> Any:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value if self.pg else value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def points(self, lon: np.ndarray, lat: np.ndarray) -> list[Any]:
        """Point WKB built with numpy (what shapely.to_wkb writes, without a GEOS object per
        point); EWKB with SRID 4326 for PostGIS."""
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
        return [buf[i : i + size] for i in range(0, size * n, size)]

    def _allocate(self, n: int) -> np.ndarray:
        """Ids for n new rows after the largest: on SQLite the write lock keeps them ours; on
        PostgreSQL only while the table is locked for a deferred import (`defer_indexes`),
        else the table's sequence hands them out."""
        assert self._in_flight is None or self._next_id is not None, "the connection is busy"
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
        if self._behind is not None:  # an error may leave a chunk in flight: let it finish
            self._join_thread()
        if not self.pg:
            self.raw.cursor().execute(f"PRAGMA cache_size=-{_DEFAULT_CACHE_KIB}")
            self.raw.cursor().execute("PRAGMA cache_spill=1")  # spill as the cache fills
            self.raw.cursor().execute("PRAGMA threads=0")

    def _join_thread(self) -> None:
        """Wait for the COPY thread to finish its work, even through a second Ctrl-C: the
        caller rolls back on the same connection next, which must not meet a COPY under way."""
        interrupted = None
        while True:
            try:
                if self._in_flight is not None:
                    self._in_flight.exception()
                self._behind.shutdown()
                break
            except KeyboardInterrupt as exc:
                interrupted = exc
        self._behind = self._in_flight = None
        if interrupted is not None:
            raise interrupted

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
            if not _rebuild_pays(have, expected_rows):
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
            # assignments' secondary index too, when that table is small: it is locked already
            # (its foreign key was dropped), and its primary key stays
            if "assignments" in tables and _links_rebuild_pays(cur, expected_rows):
                cur.execute(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = current_schema() AND tablename = 'assignments' "
                    "AND indexname <> 'pk_assignments'"
                )
                self._deferred += cur.fetchall()
        else:
            (have,) = cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{name}"').fetchone()
            if not _rebuild_pays(have, expected_rows):
                return
            tables = [name] + (["assignments"] if _links_rebuild_pays(cur, expected_rows) else [])
            self._deferred = cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name IN (SELECT value FROM json_each(?)) AND sql IS NOT NULL",
                (json.dumps(tables),),
            ).fetchall()
        for index, _sql in self._deferred:
            cur.execute(f'DROP INDEX "{index}"')

    def restore_indexes(self) -> None:
        cur = self.raw.cursor()
        if not self.pg and self._deferred:
            # SQLite sorts an index's entries in runs as large as the page cache: one run of
            # 256 MiB sorts in one thread, and slower than runs of 4 MiB sorted by the helper
            # threads and merged (1,000,000 crimes, the four indexes: 1.2-1.4 s against
            # 2.6-2.7 s). The dirty pages may still fill 256 MiB before they are spilled:
            # spilling them a page at a time to fit 4 MiB cost more than it saved.
            cur.execute(f"PRAGMA cache_spill=-{_IMPORT_CACHE_KIB}")
            cur.execute(f"PRAGMA cache_size=-{_SORT_CACHE_KIB}")
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

    def _insert_sql(self, rows: int, shared: tuple[int, ...]) -> str:
        """The multi-row INSERT of `rows` rows for `_multirow`: cell k of a row is
        `row_columns[k]`, the id the statement's first id plus the row's place (the ids are
        consecutive, `_allocate`: one parameter per statement, not one per row); the
        bookkeeping columns are constants of the statement."""
        key = (rows, shared)
        if key not in self._sql:
            slot: dict[str, int] = {name: k for k, name in enumerate(self.row_columns)}
            consts = {
                "created_at": f"'{self.now}'",
                "updated_at": f"'{self.now}'",
                "created_by": "NULL" if self.user_id is None else str(int(self.user_id)),
            }
            slot[self.columns[0]] = _ID
            cells = [consts[c] if c in consts else slot[_ALIASES.get(c, c)] for c in self.columns]
            cols = ", ".join(f'"{c}"' for c in self.columns)
            self._sql[key] = (
                f'INSERT INTO "{self.table.name}" ({cols}) VALUES '
                f"{_values_sql(rows, cells, len(self.row_columns), shared)} "
                "ON CONFLICT(source_key) DO NOTHING"
            )
        return self._sql[key]

    def packed(self, values: dict[str, Any]) -> Packed:
        """SQLite: a chunk's rows packed for the insert (`Packed`) from its columns by name
        (`row_columns`); the key is never fixed."""
        return Packed.of_columns([values[c] for c in self.row_columns], (0,))

    def insert(
        self, rows: list[tuple] | Packed | None, arrow: pa.Table | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Insert rows whose key is not stored yet (nor earlier in `rows`). Returns the mask of
        rows stored and their ids (-1 for the others, which met a stored key). `rows`: tuples
        of `row_columns`, or on SQLite packed (`Packed`) by the reading process. `arrow`:
        PostgreSQL, the rows' columns made already (`arrow_columns`), then `rows` is None."""
        n = _count(rows, arrow)
        if not n:
            return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
        if self.pg:
            return self._insert_pg(None if rows is None else _tuples(rows), arrow)
        packed = rows if isinstance(rows, Packed) else Packed.of_rows(rows)
        cur = self.raw.cursor()
        if self._had_rows is None:
            top = cur.execute(f'SELECT MAX(id) FROM "{self.table.name}"').fetchone()
            self._had_rows = top[0] is not None
        stored = self._stored_rows(cur, packed) if self._had_rows else []
        # a chunk met again whole and as stored (a re-import): one comparison of the lists
        self._all_same = stored is packed or (len(stored) == n and stored == packed.tuples())
        if self._all_same:
            self._known = {}
            return np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64)
        self._known = {row[0]: row for row in stored}
        if self._known:  # rows met again are not offered to the insert at all
            whole = packed.tuples()
            fresh = [k for k, r in enumerate(whole) if r[0] not in self._known]
            stored = np.zeros(n, dtype=bool)
            ids = np.full(n, -1, dtype=np.int64)
            if fresh:
                got, got_ids = self._insert_sqlite(cur, Packed.of_rows([whole[k] for k in fresh]))
                stored[fresh], ids[fresh] = got, got_ids
            return stored, ids
        return self._insert_sqlite(cur, packed)

    def _stored_rows(self, cur, rows: Packed) -> list | Packed:
        """The stored rows (`row_columns`, as stored) of those of the rows' keys that are
        stored: one statement per chunk, the keys passed as one JSON array. They come in the
        chunk's order (the CROSS JOIN keeps the array in the outer loop; rows in another
        order would only be compared one by one, `insert`), so a chunk met again whole and
        as stored (a re-import) equals the rows as a list, without a look-up per row.

        With fixed columns (the same value in every row: a column the file lacks, one owner,
        one sensitivity), a first statement compares those in SQL and reads back only the
        others; when every row is met and equal, `rows` itself is returned. It is each value
        made a Python object that costs, ~30 ms per column and 300,000 rows: the writer's
        part of a re-import of that many rows went 0.67 -> 0.47 s (with the CROSS JOIN, which
        spares the sort an ORDER BY took). `IS` compares as storing would: the column's
        affinity applies to the value, as to the value stored."""
        keys = orjson.dumps(rows.column(0)).decode()
        table = self.table.name
        if rows.fixed:
            # the key (always the first varying column) is not read back: the join matched
            # it, and one row per key in the chunk's order means each is its own key's
            # (a column fewer made Python objects: 24 -> 20 ms a chunk of 19,000)
            others = rows.varying[1:]
            where = " AND ".join(f't."{self.row_columns[k]}" IS ?' for k, _ in rows.fixed)
            got = cur.execute(
                f"SELECT {_picked(self.row_columns, others) if others else '1'} "
                f'FROM json_each(?) AS j CROSS JOIN "{table}" AS t ON t.source_key = j.value '
                f"WHERE {where}",
                (keys, *(value for _, value in rows.fixed)),
            ).fetchall()
            if len(got) == rows.n and got == (
                rows.varying_rows(skip=1) if others else [(1,)] * rows.n
            ):
                return rows
        return cur.execute(
            f"SELECT {_picked(self.row_columns, range(len(self.row_columns)))} "
            f'FROM json_each(?) AS j CROSS JOIN "{table}" AS t ON t.source_key = j.value',
            (keys,),
        ).fetchall()

    def _insert_sqlite(self, cur, rows: Packed) -> tuple[np.ndarray, np.ndarray]:
        n = rows.n
        ids = self._allocate(n)
        first = int(ids[0])
        done = _multirow(cur, self._insert_sql, rows, first_id=first)
        stored = np.full(n, done > 0)
        if 0 < done < n:  # some keys were stored already: which rows went in?
            present = {
                r[0]
                for r in cur.execute(
                    f'SELECT id FROM "{self.table.name}" WHERE id BETWEEN ? AND ?',
                    (first, first + n - 1),
                )
            }
            stored = np.fromiter((i in present for i in ids.tolist()), dtype=bool, count=n)
        ids[~stored] = -1
        return stored, ids

    def _insert_pg(
        self, rows: list[tuple] | None, arrow: pa.Table | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """COPY into a temporary table, with the rows' ids (`_allocate`), then one INSERT ...
        SELECT ... ON CONFLICT DO NOTHING: the server skips stored keys (and a key's later rows
        in the chunk, inserted in file order). Which rows went in is asked only when some did
        not (RETURNING every new row's key cost 2.7 s per 1M rows)."""
        cur = self.raw.cursor()
        name = self.table.name
        stage = f"_import_{name}"
        cols = ", ".join(f'"{c}"' for c in self.row_columns)
        n = _count(rows, arrow)
        self._all_same = False
        values = self._columns(rows, arrow)
        self._stage(cur, n)
        if self._prechecking():
            # A table with rows, not locked: ids would come from the sequence, one nextval per
            # row (1.2 s of a 6.7 s re-import of 300,000 rows, all met again). Stage the rows
            # without ids first and look their keys up; only a chunk with new rows is staged
            # again with ids, and from then on the import numbers them at once.
            staged = _payload(self._stage_types, {"pos": np.arange(n), **values})
            met, same = self._met_and_same(cur, staged)
            if met == n:  # every key stored already
                self._all_same = same == n
                return np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64)
            self._precheck = False
            cur.execute(f"TRUNCATE {stage}")
        ids = self._allocate(n)
        _send(cur, stage, _payload(self._stage_types, {"pos": np.arange(n), "id": ids, **values}))
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

    def _columns(self, rows: list[tuple] | None, arrow: pa.Table | None = None) -> dict[str, Any]:
        """PostgreSQL: driver rows as the columns COPY data is made of: those of `arrow` when
        they were made already (`arrow_columns`), else the rows taken apart."""
        if arrow is not None:
            return {c: arrow.column(c) for c in self.row_columns}
        return dict(zip(self.row_columns, zip(*rows, strict=True), strict=True))

    def arrow_columns(self, values: dict[str, Any]) -> pa.Table | None:
        """PostgreSQL: a chunk's columns (`row_columns`, each a sequence or numpy array) as the
        Arrow arrays its COPY data is made of, or None where Arrow will not take a column as
        its type (the rows then go as `_payload` sends them). Made by the reading process from
        the checked columns, they spare the writer taking the row tuples apart and converting
        them (0.8 of 1.0 s per 300,000 rows of a first import's `straight`)."""
        try:
            return pa.table({c: _arrow(values[c], self._types[c]) for c in self.row_columns})
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
            return None

    def _prechecking(self) -> bool:
        """PostgreSQL: whether a chunk's keys are looked up before its rows are numbered: in a
        table with rows that this import does not lock, until a chunk brings new rows."""
        if self._precheck is None:
            assert self._in_flight is None, "the connection is the COPY thread's"
            cur = self.raw.cursor()
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {self.table.name})")
            self._precheck = not self._locked and cur.fetchone()[0]
        return self._precheck

    def _stage(self, cur, n: int) -> None:
        """The import's temporary table, made at the first chunk, emptied for the next."""
        stage = f"_import_{self.table.name}"
        if not self._staged:
            cols = ", ".join(f'"{c}"' for c in self.row_columns)
            cur.execute(
                f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
                f"SELECT 0 AS pos, id, {cols} FROM {self.table.name} WITH NO DATA"
            )
            self._staged = True
        else:
            cur.execute(f"TRUNCATE {stage}")
        self._staged_rows = n

    def _met_and_same(self, cur, staged: Payload) -> tuple[int, int]:
        """Stage a chunk's rows without ids: how many of their keys are stored, and how many
        equal their stored row, in one join (`unchanged` then needs no second one: 0.1 s of
        server time per 75,000 rows)."""
        stage = f"_import_{self.table.name}"
        _send(cur, stage, staged)
        cur.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {self._same_sql()}) "
            f"FROM {stage} s JOIN {self.table.name} t USING (source_key)"
        )
        return cur.fetchone()

    @property
    def met_whole(self) -> bool:
        """Every row of the last chunk `insert` was given met its key stored, and equals the
        stored row: nothing was stored, and there is nothing to update (a re-import)."""
        return self._all_same

    @property
    def streams(self) -> bool:
        """PostgreSQL, the table locked for this import (`defer_indexes`) and no stored key met
        yet: a chunk is COPYed straight into the table (`straight`)."""
        return self.pg and self._locked and self._direct

    def straight(
        self, rows: list[tuple] | None, layer: str, hits, arrow: pa.Table | None = None
    ) -> Behind:
        """A chunk to COPY straight into the locked table, with no staging table and no
        `INSERT ... ON CONFLICT` (farm-bench, 300,000 rows into a store holding the places:
        0.85x the wall time of staging every chunk), and its assignments (`hits`: index into
        `rows`, place, round) after it. `send` hands it to a thread of its own, so that the
        server stores this chunk while the caller reads and checks the next one. The COPY data
        is made here, in the caller's thread: made in the sending thread, it held the GIL the
        reading needs (two rounds: wall 0.99 and 1.02). The thread only writes it and waits
        for the server. The rows' ids are taken here; their other columns come as Arrow arrays
        (`arrow`) when the reading made them (`arrow_columns`)."""
        n = _count(rows, arrow)
        ids = self._allocate(n)
        now = np.full(n, np.datetime64(self.now.replace(tzinfo=None), "us"))  # UTC already
        book = {"created_at": now, "updated_at": now, "created_by": [self.user_id] * n}
        records = _payload(self._types, {"id": ids, **self._columns(rows, arrow), **book})
        j, place_ids, round_ids = hits
        links = _payload(self._link_types, _links(layer, ids[j], place_ids, round_ids))
        return Behind(self._send_straight, (records, links), ids)

    @property
    def checks(self) -> bool:
        """PostgreSQL, a re-import (`_prechecking`): a chunk's keys are looked up (`check`)."""
        return self.pg and not self._locked and self._prechecking()

    def check(self, rows: list[tuple] | None, arrow: pa.Table | None = None) -> Behind:
        """A re-import's chunk to look up: `send` stages its rows without ids and counts, in
        the server, the rows whose key is stored and the rows equal to their stored row, in
        the COPY thread, while the caller reads and checks the next chunk (`straight`).
        `settle` says whether every row was met and equal: the chunk is then settled as
        duplicates; if not, the caller stores it as any other (`insert`), which looks again."""
        columns = self._columns(rows, arrow)
        n = _count(rows, arrow)
        staged = _payload(self._stage_types, {"pos": np.arange(n), **columns})
        return Behind(self._send_check, (staged, n), None)

    def _send_check(self, staged: Payload, n: int) -> bool:
        cur = self.raw.cursor()
        self._stage(cur, n)
        met, same = self._met_and_same(cur, staged)
        return met == same == n

    def still_to_send(self, chunk: Behind) -> bool:
        """Whether a chunk made (`straight`, `check`) before the chunk before it was settled is
        still to be sent that way: not when that one turned the import to the staged way."""
        return self.streams if chunk.ids is not None else self.checks

    def send(self, chunk: Behind) -> None:
        """Hand a chunk to the COPY thread; the connection is the thread's until `settle`. One
        chunk at a time: the ids handed back on a conflict are those of the chunk in flight."""
        assert self._in_flight is None, "a chunk is in flight already"
        if self._behind is None:
            self._behind = ThreadPoolExecutor(1, thread_name_prefix="lagesbild-copy")
        chunk.future = self._in_flight = self._behind.submit(chunk.job, *chunk.args)

    def _send_straight(self, records: Payload, links: Payload) -> bool:
        """In the COPY thread: the chunk and its assignments under a savepoint. False when a
        stored key, or a key twice in the chunk, failed the COPY on the unique index: it is
        then taken back to the savepoint."""
        import psycopg

        cur = self.raw.cursor()
        cur.execute("SAVEPOINT lagesbild_straight")
        try:
            _send(cur, self.table.name, records)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT lagesbild_straight")
            cur.execute("RELEASE SAVEPOINT lagesbild_straight")
            return False
        if links.rows:
            _send(cur, "assignments", links)
        cur.execute("RELEASE SAVEPOINT lagesbild_straight")
        return True

    def settle(self, sent: Behind) -> bool:
        """Wait for a chunk sent: whether it was done whole (went in; met stored and equal). A
        straight COPY that met a stored key hands its ids out again, and those of a chunk made
        after it (`still_to_send` then says no to that one), and this chunk and the rest of
        the import go the staged way (`insert`)."""
        try:
            done = sent.future.result()
        finally:
            self._in_flight = None
        if not done and sent.ids is not None:
            self._direct = False
            self._next_id = int(sent.ids[0])
        return done

    def insert_assignments(self, layer: str, record_ids, place_ids, round_ids) -> None:
        if not len(record_ids):
            return
        links = _links(layer, record_ids, place_ids, round_ids)
        cur = self.raw.cursor()
        if self.pg:
            _send(cur, "assignments", _payload(self._link_types, links))
            return

        # multi-row statements, as for the records: ~25 % less than one row per statement
        def sql(rows: int, shared: tuple[int, ...]) -> str:
            values = _values_sql(rows, [f"'{layer}'", 0, 1, 2], 3, shared)
            return f"INSERT INTO assignments (layer, place_id, round_id, record_id) VALUES {values}"

        columns = (links["place_id"], links["round_id"], links["record_id"])
        _multirow(cur, sql, Packed.of_columns([c.tolist() for c in columns]))

    def _same_sql(self) -> str:
        """PostgreSQL: a staged row `s` equals its stored row `t`, column for column."""
        cols = [f'"{c}"' for c in self.row_columns]
        return (
            f"({', '.join('s.' + c for c in cols)}) IS NOT DISTINCT FROM "
            f"({', '.join('t.' + c for c in cols)})"
        )

    def unchanged(self, again: list[int], rows: list[tuple] | Packed) -> np.ndarray:
        """Which of the rows `again` (positions in `rows`, whose keys were stored already)
        equal their stored row, column for column as stored: a re-import. Any difference,
        even of form, is left to the caller's comparison, which decides; this only spares it
        the rows that are plainly the same."""
        cols = [f'"{c}"' for c in self.row_columns]
        cur = self.raw.cursor()
        if self.pg:  # compared in the server, against the staged copy of `rows`
            stage = f"_import_{self.table.name}"
            # every staged row met again (a re-import): no list of positions to send
            every = len(again) == self._staged_rows
            if every and self._all_same:
                return np.ones(len(again), dtype=bool)
            cur.execute(
                "SELECT s.pos FROM "
                + (
                    f"{stage} s "
                    if every
                    else f"unnest(%s::int[]) AS a(pos) JOIN {stage} s USING (pos) "
                )
                + f"JOIN {self.table.name} t ON t.source_key = s.source_key "
                f"WHERE {self._same_sql()}",
                () if every else (again,),
            )
            same = {r[0] for r in cur.fetchall()}
            return np.fromiter((j in same for j in again), dtype=bool, count=len(again))
        if self._all_same and len(again) == len(rows):  # `_stored_rows` compared them all
            return np.ones(len(again), dtype=bool)
        rows = _tuples(rows)
        stored = self._known  # read before the insert (`insert`), for most of `again`
        keys = [rows[j][0] for j in again if rows[j][0] not in stored]
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


def _count(rows: list[tuple] | Packed | None, arrow: pa.Table | None) -> int:
    """How many rows a chunk has: its row tuples, or its Arrow columns in their stead."""
    return len(rows) if rows is not None else arrow.num_rows


def _links(layer: str, record_ids, place_ids, round_ids) -> dict[str, Any]:
    """The assignments' columns, in their primary key's order (the index is then appended to,
    not written all over)."""
    order = np.lexsort((record_ids, round_ids, place_ids))
    return {
        "layer": [layer] * len(order),
        "place_id": place_ids[order],
        "round_id": round_ids[order],
        "record_id": record_ids[order],
    }


def _one_value(column) -> bool:
    """Whether a column holds one value throughout, of one type: 1, 1.0 and True are equal in
    Python but are not stored alike in a text column. A NaN, unequal to itself, never does. A
    column whose ends differ is passed over at once; the others are counted in C (a column the
    file lacks is one object repeated)."""
    first = column[0]
    if first != column[-1] or column.count(first) != len(column):
        return False
    return not isinstance(first, int | float) or len(set(map(type, column))) == 1


def _values_sql(rows: int, cells: list[int | str], width: int, shared: tuple[int, ...]) -> str:
    """`VALUES (...), (...)` of `rows` rows. A cell is SQL text, `_ID` (the statement's first
    id, then parameter ?1, plus the row's place in the statement) or the index of one of
    `width` columns; the columns in `shared` take the next parameters once for the whole
    statement, the others one parameter per row, row after row (`_multirow` binds them in
    that order)."""
    varying = [k for k in range(width) if k not in shared]
    at = {k: j for j, k in enumerate(varying)}
    lead = 1 if _ID in cells else 0
    s, m = lead + len(shared), len(varying)
    groups = []
    for r in range(rows):
        out = []
        for cell in cells:
            if isinstance(cell, str):
                out.append(cell)
            elif cell == _ID:
                out.append(f"?1+{r}")
            elif cell in shared:
                out.append(f"?{lead + shared.index(cell) + 1}")
            else:
                out.append(f"?{s + r * m + at[cell] + 1}")
        groups.append("(" + ",".join(out) + ")")
    return ",".join(groups)


def _multirow(cur, sql_for, rows: Packed, first_id: int | None = None) -> int:
    """SQLite: insert packed rows (`Packed`) in multi-row statements of `_ROWS_PER_INSERT` rows
    (`sql_for(rows, shared)` makes one, see `_values_sql`). A column that holds one value
    throughout, as an export's owner, sensitivity or empty columns often do, is bound once per
    statement instead of once per row: binding is most of the driver's share of an insert,
    and a None or bytes value is also looked up in the adapter registry each time (farm-bench,
    300,000 rows: user time 0.94x). `first_id`: the first row's id, the others following it
    (a statement binds its own first id, `_ID`). Returns the rows inserted."""
    n, flat = rows.n, rows.flat
    shared = tuple(k for k, _ in rows.fixed)
    head = [value for _, value in rows.fixed]
    m = len(rows.varying)
    per = _ROWS_PER_INSERT

    def lead(start: int) -> list:
        return head if first_id is None else [first_id + start, *head]

    full = (n // per) * per
    done = 0
    if full:
        step = per * m
        cur.executemany(
            sql_for(per, shared),
            [lead(k * per) + flat[k * step : (k + 1) * step] for k in range(n // per)],
        )
        done += cur.rowcount
    if full < n:
        cur.execute(sql_for(n - full, shared), lead(full) + flat[full * m :])
        done += cur.rowcount
    return done


def _rebuild_pays(have: int, expected_rows: int) -> bool:
    """Whether dropping and rebuilding the secondary indexes pays: only when the table was
    small before the import (under half its size). A re-import of the same file, or of a file
    about as large as the table, keeps them: its rows are mostly met again, not inserted, and a
    rebuild would sort every stored row for nothing."""
    return have * 2 <= expected_rows


def _picked(columns: list[str], positions) -> str:
    """The select list of the table `t`'s columns at `positions`."""
    return ", ".join(f't."{columns[k]}"' for k in positions)


def _links_rebuild_pays(cur, expected_rows: int) -> bool:
    """`_rebuild_pays` for the assignments: whether that table holds at most half as many
    links as the import brings rows (a row has no link, one or a few). Counted up to that bound
    only, so a large table costs no more than the import's size. Its index by record, built
    after the insert instead of row by row: 0.04-0.1 s less per 158,000 links."""
    bound = expected_rows // 2 + 1
    cur.execute(f"SELECT count(*) FROM (SELECT 1 FROM assignments LIMIT {int(bound)}) AS a")
    return _rebuild_pays(cur.fetchone()[0], expected_rows)


@dataclass
class Payload:
    """PostgreSQL: COPY data for some columns, in COPY's binary format, or, for values Arrow
    would not take as the column's type, rows for psycopg to adapt in the text format."""

    names: list[str]
    rows: int
    binary: bytes | None = None
    text: list[tuple] | None = None


@dataclass
class Behind:
    """A chunk's work for the COPY thread (`Sink.straight`, `Sink.check`): the job and its
    arguments, the ids its rows hold (a straight COPY; None for a re-import's check), and the
    work under way once sent."""

    job: Callable[..., bool]
    args: tuple
    ids: np.ndarray | None
    future: Future | None = None


def arrow_types(table: Table) -> dict[str, pa.DataType]:
    """The Arrow type whose COPY binary form each column of `table` reads. Binary COPY has no
    type tags: the server reads each value with its column's own receive function, so an int8
    sent to an int4 column would be refused, and a text sent to a bytea one stored as its
    characters. A column of a type not listed here is refused (ValueError)."""
    out: dict[str, pa.DataType] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, Geometry):
            out[column.name] = pa.binary()  # EWKB, what PostGIS's binary input reads
        elif isinstance(kind, UTCDateTime) or (isinstance(kind, DateTime) and kind.timezone):
            out[column.name] = pa.timestamp("us", tz="UTC")
        elif isinstance(kind, DateTime):
            out[column.name] = pa.timestamp("us")
        elif isinstance(kind, BigInteger):
            out[column.name] = pa.int64()
        elif isinstance(kind, Integer) and not isinstance(kind, SmallInteger):
            out[column.name] = pa.int32()
        elif isinstance(kind, Float) and not isinstance(kind, REAL) and (kind.precision or 53) > 24:
            out[column.name] = pa.float64()  # double precision, not real
        elif isinstance(kind, Boolean):
            out[column.name] = pa.bool_()
        elif isinstance(kind, String):  # VARCHAR, TEXT, Enum
            out[column.name] = pa.string()
        else:
            raise ValueError(f"no COPY binary form for {table.name}.{column.name} ({kind})")
    return out


def _payload(types: dict[str, pa.DataType], columns: dict[str, Any]) -> Payload:
    """COPY data for columns (numpy arrays or sequences) in COPY's binary format, encoded from
    Arrow arrays in Rust by pgpq (`types`: `arrow_types`). Against CSV written by Arrow, per
    75,000 crimes: 26 ms of encoding instead of ~350 ms, and the server reads it in ~0.65x
    the time (no text to parse for times, numbers and the EWKB). Times come as UTC text (the
    column parsers' and `_driver_row`'s `...+00`, the bookkeeping's `isoformat()`), which
    Arrow parses to the microsecond; numbers are cast safely, so a fraction in an integer
    column is refused, not cut."""
    from pgpq import ArrowToPostgresBinaryEncoder

    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    try:
        data = pa.table({c: _arrow(v, types[c]) for c, v in columns.items()})
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        # values Arrow will not take as the column's type: psycopg adapts them row by row,
        # the text way (a point's EWKB as hex, as PostGIS reads a geometry's text)
        columns = {
            c: v.to_pylist() if isinstance(v, pa.Array | pa.ChunkedArray) else v
            for c, v in columns.items()
        }
        hexed = [
            [v.hex() if isinstance(v, bytes) else v for v in values]
            if types[c] == pa.binary()
            else values
            for c, values in columns.items()
        ]
        return Payload(names, n, text=list(zip(*hexed, strict=True)))
    encoder = ArrowToPostgresBinaryEncoder(data.schema)
    parts = [encoder.write_header()]
    parts.extend(encoder.write_batch(batch) for batch in data.to_batches())
    parts.append(encoder.finish())
    return Payload(names, n, binary=b"".join(parts))


def _arrow(values, kind: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):  # made already (`arrow_columns`)
        return values if values.type == kind else values.cast(kind)
    if pa.types.is_timestamp(kind) and not isinstance(values, np.ndarray):
        return pc.cast(pa.array(values, pa.string()), kind)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        # typed at once, Arrow would cut 1.7 to 1 in an integer column; a safe cast refuses it
        return pa.array(values).cast(kind)
    return pa.array(values, type=kind)


def _send(cur, table: str, data: Payload) -> None:
    names = ", ".join(f'"{c}"' for c in data.names)
    if data.text is not None:
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in data.text:
                copy.write_row(row)
        return
    with cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(data.binary)
