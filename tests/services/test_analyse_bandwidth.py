"""`analyse hotspots --method kde --bandwidth cv`: the bandwidth chosen from the period's
points by likelihood cross-validation (the analysis checks it against scikit-learn), stated
in the output, and the density it gives equal to a brute-force quartic sum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import box
from typer.testing import CliRunner

from lagesbild import analysis as an
from lagesbild.cli import app as cli_app
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.ingest.writer import write_records
from lagesbild.services.analyse import answer

PLACE = box(18.055, 59.329, 18.070, 59.336)
TO_XY = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
TO_LONLAT = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
ASKED = {"place": "Torget", "date_from": "2023", "date_to": "2023", "cell": 25.0, "method": "kde"}


@pytest.fixture
def blobs(sqlite_store):
    write_records(
        sqlite_store, "places", [(1, {"name": "Torget", "kind": "priority_place"}, PLACE)]
    )
    rng = np.random.default_rng(6)
    cx, cy = TO_XY.transform(18.0625, 59.3325)
    xy = np.r_[
        rng.normal((cx - 150, cy), 30, (80, 2)), rng.normal((cx + 200, cy + 60), 60, (70, 2))
    ]
    recs = []
    for i, (x, y) in enumerate(xy):
        lon, lat = TO_LONLAT.transform(x, y)
        recs.append(
            {
                "id": str(i),
                "occurred_at": f"2023-{1 + i % 12:02d}-10 12:00",
                "category": "theft",
                "lon": lon,
                "lat": lat,
                "sensitivity": "shared",
            }
        )
    write_records(sqlite_store, "crimes", [(i, r, None) for i, r in enumerate(recs)])
    return sqlite_store, xy


def test_the_cross_validated_bandwidth_is_stated_and_used(blobs):
    store, xy = blobs
    out = answer("hotspots", store, SYSTEM, {**ASKED, "bandwidth": "cv"})
    # the points in the place's box, projected here
    corners = np.array([TO_XY.transform(x, y) for x, y in PLACE.exterior.coords])
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    # positions as stored (rounded through WGS84 and back): compare in metres, not exactly
    inside = xy[(xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)]
    ref = an.likelihood_cv_bandwidth(inside)
    s = out.summary
    assert s["bandwidth_method"] == "likelihood-cv" and out.parameters["bandwidth"] == "cv"
    assert s["bandwidth_m"] == pytest.approx(ref.bandwidth, rel=1e-3)
    assert s["bandwidth_cv_sigma_m"] == pytest.approx(ref.sigma, rel=1e-3)
    assert 50 < s["bandwidth_m"] < 300  # between the two blobs' spreads, in quartic radius
    h = s["bandwidth_m"]
    for row in out.rows[::11]:  # every point within h of the centre counts
        d = np.hypot(xy[:, 0] - row["x"], xy[:, 1] - row["y"])
        dens = np.sum(3 / (math.pi * h * h) * (1 - (d[d < h] / h) ** 2) ** 2) * 10_000
        assert row["density"] == pytest.approx(dens, rel=1e-4, abs=1e-6)
    fixed = answer("hotspots", store, SYSTEM, {**ASKED, "bandwidth": 150.0})
    assert fixed.summary["bandwidth_method"] == "fixed" and fixed.summary["bandwidth_m"] == 150
    default = answer("hotspots", store, SYSTEM, ASKED)
    assert default.summary["bandwidth_method"] == "default"
    assert default.summary["bandwidth_m"] == 75


def test_a_bandwidth_that_is_neither_metres_nor_cv_is_named(blobs):
    store, _ = blobs
    for value, words in (("wide", "expected a number of metres or cv"), ("0", "positive")):
        with pytest.raises(ValidationError) as err:
            answer("hotspots", store, SYSTEM, {**ASKED, "bandwidth": value})
        assert err.value.field == "bandwidth" and words in str(err.value)


def test_the_cli_takes_bandwidth_cv(blobs):
    store, _ = blobs
    argv = ["analyse", "hotspots", "--place", "Torget", "--from", "2023", "--to", "2023"]
    argv += ["--method", "kde", "--cell", "25", "--bandwidth", "cv", "--db", store.url]
    r = CliRunner().invoke(cli_app, argv, terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "likelihood-cv" in r.output and "bandwidth_m" in r.output
