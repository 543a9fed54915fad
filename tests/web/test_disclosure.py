"""What an anonymous caller can get from /api/v1/goals and /api/v1/public/*, on generated data:
no count-like figure of 1-4 anywhere, and an attacker who differences what is published (a year
minus its months, a goal's group minus its categories, a place minus a place inside it, one
`month=` window minus another) never recovers a count of 1-4."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from lagesbild.briefing import forum
from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import write_records
from lagesbild.web.app import create_app

COUNT_LIKE = ("trend", "baseline_value", "target_value", "n")
PLACES = {
    "Klara": box(18.055, 59.330, 18.070, 59.336),
    "Sergel": box(18.060, 59.331, 18.064, 59.333),  # inside Klara
    "Odenplan": box(18.045, 59.341, 18.052, 59.345),
}


def _count_like(key: str) -> bool:
    return "count" in key.lower() or key in COUNT_LIKE


def small_numbers(obj, under: bool = False, path: str = "") -> list[str]:
    """Paths of numbers 1-4 under a count-like key, anywhere in a JSON document."""
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            found += small_numbers(v, under or _count_like(str(k)), f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += small_numbers(v, under, f"{path}[{i}]")
    elif under and isinstance(obj, (int, float)) and not isinstance(obj, bool):
        if 1 <= obj <= 4:
            found.append(path)
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from lagesbild.store.lifecycle import init_store

    store = init_store(f"sqlite:///{tmp_path_factory.mktemp('sdc') / 's.sqlite'}")
    rng = random.Random(19)
    write_records(
        store,
        "places",
        [
            (i, {"name": n, "kind": "priority_place", "sensitivity": "public"}, g)
            for i, (n, g) in enumerate(PLACES.items())
        ],
    )
    rows, truth = [], []
    for year in (2022, 2023, 2024):
        for month in range(1, 13):
            for place, cats in (("Odenplan", 1), ("Sergel", 2), ("Klara", 2)):
                for cat in ("weapons_offence", "theft")[:cats]:
                    sparse = place == "Odenplan" or cat == "weapons_offence"
                    for _ in range(rng.choice([0] * 7 + [1] if sparse else [0, 1, 1, 2, 3])):
                        g = PLACES[place]
                        lon = rng.uniform(g.bounds[0] + 1e-4, g.bounds[2] - 1e-4)
                        lat = rng.uniform(g.bounds[1] + 1e-4, g.bounds[3] - 1e-4)
                        if place == "Klara":  # the part of Klara outside Sergels torg
                            lon = rng.uniform(18.0655, 18.0695)
                        day = rng.randint(1, 28)
                        rec = {
                            "id": f"C{len(rows)}",
                            "occurred_at": f"{year}-{month:02d}-{day:02d} 12:00",
                            "category": cat,
                            "lat": f"{lat:.6f}",
                            "lon": f"{lon:.6f}",
                            "sensitivity": "shared",
                        }
                        rows.append((len(rows), rec, None))
                        truth.append((place, year, month, cat))
    assert write_records(store, "crimes", rows).stored == len(rows)
    for title, place, ind in (
        ("Färre vapenbrott vid Odenplan", "Odenplan", "crimes:weapons_offence"),
        ("Färre brott i Klara", "Klara", "crimes"),
        ("Färre stölder vid Sergels torg", "Sergel", "crimes:theft"),
    ):
        forum.add_goal(store, SYSTEM, title, place, ind, baseline_period="2022", target_change=-0.2)
    with TestClient(create_app(store.url), base_url="https://testserver") as client:
        yield store, client, truth
    store.dispose()


def _answers(client) -> dict[str, dict]:
    got = {"counts": client.get("/api/v1/public/counts").json()}
    got["extents"] = client.get("/api/v1/public/extents").json()
    got["goals"] = client.get("/api/v1/goals").json()
    for y in (2022, 2023, 2024, 2025):
        for m in (1, 6, 11, 12):
            got[f"goals {y}-{m:02d}"] = client.get(f"/api/v1/goals?month={y}-{m:02d}").json()
    return got


def test_no_small_number_under_a_count_like_key(world):
    _store, client, _truth = world
    answers = _answers(client)
    for name, body in answers.items():
        assert small_numbers(body) == [], name
    # and there was something to suppress: the data is full of small counts
    assert any(c["count"] == "<5" for c in answers["counts"]["counts"])


def test_the_publics_default_year_is_the_datas_last(world):
    """Without month=, the last year with crimes (2024 here), not a year after the data."""
    _store, client, _truth = world
    default = client.get("/api/v1/goals").json()
    explicit = client.get("/api/v1/goals?month=2024-12").json()
    for g, h in zip(default["goals"], explicit["goals"], strict=True):
        assert g["current_period"] == "2024-01-01..2024-12-31"
        assert g["current_count"] == h["current_count"] is not None


def test_signed_in_figures_stay_exact(world):
    store, _client, _truth = world
    dash = forum.dashboard(store, SYSTEM, "2023-12")
    counts = [c for g in dash["goals"] for c in g["trend"]["counts"]]
    assert any(1 <= c <= 4 for c in counts)


def test_zero_and_no_data(world):
    _store, client, truth = world
    body = client.get("/api/v1/goals?month=2022-12").json()
    oden = next(g for g in body["goals"] if g["place"] == "Odenplan")
    trend = dict(zip(oden["trend"]["months"], oden["trend"]["counts"], strict=True))
    assert all(trend[f"2021-{m:02d}"] is None for m in range(1, 13))  # before any record
    months_with = {(y, m) for p, y, m, c in truth if p == "Odenplan"}
    empty = [m for m in range(1, 13) if (2022, m) not in months_with]
    assert empty and all(trend[f"2022-{m:02d}"] == 0 for m in empty)


def test_differencing_attacks_recover_no_small_count(world):
    store, client, truth = world
    answers = _answers(client)
    counts = {
        (c["place"], c["year"], c["category"]): c["count"]
        for c in answers["counts"]["counts"]
        if c["layer"] == "crimes"
    }
    recovered = []
    # total minus parts: a goal's year minus the public per-category counts of its categories
    # (the Klara goal counts every category), and a year minus its months
    for name, body in answers.items():
        if not name.startswith("goals"):
            continue
        for g in body["goals"]:
            year = int(g["current_period"][:4])
            total = g["current_count"]
            cats = (
                ["weapons_offence", "theft"]
                if g["indicator"] == "crimes"
                else [g["indicator"].split(":")[1]]
            )
            parts = [counts.get((g["place"], year, c), 0) for c in cats]
            months = [
                c
                for lab, c in zip(g["trend"]["months"], g["trend"]["counts"], strict=True)
                if lab.startswith(str(year))
            ]
            for whole, pieces in ((total, parts), (total, months)):
                hidden = [p for p in pieces if isinstance(p, str)]
                if isinstance(whole, int) and len(hidden) == 1:
                    recovered.append(
                        (
                            name,
                            g["place"],
                            whole - sum(p or 0 for p in pieces if not isinstance(p, str)),
                        )
                    )
    # overlapping areas: Klara minus Sergels torg inside it is the rest of Klara
    for (place, year, cat), n in counts.items():
        inner = counts.get(("Sergel", year, cat), 0)
        if place == "Klara" and isinstance(n, int) and isinstance(inner, int):
            rest = sum(1 for p, y, m, c in truth if p == "Klara" and y == year and c == cat)
            if 1 <= n - inner <= 4:
                assert n - inner != rest, ("Klara minus Sergel", year, cat)
    # moving windows: no two reachable windows of `month=` overlap in part
    periods = {
        g["current_period"] for k, b in answers.items() if k.startswith("goals") for g in b["goals"]
    }
    starts = sorted(int(p[:4]) for p in periods)
    assert all(p.endswith("-12-31") and p[5:10] == "01-01" for p in periods), periods
    assert len(starts) == len(set(starts))
    assert recovered == [], recovered


def test_moving_the_window_by_a_month_gives_the_same_year(world):
    _store, client, _truth = world
    a = client.get("/api/v1/goals?month=2024-06").json()
    b = client.get("/api/v1/goals?month=2024-07").json()
    assert a["goals"] == b["goals"]
    assert {g["current_period"] for g in a["goals"]} == {"2023-01-01..2023-12-31"}
    assert datetime.fromisoformat(str(a["as_of"])).year == 2023 or "2023" in str(a["as_of"])
