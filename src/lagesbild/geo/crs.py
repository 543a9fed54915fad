"""Projection between WGS84 (storage, GeoJSON order lon, lat) and the store's projected CRS
(lengths and areas; default SWEREF 99 TM, EPSG:3006)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from lagesbild.errors import ValidationError

if TYPE_CHECKING:  # pyproj is imported where it is used: 0.08 s that most commands never need
    from pyproj import CRS, Transformer

WGS84 = "EPSG:4326"
M2_PER_HA = 10_000.0


def parse_crs(text: str, field: str = "crs") -> CRS:
    """Parse `EPSG:NNNN` (or anything pyproj accepts) and insist it is a known CRS."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(text)
    except (CRSError, TypeError) as exc:
        raise ValidationError(field, f"unknown CRS {text!r}; expected e.g. EPSG:3006") from exc
    return crs


@lru_cache(maxsize=32)
def transformer(src: str, dst: str) -> Transformer:
    """pyproj's transformer from `src` to `dst`, in lon, lat (x, y) order, made once."""
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


class Projector:
    """Transforms geometries and coordinate arrays between WGS84 and one projected CRS."""

    def __init__(self, crs: str = "EPSG:3006") -> None:
        parsed = parse_crs(crs)
        if not parsed.is_projected:
            raise ValidationError("crs", f"{crs} is not a projected CRS (metres are needed)")
        self.crs = parsed.to_string()
        self._fwd = transformer(WGS84, self.crs)
        self._inv = transformer(self.crs, WGS84)

    def to_projected(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, self._fwd_xy)

    def to_wgs84(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, self._inv_xy)

    def lonlat_to_xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))

    def xy_to_lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._inv.transform(np.asarray(x, float), np.asarray(y, float))

    def area_ha(self, geom_wgs84: BaseGeometry) -> float:
        """Area in hectares of a WGS84 geometry, measured in the projected CRS."""
        return float(self.to_projected(geom_wgs84).area) / M2_PER_HA

    def length_m(self, geom_wgs84: BaseGeometry) -> float:
        return float(self.to_projected(geom_wgs84).length)

    def grid_bearing(self, lon: np.ndarray, lat: np.ndarray, bearing: np.ndarray) -> np.ndarray:
        """Bearings from true north at (lon, lat) turned into bearings from the projected CRS's
        grid north (the meridian convergence: about -2.6 degrees at Sergels torg in SWEREF 99
        TM), in [0, 360). Conformal projections keep angles, so a field of view drawn in the
        grid with this bearing points where the camera looks."""
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        # the grid direction of a step of 1e-5 degrees (about a metre) to the north
        x0, y0 = self._fwd.transform(lon, lat)
        x1, y1 = self._fwd.transform(lon, lat + 1e-5)
        north = np.degrees(np.arctan2(np.subtract(x1, x0), np.subtract(y1, y0)))
        return np.mod(np.asarray(bearing, float) + north, 360.0)

    def _fwd_xy(self, coords: np.ndarray) -> np.ndarray:
        x, y = self._fwd.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _inv_xy(self, coords: np.ndarray) -> np.ndarray:
        x, y = self._inv.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])


def transform_from(crs: str, geom: BaseGeometry, to: str = WGS84) -> BaseGeometry:
    """Transform a geometry given in any CRS (e.g. a file's own) to another (default WGS84)."""
    src = parse_crs(crs).to_string()
    if src == parse_crs(to).to_string():
        return geom
    tr = transformer(src, to)

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)
