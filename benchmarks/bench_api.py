"""API speed under load: a map layer of 10,000 features and a place's indicators, each under 50
concurrent clients, against `lagesbild serve` (2 workers) on SQLite, loopback only. Prints the
median and 95th percentile latency per scenario and whether p95 is under the 200 ms target:
a /health baseline, the full layer as a browser asks for it (gzip, server cache), clients that
revalidate with their ETag (304), a place's indicators, the map page's own clustered views,
and the full layer while records are being written (a field report, or a crime, every second).

The load comes from wrk (`apt-get install wrk`, or `scripts/system-deps wrk`): a C load
generator that costs the 2-core machine little, so the figures are the server's. Without wrk
the script falls back to Python httpx clients in this process, which burn much of the same
CPU (decompressing 4 MB answers, asyncio) and so overstate the server's latency.

    .venv/bin/python benchmarks/bench_api.py [--clients 50] [--seconds 20] [--httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from shapely.geometry import box

from lagesbild.accounts import add_user, create_token
from lagesbild.devtools.loadtest import Server
from lagesbild.ingest.writer import write_records
from lagesbild.store.lifecycle import init_store

TARGET_MS = 200
WRITE_EVERY_S = 1.0
WARM_UP_S = 3  # the first seconds warm every worker's cache and connections; not counted
LAYER = "/api/v1/crimes?limit=10000"
INDICATORS = "/api/v1/analyse/indicators?place=Klara&period=2022&period=2023"
# what the map page (map.js) asks for: the layer clustered on the server for a view and zoom
MAP_VIEW = "/map/points.geojson?layer=crimes&from=2022-01-01&to=2023-12-31&bbox=%s&zoom=14"

# wrk's Lua hook: fixed request headers, and one parseable line with the percentiles at the end
# (wrk keeps latencies in microseconds).
WRK_SCRIPT = """
wrk.headers = %(headers)s
%(pan)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'LB-RESULT {"n": %%d, "p50": %%d, "p95": %%d, "p99": %%d, "max": %%d, "bytes": %%d, '
    .. '"seconds": %%f, "socket_errors": %%d, "timeouts": %%d, "bad_status": %%d}\\n',
    summary.requests, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, summary.bytes, summary.duration / 1e6, e.connect + e.read + e.write,
    e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class Scenario:
    label: str
    path: str
    headers: dict[str, str]
    expect: int  # the status every answer must have
    pan: bool = False  # a new map view (BBOX in the path) for every request
    writes: str | None = None  # a layer that gets a new record every WRITE_EVERY_S meanwhile


# A map view of the benchmark's crimes at zoom 14 (what map.js asks for), and how far a client
# pans it between requests (degrees).
VIEW = (18.03, 59.32, 18.09, 59.345)
PAN = (0.02, 0.01)

# wrk's hook for panning clients: every request a view shifted at random (seeded per thread)
WRK_PAN = """
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("seed", threads) end
init = function(args) math.randomseed(seed * 7919 + os.time()) end
request = function()
  local dx, dy = (math.random() - 0.5) * %(pan_x)f, (math.random() - 0.5) * %(pan_y)f
  local bbox = string.format("%%.5f,%%.5f,%%.5f,%%.5f",
    %(x0)f + dx, %(y0)f + dy, %(x1)f + dx, %(y1)f + dy)
  local path = (%(path)s):gsub("BBOX", bbox)  -- gsub also returns a count
  return wrk.format("GET", path)
end
"""


def panned(path: str, rng) -> str:
    dx, dy = (rng.random() - 0.5) * PAN[0], (rng.random() - 0.5) * PAN[1]
    x0, y0, x1, y1 = VIEW
    return path.replace("BBOX", f"{x0 + dx:.5f},{y0 + dy:.5f},{x1 + dx:.5f},{y1 + dy:.5f}")


@dataclass
class Result:
    n: int
    p50: float  # ms
    p95: float
    note: str = ""


