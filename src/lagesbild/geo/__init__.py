"""Coordinate reference systems, projection of WGS84 geometries to the store's projected CRS,
areas and lengths, and the validation rules that keep stored geometries sound."""

from lagesbild.geo.crs import Projector, parse_crs
from lagesbild.geo.region import Region, SWEDEN
from lagesbild.geo.validate import clean_polygon, clean_line, check_point

__all__ = [
    "Projector",
    "parse_crs",
    "Region",
    "SWEDEN",
    "clean_polygon",
    "clean_line",
    "check_point",
]
