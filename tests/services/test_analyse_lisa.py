"""`lisa` through the one path (`answer`), on the demo's Klara grid, against esda's Moran_Local
on the same counts: I exactly, the quadrants equal, the p-values within simulation error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lagesbild.demo.scenario import load_demo
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.services.analyse import answer
from lagesbild.services.results import write_output
from lagesbild.store.lifecycle import init_store

ASKED = {"place": "Klara", "date_from": "2023-01-01", "date_to": "2023-12-31", "cell": 100.0}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = init_store(f"sqlite:///{tmp_path_factory.mktemp('lisa') / 'demo.sqlite'}")
    load_demo(store)
    yield store
    store.dispose()


def _grid(rows, key):
    xs, ys = sorted({r["x"] for r in rows}), sorted({r["y"] for r in rows})
    at = {(r["x"], r["y"]): r[key] for r in rows}
    return np.array([[at[(x, y)] for x in xs] for y in ys], dtype=object)


def test_lisa_matches_esda_moran_local_on_the_demo_grid(demo, tmp_path):
    from esda.moran import Moran_Local
    from libpysal.weights import lat2W

    out = answer("lisa", demo, SYSTEM, {**ASKED, "permutations": 999, "seed": 3})
    assert out.summary["points"] > 100 and out.summary["cells"] == len(out.rows)
    assert {"x", "y", "count", "i", "z", "p", "q", "quadrant"} <= set(out.rows[0])
    counts = _grid(out.rows, "count").astype(float)
    assert (counts == 0).any() and counts.sum() == out.summary["points"]  # zeros included
    ny, nx = counts.shape
    assert ny * nx == len(out.rows)
    w = lat2W(ny, nx, rook=False)
    w.transform = "R"
    ref = Moran_Local(counts.ravel(), w, permutations=9999, seed=1)
    np.testing.assert_allclose(_grid(out.rows, "i").astype(float).ravel(), ref.Is, atol=1e-9)
    quads = _grid(out.rows, "quadrant").ravel()
    assert list(quads) == [{1: "HH", 2: "LH", 3: "LL", 4: "HL"}[int(k)] for k in ref.q]
    p = _grid(out.rows, "p").astype(float).ravel()
    # 999 against 9999 permutations: 4 binomial standard errors, plus the few hundredths by
    # which esda's tie-breaking on counts may differ (docs/analysis.md)
    tol = 4 * np.sqrt(ref.p_sim * (1 - ref.p_sim) / 999) + 0.03
    assert np.all(np.abs(p - ref.p_sim) <= tol)
    strong = ref.p_sim < 0.01
    assert strong.any() and np.all(p[strong] < 0.05)
    # the GeoJSON a user writes with --out: one polygon per cell with the row fields
    fc = json.loads(write_output(out, tmp_path / "lisa.geojson").read_text())
    assert len(fc["features"]) == len(out.rows)
    assert fc["features"][0]["geometry"]["type"] == "Polygon"


def test_lisa_refuses_permutations_out_of_bounds(demo):
    with pytest.raises(ValidationError) as err:
        answer("lisa", demo, SYSTEM, {**ASKED, "permutations": 5})
    assert err.value.field == "permutations"
