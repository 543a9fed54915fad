"""Assign points to the polygons that contain them (point-in-polygon join), fast.

For N points and M polygons the naive join costs O(N M) point-in-polygon tests. Here the points
are bucketed once into a regular grid (a counting sort by cell); for each polygon only the
cells in its bounding box are looked at, and

* cells lying entirely in the polygon's interior (``contains_properly``, prepared geometry)
  take all their points without any test;
* cells crossing the boundary test their points with ``shapely.contains_xy`` (or
  ``intersects_xy``), which works on coordinates and builds no point geometries;
* other cells are skipped.

The result equals ``STRtree(polygons).query(points, predicate="within")`` (interior only, the
DE-9IM *within*) or, with ``include_boundary=True``, ``predicate="intersects"``. A point in
several (overlapping) polygons appears once per polygon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Assignment", "assign_points", "count_in_polygons"]


@dataclass(frozen=True)
class Assignment:
    """Pairs ``(point_index[k], polygon_index[k])``, sorted by point then polygon index."""

    point_index: np.ndarray
    polygon_index: np.ndarray
    n_points: int
    n_polygons: int

    def counts(self) -> np.ndarray:
        """Number of points per polygon."""
        return np.bincount(self.polygon_index, minlength=self.n_polygons)

    def to_records(self) -> list[dict]:
        return [
            {"point_index": int(p), "polygon_index": int(q)}
            for p, q in zip(self.point_index, self.polygon_index, strict=True)
        ]


def _gather(order: np.ndarray, starts: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Point indices in ``cells``, from the counting-sorted ``order`` and cell ``starts``."""
    lo, hi = starts[cells], starts[cells + 1]
    n = hi - lo
    keep = n > 0
    lo, n = lo[keep], n[keep]
    if n.size == 0:
        return np.empty(0, dtype=np.int64)
    offs = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(n.sum())
    return order[offs]


def _auto_cell(bounds: np.ndarray, extent: tuple[float, float, float, float], n: int) -> float:
    """Cell about 1/8 of the median polygon's bbox side, no finer than ~1 point per cell."""
    side = np.sqrt(np.maximum((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1]), 0))
    area = max((extent[2] - extent[0]) * (extent[3] - extent[1]), 1e-12)
    finest = math.sqrt(area / max(n, 1))
    med = float(np.median(side)) / 8 if side.size and np.median(side) > 0 else finest
    return max(med, finest)


def assign_points(
    x: np.ndarray,
    y: np.ndarray,
    polygons: Sequence[shapely.Geometry] | np.ndarray,
    *,
    include_boundary: bool = False,
    cell_size: float | None = None,
) -> Assignment:
    """Every (point, polygon) pair with the point inside the polygon.

    Parameters
    ----------
    x, y : ndarray
        Point coordinates, same projected CRS as the polygons.
    polygons : sequence of Polygon / MultiPolygon
    include_boundary : bool
        Count points on a polygon's boundary as inside (``intersects``); default interior only.
    cell_size : float, optional
        Bucket size; by default an eighth of the median polygon's bounding-box side.

    Examples
    --------
    >>> a = assign_points(np.array([1., 5., 9.]), np.array([1., 5., 9.]),
    ...                   [shapely.box(0, 0, 6, 6), shapely.box(4, 4, 10, 10)])
    >>> a.point_index.tolist(), a.polygon_index.tolist()
    ([0, 1, 1, 2], [0, 0, 1, 1])
    """
    xa, ya = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    polys = np.asarray(polygons, dtype=object)
    n, m = xa.size, polys.size
    empty = np.empty(0, dtype=np.int64)
    if n == 0 or m == 0:
        return Assignment(empty, empty, n, m)
    ok = np.isfinite(xa) & np.isfinite(ya)
    ext = (xa[ok].min(), ya[ok].min(), xa[ok].max(), ya[ok].max())
    bounds = shapely.bounds(polys)
    s = cell_size or _auto_cell(bounds, ext, n)
    nx = int((ext[2] - ext[0]) // s) + 1
    ny = int((ext[3] - ext[1]) // s) + 1
    col = np.where(ok, (xa - ext[0]) // s, -1).astype(np.int64)
    row = np.where(ok, (ya - ext[1]) // s, -1).astype(np.int64)
    cid = np.where(ok, row * nx + col, nx * ny)  # invalid points go to a sentinel bucket
    order = np.argsort(cid, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(cid, minlength=nx * ny + 1))])
    test = shapely.intersects_xy if include_boundary else shapely.contains_xy
    out_p, out_q = [], []
    for j, poly in enumerate(polys):
        if poly is None or poly.is_empty:
            continue
        c0, r0 = np.floor((bounds[j, :2] - ext[:2]) / s).astype(int)
        c1, r1 = np.floor((bounds[j, 2:] - ext[:2]) / s).astype(int)
        c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, nx - 1), min(r1, ny - 1)
        if c0 > c1 or r0 > r1:
            continue
        rr, cc = np.mgrid[r0 : r1 + 1, c0 : c1 + 1].reshape(2, -1)
        cells = rr * nx + cc
        boxes = shapely.box(
            ext[0] + cc * s, ext[1] + rr * s, ext[0] + (cc + 1) * s, ext[1] + (rr + 1) * s
        )
        shapely.prepare(poly)
        inner = shapely.contains_properly(poly, boxes)
        edge = ~inner & shapely.intersects(poly, boxes)
        pin = _gather(order, starts, cells[inner])
        cand = _gather(order, starts, cells[edge])
        hit = cand[test(poly, xa[cand], ya[cand])]
        pts = np.concatenate([pin, hit])
        out_p.append(pts)
        out_q.append(np.full(pts.size, j, dtype=np.int64))
    if not out_p:
        return Assignment(empty, empty, n, m)
    p, q = np.concatenate(out_p), np.concatenate(out_q)
    srt = np.lexsort((q, p))
    return Assignment(p[srt], q[srt], n, m)


def count_in_polygons(
    x: np.ndarray, y: np.ndarray, polygons: Sequence[shapely.Geometry] | np.ndarray, **kw
) -> np.ndarray:
    """Number of points inside each polygon (see :func:`assign_points`)."""
    return assign_points(x, y, polygons, **kw).counts()
