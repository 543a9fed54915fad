"""The server's own CPU time per field report (issue 20): 500 sequential reports from one client
(an API token, an Idempotency-Key each) to `lagesbild serve` on SQLite with 1 worker; the
server's utime+stime (its process group, from /proc) over the 500, divided by 500. Steadier
than reports/s on a loaded machine, since time waiting for a core is not counted.

    PYTHONPATH=src .venv/bin/python benchmarks/cpu_field_reports.py [--reports 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import httpx

from lagesbild.devtools.loadtest import Server, reporter_tokens
from lagesbild.store.lifecycle import init_store

TICK = os.sysconf("SC_CLK_TCK")


def group_cpu(pgid: int) -> float:
    """utime+stime in seconds of every process of the group."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:  # field 5 of stat: the process group
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def body(n: int) -> dict:
    return {
        "type": "Feature",
        "properties": {
            "occurred_at": "2024-11-26T21:00:00+01:00",
            "category": "drug_use",
            "count": 1 + n % 4,
            "text": "CPU-mätning",
        },  # fmt: skip
        "geometry": {"type": "Point", "coordinates": [18.0649 + n * 1e-6, 59.3326]},
    }


def one_run(reports: int, run: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'cpu.sqlite'}"
        store = init_store(url)
        token = reporter_tokens(store, 1)[0]
        server = Server(url, workers=1)
        server.start()
        try:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:

                def post(key: str, n: int) -> None:
                    r = client.post(
                        "/api/v1/observations", json=body(n), headers={"Idempotency-Key": key}
                    )
                    assert r.status_code in (200, 201), r.text

                for n in range(50):  # warm-up
                    post(f"warm-{run}-{n}", n)
                before = group_cpu(server.proc.pid)
                for n in range(reports):
                    post(f"cpu-{run}-{n}", n)
                used = group_cpu(server.proc.pid) - before
        finally:
            server.stop()
            store.dispose()
    return used / reports * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    per = [one_run(args.reports, i) for i in range(args.runs)]
    print(
        "server CPU per report: "
        + ", ".join(f"{ms:.2f}" for ms in per)
        + f" ms (min {min(per):.2f}; load average {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
