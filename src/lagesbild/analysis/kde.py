r"""Kernel density of points with the quartic (biweight) kernel, in points per hectare.

The density at a cell centre :math:`c` from points :math:`p_i` (weights :math:`w_i`, default 1):

.. math::

    \hat f(c) = 10^4 \sum_i w_i K(\lVert c - p_i \rVert), \qquad
    K(d) = \frac{3}{\pi h^2}\left(1 - \frac{d^2}{h^2}\right)^2 \text{ for } d < h,\ 0 \text{ else},

with bandwidth :math:`h` in metres; :math:`K` integrates to 1 over the plane, so
:math:`\hat f` is in points per hectare (the factor :math:`10^4` converts from per m²). This is
the kernel of ArcGIS's *Kernel Density* and CrimeStat's "quartic" (Silverman 1986, eq. 4.5).

``method="exact"`` sums over every point-cell pair within :math:`h` (a loop over the cell
offsets a point can reach, vectorised over the points): exact up to floating-point round-off.

``method="binned"`` replaces the points by weights on a lattice of nodes with spacing
:math:`\sigma = s / m` (``oversample`` :math:`m`), one node at every cell centre, and convolves
the node weights with the kernel sampled at the node-to-centre offsets, by FFT
(Wand 1994). The output at a cell centre :math:`c` is then, for each point, a combination of
:math:`f(q) = K(\lVert c - q \rVert)` at nodes near the point instead of :math:`f(p)`. Two
binning rules, each with a rigorous per-point error bound:

* ``binning="linear"`` (default) spreads each point over the 4 surrounding nodes with bilinear
  weights, so the point contributes the bilinear interpolant :math:`(I f)(p)`. For
  :math:`f \in W^{2,\infty}`, :math:`|f - I f| \le \frac{\sigma^2}{8}(\lVert f_{xx}\rVert_\infty +
  \lVert f_{yy} \rVert_\infty)`, and for the quartic kernel
  :math:`|f_{xx}| \le \max(|K''|, |K'/d|) \le 8A/h^2` with :math:`A = 3/(\pi h^2)`
  (:math:`K'' = -4A(1 - 3u^2)/h^2`, :math:`K'/d = -4A(1-u^2)/h^2`, :math:`u = d/h`), so the
  error per unit weight is at most :math:`\epsilon_1 = 2 A \sigma^2 / h^2`.
* ``binning="nearest"`` moves each point to its nearest node, at most
  :math:`\delta = \sigma/\sqrt 2` away, so the error per unit weight is at most
  :math:`\epsilon_1 = L\delta` with the Lipschitz constant
  :math:`L = \max|K'| = 8/(\sqrt 3 \pi h^3)` (at :math:`u = 1/\sqrt 3`; :math:`K` is
  :math:`C^1` at :math:`d = h`, so the bound holds across the edge).

Only points whose nodes or position lie within :math:`h` of :math:`c` can err, all of them
within :math:`h + \sigma\sqrt 2` of :math:`c`, hence the per-cell bound reported in
``error_bound``:

.. math::

    |\hat f_\text{binned}(c) - \hat f_\text{exact}(c)| \le
    10^4 \, \epsilon_1 \sum_{j : \lVert c_j - c \rVert < h + \sigma\sqrt 2 + s/\sqrt 2} |w|_j,

summing the absolute weights of the cells :math:`j` whose centre is close enough (a cell-level
superset). It excludes FFT round-off (about :math:`10^{-12}` of the largest density). The
bound is a worst case (every nearby point at its worst position); the actual error is usually
several times smaller.

References
----------
Silverman, B. W. (1986). *Density Estimation for Statistics and Data Analysis*. Chapman & Hall.
Levine, N. (2015). *CrimeStat IV*, ch. 10 (kernel density interpolation). NIJ.
Wand, M. P. (1994). Fast computation of multivariate kernel estimators. *JCGS* 3, 433-445.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import fft

from .grid import Grid, bin_points

__all__ = [
    "KDEResult",
    "choose_kde_method",
    "kde_quartic",
    "predict_kde_seconds",
    "quartic_kernel",
    "quartic_lipschitz",
]

_HA = 10_000.0

# Cost model of the two methods, fitted to benchmarks/bench_kde_rule.py on this project's
# 2-core machine (seconds per unit of work; see choose_kde_method).
_EXACT_PER_POINT_OFFSET = 8e-8
_EXACT_PER_CELL_OFFSET = 1.5e-9
_BINNED_PER_POINT = 4e-7
_BINNED_PER_FFT_CELL = 1.2e-7  # per padded cell and FFT at 2**20 cells, scaled by log2
#: Below this predicted time the exact sum is always used (seconds).
EXACT_TIME_BUDGET = 1.0


def quartic_kernel(d: np.ndarray, bandwidth: float) -> np.ndarray:
    """:math:`K(d) = 3/(\\pi h^2) (1 - d^2/h^2)^2` for ``d < h``, else 0 (per m²)."""
    h = float(bandwidth)
    u2 = np.asarray(d, dtype=float) ** 2 / (h * h)
    return np.where(u2 < 1.0, 3.0 / (math.pi * h * h) * (1.0 - u2) ** 2, 0.0)


def quartic_lipschitz(bandwidth: float) -> float:
    """Lipschitz constant :math:`8 / (\\sqrt 3 \\pi h^3)` of the quartic kernel (per m² per m)."""
    return 8.0 / (math.sqrt(3.0) * math.pi * float(bandwidth) ** 3)


@dataclass(frozen=True)
class KDEResult:
    """Density in points (or weight) per hectare at cell centres.

    Attributes
    ----------
    density : ndarray, shape ``grid.shape``
    counts : ndarray
        Points (or summed weights) in each cell.
    error_bound : ndarray
        Per-cell bound on ``|binned - exact|`` in points per hectare (zeros for ``exact``).
    max_error_bound : float
    """

    density: np.ndarray
    counts: np.ndarray
    error_bound: np.ndarray
    max_error_bound: float
    bandwidth: float
    method: str  # "exact", "binned-linear" or "binned-nearest"
    oversample: int
    n_points: int
    grid: Grid

    def to_records(self) -> list[dict]:
        """One dict per cell: ``row, col, x, y, count, density``."""
        cx, cy = (a.ravel() for a in self.grid.centres())
        rows, cols = np.indices(self.grid.shape).reshape(2, -1)
        c, d = self.counts.ravel(), self.density.ravel()
        return [
            {
                "row": int(rows[k]),
                "col": int(cols[k]),
                "x": float(cx[k]),
                "y": float(cy[k]),
                "count": float(c[k]),
                "density": float(d[k]),
            }
            for k in range(rows.size)
        ]


def _reach(bandwidth: float, cell: float) -> int:
    """Largest cell offset a point can reach: ``|k| s - s/2 < h``."""
    return int(math.ceil(bandwidth / cell + 0.5))


def _exact_offsets(bandwidth: float, cell: float) -> int:
    """Cell offsets the exact sum visits (those a point in the cell can reach within h)."""
    R = _reach(bandwidth, cell)
    k = np.maximum(np.abs(np.arange(-R, R + 1)) - 0.5, 0.0) * cell
    gap = k[:, None] ** 2 + k[None, :] ** 2
    return int((gap < bandwidth**2).sum())


def predict_kde_seconds(
    n_points: int, grid: Grid, bandwidth: float, *, oversample: int = 2
) -> tuple[float, float]:
    r"""Predicted seconds of ``(exact, binned)`` on this project's 2-core machine.

    Exact: :math:`T_e = O (a N + b n)` with :math:`O` the cell offsets a point reaches
    (about :math:`\pi (h/s + 1/2)^2`), :math:`N` points and :math:`n` cells: one vectorised
    pass over the points and one ``bincount`` over the cells per offset. Binned:
    :math:`T_b = c N + d (m^2 + 1) P \log_2 P / 20` with :math:`P` the padded FFT size and
    :math:`m` the oversampling (:math:`m^2` FFTs and one for the bound). The constants were
    fitted to ``benchmarks/bench_kde_rule.py``; they are within a factor of about 2 of the
    measured times, which is all the choice needs.
    """
    s = grid.cell_size
    offsets = _exact_offsets(bandwidth, s)
    exact = offsets * (_EXACT_PER_POINT_OFFSET * n_points + _EXACT_PER_CELL_OFFSET * grid.n_cells)
    pad = 2 * (_reach(bandwidth, s) + 1)
    fft_cells = (grid.ny + 2 * pad) * (grid.nx + 2 * pad)
    ffts = oversample**2 + 1
    binned = _BINNED_PER_POINT * n_points + _BINNED_PER_FFT_CELL * ffts * fft_cells * max(
        1.0, math.log2(fft_cells) / 20.0
    )
    return float(exact), float(binned)


def choose_kde_method(
    n_points: int,
    grid: Grid,
    bandwidth: float,
    cell: float | None = None,
    *,
    time_budget: float = EXACT_TIME_BUDGET,
    oversample: int = 2,
) -> Literal["exact", "binned"]:
    """``"exact"`` whenever it is cheaper than binning or predicted to take at most
    ``time_budget`` seconds; ``"binned"`` only for inputs where the exact sum would be slow.

    Why exact by default: binning has an error (issue 21 reports 100 000 points on a 40 x 40
    grid 1.6 % off at the peak and 7.6 % in the worst cell at ``oversample=2``; on the smoother
    test data of ``benchmarks/bench_kde_rule.py`` it is 0.2-0.6 % of the peak), and the exact
    sum is cheap far beyond what a city's data needs. Measured there on a 2-core machine:
    0.36 s exact against 0.06 s binned for the issue's 100 000 points on 40 x 40 cells,
    0.11 s against 0.60 s for 1 000 points on 1000 x 1000 cells (exact is the cheaper),
    0.82 s for 200 000 points on 500 x 500 cells, 1.5 s for 500 000 points and 4.0 s
    (against 0.8 s) for 1 000 000 points on 1000 x 1000 cells, all at :math:`h = 3s`. With
    the 1 s budget the exact sum is used up to about 200 000 points at that bandwidth; beyond
    it the binned result carries its stated per-cell error bound.

    Parameters
    ----------
    n_points : int
        Points within reach of the grid.
    grid : Grid
    bandwidth : float
        Kernel radius in metres.
    cell : float, optional
        Cell size in metres; default ``grid.cell_size`` (kept for callers that pass it).
    time_budget : float
        Seconds of predicted exact time always worth paying.
    """
    if cell is not None and not math.isclose(cell, grid.cell_size):
        raise ValueError("cell differs from the grid's cell size")
    exact, binned = predict_kde_seconds(n_points, grid, bandwidth, oversample=oversample)
    return "exact" if exact <= max(binned, time_budget) else "binned"


def _near_points(grid: Grid, x, y, w, h):
    """Drop points farther than ``h`` from the grid's bounding box (they contribute nothing)."""
    xmin, ymin, xmax, ymax = grid.bounds
    keep = (x > xmin - h) & (x < xmax + h) & (y > ymin - h) & (y < ymax + h)
    return x[keep], y[keep], w[keep]


