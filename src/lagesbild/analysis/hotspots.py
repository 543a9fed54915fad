r"""Getis-Ord Gi* hot spots on a grid of square cells, and Benjamini-Hochberg q-values.

The statistic (Getis & Ord 1992; Ord & Getis 1995) for cell :math:`i` with binary weights
:math:`w_{ij} \in \{0, 1\}` that include the cell itself (:math:`w_{ii} = 1`) is

.. math::

    G_i^* = \frac{\sum_j w_{ij} x_j}{\sum_j x_j}, \qquad
    z_i = \frac{\sum_j w_{ij} x_j - \bar{x} W_i}
               {s \sqrt{(n W_i - W_i^2) / (n - 1)}},

with :math:`W_i = \sum_j w_{ij}` (the number of neighbours, the cell included),
:math:`n` the number of cells, :math:`\bar{x}` the mean and
:math:`s^2 = \frac{1}{n}\sum_j x_j^2 - \bar{x}^2` the (population) variance of all cells.
This is the analytical z of PySAL esda's ``G_Local(star=True, transform="B")``, which writes it
as :math:`(G_i^* - E[G_i^*]) / \sqrt{V[G_i^*]}` with :math:`E = W_i / n` and
:math:`V = W_i (n - W_i) / ((n - 1) n^2) \cdot s^2 / \bar{x}^2`; the two forms are equal. It is
also the z-score ArcGIS's *Hot Spot Analysis* reports for binary weights.

Neighbours are the cells whose centres lie within a distance band (default: the cell size times
:math:`\sqrt{2}`, i.e. the 8 surrounding cells). Cells outside the grid do not exist, so edge and
corner cells have fewer neighbours and :math:`W_i` varies. The neighbourhood sums are computed as
one correlation of the whole grid with the band's stencil (``scipy.ndimage`` for small stencils,
FFT for large ones), so a 1000 x 1000 grid takes milliseconds.

References
----------
Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance
statistics. *Geographical Analysis* 24(3), 189-206.
Ord, J. K. & Getis, A. (1995). Local spatial autocorrelation statistics: distributional issues
and an application. *Geographical Analysis* 27(4), 286-306.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57, 289-300.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import ndimage, signal, sparse, stats

from .grid import Grid, bin_points, grid_for_points, make_grid

__all__ = [
    "CLASS_LABELS",
    "GiStarResult",
    "band_stencil",
    "benjamini_hochberg",
    "classify_hot_cold",
    "gi_star",
    "gi_star_points",
    "gi_star_sparse",
    "neighbour_sum",
]

#: Gi_Bin codes as in ArcGIS: +-3, +-2, +-1 = hot/cold at 99, 95, 90 % confidence.
CLASS_LABELS: dict[int, str] = {
    3: "hot_99",
    2: "hot_95",
    1: "hot_90",
    0: "not_significant",
    -1: "cold_90",
    -2: "cold_95",
    -3: "cold_99",
}

_FFT_MIN_STENCIL = 64  # stencil cells above which an FFT beats a direct correlation


@dataclass(frozen=True)
class GiStarResult:
    """Gi* per cell. All arrays have the shape of the input counts.

    Attributes
    ----------
    counts : ndarray
        The input values per cell (NaN-free).
    z : ndarray
        Gi* z-score; NaN where it is undefined (constant input, masked cells, or a band
        that covers every cell).
    p : ndarray
        Two-sided normal p-value, :math:`2 (1 - \\Phi(|z|))`.
    q : ndarray
        Benjamini-Hochberg adjusted p-value over all defined cells.
    gi_bin : ndarray of int8
        Class code -3..3, see :data:`CLASS_LABELS`.
    n_neighbours : ndarray of int
        :math:`W_i`, the cells in the band, the cell itself included.
    distance : float
        Band distance in metres (centre to centre).
    cell_size : float
        Cell side in metres.
    classified_by : {"q", "p"}
        Which of ``q`` or ``p`` the classes use.
    n_cells : int
        Number of cells entering the mean and variance.
    grid : Grid or None
        The grid, when known, for coordinates in :meth:`to_records`.
    """

    counts: np.ndarray
    z: np.ndarray
    p: np.ndarray
    q: np.ndarray
    gi_bin: np.ndarray
    n_neighbours: np.ndarray
    distance: float
    cell_size: float
    classified_by: str
    n_cells: int
    grid: Grid | None = None

    @property
    def labels(self) -> np.ndarray:
        """Class labels (``"hot_99"`` ... ``"cold_99"``) per cell."""
        lut = np.array([CLASS_LABELS[k] for k in range(-3, 4)], dtype=object)
        return lut[self.gi_bin.astype(int) + 3]

    def class_counts(self) -> dict[str, int]:
        """Number of cells per class label."""
        codes, n = np.unique(self.gi_bin, return_counts=True)
        return {CLASS_LABELS[int(c)]: int(k) for c, k in zip(codes, n, strict=True)}

    def to_records(self) -> list[dict]:
        """One dict per cell: ``row, col, [x, y,] count, z, p, q, class, n_neighbours``.

        ``x, y`` (cell centre, projected CRS) are present when the grid is known; NaN values
        become ``None`` so the records serialise to JSON.
        """
        rows, cols = np.indices(self.counts.shape[-2:]).reshape(2, -1)
        if self.grid is not None:
            cx, cy = (a.ravel() for a in self.grid.centres())
        labels = self.labels.ravel()
        out = []
        for k in range(rows.size):
            rec = {"row": int(rows[k]), "col": int(cols[k])}
            if self.grid is not None:
                rec["x"], rec["y"] = float(cx[k]), float(cy[k])
            rec["count"] = _num(self.counts.flat[k])
            rec["z"], rec["p"], rec["q"] = (_num(a.flat[k]) for a in (self.z, self.p, self.q))
            rec["class"] = labels[k]
            rec["n_neighbours"] = int(self.n_neighbours.flat[k])
            out.append(rec)
        return out


def _num(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) else v


def band_stencil(cell_size: float, distance: float | None = None) -> np.ndarray:
    """Binary stencil of the cells whose centres are within ``distance`` of a cell's centre.

    Parameters
    ----------
    cell_size : float
        Cell side in metres.
    distance : float, optional
        Band in metres; default ``cell_size * sqrt(2)`` (the 3 x 3 block). Offsets
        :math:`(d_r, d_c)` are included when :math:`s \\sqrt{d_r^2 + d_c^2} \\le` distance
        (with a relative tolerance of 1e-9 so that exact multiples are included).

    Returns
    -------
    ndarray of bool, shape ``(2r + 1, 2r + 1)`` with ``r = floor(distance / cell_size)``.
    """
    if distance is None:
        distance = cell_size * math.sqrt(2.0)
    if not (cell_size > 0 and distance >= 0):
        raise ValueError("cell_size must be > 0 and distance >= 0")
    reach = distance / cell_size
    r = int(math.floor(reach + 1e-9))
    dr, dc = np.mgrid[-r : r + 1, -r : r + 1]
    return (dr**2 + dc**2) <= reach**2 * (1 + 1e-9)


def neighbour_sum(values: np.ndarray, stencil: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each cell's stencil, cells outside the array counting as absent.

    ``out[i] = sum_k stencil[k] * values[i + k - centre]`` (a correlation with zero padding), for
    arrays of any dimension; the stencil must have odd sizes. Integer-valued input gives an
    exactly integer-valued output also on the FFT path (rounded).
    """
    values = np.asarray(values, dtype=float)
    st = np.asarray(stencil, dtype=float)
    if any(s % 2 == 0 for s in st.shape) or st.ndim != values.ndim:
        raise ValueError("stencil needs odd sizes and the dimension of values")
    if np.count_nonzero(st) <= _FFT_MIN_STENCIL:
        return ndimage.correlate(values, st, mode="constant", cval=0.0)
    flipped = st[tuple(slice(None, None, -1) for _ in range(st.ndim))]
    out = signal.fftconvolve(values, flipped, mode="same")
    if np.all(values == np.round(values)) and np.all(st == np.round(st)):
        out = np.round(out)
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg (1995) adjusted p-values (q-values) controlling the FDR.

    For the ordered p-values :math:`p_{(1)} \\le \\dots \\le p_{(m)}`,
    :math:`q_{(i)} = \\min_{j \\ge i} \\min(1, m \\, p_{(j)} / j)`. NaN entries are left NaN and
    do not count in :math:`m`. Equals statsmodels ``multipletests(p, method="fdr_bh")[1]``.
    A cell is a discovery at FDR level :math:`\\alpha` iff :math:`q \\le \\alpha`.
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    pv = p[ok]
    m = pv.size
    if m == 0:
        return q
    order = np.argsort(pv, kind="stable")
    scaled = pv[order] * m / np.arange(1, m + 1)
    adj = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = adj
    q[ok] = out
    return q


