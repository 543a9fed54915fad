"""API speed under load: a map layer of 10,000 features and a place's indicators, each under 50
concurrent clients, against `lagesbild serve` (2 workers) on SQLite, loopback only. Prints the
median and 95th percentile latency (target p95 < 200 ms), for a first request, for repeated
requests (server cache), and for clients that revalidate with their ETag (304).

    .venv/bin/python benchmarks/bench_api.py [--clients 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from shapely.geometry import box

from lagesbild.accounts import add_user, create_token
from lagesbild.devtools.loadtest import Server
from lagesbild.ingest.writer import write_records
from lagesbild.store.lifecycle import init_store


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


async def hammer(
    base: str, path: str, token: str, clients: int, seconds: float, revalidate: bool
) -> list[float]:
    lat: list[float] = []
    # the first seconds warm every worker's cache and connections; they are not counted
    counted_from = time.time() + 3
    until = counted_from + seconds
    counted_perf = time.perf_counter() + 3

    async def one() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as c:
            etag = None
            while time.time() < until:
                h = {"If-None-Match": etag} if (revalidate and etag) else {}
                t0 = time.perf_counter()
                r = await c.get(path, headers=h)
                if t0 >= counted_perf:  # requests started after the warm-up
                    lat.append(time.perf_counter() - t0)
                assert r.status_code in (200, 304), r.status_code
                etag = r.headers.get("etag")

    await asyncio.gather(*(one() for _ in range(clients)))
    return lat


def report(label: str, lat: list[float]) -> None:
    a = np.asarray(lat) * 1000
    print(
        f"{label:48s} n={len(a):6d} median={np.median(a):7.1f} ms  "
        f"p95={np.percentile(a, 95):7.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'api.sqlite'}"
        token = fill(url)
        server = Server(url, workers=2)
        server.start()
        try:
            layer = "/api/v1/crimes?limit=10000"
            t0 = time.perf_counter()
            r = httpx.get(
                server.base + layer, headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            print(
                f"first map layer request (10,000 features, {len(r.content) / 1e6:.1f} MB): "
                f"{(time.perf_counter() - t0) * 1000:.0f} ms"
            )
            for label, path, reval in [
                ("baseline: /health (no store work)", "/health", False),
                ("map layer, 10,000 features (server cache)", layer, False),
                ("map layer, 10,000 features (ETag, 304)", layer, True),
                (
                    "indicators of a place",
                    "/api/v1/analyse/indicators?place=Klara&period=2022&period=2023",
                    False,
                ),
            ]:
                report(
                    f"{label}, {args.clients} clients",
                    asyncio.run(
                        hammer(server.base, path, token, args.clients, args.seconds, reval)
                    ),
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