def _exact(grid: Grid, x, y, w, h: float, chunk: int = 1_000_000) -> np.ndarray:
    s, R = grid.cell_size, _reach(h, grid.cell_size)
    out = np.zeros(grid.n_cells)
    for start in range(0, x.size, chunk):
        px, py, pw = x[start : start + chunk], y[start : start + chunk], w[start : start + chunk]
        col = np.floor((px - grid.x0) / s).astype(np.int64)
        row = np.floor((py - grid.y0) / s).astype(np.int64)
        for dr in range(-R, R + 1):
            for dc in range(-R, R + 1):
                # nearest possible distance from a point in a cell to the centre k cells away
                gap = (max(abs(dr) - 0.5, 0.0) ** 2 + max(abs(dc) - 0.5, 0.0) ** 2) * s * s
                if gap >= h * h:
                    continue
                tc, tr = col + dc, row + dr
                ok = (tc >= 0) & (tc < grid.nx) & (tr >= 0) & (tr < grid.ny)
                dx = grid.x0 + (tc[ok] + 0.5) * s - px[ok]
                dy = grid.y0 + (tr[ok] + 0.5) * s - py[ok]
                k = quartic_kernel(np.hypot(dx, dy), h) * pw[ok]
                out += np.bincount(tr[ok] * grid.nx + tc[ok], weights=k, minlength=grid.n_cells)
    return out.reshape(grid.shape) * _HA


