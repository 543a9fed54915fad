"""The fast path's driver side (ingest.bulk.sink): SQLite's multi-row statements that bind a
column of one value once, and PostgreSQL's COPY data in the binary format, with its text
fallback; each checked against what the database reads back."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
import shapely
from sqlalchemy import (
    REAL,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)

from lagesbild.ingest.bulk import sink
from lagesbild.store.schema import assignments, crimes, observations
from lagesbild.store.types import Geometry


def test_values_sql_numbers_shared_columns_once_and_the_others_row_by_row():
    # columns 0 and 2 of 3 vary, column 1 is shared; a cell may be SQL text
    assert sink._values_sql(2, ["'x'", 0, 1, 2], 3, (1,)) == "('x',?2,?1,?3),('x',?4,?1,?5)"
    assert sink._values_sql(1, [0, 1], 2, ()) == "(?1,?2)"
    assert sink._values_sql(2, [0, 1], 2, (0, 1)) == "(?1,?2),(?1,?2)"
    # the id: the statement's first id (?1) plus the row's place; the shared columns next
    assert sink._values_sql(2, [sink._ID, 0, 1], 2, (1,)) == "(?1+0,?3,?2),(?1+1,?4,?2)"


@pytest.mark.parametrize("n", [1, 99, 100, 101, 250])
def test_multirow_stores_every_row_as_given(n):
    """Rows stored in statements of 100, a column of one value bound once: read back, each
    row is as given, whatever the rows' count against the statement's size."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, org INTEGER, note TEXT, x REAL, b BLOB)")
    columns = [
        list(range(1, n + 1)),
        [7] * n,  # one value
        [None] * n,  # one value, None
        [float(i) / 3 for i in range(n)],
        [bytes([1, 2])] * n,  # one value, bytes
    ]

    def sql(rows: int, shared: tuple[int, ...]) -> str:
        return f"INSERT INTO t VALUES {sink._values_sql(rows, [0, 1, 2, 3, 4], 5, shared)}"

    assert sink._multirow(conn.cursor(), sql, sink.Packed.of_columns(columns)) == n
    stored = conn.execute("SELECT id, org, note, x, b FROM t ORDER BY id").fetchall()
    assert stored == list(zip(*columns, strict=True))


@pytest.mark.parametrize("n", [1, 99, 100, 101, 250])
def test_multirow_numbers_the_rows_from_the_first_id(n):
    """Ids given as the first one: each statement binds its own first id and the rows follow
    it, so the ids stored are first_id .. first_id + n - 1 in the rows' order."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, org INTEGER)")
    columns = [[f"k{i}" for i in range(n)], [3] * n]

    def sql(rows: int, shared: tuple[int, ...]) -> str:
        return f"INSERT INTO t VALUES {sink._values_sql(rows, [sink._ID, 0, 1], 2, shared)}"

    packed = sink.Packed.of_columns(columns, (0,))
    assert sink._multirow(conn.cursor(), sql, packed, first_id=41) == n
    stored = conn.execute("SELECT id, k, org FROM t ORDER BY id").fetchall()
    assert stored == [(41 + i, f"k{i}", 3) for i in range(n)]


_NAN = float("nan")


@pytest.mark.parametrize(
    ("column", "fixed"),
    [
        ([None] * 5, True),
        (["a", "b", "a"], False),  # first and last alike, not the middle
        (["a", "a", "a"], True),
        ([_NAN, _NAN, _NAN], False),  # one NaN object: it equals nothing, not even itself
        ([1, 1.0, 1], False),  # equal in Python, not stored alike in a text column
        ([b"\x01"] * 4, True),
        (["x"], True),
    ],
)
def test_packed_rows_keep_each_value_and_fix_only_columns_of_one_value(column, fixed):
    """`Packed` from columns: a column is fixed only when it holds one value of one type
    throughout, the key never; the rows it gives back (`tuples`, `varying_rows`, `column`)
    are the rows as given, value for value and type for type."""
    n = len(column)
    columns = [[f"k{i}" for i in range(n)], column, [i * 0.5 for i in range(n)]]
    packed = sink.Packed.of_columns(columns, (0,))
    one_row = n == 1  # every column but the key is then of one value
    assert [k for k, _ in packed.fixed] == ([1, 2] if one_row else [1] if fixed else [])
    rows = list(zip(*columns, strict=True))
    got = packed.tuples()
    assert len(got) == len(packed) == n
    assert [tuple(map(type, r)) for r in got] == [tuple(map(type, r)) for r in rows]
    assert repr(got) == repr(rows)  # NaN compares unequal: the text shows each value
    assert packed.column(0) == columns[0]
    assert packed.varying_rows() == [tuple(r[k] for k in packed.varying) for r in rows]
    assert packed.varying_rows(skip=1) == [tuple(r[k] for k in packed.varying[1:]) for r in rows]
    assert sink.Packed.of_rows(rows) == packed


def test_a_column_of_equal_values_of_two_types_is_bound_row_by_row():
    """1 and 1.0 are equal in Python but a text column keeps '1' and '1.0': such a column is
    not shared, and each row stores its own."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    columns = [[1, 2, 3], [1, 1.0, True]]

    def sql(rows: int, shared: tuple[int, ...]) -> str:
        return f"INSERT INTO t VALUES {sink._values_sql(rows, [0, 1], 2, shared)}"

    sink._multirow(conn.cursor(), sql, sink.Packed.of_columns(columns))
    assert [r[0] for r in conn.execute("SELECT v FROM t ORDER BY id")] == ["1", "1.0", "1"]


