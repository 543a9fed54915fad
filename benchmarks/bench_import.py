"""Import benchmark: N crime rows (default 1,000,000) and 200 place polygons, into SQLite and
PostGIS, against the usual geopandas pipeline (read_csv, points_from_xy, sjoin, to_file GPKG) on
the same file in the same run.

    .venv/bin/python benchmarks/bench_import.py [--rows N] [--no-postgis] [--no-geopandas]

Prints rows/s, peak memory (max RSS of a forked child per pipeline) and
the ratio to geopandas.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from lagesbild.domain.taxonomy import DEFAULT_TAXONOMY

CATEGORIES = DEFAULT_TAXONOMY.codes("crimes")
# Stockholm inner city, WGS84
BOX = (17.98, 59.30, 18.12, 59.36)


def make_places(folder: Path, n: int = 200) -> Path:
    rng = np.random.default_rng(7)
    features = []
    for i in range(n):
        cx = rng.uniform(BOX[0] + 0.005, BOX[2] - 0.005)
        cy = rng.uniform(BOX[1] + 0.003, BOX[3] - 0.003)
        poly = shapely.Point(cx, cy).buffer(rng.uniform(0.001, 0.004), quad_segs=4)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(poly),
                "properties": {"name": f"Plats {i:03d}", "kind": "priority_place"},
            }
        )
    path = folder / "places.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def make_crimes(folder: Path, rows: int) -> Path:
    rng = np.random.default_rng(11)
    path = folder / "crimes.csv"
    start = np.datetime64("2023-01-01T00:00")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "occurred_at", "category", "lat", "lon", "place_text"])
        step = 100_000
        for lo in range(0, rows, step):
            n = min(step, rows - lo)
            minutes = rng.integers(0, 365 * 24 * 60, n)
            times = np.datetime_as_string(start + minutes.astype("timedelta64[m]"), unit="m")
            lat = rng.uniform(BOX[1], BOX[3], n).round(6)
            lon = rng.uniform(BOX[0], BOX[2], n).round(6)
            cats = rng.integers(0, len(CATEGORIES), n)
            for k in range(n):
                w.writerow(
                    [
                        f"K{lo + k}",
                        times[k].replace("T", " "),
                        CATEGORIES[cats[k]],
                        lat[k],
                        lon[k],
                        "Norrmalm",
                    ]
                )
    return path


def _child(fn, queue) -> None:
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    queue.put((out, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _measure(fn):
    """Run `fn` in a forked child: wall time, and the child's peak RSS (MiB). tracemalloc is not
    used: it slows allocation-heavy code several times and would distort the times."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def bench_lagesbild(url: str, places: Path, crimes: Path, rows: int) -> dict:
    from lagesbild.ingest.service import import_file
    from lagesbild.store.lifecycle import init_store

    store = init_store(url)
    try:
        import_file(store, "places", places)
        store.dispose()  # the forked child opens its own connections
        summary, seconds, peak = _measure(
            lambda: import_file(store, "crimes", crimes).summary.as_dict()
        )
        # the same file again: every row a duplicate, nothing stored twice
        again, again_s, _ = _measure(lambda: import_file(store, "crimes", crimes).summary.as_dict())
        assert again["duplicates"] == rows and again["stored"] == 0, again
        with store.read() as conn:
            from sqlalchemy import func, select

            from lagesbild.store.schema import assignments

            assigned = conn.execute(select(func.count()).select_from(assignments)).scalar_one()
    finally:
        store.dispose()
    assert summary["stored"] == rows, summary
    return {
        "seconds": seconds,
        "rows_s": rows / seconds,
        "peak_mib": peak,
        "assigned": assigned,
        "reimport_rows_s": rows / again_s,
    }


def bench_geopandas(places: Path, crimes: Path, out: Path, rows: int) -> dict:
    import geopandas as gpd
    import pandas as pd

    def run():
        df = pd.read_csv(crimes)
        df["occurred_at"] = pd.to_datetime(df["occurred_at"]).dt.tz_localize(
            "Europe/Stockholm", ambiguous=True, nonexistent="shift_backward"
        )
        gdf = gpd.GeoDataFrame(
            df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326"
        )
        zones = gpd.read_file(places)
        joined = gpd.sjoin(gdf, zones[["name", "geometry"]], how="left", predicate="within")
        joined.to_file(out, driver="GPKG", engine="pyogrio")
        return len(joined)

    _, seconds, peak = _measure(run)
    return {"seconds": seconds, "rows_s": rows / seconds, "peak_mib": peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--no-postgis", action="store_true")
    ap.add_argument("--no-geopandas", action="store_true")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-bench-"))
    print(f"generating {args.rows:,} crime rows and 200 places in {folder} ...", flush=True)
    places, crimes = make_places(folder), make_crimes(folder, args.rows)
    print(f"  crimes.csv: {crimes.stat().st_size / 2**20:.0f} MiB", flush=True)
    results: dict[str, dict] = {}
    results["lagesbild SQLite"] = bench_lagesbild(
        f"sqlite:///{folder / 'bench.sqlite'}", places, crimes, args.rows
    )
    print("  SQLite done", results["lagesbild SQLite"], flush=True)
    if not args.no_postgis:
        from lagesbild.devtools.pgserver import PgServer, PgUnavailable

        try:
            with PgServer.start() as pg:
                results["lagesbild PostGIS"] = bench_lagesbild(
                    pg.create_database("bench"), places, crimes, args.rows
                )
            print("  PostGIS done", results["lagesbild PostGIS"], flush=True)
        except PgUnavailable as exc:
            print(f"  PostGIS skipped: {exc}")
    if not args.no_geopandas:
        results["geopandas pipeline"] = bench_geopandas(
            places, crimes, folder / "gp.gpkg", args.rows
        )
    print()
    print(f"{'pipeline':<22}{'seconds':>10}{'rows/s':>12}{'peak MiB':>10}")
    for name, r in results.items():
        print(f"{name:<22}{r['seconds']:>10.2f}{r['rows_s']:>12,.0f}{r['peak_mib']:>10.1f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name in ("lagesbild SQLite", "lagesbild PostGIS"):
        if name in results:
            print(
                f"{name} re-import of the same file: {results[name]['reimport_rows_s']:,.0f} rows/s"
            )
    print(f"max RSS of the process (all runs, incl. geopandas): {rss:.0f} MiB")
    if "geopandas pipeline" in results:
        gp = results["geopandas pipeline"]["seconds"]
        for name in ("lagesbild SQLite", "lagesbild PostGIS"):
            if name in results:
                print(f"{name} vs geopandas: {gp / results[name]['seconds']:.2f}x")
    sq = results["lagesbild SQLite"]["rows_s"]
    print(f"target >= 200,000 rows/s into SQLite: {'met' if sq >= 200_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