def _node_weights(grid: Grid, x, y, w, R: int, m: int, linear: bool) -> np.ndarray:
    """Weights on the node lattice, split by phase: shape (m, m, ny + 2R, nx + 2R).

    Node ``(i, j)`` lies at ``cell centre + (i % m, j % m) * s / m`` of padded cell
    ``(i // m, j // m)``; phase ``[b, a]`` holds the nodes with offsets ``(a, b)``.
    """
    sig = grid.cell_size / m
    ny, nx = grid.ny + 2 * R, grid.nx + 2 * R
    NY, NX = ny * m, nx * m  # the fine lattice, row-major
    u = (x - grid.x0 - grid.cell_size / 2) / sig + R * m  # node coordinates
    v = (y - grid.y0 - grid.cell_size / 2) / sig + R * m
    if linear:
        i0, j0 = np.floor(u), np.floor(v)
        fu, fv = u - i0, v - j0
        i0, j0 = i0.astype(np.int64), j0.astype(np.int64)
        ok = (i0 >= 0) & (i0 < NX - 1) & (j0 >= 0) & (j0 < NY - 1)
        base = (j0 * NX + i0)[ok]
        fu, fv, wk = fu[ok], fv[ok], w[ok]
        idx = np.concatenate([base, base + 1, base + NX, base + NX + 1])
        wts = np.concatenate(
            [wk * (1 - fu) * (1 - fv), wk * fu * (1 - fv), wk * (1 - fu) * fv, wk * fu * fv]
        )
    else:
        i, j = np.rint(u).astype(np.int64), np.rint(v).astype(np.int64)
        ok = (i >= 0) & (i < NX) & (j >= 0) & (j < NY)
        idx, wts = (j * NX + i)[ok], w[ok]
    fine = np.bincount(idx, weights=wts, minlength=NY * NX).reshape(ny, m, nx, m)
    return np.ascontiguousarray(fine.transpose(1, 3, 0, 2))


