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
FFT for large ones); measured on this project's 2-core machine, a 1000 x 1000 grid with the
8-neighbour band takes about 0.14 s warm and 0.5 s on the first call (``benchmarks/
bench_hotspots.py``; esda's ``G_Local`` takes minutes).

*Other weights.* ``weights="knn"``: the cell and its :math:`k` nearest cells (centre to centre;
binary, so at the edges the neighbourhood reaches further in, as libpysal's ``KNN``);
``weights="decay"``: the bisquare :math:`w_{ij} = (1 - d_{ij}^2/h^2)^2` for :math:`d_{ij} < h`
(``distance`` is :math:`h`), so near cells count more. For weights that are not binary the
z-score is Ord & Getis's (1995) general form, with :math:`S_{1i} = \sum_j w_{ij}^2`:

.. math::

    z_i = \frac{\sum_j w_{ij} x_j - \bar{x} W_i}{s \sqrt{(n S_{1i} - W_i^2) / (n - 1)}}.

*Inference.* ``inference="normal"`` gives the normal p-value of :math:`z`. It is too
optimistic for sparse counts (see :mod:`.gistar_inference`): ``"montecarlo"`` redistributes
the period's events over the study area's cells (conditional on their total), with
Westfall-Young max-T adjusted p-values as ``q``; ``"auto"`` takes the Monte Carlo test when
the values are counts with fewer than :data:`AUTO_MONTECARLO_MEAN` events per cell on average,
or other values (weighted observations, permuted under the null) with half the cells empty.

References
----------
Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance
statistics. *Geographical Analysis* 24(3), 189-206.
Ord, J. K. & Getis, A. (1995). Local spatial autocorrelation statistics: distributional issues
and an application. *Geographical Analysis* 27(4), 286-306.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57, 289-300.
Westfall, P. H. & Young, S. S. (1993). *Resampling-Based Multiple Testing*. Wiley.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
from scipy import sparse, stats

from .gistar_inference import conditional_monte_carlo, is_count_data
from .grid import Grid, bin_points, grid_for_points, make_grid
from .neighbours import (
    band_stencil,
    decay_stencil,
    knn_matrix,
    matrix_sums,
    neighbour_sum,
    stencil_sums,
)

__all__ = [
    "AUTO_MONTECARLO_MEAN",
    "CLASS_LABELS",
    "GiStarResult",
    "band_stencil",
    "decay_stencil",
    "benjamini_hochberg",
    "classify_hot_cold",
    "gi_star",
    "gi_star_points",
    "gi_star_sparse",
    "knn_matrix",
    "neighbour_sum",
]

#: ``inference="auto"`` uses the Monte Carlo test for counts below this mean per cell. Measured
#: false cells (q <= 0.05) per random 200 x 200 Poisson map of the normal test after BH, 10 maps
#: per mean: 0.05 -> 443, 0.3 -> 19, 3 -> 0.2, 10 -> 0.1, 30 -> 0 (the issue's 20 maps: 440,
#: 26, 1); from about 30 events per cell the neighbourhood sums are close to normal.
AUTO_MONTECARLO_MEAN = 30.0

Inference = Literal["normal", "montecarlo", "auto"]

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
    inference : {"normal", "montecarlo"}
        How ``p`` and ``q`` were found: the normal approximation with BH q-values, or the
        conditional Monte Carlo test with Westfall-Young max-T adjusted p-values as ``q``.
    simulations : int
        Simulated maps (0 for ``normal``).
    seed : int or None
        Seed of the simulation.
    weights : str
        The spatial weights: ``"band"``, ``"knn"`` or ``"decay"``.
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
    inference: str = "normal"
    simulations: int = 0
    seed: int | None = None
    weights: str = "band"

    @property
    def labels(self) -> np.ndarray:
        """Class labels (``"hot_99"`` ... ``"cold_99"``) per cell."""
        lut = np.array([CLASS_LABELS[k] for k in range(-3, 4)], dtype=object)
        return lut[self.gi_bin.astype(int) + 3]

    @property
    def adjustment(self) -> str:
        """What ``q`` is: ``"bh"`` (Benjamini-Hochberg) or ``"max-t"`` (Westfall-Young)."""
        return "max-t" if self.inference == "montecarlo" else "bh"

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
    wy: np.ndarray,
    card: np.ndarray,
    n: np.ndarray,
    ybar: np.ndarray,
    s: np.ndarray,
    s1: np.ndarray | None = None,
) -> np.ndarray:
    """Gi* z from neighbourhood sums (see module docstring); NaN where undefined.

    ``card`` is :math:`W_i`, ``s1`` is :math:`S_{1i}` (equal to ``card`` for binary weights).
    """
    s1 = card if s1 is None else s1
    var_w = (n * s1 - card**2) / (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (wy - ybar * card) / (s * np.sqrt(var_w))
    z[~np.isfinite(z)] = np.nan
    return z


def _gi_star_arrays(
    y: np.ndarray, stencil: np.ndarray, mask: np.ndarray, stat_axes: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """z and the cells in each neighbourhood for an N-d array (mean and variance over
    ``stat_axes``); the stencil may hold weights."""
    sums = partial(stencil_sums, stencil=stencil)
    squared = partial(stencil_sums, stencil=np.asarray(stencil, float) ** 2)
    return _gi_star_general(y, mask, sums, squared, stat_axes, stencil != 0)


def _gi_star_general(y, mask, sums, squared, stat_axes, support=None):
    ym = np.where(mask, y, 0.0)
    m = mask.astype(float)
    wy = sums(ym)
    card = sums(m)
    s1 = squared(m)
    if support is None:
        cells = card
    else:
        cells = neighbour_sum(m, np.asarray(support, float))
    n = m.sum(axis=stat_axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = ym.sum(axis=stat_axes, keepdims=True) / n
        s2 = (ym**2).sum(axis=stat_axes, keepdims=True) / n - ybar**2
    s = np.sqrt(np.maximum(s2, 0.0))
    z = _z_from_sums(wy, card, n, ybar, s, s1)
    z[~mask] = np.nan
    cells = np.rint(cells)
    cells[~mask] = 0
    return z, cells.astype(np.int64)


def _finish(
    counts: np.ndarray, z: np.ndarray, card: np.ndarray, classify_by: str, mc=None, **meta
) -> GiStarResult:
    if classify_by not in ("q", "p"):
        raise ValueError("classify_by must be 'q' or 'p'")
    if mc is None:
        p = 2.0 * stats.norm.sf(np.abs(z))
        q = benjamini_hochberg(p)
    else:
        p, q = np.array(mc.p), np.array(mc.p_adjusted)
    gi_bin = classify_hot_cold(z, q if classify_by == "q" else p)
    arrays = [counts, z, p, q, gi_bin, card]
    for a in arrays:
        a.setflags(write=False)
    return GiStarResult(*arrays, classified_by=classify_by, **meta)


def resolve_inference(counts: np.ndarray, mask: np.ndarray, inference: str) -> str:
    """``"normal"`` or ``"montecarlo"``: what ``inference="auto"`` picks for these values.

    The Monte Carlo test for counts (non-negative integers) with a mean per study-area cell
    below :data:`AUTO_MONTECARLO_MEAN`, and for other values (e.g. weighted observations) when
    at least half of the cells are empty; the normal test otherwise.
    """
    if inference not in ("normal", "montecarlo", "auto"):
        raise ValueError("inference must be 'normal', 'montecarlo' or 'auto'")
    if inference != "auto":
        return inference
    v = np.asarray(counts, float)[np.asarray(mask, bool)]
    if v.size == 0:
        return "normal"
    if is_count_data(v):
        sparse_values = v.mean() < AUTO_MONTECARLO_MEAN
    else:
        # mostly empty cells: the neighbourhood sums are far from normal whatever the weights
        sparse_values = np.mean(v == 0) >= 0.5
    return "montecarlo" if sparse_values else "normal"


def gi_star(
    counts: np.ndarray,
    cell_size: float = 1.0,
    *,
    distance: float | None = None,
    mask: np.ndarray | None = None,
    classify_by: Literal["q", "p"] = "q",
    grid: Grid | None = None,
    weights: Literal["band", "knn", "decay"] = "band",
    k: int = 8,
    inference: Inference = "normal",
    simulations: int = 999,
    seed: int | None = 0,
) -> GiStarResult:
    """Getis-Ord Gi* on a 2-D grid (self included), with normal or Monte Carlo inference.

    Parameters
    ----------
    counts : ndarray, shape (ny, nx)
        Value per cell (e.g. from :func:`~lagesbild.analysis.grid.bin_points`); zero cells count.
    cell_size : float
        Cell side in metres.
    distance : float, optional
        ``weights="band"``: band in metres, centre to centre; default ``cell_size * sqrt(2)``
        (8 neighbours). ``weights="decay"``: the bisquare bandwidth :math:`h`; default
        ``3 * cell_size``. Not used by ``knn``.
    mask : ndarray of bool, optional
        Cells that exist (e.g. those inside a place). Masked-out cells are neither neighbours
        nor counted in :math:`n`, the mean or the variance; their z is NaN.
    classify_by : {"q", "p"}
        Classes use the adjusted p-value ``q`` (default: with thousands of cells, raw p
        at 0.10 would flag about a tenth of a random map) or the raw p-value (ArcGIS's default,
        whose optional "FDR correction" is the same BH rule applied per level).
    grid : Grid, optional
        Carried into the result for coordinates.
    weights : {"band", "knn", "decay"}
        Fixed distance band (binary), the ``k`` nearest cells (binary) or bisquare distance
        decay (see the module docstring).
    k : int
        Neighbours for ``weights="knn"`` (the cell itself comes on top).
    inference : {"normal", "montecarlo", "auto"}
        See the module docstring and :mod:`.gistar_inference`; the result's ``inference``
        says which was used.
    simulations : int
        Simulated maps for ``montecarlo``.
    seed : int or None
        Seed of the simulation.

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
    how = resolve_inference(y, m, inference)
    if weights == "band":
        st = band_stencil(cell_size, distance)
        dist = cell_size * math.sqrt(2.0) if distance is None else float(distance)
        sums = partial(stencil_sums, stencil=st)
        squared, support = sums, st
    elif weights == "decay":
        dist = 3.0 * cell_size if distance is None else float(distance)
        st = decay_stencil(cell_size, dist)
        sums = partial(stencil_sums, stencil=st)
        squared, support = partial(stencil_sums, stencil=st**2), st != 0
    elif weights == "knn":
        w = knn_matrix(m, k)
        dist = float("nan")
        sums = partial(matrix_sums, matrix=w)
        squared, support = sums, None
    else:
        raise ValueError("weights must be 'band', 'knn' or 'decay'")
    z, card = _gi_star_general(y, m, sums, squared, (0, 1), support)
    mc = None
    if how == "montecarlo":
        mc = conditional_monte_carlo(y, m, sums, squared, simulations=simulations, seed=seed)
    return _finish(
        y.copy(),
        z,
        card,
        classify_by,
        mc,
        distance=dist,
        cell_size=float(cell_size),
        n_cells=int(m.sum()),
        grid=grid,
        inference=how,
        simulations=0 if mc is None else int(simulations),
        seed=None if mc is None else seed,
        weights=weights,
    )


def gi_star_points(
    x: np.ndarray,
    y: np.ndarray,
    cell_size: float,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    distance: float | None = None,
    classify_by: Literal["q", "p"] = "q",
    **options,
) -> GiStarResult:
    """Bin points to an aligned grid (``bbox`` or the points' extent), then :func:`gi_star`
    (``options``: its ``weights``, ``k``, ``inference``, ``simulations``, ``seed``)."""
    grid = grid_for_points(x, y, cell_size) if bbox is None else make_grid(bbox, cell_size)
    counts = bin_points(grid, x, y)
    return gi_star(
        counts, cell_size, distance=distance, classify_by=classify_by, grid=grid, **options
    )


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