def fill(url: str) -> str:
    store = init_store(url)
    write_records(
        store,
        "places",
        [
            (
                1,
                {"name": "Klara", "kind": "scene", "round": 2022, "status": "listed"},
                box(18.055, 59.329, 18.072, 59.337),
            ),
            (
                2,
                {"name": "Klara", "kind": "scene", "round": 2023, "status": "listed"},
                box(18.058, 59.331, 18.066, 59.335),
            ),
            (3, {"name": "Staden", "kind": "city"}, box(17.9, 59.25, 18.2, 59.4)),
        ],
    )
    rng = np.random.default_rng(1)
    cats = ["theft", "violent_crime", "drug_offence", "vandalism"]
    write_records(
        store,
        "crimes",
        [
            (
                i,
                {
                    "id": str(i),
                    "occurred_at": f"{2022 + i % 2}-{1 + i % 12:02d}-{1 + i % 28:02d} 21:00",
                    "category": cats[i % 4],
                    "lat": float(rng.normal(59.333, 0.003)),
                    "lon": float(rng.normal(18.062, 0.005)),
                },
                None,
            )
            for i in range(10_000)
        ],
    )
    user = add_user(store, "bench", "bench-password", "analyst", "Stadsdelsförvaltningen")
    token = create_token(store, user, "bench")[1]
    store.dispose()
    return token


def check(base: str, s: Scenario) -> str:
    """One request as the load will send it: the expected status, and what came back."""
    path = panned(s.path, np.random.default_rng(0)) if s.pan else s.path
    r = httpx.get(base + path, headers=s.headers, timeout=60)
    assert r.status_code == s.expect, (s.label, r.status_code, r.text[:200])
    size = len(r.content)  # httpx decompresses; the wire size is in content-length
    wire = int(r.headers.get("content-length", size))
    enc = r.headers.get("content-encoding", "identity")
    return f"{r.status_code}, {wire / 1e3:.0f} kB on the wire ({enc})"


# ------------------------------------------------------------------ wrk


class Writer:
    """Adds a record to a layer every WRITE_EVERY_S seconds while the load runs, as a field team
    reporting or an analyst importing would: every write changes the store, so cached answers
    are checked again, and answers that depend on that layer are computed again."""

    def __init__(self, base: str, token: str, layer: str | None) -> None:
        self.base, self.layer, self.count = base, layer, 0
        self.headers = {"Authorization": f"Bearer {token}"}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rng = np.random.default_rng(5)
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=60) as c:
            while not self._stop.wait(WRITE_EVERY_S):
                props = {"occurred_at": "2023-06-01 22:00", "category": "theft"}
                if self.layer == "observations":
                    props = {"occurred_at": "2023-06-01 22:00", "category": "drug_use", "count": 1}
                lon, lat = float(rng.normal(18.062, 0.005)), float(rng.normal(59.333, 0.003))
                r = c.post(
                    f"/api/v1/{self.layer}",
                    json={
                        "type": "Feature",
                        "properties": props,
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    },
                )
                assert r.status_code == 201, r.text[:200]
                self.count += 1

    def __enter__(self) -> Writer:
        if self.layer:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.layer:
            self._thread.join(10)