def _per_point_error(h: float, sigma: float, linear: bool) -> float:
    """epsilon_1 of the module docstring (per m^2 per unit weight)."""
    if linear:
        return 2.0 * 3.0 / (math.pi * h * h) * sigma**2 / h**2
    return quartic_lipschitz(h) * sigma / math.sqrt(2.0)


def _binned(grid: Grid, x, y, w, h: float, m: int, linear: bool, want_bound: bool):
    s, R = grid.cell_size, _reach(h, grid.cell_size) + 1
    nodes = _node_weights(grid, x, y, w, R, m, linear)
    shape = [fft.next_fast_len(n + 2 * R, real=True) for n in nodes.shape[2:]]
    off = np.arange(-R, R + 1) * s

    def conv(arr: np.ndarray, kern: np.ndarray) -> np.ndarray:
        return fft.rfft2(arr, shape, workers=-1) * fft.rfft2(kern, shape, workers=-1)

    def crop(spec) -> np.ndarray:
        full = fft.irfft2(spec, shape, workers=-1)
        return full[2 * R : 2 * R + grid.ny, 2 * R : 2 * R + grid.nx]

    spec = 0
    for b in range(m):
        for a in range(m):
            # target centre minus node = k * s - (a, b) * s / m
            kern = quartic_kernel(np.hypot(*np.meshgrid(off - a * s / m, off - b * s / m)), h)
            spec = spec + conv(nodes[b, a], kern)
    dens = np.maximum(crop(spec), 0.0) * _HA
    bound = np.zeros(grid.shape)
    if want_bound:
        sig = s / m
        ind = np.hypot(*np.meshgrid(off, off)) < h + sig * math.sqrt(2) + s / math.sqrt(2)
        near = crop(conv(np.abs(nodes).sum(axis=(0, 1)), ind.astype(float)))
        bound = _HA * _per_point_error(h, sig, linear) * np.maximum(near, 0.0) * (1 + 1e-9)
    return dens, bound


