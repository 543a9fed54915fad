"""How fast can SQLite itself store crime rows on this machine? The floor under any importer.

`bench_import.py` measures lagesbild's whole import (read, validate, assign to places, store).
This script measures only the last step, with nothing else to do: N rows already built as the
driver's tuples (ids, keys, categories, UTC times, point WKB, coordinates) are written into the
`crimes` table of a real lagesbild store (`init_store`: its schema, foreign keys, WAL, page size)
with the fastest bulk call Python's sqlite3 has (`executemany`, one statement, one transaction),
then committed. No CSV, no validation, no place assignment. Each layout is stored twice: from
rows bound from Python, and from rows made by SQL inside SQLite (a recursive CTE), which is
the engine's own cost with nothing of Python per row. Three layouts:

- *as lagesbild keeps it*: unique key checked while inserting (idempotent), then the four
  secondary indexes (category, time, owner, bbox) built at the end (what the importer does);
- *fewest useful indexes*: every index built after the rows, and only the unique key, time and
  bbox; no conflict check while inserting, so this one is not even idempotent;
- *bare table*: no index but the primary key, the rows alone.

Each run is timed with the `geopandas` pipeline of `bench_import.py` on the same rows in the
same run (issue 4's targets, now withdrawn, were 200,000 rows/s and 3x that pipeline). Issue 22
holds a whole import to 1.3x the first layout's floor; `bench_import.py` measures that floor
in its own run (`store_rows`) and prints the ratio.

    .venv/bin/python benchmarks/bench_sqlite_floor.py [--rows N] [--no-geopandas]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_import import bench_geopandas, make_crimes, make_places

from lagesbild.store.lifecycle import init_store

LAYOUTS = {
    "as lagesbild keeps it": {"unique_while_inserting": True, "after": "all"},
    "fewest useful indexes": {"unique_while_inserting": False, "after": "key,time,bbox"},
    "bare table": {"unique_while_inserting": False, "after": ""},
}


def _rows(n: int) -> list[tuple]:
    rng = np.random.default_rng(3)
    lon = rng.uniform(17.98, 18.12, n).round(6)
    lat = rng.uniform(59.30, 59.36, n).round(6)
    rec = np.empty(n, dtype=[("o", "u1"), ("t", "<u4"), ("x", "<f8"), ("y", "<f8")])
    rec["o"], rec["t"], rec["x"], rec["y"] = 1, 1, lon, lat
    buf = rec.tobytes()
    wkb = [buf[i : i + 21] for i in range(0, 21 * n, 21)]
    start = np.datetime64("2023-01-01T00:00", "us")
    minutes = rng.integers(0, 365 * 24 * 60, n).astype("timedelta64[m]")
    times = np.datetime_as_string(start + minutes, unit="us")
    occurred = [t.replace("T", " ") for t in times.tolist()]
    cats = ["violent_crime", "drug_offence", "theft", "weapons_offence"]
    cat = [cats[k] for k in rng.integers(0, len(cats), n).tolist()]
    ids = range(1, n + 1)
    return list(
        zip(
            ids,
            (f"crimes:id:K{i}" for i in ids),
            (f"K{i}" for i in ids),
            cat,
            occurred,
            wkb,
            lon.tolist(),
            lat.tolist(),
            strict=False,
        )
    )


_COLUMNS = (
    "id, source_key, source_id, offence_code, category, occurred_at, reported_at, place_text, "
    "area_place_id, geom, minx, miny, maxx, maxy, owner_org_id, sensitivity, created_at, "
    "updated_at, created_by"
)
_CONSTANT = "'2026-01-01 00:00:00.000000'"

# The same kind of rows as `_rows`, made by SQLite itself (no Python object and no binding per
# row): ids 1..n, random minutes of 2023, four categories, 21-byte blobs for the point WKB,
# random coordinates in the same box.
_SQL_SOURCE = (
    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {n}) "
    "SELECT i, 'crimes:id:K' || i, 'K' || i, NULL, "
    "CASE i % 4 WHEN 0 THEN 'violent_crime' WHEN 1 THEN 'drug_offence' WHEN 2 THEN 'theft' "
    "ELSE 'weapons_offence' END, "
    "strftime('%Y-%m-%d %H:%M:%S', '2023-01-01', '+' || (abs(random()) % 525600) || ' minutes')"
    " || '.000000', NULL, 'Norrmalm', NULL, randomblob(21), "
    "17.98 + (abs(random()) % 140000) / 1e6 AS x, 59.30 + (abs(random()) % 60000) / 1e6 AS y, "
    "NULL, NULL, {org}, 'shared', {now}, {now}, NULL FROM c WHERE 1"
)


def store_rows(path: Path, rows: list[tuple] | None, layout: dict, n: int) -> dict[str, float]:
    """Store n crime rows into a new store: `rows` bound from Python by `executemany`, or, with
    `rows` None, made by SQL inside SQLite (the engine's own cost, nothing of Python per row).
    Index builds may use two sorter threads (`PRAGMA threads`) and sort in runs of 4 MiB (the
    page cache then), as the importer's do."""
    store = init_store(f"sqlite:///{path}")
    store.dispose()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA cache_size=-262144")
    con.execute("PRAGMA threads=2")
    (org,) = con.execute("SELECT MIN(id) FROM organisations").fetchone()
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='crimes' "
        "AND sql IS NOT NULL"
    ).fetchall()
    con.execute("BEGIN IMMEDIATE")
    for name, _ in indexes:
        con.execute(f'DROP INDEX "{name}"')
    conflict = " ON CONFLICT(source_key) DO NOTHING"
    if not layout["unique_while_inserting"]:
        # the table as the rows alone: a copy of crimes without its UNIQUE constraint
        (ddl,) = con.execute("SELECT sql FROM sqlite_master WHERE name='crimes'").fetchone()
        con.execute("DROP TABLE crimes")
        con.execute(ddl.replace("UNIQUE (source_key)", "CHECK (1)"))
        conflict = ""
    t0 = time.perf_counter()
    if rows is None:
        source = _SQL_SOURCE.format(n=n, org=org, now=_CONSTANT)
        con.execute(f"INSERT INTO crimes ({_COLUMNS}) {source}{conflict}")
    else:
        con.executemany(
            f"INSERT INTO crimes ({_COLUMNS}) VALUES (?1, ?2, ?3, NULL, ?4, ?5, NULL, "
            f"'Norrmalm', NULL, ?6, ?7, ?8, ?7, ?8, {org}, 'shared', {_CONSTANT}, {_CONSTANT}, "
            f"NULL){conflict}",
            rows,
        )
    t1 = time.perf_counter()
    con.execute("PRAGMA cache_spill=-262144")  # as `Sink.restore_indexes`: small sorter runs
    con.execute("PRAGMA cache_size=-4096")
    wanted = {
        "all": [s for _, s in indexes],
        "key,time,bbox": [
            "CREATE UNIQUE INDEX uq_key ON crimes (source_key)",
            "CREATE INDEX ix_time ON crimes (occurred_at)",
            "CREATE INDEX ix_bbox ON crimes (minx, miny)",
        ],
        "": [],
    }[layout["after"]]
    for stmt in wanted:
        con.execute(stmt)
    t2 = time.perf_counter()
    con.execute("COMMIT")
    t3 = time.perf_counter()
    (stored,) = con.execute("SELECT COUNT(*) FROM crimes").fetchone()
    con.close()
    assert stored == n, stored
    return {"insert": t1 - t0, "indexes": t2 - t1, "commit": t3 - t2, "total": t3 - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--no-geopandas", action="store_true")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-floor-"))
    n = args.rows
    print(f"building {n:,} rows as driver tuples ...", flush=True)
    rows = _rows(n)
    head = ("layout", "rows from", "insert s", "indexes s", "commit s", "total s", "rows/s")
    print(f"{head[0]:<24}{head[1]:<8}" + "".join(f"{h:>11}" for h in head[2:]))
    totals = {}
    for k, (name, layout) in enumerate(LAYOUTS.items()):
        for source, given in (("Python", rows), ("SQL", None)):
            r = store_rows(folder / f"floor{k}{source}.sqlite", given, layout, n)
            totals[name, source] = r["total"]
            print(
                f"{name:<24}{source:<8}{r['insert']:>11.2f}{r['indexes']:>11.2f}"
                f"{r['commit']:>11.2f}{r['total']:>11.2f}{n / r['total']:>11,.0f}",
                flush=True,
            )
    del rows
    if not args.no_geopandas:
        places, crimes = make_places(folder), make_crimes(folder, n)
        gp = bench_geopandas(places, crimes, folder / "gp.gpkg", n)["seconds"]
        print(
            f"geopandas pipeline (read, points, sjoin, GPKG): {gp:.2f} s; a third is {gp / 3:.2f} s"
        )
    print(f"200,000 rows/s is {n / 200_000:.2f} s for these rows")
    for (name, source), total in totals.items():
        print(f"  storing alone, {name}, rows from {source}: {n / total:,.0f} rows/s")


if __name__ == "__main__":
    main()
