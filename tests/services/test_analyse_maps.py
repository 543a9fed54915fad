"""Mapping rounds, coverage and surveys on stored data, checked against independent references:
camera fields of view drawn geodesically with pyproj's Geod (bearings from true north) and
projected, Wilson and Newcombe intervals from statsmodels; and what the analyses say when a
place has no cameras or streets, when two rounds are the same or a scene was delisted, and when
the points form no cluster."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, box

from lagesbild.domain.model import SYSTEM
from lagesbild.errors import NotFound, ValidationError
from lagesbild.ingest.writer import write_records
from tests.services import asked as analyse
from tests.services.surveys import write_survey

CAM = (18.0649, 59.3326)  # Sergels torg, ~2.6 degrees east of SWEREF 99 TM's central meridian
# a lon/lat box north-east of the camera: its south edge is the camera's parallel (true east)
NE = box(CAM[0], CAM[1], CAM[0] + 0.004, CAM[1] + 0.002)
FAR = box(18.10, 59.30, 18.11, 59.305)
TO_3006 = Transformer.from_crs(4326, 3006, always_xy=True)


def _projected(geom):
    return shapely.transform(geom, lambda c: np.column_stack(TO_3006.transform(c[:, 0], c[:, 1])))


def _geodesic_sector(lon, lat, bearing, angle, reach, steps=720):
    """The field of view with every edge a geodesic from the camera at a true bearing."""
    az = np.linspace(bearing - angle / 2, bearing + angle / 2, steps + 1)
    lons, lats, _ = Geod(ellps="GRS80").fwd(
        np.full_like(az, lon), np.full_like(az, lat), az, np.full_like(az, reach)
    )
    return _projected(shapely.Polygon([(lon, lat), *zip(lons, lats, strict=True)]))


def _camera(i, lon, lat, bearing, angle, reach):
    return (
        i,
        {
            "id": f"cam{i}",
            "operator": "Polisen",
            "lat": lat,
            "lon": lon,
            "bearing": bearing,
            "angle": angle,
            "range": reach,
            "active_from": "2020-01-01",
        },
        None,
    )


@pytest.fixture
def places(store):
    write_records(
        store,
        "places",
        [
            (1, {"name": "Plattan", "kind": "priority_place"}, NE),
            (2, {"name": "Långt bort", "kind": "comparison_area"}, FAR),
        ],
    )
    return store


def test_coverage_reads_camera_bearings_from_true_north(places):
    store = places
    # looking from 60 to 90 degrees east of true north: the whole field of view lies in the box
    # (its south edge is the camera's parallel); read as grid bearings it would turn 2.6 degrees
    # clockwise, a twelfth of it south of the box
    write_records(store, "cameras", [_camera(1, *CAM, 75.0, 30.0, 100.0)])
    out = analyse.coverage(store, SYSTEM, "Plattan", on="2023-06-01")
    place = _projected(NE)
    ref = _geodesic_sector(*CAM, 75.0, 30.0, 100.0)
    assert place.intersection(ref).area == pytest.approx(ref.area, rel=1e-4)
    assert out.summary["camera_area_share"] == pytest.approx(
        place.intersection(ref).area / place.area, rel=1e-3
    )


def test_coverage_counts_the_cameras_and_guard_areas_that_reach_the_place(places):
    store = places
    write_records(
        store,
        "cameras",
        [_camera(1, *CAM, 45.0, 60.0, 80.0), _camera(2, 18.105, 59.302, 0.0, 90.0, 50.0)],
    )
    write_records(
        store,
        "guard_areas",
        [
            (1, {"name": "Här", "valid_from": "2020-01-01"}, NE.buffer(0.0005)),
            (2, {"name": "Där", "valid_from": "2020-01-01"}, FAR),
        ],
    )
    out = analyse.coverage(store, SYSTEM, "Plattan", on="2023-06-01")
    assert (out.summary["cameras"], out.summary["guard_areas"]) == (1, 1)
    assert out.summary["guard_area_share"] == pytest.approx(1.0)


def test_coverage_of_a_place_without_cameras_or_streets_says_so(places):
    store = places
    out = analyse.coverage(store, SYSTEM, "Långt bort", on="2023-06-01")
    s = out.summary
    assert s["camera_area_share"] == 0.0 and s["cameras"] == 0
    # no street length to share: no figure rather than NaN (printed "nan" in the terminal)
    assert s["camera_street_share"] is None and s["guard_street_share"] is None
    notes = " ".join(out.notes)
    assert "no camera" in notes and "no guard" in notes and "no street" in notes
    # a street that only passes the box, not the place, is no street of it
    write_records(
        store,
        "streets",
        [(1, {"name": "Götgatan"}, LineString([(18.0995, 59.3001), (18.1001, 59.2995)]))],
    )
    assert analyse.coverage(store, SYSTEM, "Långt bort").summary["camera_street_share"] is None


def test_survey_interval_is_that_of_the_share_shown(places):
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportion_confint,
        proportions_ztest,
    )

    store = places
    write_survey(store, [(2017, "Plattan", 0.38, 420), (2017, "city", 0.072, 24500)])
    row = analyse.survey(store, SYSTEM, "Plattan").rows[0]
    # 0.38 x 420 = 159.6 respondents: a weighted share, not 160 of 420
    lo, hi = proportion_confint(0.38 * 420, 420, method="wilson")
    assert (row["share"], row["ci_low"], row["ci_high"]) == pytest.approx((0.38, lo, hi))
    lo, hi = proportion_confint(0.072 * 24500, 24500, method="wilson")
    assert (row["city_ci_low"], row["city_ci_high"]) == pytest.approx((lo, hi))
    lo, hi = confint_proportions_2indep(
        0.38 * 420, 420, 0.072 * 24500, 24500, method="newcomb", compare="diff"
    )
    assert row["difference"] == pytest.approx(0.38 - 0.072)
    assert (row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx((lo, hi))
    _, p = proportions_ztest([0.38 * 420, 0.072 * 24500], [420, 24500])
    assert row["p_value"] == pytest.approx(p, rel=1e-6)


def test_survey_of_the_city_is_not_compared_with_itself(places):
    store = places
    write_survey(store, [(2017, "Plattan", 0.38, 420), (2017, "city", 0.072, 24500)])
    out = analyse.survey(store, SYSTEM, "city")
    assert "difference" not in out.rows[0] and "p_value" not in out.rows[0]
    assert any("city" in n for n in out.notes)


def _extent_places(store, geom_a, geom_b, status_b="listed"):
    write_records(
        store,
        "places",
        [
            (1, {"name": "Scen", "kind": "scene", "round": 2022, "status": "listed"}, geom_a),
            (2, {"name": "Scen", "kind": "scene", "round": 2023, "status": status_b}, geom_b),
        ],
    )


def test_extent_compare_refuses_the_same_round_twice_and_names_the_rounds(sqlite_store):
    store = sqlite_store
    _extent_places(store, NE, NE)
    with pytest.raises(ValidationError) as e:
        analyse.extent(store, SYSTEM, "Scen", compare=("2023", "2023"))
    assert e.value.field == "compare"
    with pytest.raises(NotFound) as e:
        analyse.extent(store, SYSTEM, "Scen", compare=("2021", "2023"))
    assert "2022, 2023" in str(e.value)


def test_extent_compare_shows_the_status_of_each_round(sqlite_store):
    store = sqlite_store
    _extent_places(store, NE, NE, status_b="delisted")
    out = analyse.extent(store, SYSTEM, "Scen", compare=("2022", "2023"))
    assert (out.summary["status_a"], out.summary["status_b"]) == ("listed", "delisted")
    assert any("delisted" in n for n in out.notes)


def test_extent_of_points_that_form_no_cluster_is_refused(sqlite_store):
    store = sqlite_store
    write_records(store, "places", [(1, {"name": "Plattan", "kind": "priority_place"}, NE)])
    lon, lat = NE.centroid.x, NE.centroid.y
    rows = [
        (
            i,
            {
                "id": f"o{i}",
                "occurred_at": "2023-05-01 21:00",
                "category": "drug_sale",
                "lat": lat,
                "lon": lon,
            },
            None,
        )
        for i in range(12)
    ]
    assert write_records(store, "observations", rows).stored == 12
    with pytest.raises(ValidationError) as e:
        analyse.extent(store, SYSTEM, "Plattan", "2023", "2023")
    assert "no cluster" in str(e.value)
    assert Point(lon, lat).within(NE)


def test_the_map_draws_camera_fields_of_view_from_true_north(sqlite_store):
    from lagesbild.services.pages import camera_sectors

    store = sqlite_store
    write_records(store, "cameras", [_camera(1, *CAM, 75.0, 30.0, 100.0)])
    fc = camera_sectors(store, SYSTEM)
    drawn = _projected(shapely.geometry.shape(fc["features"][0]["geometry"]))
    ref = _geodesic_sector(*CAM, 75.0, 30.0, 100.0)
    # drawn with 5-degree chords: the same sector up to the chords' sliver (< 0.3 %)
    assert drawn.symmetric_difference(ref).area / ref.area < 3e-3


@pytest.mark.parametrize("on", ["2023", "2023-06", "2023-01-01..2023-06-30", "juni"])
def test_coverage_date_is_one_day(places, on):
    # a year or month was read as its first day: "coverage on 2023" has no one answer
    with pytest.raises(ValidationError) as e:
        analyse.coverage(places, SYSTEM, "Plattan", on=on)
    assert e.value.field == "date" and "2023-06-01" in str(e.value)


def test_survey_question_is_plain_text_in_any_case(places):
    store = places
    write_records(
        store,
        "survey_results",
        [
            (
                1,
                {
                    "survey": "S",
                    "year": 2017,
                    "area": "Plattan",
                    "question": "Otrygg 100%",
                    "share": 0.4,
                    "n": 100,
                },
                None,
            ),
            (
                2,
                {
                    "survey": "S",
                    "year": 2017,
                    "area": "Plattan",
                    "question": "Otrygg 1000",
                    "share": 0.2,
                    "n": 100,
                },
                None,
            ),
            (
                3,
                {
                    "survey": "S",
                    "year": 2017,
                    "area": "Plattan",
                    "question": "Ängslig",
                    "share": 0.3,
                    "n": 100,
                },
                None,
            ),
        ],
    )
    # % is a character to look for, not a wildcard; Ä/ä and Ö/ö match in any case
    out = analyse.survey(store, SYSTEM, "Plattan", question="100%")
    assert out.summary["question"] == "Otrygg 100%" and out.rows[0]["share"] == 0.4
    out = analyse.survey(store, SYSTEM, "PLATTAN", question="äNGS")
    assert out.summary["question"] == "Ängslig"
    # a question that is exactly the one asked wins over others that contain it
    out = analyse.survey(store, SYSTEM, "Plattan", question="otrygg 1000")
    assert out.summary["question"] == "Otrygg 1000"
    with pytest.raises(ValidationError):  # two questions contain "otrygg": say which
        analyse.survey(store, SYSTEM, "Plattan", question="otrygg")
