"""`pai` through the one path (`answer`): a training map whose densest cell holds every test
event gives the closed-form PAI (cells / hot cells) and PEI 1; a test period before the
training period is refused by name."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.ingest.writer import write_records
from lagesbild.services.analyse import answer

PLACE = box(18.055, 59.329, 18.070, 59.336)
SPOT = (18.0625, 59.3325)


@pytest.fixture
def scene(sqlite_store):
    rng = np.random.default_rng(9)
    write_records(
        sqlite_store,
        "places",
        [(1, {"name": "Scen", "kind": "scene", "sensitivity": "public"}, PLACE)],
    )
    b = PLACE.bounds
    train = [(SPOT[0], SPOT[1])] * 30 + list(
        zip(rng.uniform(b[0], b[2], 40), rng.uniform(b[1], b[3], 40), strict=True)
    )
    test = [SPOT] * 20
    recs = [
        (
            i,
            {
                "id": str(i),
                "occurred_at": when,
                "category": "theft",
                "lon": float(lon),
                "lat": float(lat),
                "sensitivity": "shared",
            },
            None,
        )
        for i, (when, (lon, lat)) in enumerate(
            [("2022-06-01 12:00", p) for p in train] + [("2023-06-01 12:00", p) for p in test]
        )
    ]
    assert write_records(sqlite_store, "crimes", recs).stored == len(recs)
    return sqlite_store


def test_pai_of_a_map_that_catches_every_test_event(scene):
    out = answer("pai", scene, SYSTEM, {"place": "Scen", "train": "2022", "test": "2023"})
    s = out.summary
    # the random training points in edge cells whose centres lie outside the place drop out
    assert s["test_events"] == 20 and 30 < s["train_events"] <= 70
    first = out.rows[0]
    assert first["map"] == "density" and first["hits"] == 20 and first["events"] == 20
    assert first["pai"] == pytest.approx(s["cells"] / first["hot_cells"])
    assert first["pei"] == 1.0 and first["hit_rate"] == 1.0
    assert [r["map"] for r in out.rows] == ["density"] * 5 + ["gistar"]
    gistar = out.rows[-1]
    assert gistar["hits"] == 20 and s["gistar_inference"] == "montecarlo"


def test_a_test_period_before_the_training_is_refused(scene):
    with pytest.raises(ValidationError) as err:
        answer("pai", scene, SYSTEM, {"place": "Scen", "train": "2023", "test": "2022"})
    assert err.value.field == "test"
