"""Field-report throughput (issue 20): 100 concurrent clients post field reports (observations,
each with its own Idempotency-Key, retried with the same key on failure) for 15 s against
`lagesbild serve` on loopback: SQLite with 1 worker, PostGIS with 2 workers. Prints the
acknowledged reports per second and the p95 latency, and checks that every acknowledged
report is stored exactly once.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_field_reports.py [--clients 100]
        [--seconds 15] [--only sqlite|postgis]

The load generator (httpx, asyncio) runs on the same machine and shares its cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from lagesbild.devtools.loadtest import Server, reporter_tokens, run_load, stored_keys
from lagesbild.store.lifecycle import init_store


def one_run(label: str, url: str, workers: int, clients: int, seconds: float) -> bool:
    store = init_store(url)
    tokens = reporter_tokens(store, 20)
    server = Server(url, workers=workers)
    server.start()
    try:
        run_load(server, tokens, min(clients, 10), 2)  # warm-up: connections, caches
        warm = stored_keys(store).keys()
        res = run_load(server, tokens, clients, seconds)
    finally:
        server.stop()
    stored = {k: n for k, n in stored_keys(store).items() if k not in warm}
    lost = res.acknowledged - stored.keys()
    twice = {k: n for k, n in stored.items() if n > 1}
    pct = res.percentiles()
    ok = not lost and not twice
    print(
        f"{label:20s} acknowledged={len(res.acknowledged) / seconds:6.0f}/s "
        f"p50={pct.get('p50', 0):5.0f} ms p95={pct.get('p95', 0):5.0f} ms "
        f"sent={res.sent} acknowledged={len(res.acknowledged)} 5xx={res.server_errors} "
        f"transport_errors={res.transport_errors} lost={len(lost)} stored_twice={len(twice)} "
        f"exactly_once={'yes' if ok else 'NO'}",
        flush=True,
    )
    store.dispose()
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--only", choices=("sqlite", "postgis"))
    args = ap.parse_args()
    ok = True
    if args.only != "postgis":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            ok &= one_run("SQLite, 1 worker", url, 1, args.clients, args.seconds)
    if args.only != "sqlite":
        from lagesbild.devtools.pgserver import PgServer

        with PgServer.start() as pg:
            ok &= one_run("PostGIS, 2 workers", pg.create_database(), 2, args.clients, args.seconds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
