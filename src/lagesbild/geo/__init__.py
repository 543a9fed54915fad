"""Coordinate reference systems, projection of WGS84 geometries to the store's projected CRS,
areas and lengths, and the validation rules that keep stored geometries sound."""

from lagesbild.geo.crs import Projector, parse_crs
from lagesbild.geo.region import SWEDEN, Region
from lagesbild.geo.validate import check_point, clean_line, clean_polygon

__all__ = [
    "Projector",
    "parse_crs",
    "Region",
    "SWEDEN",
    "clean_polygon",
    "clean_line",
    "check_point",
]
