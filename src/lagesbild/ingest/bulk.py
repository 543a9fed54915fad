"""The fast path of `write_records` for the big point layers (crimes, observations).

Records are taken in chunks. For each chunk the common case (a well-formed row with lat/lon or
x/y) is validated column-wise with numpy and shapely; every row that the column-wise checks do
not pass goes through the layer's own `build` (ingest.layers), so rejects carry the same reasons
and the rules stay written once. New rows are inserted with the driver's own bulk call
(`executemany` on SQLite, `COPY` on PostgreSQL) on the connection of the caller's transaction;
rows whose key is already stored are compared and updated through SQLAlchemy, as before.
Assignment to places and extents is done per chunk (store.assign), so memory stays bounded by
the chunk size, not the file.

SQLite: the R*Tree of the table is kept by an insert trigger that costs more than the insert
itself; during a bulk write the trigger is dropped and the chunk's boxes are inserted into the
R*Tree with one INSERT ... SELECT, and the trigger is created again before commit. All of it is
inside the one write transaction (SQLite's DDL is transactional and the write lock keeps other
writers out), so a crash or Ctrl-C leaves store and schema as they were.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.ingest.layers import LayerSpec, Record, RowContext, record_key
from lagesbild.ingest.offences import default_table, normalise_code
from lagesbild.ingest.values import parse_datetime, parse_int
from lagesbild.store import assign

BULK_LAYERS = frozenset({"crimes", "observations"})
CHUNK = 20_000
ENABLED = True  # tests switch it off to compare with the row-by-row path
_KEY_BATCH = 900
_TEXT_LIMITS = {"offence_code": 32, "place_text": 300, "text": 2000}


# ---------------------------------------------------------------------- DB adapters
class _Sink:
    """Bulk inserts on the DBAPI connection under the caller's SQLAlchemy transaction."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table
        self.columns = [c.name for c in table.columns]
        self.raw = conn.connection.driver_connection
        self.pg = conn.dialect.name == "postgresql"
        self._trigger_sql: str | None = None

    # values as the driver wants them
    def dt(self, value: datetime | None) -> Any:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value if self.pg else value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def geoms(self, geoms: np.ndarray) -> list[Any]:
        if self.pg:
            return shapely.to_wkb(
                shapely.set_srid(geoms, 4326), hex=True, include_srid=True
            ).tolist()
        return shapely.to_wkb(geoms).tolist()

    def begin(self) -> None:
        if self.pg:
            # The table grows inside this transaction while its statistics still describe it
            # as before; keep the key lookups on the unique index instead of a sequential scan.
            self.raw.cursor().execute("SET LOCAL enable_seqscan = off")
            return
        name = f"{self.table.name}_rtree_ins"
        cur = self.raw.cursor()
        row = cur.execute(
            "SELECT sql FROM sqlite_master WHERE type='trigger' AND name=?", (name,)
        ).fetchone()
        if row:
            self._trigger_sql = row[0]
            cur.execute(f'DROP TRIGGER "{name}"')
        cur.execute("PRAGMA cache_size=-65536")  # 64 MB of page cache while importing

    def finish(self) -> None:
        if self._trigger_sql:
            self.raw.cursor().execute(self._trigger_sql)
            self._trigger_sql = None

    def next_ids(self, n: int) -> list[int]:
        cur = self.raw.cursor()
        if self.pg:
            cur.execute(
                f"SELECT nextval(pg_get_serial_sequence('{self.table.name}', 'id')) "
                "FROM generate_series(1, %s)",
                (n,),
            )
            return [r[0] for r in cur.fetchall()]
        base = cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.table.name}"').fetchone()[0]
        return list(range(base + 1, base + 1 + n))

    def insert(self, rows: list[tuple]) -> None:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        cur = self.raw.cursor()
        if self.pg:
            with cur.copy(f"COPY {self.table.name} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" * len(self.columns))
        cur.executemany(f'INSERT INTO "{self.table.name}" ({cols}) VALUES ({marks})', rows)
        if self._trigger_sql and rows:
            cur.execute(
                f'INSERT INTO "rtree_{self.table.name}" SELECT id, minx, maxx, miny, maxy '
                f'FROM "{self.table.name}" WHERE id BETWEEN ? AND ? AND minx IS NOT NULL',
                (rows[0][0], rows[-1][0]),
            )

    def insert_assignments(self, rows: list[tuple]) -> None:
        if not rows:
            return
        cur = self.raw.cursor()
        if self.pg:
            with cur.copy(
                "COPY assignments (layer, record_id, place_id, round_id) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cur.executemany(
            "INSERT INTO assignments (layer, record_id, place_id, round_id) VALUES (?, ?, ?, ?)",
            rows,
        )

    def existing_keys(self, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        cur = self.raw.cursor()
        mark = "%s" if self.pg else "?"
        for start in range(0, len(keys), _KEY_BATCH):
            part = keys[start : start + _KEY_BATCH]
            cur.execute(
                f'SELECT source_key, id FROM "{self.table.name}" WHERE source_key IN '
                f"({', '.join([mark] * len(part))})",
                part,
            )
            found.update(cur.fetchall())
        return found


# ---------------------------------------------------------------------- column parsers
def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _floats(values: list[Any]) -> np.ndarray:
    """Numbers with decimal point or comma; NaN where blank or not a number."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        pass
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if v is None:
            continue
        if isinstance(v, str):
            v = v.strip().replace("\u00a0", "").replace(" ", "")
            if v.count(",") == 1 and "." not in v:
                v = v.replace(",", ".")
        try:
            out[i] = float(v)
        except (ValueError, TypeError):
            pass
    return out


def _local_to_utc(naive: np.ndarray, tz) -> tuple[np.ndarray, np.ndarray]:
    """Naive local datetime64[us] to UTC, exactly as `datetime.replace(tzinfo=tz)` does
    (fold=0), computed once per distinct hour. Returns (utc, ok)."""
    hours = naive.astype("datetime64[h]")
    uniq, inverse = np.unique(hours, return_inverse=True)
    offsets = np.zeros(len(uniq), dtype=np.int64)
    good = np.ones(len(uniq), dtype=bool)
    for i, h in enumerate(uniq.astype("datetime64[s]").astype(datetime)):
        first = h.replace(tzinfo=tz).utcoffset()
        last = (h + timedelta(minutes=59, seconds=59)).replace(tzinfo=tz).utcoffset()
        good[i] = first == last  # an hour with a change of offset inside: row by row
        offsets[i] = int(first.total_seconds() * 1_000_000)
    utc = naive - offsets[inverse].astype("timedelta64[us]")
    return utc, good[inverse]


def _instants(values: list[Any], tz, sink: _Sink, required: bool) -> tuple[list[Any], np.ndarray]:
    """Driver values of a date-time column and a mask of rows parsed column-wise."""
    n = len(values)
    texts = [v.strip() if isinstance(v, str) else v for v in values]
    plain = all(
        isinstance(t, str)
        and len(t) >= 10
        and t[4] == "-"
        and t[7] == "-"
        and "+" not in t
        and "Z" not in t
        and "-" not in t[10:]
        for t in texts
    )
    if plain and n:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                naive = np.array(texts, dtype="datetime64[us]")
        except (ValueError, DeprecationWarning, UserWarning):
            naive = None
        if naive is not None and not np.isnat(naive).any():
            utc, ok = _local_to_utc(naive, tz)
            if sink.pg:
                out = [x.replace(tzinfo=UTC) for x in utc.astype(datetime).tolist()]
            else:
                out = [s[:10] + " " + s[11:] for s in np.datetime_as_string(utc, unit="us")]
            return out, ok
    out: list[Any] = [None] * n
    ok = np.ones(n, dtype=bool)
    for i, t in enumerate(texts):
        try:
            value = parse_datetime(t, "time", tz)
        except (LagesbildError, ValueError, TypeError):
            ok[i] = False
            continue
        if value is None and required:
            ok[i] = False
        out[i] = sink.dt(value)
    return out, ok


def _texts(values: list[Any], limit: int) -> tuple[list[str | None], np.ndarray]:
    out: list[str | None] = []
    ok = np.ones(len(values), dtype=bool)
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
            continue
        t = str(v).strip()
        if len(t) > limit:
            ok[i] = False
        out.append(t or None)
    return out, ok


def _lookup(values: list[Any], fn: Callable[[Any], Any]) -> tuple[list[Any], np.ndarray]:
    """Apply a validating lookup once per distinct value."""
    cache: dict[Any, Any] = {}
    bad = object()
    out, ok = [], np.ones(len(values), dtype=bool)
    for i, v in enumerate(values):
        key = v.strip().lower() if isinstance(v, str) else v
        if key not in cache:
            try:
                cache[key] = fn(v)
            except (LagesbildError, ValueError, TypeError):
                cache[key] = bad
        got = cache[key]
        if got is bad:
            ok[i] = False
            got = None
        out.append(got)
    return out, ok


# ---------------------------------------------------------------------- chunk building
def _columnar(ctx: RowContext, spec: LayerSpec, recs: list[Record], geoms: list, sink: _Sink):
    """The driver rows of the rows that pass the column-wise checks, and the mask of those."""
    n = len(recs)
    col = {
        name: [r.get(name) for r in recs]
        for name in (
            "id",
            "category",
            "offence_code",
            "occurred_at",
            "reported_at",
            "place_text",
            "count",
            "text",
            "lat",
            "lon",
            "x",
            "y",
            "organisation",
            "sensitivity",
            "place",
        )
    }
    # location: lat/lon, x/y in ctx.crs, or a point geometry of a GIS file; anything odd
    # (one of a pair blank, not a number, out of range) goes through build for its reason
    lon, lat = _floats(col["lon"]), _floats(col["lat"])
    ok = (lat >= -90) & (lat <= 90) & (lon >= -180) & (lon <= 180)  # NaN fails
    if ctx.crs is not None:
        no_latlon = np.asarray(
            [_blank(a) and _blank(b) for a, b in zip(col["lat"], col["lon"], strict=True)],
            dtype=bool,
        )
        if no_latlon.any():
            from lagesbild.geo.crs import _transformer, parse_crs

            x, y = _floats(col["x"])[no_latlon], _floats(col["y"])[no_latlon]
            tr = _transformer(parse_crs(ctx.crs).to_string(), "EPSG:4326")
            tx, ty = tr.transform(x, y)
            lon[no_latlon], lat[no_latlon] = tx, ty
            ok |= no_latlon & np.isfinite(lon) & np.isfinite(lat)
    for i, g in enumerate(geoms):
        if g is not None:
            if isinstance(g, Point) and not g.is_empty:
                lon[i], lat[i], ok[i] = g.x, g.y, True
            else:
                ok[i] = False
    if spec.name == "crimes":  # rows known only to a place go through build
        ok &= np.asarray(
            [p is None or (isinstance(p, str) and not p.strip()) for p in col["place"]], dtype=bool
        ) | ~np.isnan(lon)
    reg = ctx.region
    ok &= (lon >= reg.min_lon) & (lon <= reg.max_lon) & (lat >= reg.min_lat) & (lat <= reg.max_lat)

    keys: list[str | None] = []
    ids: list[str | None] = []
    for i, (rec, sid) in enumerate(zip(recs, col["id"], strict=True)):
        if sid is not None and not isinstance(sid, str):
            sid = str(sid)
        sid = sid.strip() if sid else None
        if sid and not sid.startswith("h:"):
            ok[i] &= len(sid) <= 200
            keys.append(f"{spec.name}:id:{sid}")
            ids.append(sid)
        else:
            key, source_id = record_key(spec.name, rec)
            keys.append(key)
            ids.append(source_id)

    categories, cat_ok = _categories(ctx, spec, col["category"], col["offence_code"])
    occurred, t_ok = _instants(col["occurred_at"], ctx.tz, sink, required=True)
    orgs, o_ok = _lookup(
        col["organisation"],
        lambda v: ctx.resolver.organisation(
            None if v is None or (isinstance(v, str) and not v.strip()) else str(v).strip()
        ),
    )
    sens, s_ok = _lookup(col["sensitivity"], _sensitivity)
    ok &= cat_ok & t_ok & o_ok & s_ok
    now = sink.dt(ctx.now)
    wkb = sink.geoms(shapely.points(lon, lat)) if n else []
    common_tail = (orgs, sens, [now] * n, [now] * n, [ctx.user_id] * n)
    if spec.name == "crimes":
        reported, r_ok = _instants(col["reported_at"], ctx.tz, sink, required=False)
        codes, c_ok = _texts(col["offence_code"], _TEXT_LIMITS["offence_code"])
        ptext, p_ok = _texts(col["place_text"], _TEXT_LIMITS["place_text"])
        ok &= r_ok & c_ok & p_ok
        body = (keys, ids, codes, categories, occurred, reported, ptext, [None] * n)
    else:
        counts, n_ok = _lookup(col["count"], lambda v: parse_int(v, "count", minimum=0))
        texts, x_ok = _texts(col["text"], _TEXT_LIMITS["text"])
        ok &= n_ok & x_ok
        body = (keys, ids, categories, occurred, counts, texts)
    lonl, latl = lon.tolist(), lat.tolist()
    rows = list(zip(*body, wkb, lonl, latl, lonl, latl, *common_tail, strict=True))
    return rows, ok, keys, lon, lat


def _sensitivity(value: Any) -> str:
    from lagesbild.domain.model import Sensitivity, parse_enum
    from lagesbild.ingest.values import blank

    return (
        Sensitivity.SHARED.value
        if blank(value)
        else parse_enum(Sensitivity, value, "sensitivity").value
    )


def _categories(ctx: RowContext, spec: LayerSpec, cats: list[Any], codes: list[Any]):
    allowed = set(ctx.taxonomy.codes(spec.name))
    table = ctx.offences if ctx.offences is not None else default_table()
    out: list[str | None] = []
    ok = np.ones(len(cats), dtype=bool)
    for i, (cat, code) in enumerate(zip(cats, codes, strict=True)):
        text = cat.strip().lower() if isinstance(cat, str) else ""
        if not text and spec.name == "crimes" and code is not None and str(code).strip():
            text = table.get(normalise_code(code), "")
        if text in allowed:
            out.append(text)
        else:
            out.append(None)
            ok[i] = False
    return out, ok


# ---------------------------------------------------------------------- the writer
def _chunks(records: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in records:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_bulk(
    conn: Connection,
    ctx: RowContext,
    spec: LayerSpec,
    table: Table,
    records: Iterable,
    summary,
    on_progress,
    reject: str,
    update_one,
) -> None:
    """Store the records of a point layer chunk by chunk (see the module's docstring)."""
    from lagesbild.ingest.writer import Rejected

    sink = _Sink(conn, table)
    index = assign.PlaceIndex(conn)
    sink.begin()
    for chunk in _chunks(records, CHUNK):
        summary.read += len(chunk)
        good = []
        for line, rec, geom in chunk:
            if reject in rec:
                summary.rejected.append(Rejected(line, rec[reject], rec))
            else:
                good.append((line, rec, geom))
        if good:
            _write_chunk(conn, ctx, spec, table, sink, index, good, summary, update_one)
        if on_progress:
            on_progress(summary.read)
    sink.finish()


def _write_chunk(conn, ctx, spec, table, sink: _Sink, index, chunk, summary, update_one) -> None:
    from lagesbild.ingest.writer import Rejected

    recs = [c[1] for c in chunk]
    rows, ok, keys, lon, lat = _columnar(ctx, spec, recs, [c[2] for c in chunk], sink)
    built: list[tuple[int, tuple | None, dict | None]] = []  # (position, fast row, slow row)
    for i in range(len(chunk)):
        if ok[i]:
            built.append((i, rows[i], None))
            continue
        line, rec, geom = chunk[i]
        try:
            row = spec.build(ctx, rec, geom)
        except LagesbildError as exc:
            summary.rejected.append(Rejected(line, str(exc), rec))
            continue
        except (ValueError, TypeError) as exc:
            summary.rejected.append(Rejected(line, str(ValidationError("row", str(exc))), rec))
            continue
        keys[i] = row["source_key"]
        built.append((i, None, row))
    stored = sink.existing_keys(list(dict.fromkeys(keys[i] for i, _, _ in built)))
    fresh: list[tuple[int, tuple | None, dict | None]] = []
    again: list[int] = []
    seen: set[str] = set()
    for item in built:
        key = keys[item[0]]
        if key in stored or key in seen:
            again.append(item[0])
        else:
            seen.add(key)
            fresh.append(item)
    if fresh:
        new_ids = sink.next_ids(len(fresh))
        out_rows, points = [], []
        for new_id, (i, fast, slow) in zip(new_ids, fresh, strict=True):
            if fast is not None:
                out_rows.append((new_id, *fast))
                points.append((new_id, lon[i], lat[i]))
            else:
                out_rows.append((new_id, *_driver_row(sink, slow)))
                g = slow.get("geom")
                if g is not None:
                    points.append((new_id, g.x, g.y))
        sink.insert(out_rows)
        summary.stored += len(out_rows)
        _assign_new(sink, spec.name, index, points)
    if again:
        update_one([chunk[i] for i in again])


def _driver_row(sink: _Sink, row: dict[str, Any]) -> tuple:
    out = []
    for name in sink.columns[1:]:
        v = row.get(name)
        if isinstance(v, datetime):
            v = sink.dt(v)
        elif isinstance(v, BaseGeometry):
            v = sink.geoms(np.asarray([v], dtype=object))[0]
        out.append(v)
    return tuple(out)


def _assign_new(sink: _Sink, layer: str, index: assign.PlaceIndex, points: list) -> None:
    if not points or index.empty:
        return
    arr = np.asarray(points, dtype=np.float64)
    pt_idx, place_ids, round_ids = index.containing_xy(arr[:, 1], arr[:, 2])
    if len(pt_idx) == 0:
        return
    record_ids = arr[pt_idx, 0].astype(np.int64)
    sink.insert_assignments(
        list(
            zip(
                [layer] * len(pt_idx),
                record_ids.tolist(),
                place_ids.tolist(),
                round_ids.tolist(),
                strict=True,
            )
        )
    )
