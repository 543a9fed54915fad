"""Gi* through the one path (`answer("hotspots", ...)`) with the sparse-count inference: on a
random sparse map the Monte Carlo test that "auto" picks marks no cell; a planted cluster is
found. (That the normal test marks random cells on big sparse maps is measured in
tests/analysis/test_gistar_inference.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import box

from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import write_records
from tests.services import asked as analyse

PLACE = box(18.055, 59.329, 18.070, 59.336)  # about 850 m x 780 m: ~270 cells of 50 m
TO_XY = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
TO_LONLAT = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)


def _store_with(store, lonlat):
    write_records(
        store,
        "places",
        [(1, {"name": "Scen", "kind": "scene", "sensitivity": "public"}, PLACE)],
    )
    recs = [
        (
            i,
            {
                "id": str(i),
                "occurred_at": "2023-05-01 21:00",
                "category": "violent_crime",
                "lon": float(lon),
                "lat": float(lat),
                "sensitivity": "shared",
            },
            None,
        )
        for i, (lon, lat) in enumerate(lonlat)
    ]
    assert write_records(store, "crimes", recs).stored == len(recs)
    return store


def _random(rng, n):
    b = PLACE.bounds
    return np.column_stack([rng.uniform(b[0], b[2], n), rng.uniform(b[1], b[3], n)])


def _significant(out):
    return [r for r in out.rows if r["q"] is not None and r["q"] <= 0.05]


def test_auto_inference_keeps_a_random_sparse_map_clean(sqlite_store):
    rng = np.random.default_rng(11)
    store = _store_with(sqlite_store, _random(rng, 60))  # ~0.2 events per cell
    out = analyse.hotspots(store, SYSTEM, "Scen", "2023", "2023", cell=50)
    s = out.summary
    assert (s["inference"], s["adjustment"], s["simulations"], s["seed"], s["weights"]) == (
        "montecarlo",
        "max-t",
        999,
        0,
        "band",
    )
    assert s["points"] == 60
    assert _significant(out) == []
    assert all(r["class"] in ("not_significant", "hot_90", "cold_90") for r in out.rows)
    normal = analyse.hotspots(store, SYSTEM, "Scen", "2023", "2023", cell=50, inference="normal")
    assert normal.summary["inference"] == "normal" and normal.summary["adjustment"] == "bh"
    assert {k for r in out.rows for k in r} >= {"x", "y", "count", "z", "p", "q", "class"}


def test_auto_inference_finds_a_planted_cluster(sqlite_store):
    rng = np.random.default_rng(12)
    cx, cy = TO_XY.transform(18.0625, 59.3325)
    ang, rad = rng.uniform(0, 2 * math.pi, 30), 25 * np.sqrt(rng.uniform(0, 1, 30))
    lon, lat = TO_LONLAT.transform(cx + rad * np.cos(ang), cy + rad * np.sin(ang))
    pts = np.vstack([_random(rng, 60), np.column_stack([lon, lat])])
    store = _store_with(sqlite_store, pts)
    out = analyse.hotspots(store, SYSTEM, "Scen", "2023", "2023", cell=50, simulations=499, seed=5)
    assert out.summary["inference"] == "montecarlo" and out.summary["simulations"] == 499
    hot = [r for r in _significant(out) if r["z"] > 0]
    assert hot, "the planted cluster must be found"
    assert all(math.hypot(r["x"] - cx, r["y"] - cy) < 120 for r in hot)
    assert out.summary.get("cells_hot_95", 0) + out.summary.get("cells_hot_99", 0) == len(hot)


@pytest.mark.parametrize("weights", ["knn", "decay"])
def test_other_weights_reach_the_analysis(sqlite_store, weights):
    store = _store_with(sqlite_store, _random(np.random.default_rng(1), 40))
    out = analyse.hotspots(
        store, SYSTEM, "Scen", "2023", "2023", cell=50, weights=weights, inference="normal"
    )
    assert out.summary["weights"] == weights
    assert out.parameters["weights"] == weights
