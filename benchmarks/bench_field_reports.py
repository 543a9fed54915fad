"""Field-report throughput (issue 20): 100 concurrent clients post field reports (observations,
each with its own Idempotency-Key, retried with the same key on failure) for 15 s against
`lagesbild serve` on loopback: SQLite with 1 worker, PostGIS with 2 workers. Prints the
acknowledged reports per second and the p95 latency, and checks that every acknowledged
report is stored exactly once.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_field_reports.py [--clients 100]
        [--seconds 15] [--only sqlite|postgis] [--client lean|httpx]

The load generator (asyncio) runs on the same machine and shares its cores. By default its
clients write HTTP/1.1 on plain keep-alive sockets (`loadtest._SocketSender`: the same
requests, keys and retries); `--client httpx` uses httpx as before, which cost the generator
about 1.5 ms of CPU per request, half a core at 300 requests/s. Each line also prints the CPU
the generator and the server (all its processes) spent per acknowledged report.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

from cpu_field_reports import group_cpu

from lagesbild.devtools.loadtest import Server, reporter_tokens, run_load, stored_keys
from lagesbild.store.lifecycle import init_store


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_run(label: str, url: str, workers: int, clients: int, seconds: float, lean: bool) -> bool:
    store = init_store(url)
    tokens = reporter_tokens(store, 20)
    server = Server(url, workers=workers)
    server.start()
    try:
        run_load(server, tokens, min(clients, 10), 2, lean=lean)  # warm-up: connections, caches
        warm = stored_keys(store).keys()
        cpu0, own0 = group_cpu(server.proc.pid), _own_cpu()
        res = run_load(server, tokens, clients, seconds, lean=lean)
        cpu, own = group_cpu(server.proc.pid) - cpu0, _own_cpu() - own0
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
        f"exactly_once={'yes' if ok else 'NO'} "
        f"cpu_ms_per_report: server={1000 * cpu / max(1, len(res.acknowledged)):.2f} "
        f"load_generator={1000 * own / max(1, len(res.acknowledged)):.2f} "
        f"client={'lean' if lean else 'httpx'}",
        flush=True,
    )
    store.dispose()
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--only", choices=("sqlite", "postgis"))
    ap.add_argument("--client", choices=("lean", "httpx"), default="lean")
    args = ap.parse_args()
    lean = args.client == "lean"
    ok = True
    if args.only != "postgis":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            ok &= one_run("SQLite, 1 worker", url, 1, args.clients, args.seconds, lean)
    if args.only != "sqlite":
        from lagesbild.devtools.pgserver import PgServer

        with PgServer.start(durable=True) as pg:
            ok &= one_run(
                "PostGIS, 2 workers", pg.create_database(), 2, args.clients, args.seconds, lean
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