def _target(store) -> Table:
    table = Table(
        "copy_target",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("label", String(20)),
        Column("at", DateTime(timezone=True)),
        Column("x", Float),
        Column("geom", Geometry()),
    )
    with store.write() as conn:
        table.create(conn)
    return table


@pytest.mark.parametrize("mixed", [False, True], ids=["binary", "text for mixed values"])
def test_copy_data_reads_back_as_given(store, mixed):
    """COPY data made by `_payload` (binary, or text when a column's values are of mixed
    types) stores what was given: ids, texts with quotes and commas, UTC times, doubles to
    the last bit, NULLs and EWKB points."""
    if store.backend != "postgis":
        pytest.skip("COPY is PostgreSQL's")
    table = _target(store)
    points = shapely.set_srid(shapely.points([18.0649, 18.1], [59.3326, 59.4]), 4326)
    ewkb = list(shapely.to_wkb(points, include_srid=True))
    columns = {
        "id": np.array([1, 2]),
        "label": ['a "quoted", text', None],
        "at": ["2023-05-01 19:30:00.000000+00", None],
        "x": [0.1 + 0.2, None],
        "geom": [ewkb[0], None if not mixed else ewkb[1]],
    }
    if mixed:
        columns["id"] = [1, "2"]  # not Arrow's int32: psycopg adapts the rows
    data = sink._payload(sink.arrow_types(table), columns)
    assert (data.text is not None) == mixed
    with store.write() as conn:
        cur = conn.connection.driver_connection.cursor()
        sink._send(cur, "copy_target", data)
        cur.execute("SELECT id, label, at, x, ST_AsText(geom), ST_SRID(geom) FROM copy_target")
        got = cur.fetchall()
    point = "POINT(18.0649 59.3326)"
    assert got[0] == (
        1,
        'a "quoted", text',
        datetime(2023, 5, 1, 19, 30, tzinfo=UTC),
        0.1 + 0.2,
        point,
        4326,
    )
    assert got[1][:4] == (2, None, None, None)
    assert got[1][4] == ("POINT(18.1 59.4)" if mixed else None)


def test_arrow_types_are_the_columns_types_in_the_server(store):
    """The Arrow type given to each column is the one whose COPY binary form the server's
    column reads, for every table the fast path COPYs into, the staging table included."""
    if store.backend != "postgis":
        pytest.skip("COPY is PostgreSQL's")
    expected = {
        pa.int32(): "integer",
        pa.int64(): "bigint",
        pa.float64(): "double precision",
        pa.string(): ("character varying", "text"),
        pa.binary(): "USER-DEFINED",  # geometry
        pa.timestamp("us", tz="UTC"): "timestamp with time zone",
    }
    tables = [crimes, observations, assignments]
    with store.write() as conn:
        cur = conn.connection.driver_connection.cursor()
        staged = sink.Sink(conn, crimes, _context(store))
        staged._stage(cur, 0)
        for name, types in [
            *((t.name, sink.arrow_types(t)) for t in tables),
            ("_import_crimes", staged._stage_types),
        ]:
            cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = %s",
                (name,),
            )
            server = dict(cur.fetchall())
            # the staging table has the table's columns but the bookkeeping, and a position
            assert set(server) <= set(types) and len(server) >= 4, name
            if not name.startswith("_"):
                assert set(server) == set(types), name
            for column in server:
                kind = types[column]
                want = expected[kind]
                assert server[column] in (want if isinstance(want, tuple) else (want,)), (
                    name,
                    column,
                )


