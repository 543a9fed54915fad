"""Square cell grids aligned to multiples of the cell size in a projected CRS.

A :class:`Grid` is the support of the hot-spot statistics (:mod:`.hotspots`) and of the kernel
density (:mod:`.kde`). Cells are half-open squares
``[x0 + c * size, x0 + (c + 1) * size) x [y0 + r * size, y0 + (r + 1) * size)``; row ``r = 0`` is
the southernmost row, so an array of shape ``(ny, nx)`` indexed ``[row, col]`` maps onto the map
with north up when plotted with ``origin="lower"``. The flat cell index is ``row * nx + col``.

Every cell of the grid exists, whether or not a point falls in it (zero cells are included):
this matters for Gi*, whose mean and variance are taken over all cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Grid", "make_grid", "grid_for_points", "bin_points"]


@dataclass(frozen=True)
class Grid:
    """A regular grid of square cells.

    Attributes
    ----------
    x0, y0 : float
        Lower-left corner of the grid, a multiple of ``cell_size`` (projected CRS, metres).
    cell_size : float
        Side of a cell in metres.
    nx, ny : int
        Number of columns (west to east) and rows (south to north).
    """

    x0: float
    y0: float
    cell_size: float
    nx: int
    ny: int

    @property
    def shape(self) -> tuple[int, int]:
        """Array shape ``(ny, nx)`` of per-cell values."""
        return (self.ny, self.nx)

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the whole grid."""
        s = self.cell_size
        return (self.x0, self.y0, self.x0 + self.nx * s, self.y0 + self.ny * s)

    @property
    def cell_area_ha(self) -> float:
        return self.cell_size**2 / 10_000.0

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates as two arrays of shape ``(ny, nx)``."""
        s = self.cell_size
        xs = self.x0 + (np.arange(self.nx) + 0.5) * s
        ys = self.y0 + (np.arange(self.ny) + 0.5) * s
        return np.meshgrid(xs, ys)

    def cell_polygons(self) -> np.ndarray:
        """Cell squares as a flat array of Shapely polygons in flat-index order."""
        cx, cy = self.centres()
        h = self.cell_size / 2.0
        return shapely.box(cx.ravel() - h, cy.ravel() - h, cx.ravel() + h, cy.ravel() + h)

    def cell_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat cell index of each point, ``-1`` for points outside the grid.

        Points on the grid's northern or eastern edge belong to the last row or column, so a
        grid made from the points' bounding box holds every point.
        """
        col, row, inside = self._col_row(x, y)
        out = np.full(col.shape, -1, dtype=np.int64)
        out[inside] = row[inside] * self.nx + col[inside]
        return out

    def _col_row(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        xmin, ymin, xmax, ymax = self.bounds
        col = np.floor((x - self.x0) / self.cell_size).astype(np.int64)
        row = np.floor((y - self.y0) / self.cell_size).astype(np.int64)
        # the closed north/east edge belongs to the last cell
        col = np.where(x == xmax, self.nx - 1, col)
        row = np.where(y == ymax, self.ny - 1, row)
        inside = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return col, row, inside


def make_grid(bbox: tuple[float, float, float, float], cell_size: float) -> Grid:
    """Grid of cells aligned to multiples of ``cell_size`` that covers ``bbox``.

    Parameters
    ----------
    bbox : (xmin, ymin, xmax, ymax)
        Area to cover, in a projected CRS (metres).
    cell_size : float
        Cell side in metres, > 0.

    Returns
    -------
    Grid
        ``x0 = floor(xmin / s) * s``, ``nx = max(1, ceil(xmax / s) - floor(xmin / s))``, and the
        same for y; a degenerate bbox still gives one cell.

    Examples
    --------
    >>> make_grid((120.0, 40.0, 310.0, 90.0), 100.0)
    Grid(x0=100.0, y0=0.0, cell_size=100.0, nx=3, ny=1)
    """
    if not cell_size > 0:
        raise ValueError("cell_size must be positive")
    xmin, ymin, xmax, ymax = (float(v) for v in bbox)
    if not (xmax >= xmin and ymax >= ymin):
        raise ValueError("bbox must be (xmin, ymin, xmax, ymax)")
    i0, j0 = math.floor(xmin / cell_size), math.floor(ymin / cell_size)
    nx = max(1, math.ceil(xmax / cell_size) - i0)
    ny = max(1, math.ceil(ymax / cell_size) - j0)
    return Grid(i0 * cell_size, j0 * cell_size, float(cell_size), nx, ny)


def grid_for_points(x: np.ndarray, y: np.ndarray, cell_size: float) -> Grid:
    """Aligned grid covering the bounding box of the points (see :func:`make_grid`)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 0:
        raise ValueError("no points")
    return make_grid((x.min(), y.min(), x.max(), y.max()), cell_size)


def bin_points(
    grid: Grid, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Count (or sum ``weights`` of) the points in each cell.

    Returns an array of shape ``grid.shape`` (``int64`` counts, or ``float`` sums when weights
    are given). Points outside the grid are ignored. ``O(N)`` via :func:`numpy.bincount`.
    """
    idx = grid.cell_index(x, y)
    keep = idx >= 0
    w = None if weights is None else np.asarray(weights, dtype=float)[keep]
    counts = np.bincount(idx[keep], weights=w, minlength=grid.n_cells)
    return counts.reshape(grid.shape)
