"""Geometry rules: what may be stored. Invalid polygons are repaired where the repair is
unambiguous (ring order, a self-touching ring, a bow-tie) and refused otherwise; coordinates
outside the store's region are refused, with a hint when swapping lon/lat would fix them."""

from __future__ import annotations

import math

import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from lagesbild.errors import GeometryError
from lagesbild.geo.region import Region


def _swap(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: c[:, ::-1])


def _check_region(geom: BaseGeometry, region: Region, what: str) -> None:
    if region.contains_bounds(geom.bounds):
        return
    hint = None
    if region.contains_bounds(_swap(geom).bounds):
        hint = "the coordinates look like lat/lon swapped; GeoJSON order is lon, lat"
    minx, miny, maxx, maxy = geom.bounds
    raise GeometryError(
        f"{what} lies outside the store's region {region} "
        f"(its bounds are {minx:.5f},{miny:.5f},{maxx:.5f},{maxy:.5f})",
        hint or "check the coordinates and their CRS",
    )


def check_point(geom: BaseGeometry, region: Region, what: str = "point") -> Point:
    if not isinstance(geom, Point) or geom.is_empty:
        raise GeometryError(f"{what} must be a point, got {geom.geom_type}")
    _check_region(geom, region, what)
    return geom


def clean_polygon(geom: BaseGeometry, region: Region, what: str = "polygon") -> BaseGeometry:
    """Return a valid (Multi)Polygon with exterior rings counter-clockwise (RFC 7946)."""
    if not isinstance(geom, (Polygon, MultiPolygon)) or geom.is_empty:
        raise GeometryError(f"{what} must be a polygon, got {geom.geom_type}")
    _check_region(geom, region, what)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        repaired = shapely.make_valid(geom)
        parts = shapely.get_parts(repaired)
        polys = [g for g in parts if isinstance(g, (Polygon, MultiPolygon)) and g.area > 0]
        # make_valid may reduce a collapsed ring to lines or points: that is no repair.
        if not polys:
            raise GeometryError(f"{what} is invalid ({reason}) and cannot be repaired")
        geom = shapely.union_all(polys)
    if _approx_m2(geom) < MIN_AREA_M2:
        # GEOS calls a ring of points on one line valid when rounding leaves it a sliver of
        # area: as a place or extent it would divide counts by almost nothing
        raise GeometryError(
            f"{what} has no area (about {_approx_m2(geom):.2g} m²)",
            "check that its corners do not lie on one line",
        )
    return shapely.orient_polygons(geom) if hasattr(shapely, "orient_polygons") else _orient(geom)


MIN_AREA_M2 = 1.0
_M_PER_DEG = 111_320.0  # along a meridian, and along the equator


def _approx_m2(geom: BaseGeometry) -> float:
    """Area of a WGS84 geometry in square metres, to within a few per cent (enough to tell a
    sliver from a polygon; the store's projected CRS gives the exact figures)."""
    lat = math.radians(geom.centroid.y)
    return geom.area * _M_PER_DEG**2 * max(math.cos(lat), 1e-6)


def _orient(geom: BaseGeometry) -> BaseGeometry:
    if isinstance(geom, Polygon):
        return shapely.geometry.polygon.orient(geom, 1.0)
    return MultiPolygon([shapely.geometry.polygon.orient(p, 1.0) for p in geom.geoms])


def clean_line(geom: BaseGeometry, region: Region, what: str = "line") -> BaseGeometry:
    if not isinstance(geom, (LineString, MultiLineString)) or geom.is_empty:
        raise GeometryError(f"{what} must be a line, got {geom.geom_type}")
    _check_region(geom, region, what)
    if geom.length <= 0:
        raise GeometryError(f"{what} has no length")
    return geom
