import math

import numpy as np
import pytest
import shapely

from lagesbild.analysis.coverage import camera_sector, camera_sectors, coverage


def test_full_circle_and_quarter_sector_areas():
    r = 40.0
    full = camera_sector(10, 20, 0, 360, r)
    k = 360
    assert full.area == pytest.approx(k / 2 * r * r * math.sin(2 * math.pi / k), rel=1e-12)
    assert full.area == pytest.approx(math.pi * r * r, rel=1e-4)
    q = camera_sector(0, 0, 45, 90, r)
    assert q.area == pytest.approx(math.pi * r * r / 4, rel=1e-4)
    # looking north-east: the sector is the first quadrant
    assert q.bounds == pytest.approx((0.0, 0.0, r, r), abs=1e-9)


def test_bearing_is_clockwise_from_north():
    east = camera_sector(0, 0, 90, 10, 100)
    south = camera_sector(0, 0, 180, 10, 100)
    assert east.centroid.x > 50 and abs(east.centroid.y) < 1e-9
    assert south.centroid.y < -50 and abs(south.centroid.x) < 1e-9


def test_coverage_against_direct_shapely_intersection():
    place = shapely.box(0, 0, 200, 100)
    cams = camera_sectors([(0, 0, 45, 90, 80), (200, 100, 225, 60, 120)])
    guard = [shapely.box(150, -50, 260, 60)]
    streets = [
        shapely.LineString([(-50, 50), (250, 50)]),
        shapely.LineString([(100, -20), (100, 120)]),
    ]
    r = coverage(
        place, cams, streets, street_names=["Kungsgatan", "Drottninggatan"], label="cameras"
    )
    u = shapely.union_all(cams)
    assert r.covered_area_ha == pytest.approx(place.intersection(u).area / 1e4, rel=1e-12)
    assert r.area_share == pytest.approx(place.intersection(u).area / place.area, rel=1e-12)
    inside = [s.intersection(place) for s in streets]
    assert r.street_length_m == pytest.approx(300.0)
    cov = sum(s.intersection(u).length for s in inside)
    assert r.street_share == pytest.approx(cov / 300.0, rel=1e-12)
    assert sum(s.length_m for s in r.uncovered) == pytest.approx(300.0 - cov, rel=1e-9)
    lengths = [s.length_m for s in r.uncovered]
    assert lengths == sorted(lengths, reverse=True)
    assert r.uncovered[0].name in {"Kungsgatan", "Drottninggatan"}
    g = coverage(place, guard, streets, label="guards")
    assert g.area_share == pytest.approx(50 * 60 / 20_000)
    assert g.to_dict()["label"] == "guards" and g.uncovered_records()[0]["length_m"] > 0


def test_no_covers_and_no_streets():
    place = shapely.box(0, 0, 100, 100)
    r = coverage(place, [], [])
    assert r.area_share == 0.0 and np.isnan(r.street_share)


def test_invalid_sector():
    with pytest.raises(ValueError):
        camera_sector(0, 0, 0, 0, 10)
