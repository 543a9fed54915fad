"""`nearrepeat` through the one path (`answer`): the Knox counts against a brute force over
all pairs (positions projected here with pyproj, days read from the local dates as written),
and the JSON a user writes with `--out F.json`."""

from __future__ import annotations

import itertools
import json
import math
from datetime import date

import pytest
from pyproj import Transformer
from shapely.geometry import box

from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.ingest.writer import write_records
from lagesbild.services.analyse import answer
from lagesbild.services.results import write_output

PLACE = box(18.055, 59.329, 18.070, 59.336)
TO_XY = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
TO_LONLAT = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
X0, Y0 = TO_XY.transform(18.0625, 59.3325)
# (dx m, dy m, local time): a near-repeat pair across midnight (one local day apart, the same
# UTC day), pairs just inside and outside 100 m, and some far away in space or time
EVENTS = [
    (0, 0, "2023-05-01 23:30"),
    (30, 0, "2023-05-02 00:30"),
    (99, 0, "2023-05-03 12:00"),
    (0, 101, "2023-05-03 12:00"),
    (250, 40, "2023-05-01 10:00"),
    (260, 40, "2023-05-20 10:00"),
    (-200, -150, "2023-05-09 08:00"),
    (-180, -150, "2023-05-02 18:00"),
    (10, 10, "2023-06-01 12:00"),
]
ASKED = {"place": "Scen", "date_from": "2023-01-01", "date_to": "2023-12-31"}


@pytest.fixture
def scene(sqlite_store):
    write_records(
        sqlite_store,
        "places",
        [(1, {"name": "Scen", "kind": "scene", "sensitivity": "public"}, PLACE)],
    )
    recs = []
    for i, (dx, dy, when) in enumerate(EVENTS):
        lon, lat = TO_LONLAT.transform(X0 + dx, Y0 + dy)
        recs.append(
            (
                i,
                {
                    "id": str(i),
                    "occurred_at": when,
                    "category": "theft",
                    "lon": lon,
                    "lat": lat,
                    "sensitivity": "shared",
                },
                None,
            )
        )
    assert write_records(sqlite_store, "crimes", recs).stored == len(EVENTS)
    return sqlite_store


def _brute(distance, days):
    xy = [TO_XY.transform(*TO_LONLAT.transform(X0 + dx, Y0 + dy)) for dx, dy, _ in EVENTS]
    day = [date.fromisoformat(w[:10]).toordinal() for _, _, w in EVENTS]
    pairs = list(itertools.combinations(range(len(EVENTS)), 2))
    near_s = {p for p in pairs if math.dist(xy[p[0]], xy[p[1]]) <= distance}
    near_t = {p for p in pairs if abs(day[p[0]] - day[p[1]]) <= days}
    return len(near_s & near_t), len(near_s) * len(near_t) / len(pairs), len(pairs)


@pytest.mark.parametrize("distance, days", [(100, 0), (100, 1), (100, 7), (300, 2)])
def test_knox_counts_equal_a_brute_force_over_all_pairs(scene, distance, days):
    out = answer(
        "nearrepeat", scene, SYSTEM, {**ASKED, "distance": distance, "days": days, "seed": 1}
    )
    close, expected, total = _brute(distance, days)
    s = out.summary
    assert s["events"] == len(EVENTS) and s["total_pairs"] == total
    assert s["close_pairs"] == close
    assert s["expected"] == pytest.approx(expected)
    assert s["ratio"] == pytest.approx(close / expected if expected else float("nan"), nan_ok=True)
    assert 0 < s["p"] <= 1
    assert sum(b["observed"] for b in out.rows) == total  # the band table covers every pair
    first = out.rows[0]
    assert (first["distance_from"], first["days_from"], first["observed"]) == (0, 0, close)


def test_the_json_file_has_the_knox_figures_at_the_top(scene, tmp_path):
    out = answer("nearrepeat", scene, SYSTEM, {**ASKED, "distance": 100, "days": 1})
    doc = json.loads(write_output(out, tmp_path / "nr.json").read_text())
    assert {"close_pairs", "expected", "ratio", "p", "bands"} <= set(doc)
    assert doc["close_pairs"] == _brute(100, 1)[0] == doc["summary"]["close_pairs"]
    assert doc["bands"] == doc["rows"] and len(doc["bands"]) == 16
    assert doc["parameters"]["distance"] == 100


def test_too_few_events_and_bad_options_name_the_field(scene):
    with pytest.raises(ValidationError) as err:
        answer(
            "nearrepeat",
            scene,
            SYSTEM,
            {**ASKED, "date_from": "1990", "date_to": "1990", "distance": 100, "days": 1},
        )
    assert err.value.field == "from"
    for option, value in (("distance", 0.0), ("days", -1), ("simulations", 10)):
        values = {**ASKED, "distance": 100.0, "days": 1, option: value}
        with pytest.raises(ValidationError) as err:
            answer("nearrepeat", scene, SYSTEM, values)
        assert err.value.field == option


def test_observations_are_tested_like_crimes(scene):
    """`--layer observations`: the same positions and times as observations (one a visit,
    whatever its count) give the same Knox figures as the crimes; the crimes are not read."""
    recs = []
    for i, (dx, dy, when) in enumerate(EVENTS[:6]):  # a subset: not the crimes' figures
        lon, lat = TO_LONLAT.transform(X0 + dx, Y0 + dy)
        rec = {"id": f"o{i}", "occurred_at": when, "category": "drug_sale", "lon": lon, "lat": lat}
        recs.append((i, {**rec, "count": 3, "sensitivity": "shared"}, None))
    assert write_records(scene, "observations", recs).stored == 6
    asked = {**ASKED, "distance": 100, "days": 1, "seed": 1}
    obs = answer("nearrepeat", scene, SYSTEM, {**asked, "layer": "observations"})
    pairs = list(itertools.combinations(range(6), 2))
    xy = [TO_XY.transform(*TO_LONLAT.transform(X0 + dx, Y0 + dy)) for dx, dy, _ in EVENTS[:6]]
    day = [date.fromisoformat(w[:10]).toordinal() for _, _, w in EVENTS[:6]]
    close = sum(math.dist(xy[a], xy[b]) <= 100 and abs(day[a] - day[b]) <= 1 for a, b in pairs)
    assert obs.summary["events"] == 6 and obs.summary["total_pairs"] == 15
    assert obs.summary["close_pairs"] == close
    assert obs.parameters["layer"] == "observations"
    crimes = answer("nearrepeat", scene, SYSTEM, asked)
    assert crimes.summary["events"] == len(EVENTS) and crimes.parameters["layer"] == "crimes"
    with pytest.raises(ValidationError) as err:  # a crime category is no observation category
        answer("nearrepeat", scene, SYSTEM, {**asked, "layer": "observations", "category": "x"})
    assert err.value.field == "category"