def classify_hot_cold(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS-style Gi_Bin: ``sign(z) * {3 if p <= 0.01, 2 if p <= 0.05, 1 if p <= 0.10, 0}``.

    ``p`` may be raw p-values or BH q-values; NaN gives 0 (not significant).
    """
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    level = np.zeros(z.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for k, a in ((1, 0.10), (2, 0.05), (3, 0.01)):
            level[p <= a] = k
    sign = np.sign(np.nan_to_num(z)).astype(np.int8)
    return (level * sign).astype(np.int8)


def _z_from_sums(
    wy: np.ndarray, card: np.ndarray, n: np.ndarray, ybar: np.ndarray, s: np.ndarray
) -> np.ndarray:
    """Gi* z from neighbourhood sums (see module docstring); NaN where undefined."""
    var_w = (n * card - card**2) / (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (wy - ybar * card) / (s * np.sqrt(var_w))
    z[~np.isfinite(z)] = np.nan
    return z


def _gi_star_arrays(
    y: np.ndarray, stencil: np.ndarray, mask: np.ndarray, stat_axes: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """z and W_i for an N-d array; mean and variance are taken over ``stat_axes``."""
    ym = np.where(mask, y, 0.0)
    m = mask.astype(float)
    wy = neighbour_sum(ym, stencil)
    card = np.rint(neighbour_sum(m, stencil))
    n = m.sum(axis=stat_axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = ym.sum(axis=stat_axes, keepdims=True) / n
        s2 = (ym**2).sum(axis=stat_axes, keepdims=True) / n - ybar**2
    s = np.sqrt(np.maximum(s2, 0.0))
    z = _z_from_sums(wy, card, n, ybar, s)
    z[~mask] = np.nan
    card[~mask] = 0
    return z, card.astype(np.int64)


def _finish(
    counts: np.ndarray, z: np.ndarray, card: np.ndarray, classify_by: str, **meta
) -> GiStarResult:
    if classify_by not in ("q", "p"):
        raise ValueError("classify_by must be 'q' or 'p'")
    p = 2.0 * stats.norm.sf(np.abs(z))
    q = benjamini_hochberg(p)
    gi_bin = classify_hot_cold(z, q if classify_by == "q" else p)
    arrays = [counts, z, p, q, gi_bin, card]
    for a in arrays:
        a.setflags(write=False)
    return GiStarResult(*arrays, classified_by=classify_by, **meta)


def gi_star(
    counts: np.ndarray,
    cell_size: float = 1.0,
    *,
    distance: float | None = None,
    mask: np.ndarray | None = None,
    classify_by: Literal["q", "p"] = "q",
    grid: Grid | None = None,
) -> GiStarResult:
    """Getis-Ord Gi* on a 2-D grid with binary distance-band weights (self included).

    Parameters
    ----------
    counts : ndarray, shape (ny, nx)
        Value per cell (e.g. from :func:`~lagesbild.analysis.grid.bin_points`); zero cells count.
    cell_size : float
        Cell side in metres.
    distance : float, optional
        Band in metres, centre to centre; default ``cell_size * sqrt(2)`` (8 neighbours).
    mask : ndarray of bool, optional
        Cells that exist (e.g. those inside a place). Masked-out cells are neither neighbours
        nor counted in :math:`n`, the mean or the variance; their z is NaN.
    classify_by : {"q", "p"}
        Classes use the Benjamini-Hochberg q-value (default: with thousands of cells, raw p
        at 0.10 would flag about a tenth of a random map) or the raw p-value (ArcGIS's default,
        whose optional "FDR correction" is the same BH rule applied per level).
    grid : Grid, optional
        Carried into the result for coordinates.

    Returns
    -------
    GiStarResult

    Examples
    --------
    >>> c = np.zeros((5, 5)); c[2, 2] = 9; c[2, 3] = 5
    >>> r = gi_star(c, 100.0)
    >>> round(float(r.z[2, 2]), 3)
    1.846
    """
    y = np.asarray(counts, dtype=float)
    if y.ndim != 2 or np.isnan(y).any():
        raise ValueError("counts must be a 2-D array without NaN")
    m = np.ones(y.shape, bool) if mask is None else np.asarray(mask, bool)
    stencil = band_stencil(cell_size, distance)
    z, card = _gi_star_arrays(y, stencil, m, (0, 1))
    dist = cell_size * math.sqrt(2.0) if distance is None else float(distance)
    return _finish(
        y.copy(),
        z,
        card,
        classify_by,
        distance=dist,
        cell_size=float(cell_size),
        n_cells=int(m.sum()),
        grid=grid,
    )


def gi_star_points(
    x: np.ndarray,
    y: np.ndarray,
    cell_size: float,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    distance: float | None = None,
    classify_by: Literal["q", "p"] = "q",
) -> GiStarResult:
    """Bin points to an aligned grid (``bbox`` or the points' extent), then :func:`gi_star`."""
    grid = grid_for_points(x, y, cell_size) if bbox is None else make_grid(bbox, cell_size)
    counts = bin_points(grid, x, y)
    return gi_star(counts, cell_size, distance=distance, classify_by=classify_by, grid=grid)


def gi_star_sparse(
    values: np.ndarray,
    neighbours: sparse.sparray | sparse.spmatrix,
    *,
    classify_by: Literal["q", "p"] = "q",
) -> GiStarResult:
    """Gi* for any areal units (e.g. places) given a binary neighbour matrix.

    Parameters
    ----------
    values : ndarray, shape (n,)
    neighbours : sparse matrix, shape (n, n)
        Non-zero where j is a neighbour of i. The diagonal is set to 1 (Gi*, self included),
        all weights are made binary.
    """
    y = np.asarray(values, dtype=float).ravel()
    w = sparse.csr_array(neighbours, dtype=float)
    w = (w != 0).astype(float).tolil()
    w.setdiag(1.0)
    w = w.tocsr()
    n = np.array(float(y.size))
    card = np.asarray(w.sum(axis=1)).ravel()
    ybar = y.mean()
    s = np.sqrt(max((y**2).mean() - ybar**2, 0.0))
    z = _z_from_sums(w @ y, card, n, np.array(ybar), np.array(s))
    return _finish(
        y.copy(),
        z,
        card.astype(np.int64),
        classify_by,
        distance=float("nan"),
        cell_size=float("nan"),
        n_cells=int(y.size),
    )