def run_wrk(base: str, s: Scenario, clients: int, seconds: float) -> Result:
    # a JSON string is a valid Lua string literal for these ASCII headers (quotes escaped)
    lua_headers = (
        "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in s.headers.items()) + "}"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        pan = ""
        if s.pan:
            x0, y0, x1, y1 = VIEW
            pan = WRK_PAN % dict(
                pan_x=PAN[0], pan_y=PAN[1], x0=x0, y0=y0, x1=x1, y1=y1, path=json.dumps(s.path)
            )
        script.write(WRK_SCRIPT % {"headers": lua_headers, "pan": pan})
        script.flush()

        def wrk(duration: float) -> dict:
            out = subprocess.run(
                [
                    "wrk",
                    f"-c{clients}",
                    f"-t{min(2, clients)}",
                    f"-d{duration:g}s",
                    "--timeout",
                    "60s",  # wrk's default (2 s) would drop slow answers from the percentiles
                    "-s",
                    script.name,
                    base + s.path,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            line = next(x for x in out.splitlines() if x.startswith("LB-RESULT "))
            return json.loads(line.removeprefix("LB-RESULT "))

        wrk(WARM_UP_S)
        r = wrk(seconds)
    bad = r["socket_errors"] + r["timeouts"] + r["bad_status"]
    assert bad == 0, (s.label, r)
    note = f"{r['n'] / r['seconds']:.0f} req/s, {r['bytes'] / r['seconds'] / 1e6:.1f} MB/s"
    return Result(r["n"], r["p50"] / 1000, r["p95"] / 1000, note)


# ------------------------------------------------------------------ httpx fallback


async def hammer(base: str, s: Scenario, clients: int, seconds: float) -> list[float]:
    lat: list[float] = []
    counted_from = time.perf_counter() + WARM_UP_S
    until = counted_from + seconds

    async def one(i: int) -> None:
        rng = np.random.default_rng(i)
        async with httpx.AsyncClient(base_url=base, timeout=60, headers=s.headers) as c:
            while time.perf_counter() < until:
                path = panned(s.path, rng) if s.pan else s.path
                t0 = time.perf_counter()
                r = await c.get(path)
                if t0 >= counted_from:  # requests started after the warm-up
                    lat.append(time.perf_counter() - t0)
                assert r.status_code == s.expect, r.status_code

    await asyncio.gather(*(one(i) for i in range(clients)))
    return lat


def run_httpx(base: str, s: Scenario, clients: int, seconds: float) -> Result:
    a = np.asarray(asyncio.run(hammer(base, s, clients, seconds))) * 1000
    return Result(len(a), float(np.median(a)), float(np.percentile(a, 95)), "httpx clients")


# ------------------------------------------------------------------ main


def scenarios(base: str, token: str) -> list[Scenario]:
    auth = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    etag = httpx.get(base + LAYER, headers=auth, timeout=60).headers["etag"]
    bbox = ",".join(f"{v:.5f}" for v in VIEW)
    return [
        Scenario("baseline: /health (no store work)", "/health", {}, 200),
        Scenario("map layer, 10,000 features (gzip, cached)", LAYER, auth, 200),
        Scenario(
            "map layer, 10,000 features (ETag, 304)", LAYER, {**auth, "If-None-Match": etag}, 304
        ),
        Scenario("indicators of a place (cached)", INDICATORS, auth, 200),
        Scenario("map view: the 10,000 clustered (same view)", MAP_VIEW % bbox, auth, 200),
        Scenario("map view: a new view per request (panning)", MAP_VIEW % "BBOX", auth, 200, True),
        Scenario(
            "map layer, a field report stored every second",
            LAYER,
            auth,
            200,
            writes="observations",
        ),
        Scenario("map layer, a crime added every second", LAYER, auth, 200, writes="crimes"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--httpx", action="store_true", help="use Python httpx clients, not wrk")
    args = ap.parse_args()
    use_wrk = not args.httpx and shutil.which("wrk") is not None
    if not use_wrk and not args.httpx:
        print("wrk not found (apt-get install wrk): falling back to Python httpx clients")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'api.sqlite'}"
        token = fill(url)
        server = Server(url, workers=2)
        server.start()
        try:
            t0 = time.perf_counter()
            r = httpx.get(
                server.base + LAYER, headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            print(
                f"first map layer request (10,000 features, {len(r.content) / 1e6:.1f} MB): "
                f"{(time.perf_counter() - t0) * 1000:.0f} ms"
            )
            print(
                f"{args.clients} clients, {args.seconds:g} s each, load from "
                f"{'wrk' if use_wrk else 'Python httpx'}; target p95 < {TARGET_MS} ms; "
                f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the run "
                "(other work on the machine raises the figures)"
            )
            for s in scenarios(server.base, token):
                wire = check(server.base, s)
                run = run_wrk if use_wrk else run_httpx
                with Writer(server.base, token, s.writes) as writer:
                    res = run(server.base, s, args.clients, args.seconds)
                if s.writes:
                    res.note += f", {writer.count} {s.writes} written meanwhile"
                verdict = "met" if res.p95 < TARGET_MS else "NOT met"
                print(
                    f"{s.label:44s} n={res.n:6d} median={res.p50:7.1f} ms "
                    f"p95={res.p95:7.1f} ms  p95<{TARGET_MS}: {verdict:7s} [{wire}; {res.note}]"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
