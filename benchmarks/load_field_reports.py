"""Load and crash figures for field reporting (issue: reliability): 200 concurrent reporters for
60 s against `lagesbild serve` on SQLite (1 process) and on PostGIS (2 worker processes), on
loopback only, then the same with a SIGKILL of the server half-way. Prints, per run: reports
sent, acknowledged and stored, duplicates, 5xx, latency percentiles, records before/after.

    .venv/bin/python benchmarks/load_field_reports.py [--reporters 200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from lagesbild.devtools.loadtest import Server, reporter_tokens, run_load, stored_keys
from lagesbild.devtools.pgserver import PgServer
from lagesbild.store.lifecycle import init_store


def one_run(label: str, url: str, workers: int, reporters: int, seconds: float, kill: bool) -> None:
    store = init_store(url)
    tokens = reporter_tokens(store, 20)
    before = sum(stored_keys(store).values())
    server = Server(url, workers=workers)
    server.start()
    try:
        res = run_load(server, tokens, reporters, seconds, kill_after=seconds / 2 if kill else None)
    finally:
        server.stop()
    stored = stored_keys(store)
    lost = res.acknowledged - stored.keys()
    dups = sum(n - 1 for n in stored.values() if n > 1)
    pct = res.percentiles()
    print(
        f"{label:32s} sent={res.sent:6d} acknowledged={len(res.acknowledged):6d} "
        f"stored={len(stored):6d} (before {before}) lost={len(lost)} duplicates={dups} "
        f"5xx={res.server_errors} transport_errors={res.transport_errors} "
        f"p50={pct.get('p50', 0):.0f}ms p95={pct.get('p95', 0):.0f}ms "
        f"p99={pct.get('p99', 0):.0f}ms "
        f"rate={len(res.acknowledged) / seconds:.0f}/s"
    )
    store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reporters", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for kill in (False, True):
            url = f"sqlite:///{Path(tmp) / f'load-{kill}.sqlite'}"
            one_run(
                f"SQLite, 1 process{', SIGKILL' if kill else ''}",
                url,
                1,
                args.reporters,
                args.seconds,
                kill,
            )
    with PgServer.start(durable=True) as pg:
        for kill in (False, True):
            one_run(
                f"PostGIS, 2 workers{', SIGKILL' if kill else ''}",
                pg.create_database(),
                2,
                args.reporters,
                args.seconds,
                kill,
            )


if __name__ == "__main__":
    main()
