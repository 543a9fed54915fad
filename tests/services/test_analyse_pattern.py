"""`pattern` through the one path (`answer`): the nearest-neighbour index on stored points
against a brute force (positions projected here with pyproj) and Donnelly's closed form with
the place (projected here) as the window; Ripley's distances up to a quarter of its side."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box

from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.ingest.writer import write_records
from lagesbild.services.analyse import answer

PLACE = box(18.055, 59.329, 18.070, 59.336)
TO_XY = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
ASKED = {"place": "Scen", "date_from": "2023", "date_to": "2023"}


@pytest.fixture
def scene(sqlite_store):
    rng = np.random.default_rng(4)
    b = PLACE.bounds
    lon = rng.uniform(b[0] + 1e-4, b[2] - 1e-4, 80)
    lat = rng.uniform(b[1] + 1e-4, b[3] - 1e-4, 80)
    write_records(
        sqlite_store,
        "places",
        [(1, {"name": "Scen", "kind": "scene", "sensitivity": "public"}, PLACE)],
    )
    recs = [
        (
            i,
            {
                "id": str(i),
                "occurred_at": "2023-03-01 12:00",
                "category": "theft",
                "lon": float(lon[i]),
                "lat": float(lat[i]),
                "sensitivity": "shared",
            },
            None,
        )
        for i in range(80)
    ]
    assert write_records(sqlite_store, "crimes", recs).stored == 80
    return sqlite_store, np.column_stack(TO_XY.transform(lon, lat))


def test_nni_against_brute_force_and_donnelly(scene):
    store, xy = scene
    out = answer("pattern", store, SYSTEM, {**ASKED, "simulations": 19})
    s = out.summary
    assert s["points"] == len(xy)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    assert s["nni_mean_distance"] == pytest.approx(d.min(axis=1).mean(), rel=1e-6)
    window = shapely.transform(
        PLACE.segmentize(0.0005), lambda c: np.column_stack(TO_XY.transform(c[:, 0], c[:, 1]))
    )
    n, area, perim = len(xy), window.area, window.length
    expected = 0.5 * math.sqrt(area / n) + (0.0514 + 0.041 / math.sqrt(n)) * perim / n
    assert s["nni_expected_distance"] == pytest.approx(expected, rel=1e-3)
    assert s["nni_index"] == pytest.approx(s["nni_mean_distance"] / expected, rel=1e-3)
    assert s["area_ha"] == pytest.approx(area / 10_000, rel=1e-3)
    # Ripley: 20 distances up to a quarter of the shorter side of the place's box
    x0, y0, x1, y1 = window.bounds
    assert out.rows[-1]["r"] == pytest.approx(min(x1 - x0, y1 - y0) / 4, rel=1e-3)
    assert len(out.rows) == 20 and 0 < s["ripley_p"] <= 1


def test_pattern_refuses_too_few_points_and_bad_options(scene):
    store, _ = scene
    with pytest.raises(ValidationError) as err:
        answer("pattern", store, SYSTEM, {**ASKED, "date_from": "1990", "date_to": "1990"})
    assert err.value.field == "from"
    with pytest.raises(ValidationError) as err:
        answer("pattern", store, SYSTEM, {**ASKED, "simulations": 3})
    assert err.value.field == "simulations"
