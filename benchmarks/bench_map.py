"""The map page's own requests under load, with 100,000 crimes in the store: a pan or zoom of
the map (`/map/points.geojson`, a new view for every request, so no cached answer is reused)
and the time charts that follow the view (`/map/time.json`: the histogram over the period and
the hour-by-weekday table come in one answer), each under 20 concurrent clients against
`lagesbild serve` (2 workers) on SQLite, loopback only. Prints median and 95th percentile
latency and whether p95 meets the targets of issue 17 (map < 150 ms, time charts < 300 ms).

The load comes from wrk as in `bench_api.py` (whose machinery this reuses); without wrk, from
Python httpx clients, which share the machine's cores and overstate the latency.

    .venv/bin/python benchmarks/bench_map.py [--crimes 100000] [--clients 20] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import bench_api
import numpy as np
from bench_api import Scenario, check, run_httpx, run_wrk  # the same load machinery
from shapely.geometry import box

from lagesbild.accounts import add_user, create_token
from lagesbild.devtools.loadtest import Server
from lagesbild.ingest.writer import write_records
from lagesbild.store.lifecycle import init_store

PERIOD = "from=2023-01-01&to=2023-12-31"
TARGETS = {"map": 150, "time": 300}


def fill(url: str, n: int) -> str:
    """`n` crimes over 2023 around central Stockholm (times spread over the day and year), a
    city polygon, and an analyst's API token."""
    store = init_store(url)
    write_records(
        store, "places", [(1, {"name": "Staden", "kind": "city"}, box(17.9, 59.25, 18.2, 59.4))]
    )
    rng = np.random.default_rng(1)
    cats = ["theft", "violent_crime", "drug_offence", "vandalism"]
    seconds = rng.integers(0, 365 * 86400, n)
    lat = rng.normal(59.333, 0.006, n)
    lon = rng.normal(18.062, 0.010, n)
    start = np.datetime64("2023-01-01T00:00:00")
    when = (start + seconds.astype("timedelta64[s]")).astype(str)
    chunk = 20_000
    for lo in range(0, n, chunk):
        write_records(
            store,
            "crimes",
            [
                (
                    i,
                    {
                        "id": str(i),
                        "occurred_at": when[i].replace("T", " ")[:16],
                        "category": cats[i % 4],
                        "lat": float(lat[i]),
                        "lon": float(lon[i]),
                    },
                    None,
                )
                for i in range(lo, min(n, lo + chunk))
            ],
        )
    user = add_user(store, "bench", "bench-password", "analyst", "Stadsdelsförvaltningen")
    token = create_token(store, user, "bench")[1]
    store.dispose()
    return token


# The views (minlon, minlat, maxlon, maxlat) a 1366 x 900 screen shows at zoom 14 and 16 around
# the crimes, and how far a client pans between requests (degrees).
VIEWS = {14: (18.03, 59.32, 18.09, 59.345), 16: (18.05, 59.327, 18.065, 59.333)}
PANS = {14: (0.02, 0.01), 16: (0.006, 0.003)}


def scenarios(token: str) -> list[tuple[str, Scenario]]:
    auth = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    points = "/map/points.geojson?layer=crimes&" + PERIOD + "&bbox=BBOX&zoom=%d"
    return [
        ("map", Scenario("map: pan at zoom 14 (new view each time)", points % 14, auth, 200, True)),
        ("map", Scenario("map: pan at zoom 16 (new view each time)", points % 16, auth, 200, True)),
        (
            "time",
            Scenario(
                "time histogram + hour-by-weekday of the view",
                "/map/time.json?layer=crimes&" + PERIOD + "&bbox=BBOX",
                auth,
                200,
                True,
            ),
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crimes", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--httpx", action="store_true", help="use Python httpx clients, not wrk")
    args = ap.parse_args()
    use_wrk = not args.httpx and shutil.which("wrk") is not None
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'map.sqlite'}"
        t0 = time.perf_counter()
        token = fill(url, args.crimes)
        print(f"{args.crimes:,} crimes stored in {time.perf_counter() - t0:.0f} s")
        server = Server(url, workers=2)
        server.start()
        try:
            print(
                f"{args.clients} clients, {args.seconds:g} s each, load from "
                f"{'wrk' if use_wrk else 'Python httpx'}; {os.cpu_count()} cores, load average "
                f"{os.getloadavg()[0]:.1f} before the run"
            )
            for kind, s in scenarios(token):
                zoom = 16 if "zoom=16" in s.path else 14
                bench_api.VIEW, bench_api.PAN = VIEWS[zoom], PANS[zoom]
                t0 = time.perf_counter()
                wire = check(server.base, s)  # the first: loads the points once per worker
                first = (time.perf_counter() - t0) * 1000
                run = run_wrk if use_wrk else run_httpx
                res = run(server.base, s, args.clients, args.seconds)
                target = TARGETS[kind]
                verdict = "met" if res.p95 < target else "NOT met"
                print(
                    f"{s.label:46s} n={res.n:6d} median={res.p50:7.1f} ms p95={res.p95:7.1f} ms"
                    f"  p95<{target}: {verdict:7s} [first {first:.0f} ms; {wire}; {res.note}]"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
