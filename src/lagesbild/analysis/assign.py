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
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Assignment", "PolygonGrid", "assign_points", "count_in_polygons"]


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


def _gather(
    order: np.ndarray, starts: np.ndarray, cells: np.ndarray, polys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The point indices in ``cells`` (from the counting-sorted ``order`` and the cells'
    ``starts``), each with the polygon of its cell pair."""
    lo, hi = starts[cells], starts[cells + 1]
    n = hi - lo
    keep = n > 0
    lo, n, polys = lo[keep], n[keep], polys[keep]
    if n.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    offs = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(n.sum())
    return order[offs], np.repeat(polys, n)


def _auto_cell(bounds: np.ndarray, extent: tuple[float, float, float, float], n: int) -> float:
    """Cell about 1/8 of the median polygon's bbox side, no finer than ~1 point per cell."""
    side = np.sqrt(np.maximum((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1]), 0))
    area = max((extent[2] - extent[0]) * (extent[3] - extent[1]), 1e-12)
    finest = math.sqrt(area / max(n, 1))
    mid = _median(side) if side.size else 0.0
    return max(mid / 8 if mid > 0 else finest, finest)


def _median(a: np.ndarray) -> float:
    """The median of finite values (of an even count, the mean of the middle two), as
    np.median gives it, by the standard library's: np.median's check for NaN imports
    numpy.ma, 15 ms on the path of an import's first chunk."""
    return float(statistics.median(a.tolist()))


