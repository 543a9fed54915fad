"""The analyses on stored data refuse what they cannot answer with one clear error naming the
option (never a traceback, an endless loop or a silently wrong answer): grid and band sizes,
layers and categories, leap days, empty control areas, overlapping displacement areas; and the
GeoJSON they write follows RFC 7946."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, Polygon, box

from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.ingest.writer import write_records
from lagesbild.services.results import AnalysisOutput
from tests.services import asked as analyse

from .test_analyse import BIG, scene  # noqa: F401  (the shared fixture)

TARGET = box(18.060, 59.330, 18.062, 59.331)  # ~110 m x 110 m
AROUND = box(18.050, 59.325, 18.080, 59.340)  # contains the target and its 100 m buffer
FAR = box(18.100, 59.300, 18.110, 59.305)  # no records


def _place(i, name, kind, geom):
    return (i, {"name": name, "kind": kind, "sensitivity": "public"}, geom)


def _crime(i, lon, lat, when, category="violent_crime"):
    return {
        "id": f"c{i}",
        "occurred_at": when,
        "category": category,
        "lat": lat,
        "lon": lon,
        "sensitivity": "shared",
        "reported_at": None,
        "offence_code": None,
    }


@pytest.fixture
def areas(sqlite_store):
    store = sqlite_store
    write_records(
        store,
        "places",
        [
            _place(1, "Mål", "priority_place", TARGET),
            _place(2, "Runtom", "comparison_area", AROUND),
            _place(3, "Långt bort", "comparison_area", FAR),
            _place(4, "Staden", "city", box(17.9, 59.25, 18.2, 59.4)),
        ],
    )
    return store


def _write(store, pts):
    recs = [_crime(i, lon, lat, when) for i, (lon, lat, when) in enumerate(pts)]
    assert write_records(store, "crimes", [(i, r, None) for i, r in enumerate(recs)]).stored == len(
        recs
    )


def _raises(field, fn, *args, **kw):
    with pytest.raises(ValidationError) as e:
        fn(*args, **kw)
    assert e.value.field == field, e.value
    return str(e.value)


# ---------------------------------------------------------------- 1, 2: grid and band sizes


def test_emerging_refuses_a_grid_too_big_like_hotspots(scene):  # noqa: F811
    store, _ = scene
    # BIG is ~850 m x 780 m: 0.3 m cells are ~7M cells (hotspots refuses them too)
    msg = _raises("cell", analyse.emerging, store, SYSTEM, "Scen", "2022", "2023", cell=0.3)
    assert "at most 4000000" in msg
    _raises("cell", analyse.hotspots, store, SYSTEM, "Scen", "2022", "2023", cell=0.3)
    # 0.6 m cells: ~1.8M cells, but x 24 monthly slices is more than the cube may hold
    msg = _raises("cell", analyse.emerging, store, SYSTEM, "Scen", "2022", "2023", cell=0.6)
    assert "time slices" in msg
    # without a place the grid covers the points
    _raises("cell", analyse.emerging, store, SYSTEM, None, "2022", "2023", cell=0.1)


@pytest.mark.parametrize("cell", [0.0, -50.0, math.nan, math.inf])
def test_emerging_refuses_a_cell_that_is_not_a_positive_number(scene, cell):  # noqa: F811
    store, _ = scene
    _raises("cell", analyse.emerging, store, SYSTEM, "Scen", "2022", "2023", cell=cell)


@pytest.mark.parametrize(
    "option, value",
    [
        ("bandwidth", 0.0),  # was silently replaced by the default
        ("bandwidth", -5.0),
        ("bandwidth", math.nan),
        ("bandwidth", 1e6),  # was an endless loop over offsets
        ("bandwidth", 1e7),  # was 0 points: the widened box no longer projected
        ("distance", 0.0),
        ("distance", -10.0),
        ("distance", 1e7),  # was a 2 TiB stencil
    ],
)
def test_hotspots_refuse_a_band_that_is_not_positive_or_too_wide(scene, option, value):  # noqa: F811
    store, _ = scene
    method = "kde" if option == "bandwidth" else "gistar"
    msg = _raises(
        option,
        analyse.hotspots,
        store,
        SYSTEM,
        "Scen",
        "2023",
        "2023",
        cell=50,
        method=method,
        **{option: value},
    )
    if value > 0 and math.isfinite(value):
        assert "at most 5000 m" in msg  # 100 cells of 50 m


def test_emerging_refuses_a_distance_too_wide(scene):  # noqa: F811
    store, _ = scene
    _raises("distance", analyse.emerging, store, SYSTEM, "Scen", "2022", "2023", distance=-1.0)
    _raises("distance", analyse.emerging, store, SYSTEM, "Scen", "2022", "2023", distance=1e7)


def test_kde_at_the_widest_bandwidth_still_equals_a_brute_force_sum(scene):  # noqa: F811
    store, recs = scene
    h = 100 * 50.0  # the limit: 100 cells
    out = analyse.hotspots(
        store, SYSTEM, "Scen", "2023-01-01", "2023-12-31", cell=50, method="kde", bandwidth=h
    )
    to_xy = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
    pts = np.array(
        [to_xy.transform(r["lon"], r["lat"]) for r in recs if r["occurred_at"].startswith("2023")]
    )
    bound = out.summary["error_bound_per_ha"] or 0.0
    for row in out.rows[::37]:
        d = np.hypot(pts[:, 0] - row["x"], pts[:, 1] - row["y"])
        dens = np.sum(3 / (math.pi * h * h) * (1 - (d[d < h] / h) ** 2) ** 2) * 10_000
        assert row["density"] == pytest.approx(dens, rel=1e-6, abs=bound + 1e-12)


def test_displacement_refuses_a_buffer_that_is_not_a_number(areas):
    _raises(
        "buffer", analyse.displacement, areas, SYSTEM, "Mål", math.nan, "Runtom", "2022", "2023"
    )


# ---------------------------------------------------------------- 3: effect


def _monthly(store, place_geom, years, per_month=3):
    c = place_geom.centroid
    pts = [
        (c.x, c.y, f"{y}-{m:02d}-15 12:00")
        for y in years
        for m in range(1, 13)
        for _ in range(per_month)
    ]
    _write(store, pts)


def test_effect_on_a_leap_day_and_slices_as_iso_dates(areas):
    _monthly(areas, TARGET, range(2022, 2027))
    out = analyse.effect(areas, SYSTEM, "Mål", "2024-02-29")  # default window: +-2 years
    # 28 February 2022 to 28 February 2026: 49 calendar-month slices
    assert out.summary["slices"] == 49
    assert out.rows[0]["slice_start"] == "2022-02-28"
    assert out.rows[1]["slice_start"] == "2022-03-01"
    assert out.rows[out.summary["intervention_index"]]["slice_start"] == "2024-03-01"


def test_effect_against_a_control_without_records_says_so(areas):
    _monthly(areas, TARGET, (2023,))
    out = analyse.effect(
        areas, SYSTEM, "Mål", "2023-05-10", control="Långt bort", date_from="2023", date_to="2023"
    )
    assert "did_rate_ratio" not in out.summary
    assert out.summary["control"] == "Långt bort"
    assert any("No difference-in-differences" in n for n in out.notes)
    assert out.summary["level_change_rr"] > 0  # the time series itself is still there


# ---------------------------------------------------------------- 4, 5: layer and category


def test_indicators_name_an_unknown_layer(scene):  # noqa: F811
    store, _ = scene
    msg = _raises("layer", analyse.indicators, store, SYSTEM, "Scen", "2022", "2023", layer="foo")
    assert "crimes or observations" in msg


def test_extent_takes_a_single_category_of_either_layer(scene):  # noqa: F811
    store, recs = scene
    out = analyse.extent(store, SYSTEM, "Scen", "2022", "2023", category="violent_crime")
    inside = sum(
        1
        for r in recs
        if r["category"] == "violent_crime" and BIG.buffer(0.01).contains(Point(r["lon"], r["lat"]))
    )
    assert out.summary["points"] == inside
    # an observation code: a known category with no records here, not an unknown one
    msg = _raises(
        "from/to", analyse.extent, store, SYSTEM, "Scen", "2022", "2023", category="drug_sale"
    )
    assert "only 0 points" in msg
    msg = _raises("category", analyse.extent, store, SYSTEM, "Scen", "2022", "2023", category="x")
    assert "drug-related" in msg and "violent_crime" in msg and "drug_sale" in msg


# ---------------------------------------------------------------- 6: displacement


def test_displacement_leaves_the_overlap_out_of_the_control(areas):
    tx, ty = TARGET.centroid.x, TARGET.centroid.y
    ring = (18.0625, ty)  # ~28 m east of the target: inside its 100 m buffer
    far = (18.075, 59.338)  # inside the control only
    pts = (
        [(tx, ty, "2022-06-01 12:00")] * 3
        + [(*ring, "2022-06-01 12:00")] * 2
        + [(*far, "2022-06-01 12:00")] * 10
        + [(tx, ty, "2023-06-01 12:00")] * 1
        + [(*ring, "2023-06-01 12:00")] * 4
        + [(*far, "2023-06-01 12:00")] * 20
    )
    _write(areas, pts)
    out = analyse.displacement(areas, SYSTEM, "Mål", 100.0, "Runtom", "2022", "2023")
    r = out.summary
    got = [r[k] for k in ("target_before", "target_after", "buffer_before", "buffer_after")]
    assert got == [3, 1, 2, 4]
    assert (r["control_before"], r["control_after"]) == (10, 20)
    # Bowers & Johnson with these counts
    assert r["wdq"] == pytest.approx((4 / 20 - 2 / 10) / (1 / 20 - 3 / 10))
    assert any("left out of the control" in n for n in out.notes)
    msg = _raises(
        "control", analyse.displacement, areas, SYSTEM, "Mål", 100.0, "Mål", "2022", "2023"
    )
    assert "apart from them" in msg


# ---------------------------------------------------------------- 7: GeoJSON orientation


def _exteriors_ccw(feature) -> bool:
    g = shapely.geometry.shape(feature["geometry"])
    polys = getattr(g, "geoms", [g])
    return all(
        p.exterior.is_ccw and all(not h.is_ccw for h in p.interiors)
        for p in polys
        if isinstance(p, Polygon)
    )


def test_geojson_exteriors_are_counter_clockwise(scene):  # noqa: F811
    store, _ = scene
    out = analyse.extent(store, SYSTEM, "Scen", "2022", "2023", category="violent_crime")
    assert all(_exteriors_ccw(f) for f in out.features())
    # a clockwise square with a counter-clockwise hole, as GEOS's differences can come out
    cw = Polygon([(0, 0), (0, 4), (4, 4), (4, 0)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    assert not cw.exterior.is_ccw
    feats = AnalysisOutput("x", {}, [{}], [cw]).features()
    assert _exteriors_ccw(feats[0])