def kde_quartic(
    x: np.ndarray,
    y: np.ndarray,
    grid: Grid,
    bandwidth: float,
    *,
    weights: np.ndarray | None = None,
    method: Literal["binned", "exact"] = "binned",
    oversample: int = 2,
    binning: Literal["linear", "nearest"] = "linear",
    error_bound: bool = True,
) -> KDEResult:
    """Quartic-kernel density (points per hectare) at the centres of ``grid``'s cells.

    Parameters
    ----------
    x, y : ndarray
        Point coordinates in the grid's projected CRS (metres). Points outside the grid still
        contribute to cells within ``bandwidth``.
    grid : Grid
    bandwidth : float
        Kernel radius :math:`h` in metres.
    weights : ndarray, optional
        Weight per point (default 1).
    method : {"binned", "exact"}
        See the module docstring. ``binned`` is O(N + cells log cells), ``exact`` is
        O(N (h/s)^2).
    oversample : int
        Lattice nodes per cell side for ``binned`` (1 = the cell centres); the error bound
        shrinks as ``oversample**-2`` (linear) or ``oversample**-1`` (nearest) while the cost
        grows as ``oversample**2`` FFTs.
    binning : {"linear", "nearest"}
        How points are put on the lattice (see the module docstring).
    error_bound : bool
        Compute the per-cell bound (one more FFT) for ``binned``.

    Examples
    --------
    >>> from lagesbild.analysis.grid import make_grid
    >>> g = make_grid((0, 0, 100, 100), 10)
    >>> r = kde_quartic(np.array([55.0]), np.array([55.0]), g, 30.0, method="exact")
    >>> round(float(r.density[5, 5]), 4)  # 1e4 * 3 / (pi * 900) at the point itself
    10.6103
    """
    if not bandwidth > 0:
        raise ValueError("bandwidth must be positive")
    xa, ya = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    wa = np.ones(xa.size) if weights is None else np.asarray(weights, dtype=float).ravel()
    counts = bin_points(grid, xa, ya, None if weights is None else wa)
    xa, ya, wa = _near_points(grid, xa, ya, wa, bandwidth)
    if method == "exact":
        dens, bound = _exact(grid, xa, ya, wa, bandwidth), np.zeros(grid.shape)
    elif method == "binned":
        if oversample < 1:
            raise ValueError("oversample must be >= 1")
        if binning not in ("linear", "nearest"):
            raise ValueError(f"unknown binning {binning!r}")
        dens, bound = _binned(
            grid, xa, ya, wa, bandwidth, int(oversample), binning == "linear", error_bound
        )
    else:
        raise ValueError(f"unknown method {method!r}")
    for arr in (dens, bound, counts):
        arr.setflags(write=False)
    return KDEResult(
        dens,
        counts,
        bound,
        float(bound.max(initial=0.0)),
        float(bandwidth),
        f"binned-{binning}" if method == "binned" else method,
        int(oversample) if method == "binned" else 0,
        int(np.asarray(x).size),
        grid,
    )
