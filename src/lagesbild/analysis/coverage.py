r"""Coverage of a place by camera fields of view and by guard-designated areas.

*Camera sector.* A camera at :math:`(x, y)` looking along bearing :math:`\beta` (degrees from
north, clockwise), with horizontal field of view :math:`\theta` and range :math:`r`, sees the
circular sector of directions :math:`\beta \pm \theta/2`. A direction :math:`\phi` points to
:math:`(x + r \sin\phi,\ y + r \cos\phi)`. The arc is approximated by :math:`k` equal chords
(``arc_step_deg``, default 1 degree), so the polygon's area is exactly
:math:`\tfrac{k}{2} r^2 \sin(\theta / k)`, which approaches the sector area
:math:`\tfrac{\theta}{2} r^2` (:math:`\pi r^2` for a full circle) from below with a relative
error of about :math:`(\theta/k)^2 / 6` (5e-5 at 1 degree).

*Coverage* of a place polygon :math:`P` by the union :math:`U` of cover polygons (camera
sectors or guard areas): area share :math:`|P \cap U| / |P|`, street-length share
:math:`\ell(S \cap P \cap U) / \ell(S \cap P)` for street lines :math:`S`, and the uncovered
street segments :math:`S \cap P \setminus U`, split into connected pieces, longest first.
Walls and obstructions are not modelled: a sector is an upper bound of what a camera sees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = [
    "CoverageResult",
    "UncoveredSegment",
    "camera_sector",
    "camera_sectors",
    "coverage",
]


def camera_sector(
    x: float,
    y: float,
    bearing: float,
    angle: float,
    range_m: float,
    *,
    arc_step_deg: float = 1.0,
) -> shapely.Polygon:
    """Field-of-view polygon of a camera (see module docstring).

    Examples
    --------
    >>> s = camera_sector(0, 0, 90, 90, 10)  # looking east
    >>> round(s.area, 3), s.bounds[0] == 0.0
    (78.536, True)
    """
    if not range_m > 0 or not angle > 0:
        raise ValueError("range and angle must be positive")
    full = angle >= 360.0
    span = 360.0 if full else float(angle)
    k = max(2, math.ceil(span / arc_step_deg))
    phi = np.deg2rad(bearing - span / 2.0 + np.arange(k + 1) * span / k)
    arc = np.column_stack([x + range_m * np.sin(phi), y + range_m * np.cos(phi)])
    if full:
        return shapely.Polygon(arc[:-1])
    return shapely.Polygon(np.vstack([[x, y], arc]))


def camera_sectors(cameras: np.ndarray | Sequence[Sequence[float]], **kw) -> list[shapely.Polygon]:
    """Sectors for rows ``(x, y, bearing, angle, range_m)``."""
    rows = np.asarray(cameras, dtype=float).reshape(-1, 5)
    return [camera_sector(*row, **kw) for row in rows]


@dataclass(frozen=True)
class UncoveredSegment:
    """A connected piece of street inside the place and outside every cover polygon."""

    street_index: int
    name: str | None
    length_m: float
    geometry: shapely.LineString


@dataclass(frozen=True)
class CoverageResult:
    """Shares of a place's area and street length inside the cover polygons."""

    label: str
    area_ha: float
    covered_area_ha: float
    area_share: float
    street_length_m: float
    covered_street_m: float
    street_share: float
    uncovered: tuple[UncoveredSegment, ...]
    covered_geometry: shapely.Geometry

    def to_dict(self) -> dict:
        keys = (
            "label",
            "area_ha",
            "covered_area_ha",
            "area_share",
            "street_length_m",
            "covered_street_m",
            "street_share",
        )
        out = {k: getattr(self, k) for k in keys}
        out["n_uncovered_segments"] = len(self.uncovered)
        return out

    def uncovered_records(self) -> list[dict]:
        """Uncovered segments (longest first) with their geometry in the projected CRS."""
        return [
            {
                "street_index": s.street_index,
                "name": s.name,
                "length_m": s.length_m,
                "geometry": s.geometry,
            }
            for s in self.uncovered
        ]


def _pieces(geom: shapely.Geometry) -> list[shapely.LineString]:
    if geom.is_empty:
        return []
    merged = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
    parts = shapely.get_parts(merged)
    return [p for p in parts if p.geom_type == "LineString" and p.length > 0]


def coverage(
    place: shapely.Geometry,
    covers: Sequence[shapely.Geometry],
    streets: Sequence[shapely.Geometry] = (),
    *,
    street_names: Sequence[str | None] | None = None,
    label: str = "",
    min_segment_m: float = 0.0,
) -> CoverageResult:
    """Share of ``place``'s area and of its ``streets``' length inside the union of ``covers``.

    Parameters
    ----------
    place : Polygon or MultiPolygon
        The place (or a round's extent), projected CRS.
    covers : sequence of polygons
        Camera sectors (:func:`camera_sectors`) or guard-designated areas valid on the date.
    streets : sequence of LineString / MultiLineString
        Street centre lines; only their parts inside ``place`` count.
    min_segment_m : float
        Drop uncovered pieces shorter than this (slivers from digitising).
    """
    union = shapely.union_all(list(covers)) if len(covers) else shapely.Polygon()
    covered = shapely.intersection(place, union)
    area = place.area
    names = list(street_names) if street_names is not None else [None] * len(streets)
    total = cov_len = 0.0
    segs: list[UncoveredSegment] = []
    for i, street in enumerate(streets):
        inside = shapely.intersection(street, place)
        total += inside.length
        cov_len += shapely.intersection(inside, union).length
        for piece in _pieces(shapely.difference(inside, union)):
            if piece.length >= min_segment_m:
                segs.append(UncoveredSegment(i, names[i], float(piece.length), piece))
    segs.sort(key=lambda s: -s.length_m)
    return CoverageResult(
        label,
        area / 1e4,
        covered.area / 1e4,
        covered.area / area if area else float("nan"),
        total,
        cov_len,
        cov_len / total if total else float("nan"),
        tuple(segs),
        covered,
    )