def test_arrow_types_refuse_a_type_with_no_binary_form_here():
    table = Table("t", MetaData(), Column("id", Integer), Column("day", Date))
    with pytest.raises(ValueError, match="t.day"):
        sink.arrow_types(table)
    small = Table("s", MetaData(), Column("n", SmallInteger), Column("r", REAL))
    with pytest.raises(ValueError, match="s.n"):
        sink.arrow_types(small)


def test_a_fraction_in_an_integer_column_is_refused_not_cut():
    """Typed at once, Arrow would store 1.7 as 1; the COPY data takes the text way instead,
    where the server refuses it as it refused the CSV before."""
    data = sink._payload({"n": pa.int32()}, {"n": [1, 1.7]})
    assert data.binary is None and data.text == [(1,), (1.7,)]
    assert sink._payload({"n": pa.int32()}, {"n": [1, 2.0]}).binary is not None


def _context(store):
    from lagesbild.ingest.layers import RowContext
    from lagesbild.store.resolve import Resolver

    with store.read() as conn:
        resolver = Resolver(conn)
    return RowContext(store.tz, store.settings.region, store.taxonomy, resolver)


def test_indexes_built_in_small_sorted_runs_are_whole_and_the_connection_is_given_back(
    sqlite_store, monkeypatch
):
    """SQLite builds the deferred indexes with a small page cache, so that its sorter works in
    small runs merged after (`restore_indexes`); the indexes hold every row, and the import's
    settings of the connection are undone at the end."""
    from sqlalchemy import text

    monkeypatch.setattr(sink, "_SORT_CACHE_KIB", 64)  # a few pages: many runs to merge
    n = 20_000
    with sqlite_store.write() as conn:
        org = conn.execute(text("SELECT MIN(id) FROM organisations")).scalar_one()
        s = sink.Sink(conn, crimes, _context(sqlite_store))
        s.begin()
        s.defer_indexes(10 * n)
        assert s._deferred  # the indexes are gone until the end
        rows = [
            (f"crimes:id:K{i}", f"K{i}", None, ("theft", "robbery")[i % 2],
             f"2023-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:00:00.000000", None, None,
             None, shapely.to_wkb(shapely.Point(18 + (i % 97) / 1e3, 59 + (i % 89) / 1e3)),
             18 + (i % 97) / 1e3, 59 + (i % 89) / 1e3, org, "shared")
            for i in range(n)
        ]  # fmt: skip
        stored, _ = s.insert(rows)
        assert stored.all()
        s.restore_indexes()
        s.end()
        raw = s.raw
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        by_index = raw.execute(
            "SELECT count(*) FROM crimes INDEXED BY ix_crimes_occurred_at "
            "WHERE occurred_at >= '2023-03-01' AND occurred_at < '2023-04-01'"
        ).fetchone()[0]
        assert by_index == sum(1 for i in range(n) if i % 12 == 2)
        settings = [raw.execute(f"PRAGMA {p}").fetchone()[0] for p in ("cache_size", "threads")]
        spill = raw.execute("PRAGMA cache_spill").fetchone()[0]
    fresh = sqlite3.connect(sqlite_store.url.split("///", 1)[1])
    assert settings == [
        fresh.execute(f"PRAGMA {p}").fetchone()[0] for p in ("cache_size", "threads")
    ]
    assert spill == fresh.execute("PRAGMA cache_spill").fetchone()[0]
    fresh.close()


def test_arrow_columns_arrow_refuses_leave_the_chunk_to_its_rows(store):
    """A chunk's columns that Arrow will not take as their columns' types give no Arrow
    columns (the chunk then goes as row tuples, which `_payload` sends the text way); the
    columns it takes are typed as the server's columns read them."""
    if store.backend != "postgis":
        pytest.skip("COPY data is PostgreSQL's")
    from types import SimpleNamespace

    with store.read() as conn:
        s = sink.Sink(conn, crimes, SimpleNamespace(now=datetime.now(UTC), user_id=None))
    good = {c: [None, None] for c in s.row_columns}
    good.update(source_key=["a", "b"], owner_org_id=[1, 2], minx=np.array([18.0, 18.1]))
    made = s.arrow_columns(good)
    assert made.num_rows == 2
    assert made.schema.field("owner_org_id").type == pa.int32()
    assert made.schema.field("minx").type == pa.float64()
    assert s.arrow_columns({**good, "owner_org_id": [1, "two"]}) is None
    assert s.arrow_columns({**good, "owner_org_id": [1, 2.5]}) is None  # not cut to 2
