"""Briefing and follow-up report speed on a big store.

Run: .venv/bin/python benchmarks/bench_briefing.py [--db URL]

The demo scenario is loaded into a fresh store (a temporary SQLite file unless --db names an
empty one), then random crimes and observations are added around Sergels torg/Klara, 2019-2024,
until the store holds 100,000 observations and 50,000 crimes. Timed:

- a new operational briefing of Klara (picture generated and stored): target under 1 s;
- a year's follow-up report of the scene as PDF with its maps and charts: target under 30 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select

from lagesbild.briefing import service
from lagesbild.demo.scenario import load_demo
from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import write_records
from lagesbild.report import render
from lagesbild.store.lifecycle import init_store
from lagesbild.store.schema import crimes, observations

TZ = ZoneInfo("Europe/Stockholm")
TARGET = {"observations": 100_000, "crimes": 50_000}
CATS = {
    "crimes": ["drug_offence", "violent_crime", "theft", "vandalism", "public_order", "other"],
    "observations": ["drug_sale", "drug_use", "drug_litter", "disorder", "violence", "litter"],
}
ORGS = ["mov", "sl", "ujour", "uppsok", "kuls", "polis"]


def fill(store, layer: str, n: int, rng: np.random.Generator) -> None:
    start = datetime(2019, 1, 1, tzinfo=TZ)
    seconds = rng.uniform(0, 6 * 365.25 * 86400, n)
    lon = rng.normal(18.0640, 0.004, n)
    lat = rng.normal(59.3325, 0.002, n)
    cats = rng.choice(CATS[layer], n)
    orgs = rng.choice(ORGS, n)

    def rows():
        for i in range(n):
            rec = {
                "id": f"bench-{layer}-{i}",
                "occurred_at": start + timedelta(seconds=float(seconds[i])),
                "category": str(cats[i]),
                "lat": float(lat[i]),
                "lon": float(lon[i]),
            }
            if layer == "observations":
                rec["organisation"] = str(orgs[i])
            yield (i, rec, None)

    summary = write_records(store, layer, rows())
    assert summary.rejected_count == 0, summary.rejected[:3]


def count(store, table) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.sqlite'}"
    store = init_store(url)
    t = time.perf_counter()
    load_demo(store)
    rng = np.random.default_rng(7)
    for layer, table in (("observations", observations), ("crimes", crimes)):
        missing = TARGET[layer] - count(store, table)
        if missing > 0:
            fill(store, layer, missing, rng)
    print(
        f"store ({store.backend}): {count(store, observations):,} observations, "
        f"{count(store, crimes):,} crimes; filled in {time.perf_counter() - t:.1f} s"
    )

    times = []
    for k, day in enumerate(("2024-12-17", "2024-12-19", "2024-12-24")):
        t = time.perf_counter()
        bid = service.new_briefing(
            store, SYSTEM, "Klara", datetime.fromisoformat(f"{day}T18:00").replace(tzinfo=TZ)
        )
        service.get_briefing(store, SYSTEM, bid)
        times.append(time.perf_counter() - t)
        if k == 0:
            first = service.get_briefing(store, SYSTEM, bid)["picture"]
    best = min(times)
    print(
        f"briefing (new + show, Klara, {first['totals']['crimes']['now']} crimes and "
        f"{first['totals']['observations']['now']} observations in its period): "
        f"best {best:.3f} s of {len(times)} (first {times[0]:.3f} s); target < 1 s: "
        f"{'ok' if best < 1 else 'SLOW'}"
    )

    out = Path(tmp.name) / "report.pdf"
    t = time.perf_counter()
    html, _ = render.place_report(store, SYSTEM, "Sergels torg/Klara", "2023", "2023", "sv")
    t_html = time.perf_counter() - t
    render.write(html, out)
    total = time.perf_counter() - t
    print(
        f"follow-up report, one year, PDF ({out.stat().st_size / 1e6:.1f} MB): {total:.1f} s "
        f"(data, maps and charts {t_html:.1f} s, PDF {total - t_html:.1f} s); target < 30 s: "
        f"{'ok' if total < 30 else 'SLOW'}"
    )
    store.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
