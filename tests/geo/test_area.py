"""Areas in hectares against an independent geodesic computation (pyproj.Geod), and the
geometry rules: region, swapped coordinates, repair or refusal."""

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, box

from lagesbild.errors import GeometryError, ValidationError
from lagesbild.geo import SWEDEN, Projector, Region, check_point, clean_line, clean_polygon

GEOD = Geod(ellps="GRS80")


def geodesic_ha(poly: Polygon) -> float:
    area, _ = GEOD.geometry_area_perimeter(poly)
    return abs(area) / 10_000


@pytest.mark.parametrize(
    "poly",
    [
        box(18.060, 59.330, 18.070, 59.335),  # Sergels torg area, ~31 ha
        Polygon([(18.045, 59.341), (18.055, 59.341), (18.052, 59.346), (18.046, 59.345)]),
        box(11.95, 57.70, 11.99, 57.72),  # Gothenburg
        box(20.2, 67.84, 20.3, 67.87),  # Kiruna, far from the central meridian
    ],
)
def test_area_in_hectares_matches_geodesic_within_0_1_percent(poly):
    ha = Projector("EPSG:3006").area_ha(poly)
    assert ha == pytest.approx(geodesic_ha(poly), rel=1e-3)


def test_area_in_another_crs_british_national_grid():
    poly = box(-2.25, 53.47, -2.23, 53.49)  # Manchester
    assert Projector("EPSG:27700").area_ha(poly) == pytest.approx(geodesic_ha(poly), rel=1e-3)


def test_length_of_a_street_matches_geodesic():
    line = LineString([(18.0600, 59.3320), (18.0700, 59.3330)])
    expected = GEOD.geometry_length(line)
    assert Projector().length_m(line) == pytest.approx(expected, rel=1e-3)


def test_projected_crs_required_and_unknown_crs_refused():
    with pytest.raises(ValidationError, match="not a projected CRS"):
        Projector("EPSG:4326")
    with pytest.raises(ValidationError, match="unknown CRS"):
        Projector("EPSG:999999")


def test_round_trip_wgs84_projected():
    p = Projector()
    pt = Point(18.0649, 59.3326)
    back = p.to_wgs84(p.to_projected(pt))
    assert back.distance(pt) < 1e-9
    x, y = p.lonlat_to_xy([18.0649], [59.3326])
    assert 670_000 < x[0] < 680_000 and 6_575_000 < y[0] < 6_585_000


def test_swapped_point_is_refused_with_a_hint():
    with pytest.raises(GeometryError, match="lat/lon swapped"):
        check_point(Point(59.3326, 18.0649), SWEDEN)
    assert check_point(Point(18.0649, 59.3326), SWEDEN)


def test_point_outside_region():
    with pytest.raises(GeometryError, match="outside the store's region"):
        check_point(Point(2.35, 48.85), SWEDEN)  # Paris
    manchester = Region.parse("-3,53,-1.5,54")
    assert check_point(Point(-2.24, 53.48), manchester)


def test_bow_tie_is_repaired_into_two_parts_of_the_same_area():
    bow = Polygon([(18.06, 59.33), (18.07, 59.335), (18.07, 59.33), (18.06, 59.335)])
    assert not bow.is_valid
    fixed = clean_polygon(bow, SWEDEN)
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    # Two triangles, each a quarter of the box.
    assert fixed.area == pytest.approx(box(18.06, 59.33, 18.07, 59.335).area / 2)


def test_clockwise_ring_is_reoriented_counter_clockwise():
    cw = Polygon([(18.06, 59.33), (18.06, 59.335), (18.07, 59.335), (18.07, 59.33)])
    assert not cw.exterior.is_ccw
    assert clean_polygon(cw, SWEDEN).exterior.is_ccw


def test_collapsed_polygon_is_refused():
    flat = Polygon([(18.06, 59.33), (18.07, 59.33), (18.08, 59.33)])
    with pytest.raises(GeometryError, match="cannot be repaired|no area"):
        clean_polygon(flat, SWEDEN)


def test_polygon_required_for_polygon_layers_and_lines_for_streets():
    with pytest.raises(GeometryError, match="must be a polygon"):
        clean_polygon(Point(18.06, 59.33), SWEDEN)
    with pytest.raises(GeometryError, match="must be a line"):
        clean_line(box(18.06, 59.33, 18.07, 59.335), SWEDEN)
    assert clean_line(LineString([(18.06, 59.33), (18.07, 59.33)]), SWEDEN).length > 0


def test_region_parse_errors():
    with pytest.raises(ValidationError, match="minlon,minlat,maxlon,maxlat"):
        Region.parse("1,2,3")
    with pytest.raises(ValidationError, match="not a valid lon/lat box"):
        Region.parse("20,60,10,55")
    assert str(Region.parse("10,55,24.5,69.5")) == "10,55,24.5,69.5"
    assert shapely.box(*Region.parse("10,55,24.5,69.5").__dict__.values()).area > 0
