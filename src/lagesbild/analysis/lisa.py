r"""Local Moran's I (LISA) on a grid of cells: clusters (HH, LL) and outliers (HL, LH).

For values :math:`y_i` on the :math:`n` cells of the study area, with :math:`z_i = (y_i -
\bar y) / s` (:math:`s` the population standard deviation) and queen-contiguity weights
row-standardised (:math:`w_{ij} = 1/k_i` for the :math:`k_i` cells sharing an edge or a corner
with :math:`i`, :math:`w_{ii} = 0`), Anselin (1995):

.. math::

    I_i = \frac{(n - 1)\, z_i \sum_j w_{ij} z_j}{\sum_j z_j^2}
        = \frac{n - 1}{n}\, z_i\, \mathrm{lag}_i .

*Quadrant* (the Moran scatterplot): ``HH`` when :math:`z_i > 0` and :math:`\mathrm{lag}_i > 0`,
``LH`` when :math:`z_i \le 0 < \mathrm{lag}_i`, ``LL`` when both are :math:`\le 0`, ``HL``
when :math:`z_i > 0 \ge \mathrm{lag}_i` (esda's codes 1, 2, 3, 4).

*Conditional permutation* (Anselin 1995): :math:`y_i` stays in cell :math:`i` and the other
:math:`n - 1` values are permuted; the lag of each simulated map is the mean of :math:`k_i`
values drawn without replacement from the others. As in esda's ``crand`` one set of
:math:`k_{\max}` distinct draws per permutation is shared by all cells (draw :math:`r` meaning
the :math:`r`-th cell other than :math:`i`). The pseudo p-value is folded, as in esda and
GeoDa, one-sided in the direction of the observed value:
:math:`p_i = (\min(\#\{I^{(b)} \ge I_i\}, \#\{I^{(b)} \le I_i\}) + 1) / (B + 1)`. Ties
(frequent with counts, whose lags repeat) count on both sides; esda counts them on one side
only, by the floating-point noise of its sums, so on counts esda's p can be smaller or larger;
on continuous values the two agree within Monte Carlo error. ``z`` is
:math:`(I_i - \bar I^{(b)}) / \mathrm{sd}(I^{(b)})` over the permutations (esda's ``z_sim``),
and ``q`` the Benjamini-Hochberg q-value over the cells. A cell is reported in its quadrant
(``cluster``) when :math:`q \le \alpha`.

*Cost.* Because the draws are shared, the simulated lags of all cells with the same
:math:`k_i` differ only by the shift of the draws at or above :math:`i`; they are built from
one suffix sum per permutation, :math:`O(B n)` instead of :math:`O(B n k)` gathers.

*When not to use.* On sparse counts (most cells 0) the values are heavily tied; LISA then mostly
marks single busy cells as HL outliers among zeros. Use Gi* with the Monte Carlo test
(:mod:`.hotspots`) for hot spots of events; LISA answers whether high values sit next to high
values.

References
----------
Anselin, L. (1995). Local indicators of spatial association - LISA. *Geographical Analysis*
27(2), 93-115.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57, 289-300.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .grid import Grid
from .hotspots import benjamini_hochberg
from .neighbours import neighbour_sum

__all__ = ["QUADRANTS", "LocalMoranResult", "local_moran"]

#: esda's quadrant codes.
QUADRANTS: dict[int, str] = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}

_QUEEN = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)


@dataclass(frozen=True)
class LocalMoranResult:
    """Local Moran's I per cell; arrays have the grid's shape (NaN outside the mask).

    Attributes
    ----------
    counts : ndarray
        The input value per cell.
    i : ndarray
        :math:`I_i`.
    z : ndarray
        :math:`I_i` standardised by the permutation mean and standard deviation.
    p, q : ndarray
        Folded pseudo p-value and its Benjamini-Hochberg q-value.
    quadrant : ndarray of int8
        1 = HH, 2 = LH, 3 = LL, 4 = HL (0 outside the mask or without neighbours).
    n_neighbours : ndarray of int
        :math:`k_i`.
    permutations, seed, alpha :
        The inference settings; ``alpha`` is the q-value level for :meth:`cluster_labels`.
    grid : Grid or None
    """

    counts: np.ndarray
    i: np.ndarray
    z: np.ndarray
    p: np.ndarray
    q: np.ndarray
    quadrant: np.ndarray
    n_neighbours: np.ndarray
    permutations: int
    seed: int | None
    alpha: float
    grid: Grid | None = None

    def quadrant_labels(self) -> np.ndarray:
        """``"HH"``, ``"LH"``, ``"LL"``, ``"HL"`` (``""`` where undefined) per cell."""
        lut = np.array(["", "HH", "LH", "LL", "HL"], dtype=object)
        return lut[self.quadrant.astype(int)]

    def cluster_labels(self) -> np.ndarray:
        """The quadrant where :math:`q \\le \\alpha`, else ``"not_significant"``."""
        labels = self.quadrant_labels()
        with np.errstate(invalid="ignore"):
            sig = self.q <= self.alpha
        return np.where(sig, labels, "not_significant")

    def cluster_counts(self) -> dict[str, int]:
        """Cells per cluster label."""
        labels, n = np.unique(self.cluster_labels(), return_counts=True)
        return {str(k): int(v) for k, v in zip(labels, n, strict=True)}

    def to_records(self) -> list[dict]:
        """One dict per cell: ``row, col, [x, y,] count, i, z, p, q, quadrant, cluster``."""
        rows, cols = np.indices(self.counts.shape).reshape(2, -1)
        if self.grid is not None:
            cx, cy = (a.ravel() for a in self.grid.centres())
        quad, clus = self.quadrant_labels().ravel(), self.cluster_labels().ravel()
        out = []
        for k in range(rows.size):
            rec: dict = {"row": int(rows[k]), "col": int(cols[k])}
            if self.grid is not None:
                rec["x"], rec["y"] = float(cx[k]), float(cy[k])
            rec["count"] = _num(self.counts.flat[k])
            for name in ("i", "z", "p", "q"):
                rec[name] = _num(getattr(self, name).flat[k])
            rec["quadrant"] = quad[k] or None
            rec["cluster"] = clus[k]
            out.append(rec)
        return out


def _num(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) else v


def _permutation_lags(
    z: np.ndarray, k: np.ndarray, permutations: int, seed: int | None, obs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each cell: permutations with lag >= and <= the observed one, and the sum and sum
    of squares of the simulated lags (conditional permutation, draws shared by all cells)."""
    n = z.size
    kmax = int(k.max())
    rng = np.random.default_rng(seed)
    ge = np.zeros(n, np.int64)
    le = np.zeros(n, np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    classes = [int(v) for v in np.unique(k) if v > 0]
    chunk = max(1, 2_000_000 // n)
    zpad = np.r_[z, 0.0]
    done = 0
    while done < permutations:
        b = min(chunk, permutations - done)
        # draw r in 0..n-2 = the r-th cell other than i: cell r if r < i, else r + 1
        rids = np.stack([rng.choice(n - 1, kmax, replace=False) for _ in range(b)])
        base = z[rids]  # value when r < i
        step = zpad[rids + 1] - base  # added when r >= i
        for kk in classes:
            cells = np.flatnonzero(k == kk)
            a = base[:, :kk].sum(axis=1)
            d = np.zeros((b, n))
            np.add.at(d, (np.repeat(np.arange(b), kk), rids[:, :kk].ravel()), step[:, :kk].ravel())
            # suffix sums: the correction for cell i adds the steps of all draws r >= i
            corr = np.cumsum(d[:, ::-1], axis=1)[:, ::-1]
            lag = (a[:, None] + corr[:, cells]) / kk
            # a tolerance keeps tied lags (common with counts) tied despite the summation order
            ge[cells] += (lag >= obs[cells] - 1e-9).sum(axis=0)
            le[cells] += (lag <= obs[cells] + 1e-9).sum(axis=0)
            s1[cells] += lag.sum(axis=0)
            s2[cells] += (lag**2).sum(axis=0)
        done += b
    return ge, le, s1, s2


def local_moran(
    values: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
    grid: Grid | None = None,
) -> LocalMoranResult:
    """Local Moran's I with queen contiguity, row-standardised, conditional permutation.

    Parameters
    ----------
    values : ndarray, shape (ny, nx)
        Value per cell (e.g. counts from :func:`~lagesbild.analysis.grid.bin_points`); every
        cell of the study area counts, zeros included.
    mask : ndarray of bool, optional
        Cells of the study area; the others are neither neighbours nor part of the mean.
    permutations : int
        Conditional permutations :math:`B` (0: no inference, p and q NaN).
    seed : int or None
        Seed of :func:`numpy.random.default_rng`.
    alpha : float
        q-value level of the ``cluster`` labels.
    grid : Grid, optional
        Carried into the result for coordinates.

    Returns
    -------
    LocalMoranResult

    Examples
    --------
    >>> v = np.zeros((5, 5)); v[:2, :2] = 4.0
    >>> r = local_moran(v, permutations=0)
    >>> r.quadrant_labels()[0, 0], r.quadrant_labels()[4, 4]
    ('HH', 'LL')
    """
    y = np.asarray(values, dtype=float)
    if y.ndim != 2 or np.isnan(y).any():
        raise ValueError("values must be a 2-D array without NaN")
    m = np.ones(y.shape, bool) if mask is None else np.asarray(mask, bool)
    n = int(m.sum())
    if n < 3:
        raise ValueError("need at least 3 cells")
    v = y[m]
    sd = v.std()
    zfull = np.zeros(y.shape)
    if sd > 0:
        zfull[m] = (v - v.mean()) / sd
    k_full = np.rint(neighbour_sum(m.astype(float), _QUEEN)).astype(np.int64)
    k_full[~m] = 0
    with np.errstate(invalid="ignore", divide="ignore"):
        lag_full = neighbour_sum(zfull, _QUEEN) / k_full
    z, k, lag = zfull[m], k_full[m], lag_full[m]
    scale = (n - 1) / n if sd > 0 else np.nan
    i_local = scale * z * lag
    quad = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3)).astype(np.int8)
    quad[(k == 0) | ~np.isfinite(i_local)] = 0
    p = np.full(n, np.nan)
    zs = np.full(n, np.nan)
    if permutations and sd > 0:
        obs = np.where(k > 0, lag, np.nan)
        ge, le, s1, s2 = _permutation_lags(z, k, permutations, seed, obs)
        # I_sim >= I_i  <=>  z_i lag_sim >= z_i lag_i: the two tails of the lag are those of I
        # (swapped where z_i < 0); ties count in both, so the folded p is never too small
        larger = np.where(z != 0, np.minimum(ge, le), permutations)
        p = (larger + 1.0) / (permutations + 1.0)
        mean = s1 / permutations
        sdl = np.sqrt(np.maximum(s2 / permutations - mean**2, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            zs = np.sign(z) * (lag - mean) / sdl
        p[k == 0] = np.nan
    q = benjamini_hochberg(p)
    out = [np.full(y.shape, np.nan) for _ in range(4)]
    for arr, val in zip(out, (i_local, zs, p, q), strict=True):
        arr[m] = val
    quad_full = np.zeros(y.shape, np.int8)
    quad_full[m] = quad
    counts = y.copy()
    for a in (counts, *out, quad_full, k_full):
        a.setflags(write=False)
    return LocalMoranResult(
        counts, *out, quad_full, k_full, int(permutations), seed, float(alpha), grid
    )