class PolygonGrid:
    """Polygons laid on a regular grid once, to assign many batches of points (an import's
    chunks) without classifying the grid's cells again for each batch.

    The grid covers ``extent`` (default: the polygons' bounds; a point outside it is in no
    polygon) with square cells of side ``cell_size`` (default: an eighth of the median
    polygon's bounding-box side, no finer than one cell per point when a batch holds about
    ``points``); never more than ``max_cells`` cells. For each polygon, the cells
    of its bounding box are classified once: inside its interior (``contains_properly``), on
    its boundary (``intersects``), or neither. :meth:`assign` then buckets the points (a
    counting sort by cell), takes the points of the inner cells without a test and tests
    those of the boundary cells with ``contains_xy`` (or ``intersects_xy``), all polygons in
    one vectorised call.
    """

    def __init__(
        self,
        polygons: Sequence[shapely.Geometry] | np.ndarray,
        *,
        include_boundary: bool = False,
        cell_size: float | None = None,
        extent: tuple[float, float, float, float] | None = None,
        points: int | None = None,
        max_cells: int = 1 << 20,
    ) -> None:
        self.polygons = np.asarray(polygons, dtype=object).ravel()
        self.include_boundary = include_boundary
        m = self.polygons.size
        live = np.array([p is not None and not p.is_empty for p in self.polygons], dtype=bool)
        bounds = shapely.bounds(self.polygons) if m else np.zeros((0, 4))
        if extent is None and live.any():
            b = bounds[live]
            extent = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
        self.extent = extent
        # (cell, polygon) pairs of the polygons' inner and boundary cells, by cell
        self.inner_cell = self.inner_poly = self.edge_cell = self.edge_poly = np.empty(
            0, dtype=np.int64
        )
        if extent is None or not live.any():
            self.nx = self.ny = 0
            return
        width, height = extent[2] - extent[0], extent[3] - extent[1]
        area = max(width * height, 1e-24)
        s = cell_size or _auto_cell(bounds[live], extent, min(points or max_cells, max_cells))
        # no more than max_cells cells: the bucket array has one entry per cell
        s = max(s, math.sqrt(area / max_cells), 1e-12)
        self.cell = s
        self.nx, self.ny = int(width // s) + 1, int(height // s) + 1
        # every polygon's cells of its bounding box at once, (cell, polygon) in the polygons'
        # order and row by row within each: one vectorised test of all boxes instead of one
        # call per polygon (200 places: 21 -> 14 ms, on the path of an import's first chunk)
        idx = np.flatnonzero(live)
        lo = np.floor((bounds[idx, :2] - extent[:2]) / s).astype(np.int64)
        hi = np.floor((bounds[idx, 2:] - extent[:2]) / s).astype(np.int64)
        c0, r0 = np.maximum(lo[:, 0], 0), np.maximum(lo[:, 1], 0)
        c1, r1 = np.minimum(hi[:, 0], self.nx - 1), np.minimum(hi[:, 1], self.ny - 1)
        w, h = np.maximum(c1 - c0 + 1, 0), np.maximum(r1 - r0 + 1, 0)
        k = w * h
        q = np.repeat(idx, k)
        local = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
        rr = np.repeat(r0, k) + local // np.repeat(w, k)
        cc = np.repeat(c0, k) + local % np.repeat(w, k)
        cells = rr * self.nx + cc
        boxes = shapely.box(
            extent[0] + cc * s,
            extent[1] + rr * s,
            extent[0] + (cc + 1) * s,
            extent[1] + (rr + 1) * s,
        )
        shapely.prepare(self.polygons[idx])
        inner = shapely.contains_properly(self.polygons[q], boxes)
        edge = np.zeros_like(inner)
        rest = np.flatnonzero(~inner)  # an inner cell is not tested again
        edge[rest] = shapely.intersects(self.polygons[q[rest]], boxes[rest])

        def joined(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            c, p = cells[mask].astype(np.int64), q[mask].astype(np.int64)
            o = np.argsort(c, kind="stable")
            return c[o], p[o]

        self.inner_cell, self.inner_poly = joined(inner)
        self.edge_cell, self.edge_poly = joined(edge)

    def assign(self, x: np.ndarray, y: np.ndarray) -> Assignment:
        """Every (point, polygon) pair with the point inside the polygon, as
        :func:`assign_points`."""
        xa, ya = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
        n, m = xa.size, self.polygons.size
        empty = np.empty(0, dtype=np.int64)
        if n == 0 or self.nx == 0:
            return Assignment(empty, empty, n, m)
        ext, s, nx, ny = self.extent, self.cell, self.nx, self.ny
        with np.errstate(invalid="ignore"):
            col = np.floor((xa - ext[0]) / s)
            row = np.floor((ya - ext[1]) / s)
            ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)  # NaN fails all four
        cid = np.where(ok, row * nx + col, nx * ny).astype(np.int64)  # outside: a last bucket
        order = np.argsort(cid, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(cid, minlength=nx * ny + 1))])
        pin, qin = _gather(order, starts, self.inner_cell, self.inner_poly)
        cand, qc = _gather(order, starts, self.edge_cell, self.edge_poly)
        test = shapely.intersects_xy if self.include_boundary else shapely.contains_xy
        hit = test(self.polygons[qc], xa[cand], ya[cand]) if cand.size else np.zeros(0, bool)
        p, q = np.concatenate([pin, cand[hit]]), np.concatenate([qin, qc[hit]])
        srt = np.lexsort((q, p))
        return Assignment(p[srt], q[srt], n, m)


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
    polys = np.asarray(polygons, dtype=object).ravel()
    n, m = xa.size, polys.size
    ok = np.isfinite(xa) & np.isfinite(ya)
    if n == 0 or m == 0 or not ok.any():
        empty = np.empty(0, dtype=np.int64)
        return Assignment(empty, empty, n, m)
    # the grid covers the points only: a polygon's cells outside them are never looked at
    ext = (xa[ok].min(), ya[ok].min(), xa[ok].max(), ya[ok].max())
    grid = PolygonGrid(
        polys, include_boundary=include_boundary, cell_size=cell_size, extent=ext, points=n
    )
    return grid.assign(xa, ya)


def count_in_polygons(
    x: np.ndarray, y: np.ndarray, polygons: Sequence[shapely.Geometry] | np.ndarray, **kw
) -> np.ndarray:
    """Number of points inside each polygon (see :func:`assign_points`)."""
    return assign_points(x, y, polygons, **kw).counts()
