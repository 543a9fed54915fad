r"""Emerging hot spots: Gi* on a space-time cube plus a Mann-Kendall trend per cell.

The input is a cube of counts, shape ``(T, ny, nx)`` (weekly or monthly slices, oldest first).

1. *Gi* per bin.* With ``time_window = k >= 1`` (ArcGIS's "neighborhood time step", default 1)
   the neighbours of bin :math:`(t, i)` are the cells within the distance band in slices
   :math:`t-k, \dots, t`, and the mean and variance are those of the whole cube, as in ArcGIS's
   *Emerging Hot Spot Analysis*. With ``time_window = 0`` each slice gets its own purely spatial
   Gi* (mean and variance of that slice), i.e. :func:`~lagesbild.analysis.hotspots.gi_star` per
   slice. The z formula is the one in :mod:`.hotspots`.
2. *Mann-Kendall trend* of each cell's Gi* z series :math:`z_1, \dots, z_T`
   (Mann 1945; Kendall 1975):

   .. math::

       S = \sum_{i<j} \operatorname{sgn}(z_j - z_i), \qquad
       \operatorname{Var} S = \frac{T(T-1)(2T+5) - \sum_g t_g (t_g-1)(2 t_g+5)}{18},

   :math:`t_g` the sizes of tied groups;
   :math:`Z = (S - \operatorname{sgn} S)/\sqrt{\operatorname{Var}S}` (continuity correction),
   two-sided normal p.
   *Sparse counts.* The normal p of a bin is far too small when most bins hold 0 or 1 events
   (see :mod:`.gistar_inference`); ``inference="montecarlo"`` (or ``"auto"`` on sparse counts,
   the hot-spot map's rule) takes the conditional Monte Carlo p-values instead: the cube's
   events redistributed over its bins, the same total, and the max-T adjusted p in place of
   BH's q.
3. *Categories* (ArcGIS definitions; "significant" means Gi* p, or BH q, at most ``alpha``;
   "90 %" means at least 90 % of the slices; the trend is significant at ``alpha``):

   - ``new``: hot in the final slice and never before.
   - ``consecutive``: a run of at least two hot slices at the end, never hot before the run,
     hot in less than 90 % of slices.
   - ``intensifying``: hot in 90 % of slices including the final one, z trend significantly up.
   - ``persistent``: hot in 90 % of slices including the final one, no significant trend.
   - ``diminishing``: hot in 90 % of slices including the final one, z trend significantly down.
   - ``sporadic``: hot in the final slice, hot in less than 90 %, never cold.
   - ``oscillating``: hot in the final slice, hot in less than 90 %, cold in some earlier slice.
   - ``historical``: not hot in the final slice, hot in at least 90 %.

   The same with "cold" (``new_cold`` ... ``historical_cold``; a trend "up" for cold spots means
   the z-scores get more negative). Otherwise ``no_pattern``.

References
----------
Mann, H. B. (1945). Nonparametric tests against trend. *Econometrica* 13, 245-259.
Kendall, M. G. (1975). *Rank Correlation Methods*, 4th ed. Griffin.
Esri, ArcGIS Pro: "How Emerging Hot Spot Analysis works" (Space Time Pattern Mining toolbox).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
from scipy import stats

from .gistar_inference import MonteCarloInference, conditional_monte_carlo
from .grid import Grid
from .hotspots import _gi_star_arrays, band_stencil, benjamini_hochberg, resolve_inference
from .neighbours import stencil_sums

__all__ = [
    "CATEGORIES",
    "EmergingResult",
    "MannKendallResult",
    "emerging_hot_spots",
    "mann_kendall",
    "space_time_gi_star",
    "space_time_monte_carlo",
]

CATEGORIES = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)


@dataclass(frozen=True)
class MannKendallResult:
    """Per series: ``s``, ``var_s``, ``z``, two-sided ``p`` and Kendall's ``tau`` (tau-a)."""

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    tau: np.ndarray


def _tie_term(x: np.ndarray) -> np.ndarray:
    """sum_g t_g (t_g - 1)(2 t_g + 5) per column of ``x`` (T, m)."""
    T, m = x.shape
    srt = np.sort(x, axis=0).T  # (m, T)
    brk = np.ones((m, T + 1), dtype=bool)
    brk[:, 1:T] = srt[:, 1:] != srt[:, :-1]
    rows, pos = np.nonzero(brk)
    same = rows[1:] == rows[:-1]
    t = (pos[1:] - pos[:-1])[same].astype(float)
    return np.bincount(rows[:-1][same], weights=t * (t - 1) * (2 * t + 5), minlength=m)


def mann_kendall(series: np.ndarray, *, continuity: bool = True) -> MannKendallResult:
    """Mann-Kendall trend test along axis 0, vectorised over the other axes.

    Examples
    --------
    >>> r = mann_kendall(np.array([1.0, 2.0, 3.0, 5.0, 4.0]))
    >>> int(r.s), round(float(r.var_s), 2)
    (8, 16.67)
    """
    x = np.asarray(series, dtype=float)
    T = x.shape[0]
    if T < 3:
        raise ValueError("need at least 3 time steps")
    flat = x.reshape(T, -1)
    s = np.zeros(flat.shape[1])
    for i in range(T - 1):
        s += np.sign(flat[i + 1 :] - flat[i]).sum(axis=0)
    var = (T * (T - 1) * (2 * T + 5) - _tie_term(flat)) / 18.0
    num = s - np.sign(s) if continuity else s
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var > 0, num / np.sqrt(var), 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    tau = s / (T * (T - 1) / 2)
    shape = x.shape[1:]
    return MannKendallResult(*(a.reshape(shape) for a in (s, var, z, p, tau)))


def space_time_stencil(cell_size: float, distance: float | None, time_window: int) -> np.ndarray:
    """The neighbourhood of a bin: the distance band in the current slice and the
    ``time_window`` previous ones (a 2-D band when ``time_window`` is 0)."""
    spatial = band_stencil(cell_size, distance)
    if time_window == 0:
        return spatial
    k = int(time_window)
    st = np.zeros((2 * k + 1,) + spatial.shape, dtype=bool)
    st[: k + 1] = spatial  # offsets -k..0: the current and the k previous slices
    return st


def space_time_monte_carlo(
    cube: np.ndarray,
    cell_size: float,
    *,
    distance: float | None = None,
    time_window: int = 1,
    simulations: int = 999,
    seed: int | None = 0,
) -> MonteCarloInference:
    """The conditional Monte Carlo test of :mod:`.gistar_inference` on a ``(T, ny, nx)`` cube.

    With ``time_window >= 1`` the null matches the cube's Gi* (mean and variance of the whole
    cube): the cube's events redistributed uniformly over all its bins, the same total. With
    ``time_window = 0`` each slice is its own map: its events redistributed over its cells.
    ``p`` is each bin's Monte Carlo p-value, ``p_adjusted`` the max-T adjusted one (over the
    whole cube; per slice with ``time_window = 0``); arrays in the cube's shape.
    """
    y = np.asarray(cube, dtype=float)
    if y.ndim != 3:
        raise ValueError("cube must have shape (T, ny, nx)")
    T, ny, nx = y.shape
    st = space_time_stencil(cell_size, distance, time_window)
    if time_window == 0:
        sums = partial(stencil_sums, stencil=st)
        runs = [
            conditional_monte_carlo(
                y[t],
                np.ones((ny, nx), bool),
                sums,
                sums,
                simulations=simulations,
                seed=None if seed is None else seed + t,
            )
            for t in range(T)
        ]
        p, p_adj, t_obs = (
            np.stack([getattr(r, a) for r in runs]) for a in ("p", "p_adjusted", "t")
        )
        return MonteCarloInference(p, p_adj, t_obs, runs[0].null, int(simulations), seed)

    spatial, k = st[-1 - int(time_window)], int(time_window)

    def sums(batch: np.ndarray) -> np.ndarray:
        # the cube is passed flat (T * ny, nx), the 2-D shape the simulation draws maps in;
        # the stencil is the band in each of the slices t-k..t: the band's sums per slice,
        # then a running sum over k + 1 slices (several times cheaper than a 3-D correlation)
        s = stencil_sums(batch.reshape(-1, ny, nx), spatial).reshape(-1, T, ny, nx)
        c = np.cumsum(s, axis=1)
        c[:, k + 1 :] -= c[:, : -k - 1].copy()
        return c.reshape(batch.shape)

    mc = conditional_monte_carlo(
        y.reshape(T * ny, nx),
        np.ones((T * ny, nx), bool),
        sums,
        sums,
        simulations=simulations,
        seed=seed,
    )
    p, p_adj, t_obs = (getattr(mc, a).reshape(T, ny, nx) for a in ("p", "p_adjusted", "t"))
    return MonteCarloInference(p, p_adj, t_obs, mc.null, mc.simulations, seed)


def space_time_gi_star(
    cube: np.ndarray,
    cell_size: float,
    *,
    distance: float | None = None,
    time_window: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and p-values for every bin of a ``(T, ny, nx)`` cube (see module doc)."""
    y = np.asarray(cube, dtype=float)
    if y.ndim != 3:
        raise ValueError("cube must have shape (T, ny, nx)")
    st = space_time_stencil(cell_size, distance, time_window)
    mask = np.ones(y.shape, dtype=bool)
    if time_window == 0:
        z, _ = _gi_star_arrays(y, st[None], mask, (1, 2))
    else:
        z, _ = _gi_star_arrays(y, st, mask, (0, 1, 2))
    return z, 2 * stats.norm.sf(np.abs(z))


@dataclass(frozen=True)
class EmergingResult:
    """Emerging hot spot categories per cell with the underlying cube statistics.

    ``z``, ``p``, ``q`` have the cube's shape; ``category`` (str), ``trend_z``, ``trend_p``,
    ``share_hot``, ``share_cold`` the shape ``(ny, nx)``.
    """

    z: np.ndarray
    p: np.ndarray
    q: np.ndarray
    category: np.ndarray
    trend_z: np.ndarray
    trend_p: np.ndarray
    share_hot: np.ndarray
    share_cold: np.ndarray
    alpha: float
    time_window: int
    classified_by: str
    grid: Grid | None = None
    inference: str = "normal"
    simulations: int = 0
    seed: int | None = None

    def category_counts(self) -> dict[str, int]:
        cats, n = np.unique(self.category, return_counts=True)
        return {str(c): int(k) for c, k in zip(cats, n, strict=True)}

    def to_records(self) -> list[dict]:
        """One dict per cell: ``row, col, [x, y,] category, trend_z, trend_p, share_hot, ...``."""
        rows, cols = np.indices(self.category.shape).reshape(2, -1)
        if self.grid is not None:
            cx, cy = (a.ravel() for a in self.grid.centres())
        out = []
        for k in range(rows.size):
            rec = {"row": int(rows[k]), "col": int(cols[k])}
            if self.grid is not None:
                rec["x"], rec["y"] = float(cx[k]), float(cy[k])
            tz, tp = float(self.trend_z.flat[k]), float(self.trend_p.flat[k])
            rec.update(
                category=str(self.category.flat[k]),
                trend_z=None if math.isnan(tz) else tz,
                trend_p=None if math.isnan(tp) else tp,
                share_hot=float(self.share_hot.flat[k]),
                share_cold=float(self.share_cold.flat[k]),
                z_last=_none(self.z[-1].flat[k]),
            )
            out.append(rec)
        return out


def _none(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) else v


def _categorise(sig: np.ndarray, other: np.ndarray, up: np.ndarray, down: np.ndarray) -> np.ndarray:
    """ArcGIS categories for one sign: ``sig``/``other`` are (T, m) significant hot/cold."""
    T, m = sig.shape
    share = sig.mean(axis=0)
    last = sig[-1]
    # length of the run of significant slices ending at the final slice
    not_sig_rev = ~sig[::-1]
    run = np.where(not_sig_rev.any(axis=0), np.argmax(not_sig_rev, axis=0), T)
    before_run = sig[: T - 1].sum(axis=0) - (run - 1).clip(min=0)
    out = np.full(m, "", dtype=object)
    many = share >= 0.9
    ever_before = sig[:-1].any(axis=0)
    rules = [
        (last & ~ever_before, "new"),
        (last & (run >= 2) & (before_run == 0) & ~many, "consecutive"),
        (last & many & up, "intensifying"),
        (last & many & down, "diminishing"),
        (last & many, "persistent"),
        (last & ~many & other[:-1].any(axis=0), "oscillating"),
        (last & ~many, "sporadic"),
        (~last & many, "historical"),
    ]
    for cond, name in rules:
        out[(out == "") & cond] = name
    return out


def emerging_hot_spots(
    cube: np.ndarray,
    cell_size: float,
    *,
    distance: float | None = None,
    time_window: int = 1,
    alpha: float = 0.05,
    classify_by: Literal["p", "q"] = "p",
    grid: Grid | None = None,
    inference: Literal["normal", "montecarlo", "auto"] = "normal",
    simulations: int = 999,
    seed: int | None = 0,
) -> EmergingResult:
    """Emerging hot spot analysis of a count cube ``(T, ny, nx)``, oldest slice first.

    Parameters
    ----------
    cube : ndarray
        Counts per slice and cell, zero cells included (at least 3 slices).
    cell_size, distance : float
        Cell side and distance band in metres (default band: the 8 neighbours).
    time_window : int
        Previous slices in each bin's neighbourhood (ArcGIS default 1); 0 for per-slice Gi*.
    alpha : float
        Significance level for the bins and for the Mann-Kendall trend.
    classify_by : {"p", "q"}
        Bin significance from the Gi* p-value or its adjusted value over the whole cube (BH
        q for the normal test, the max-T adjusted p for the Monte Carlo one).
    inference : {"normal", "montecarlo", "auto"}
        The bins' p-values: the normal tail of z, or the conditional Monte Carlo test of
        :func:`space_time_monte_carlo` (``simulations`` maps, ``seed``); ``auto`` takes the
        Monte Carlo test on sparse counts, by the rule of :func:`.hotspots.resolve_inference`
        (the same as the hot-spot map's). The result's ``inference`` says which was used.

    Examples
    --------
    >>> c = np.zeros((6, 7, 7)); c[3:, 3, 3] = 20
    >>> str(emerging_hot_spots(c, 50.0).category[3, 3])
    'consecutive'
    """
    z, p = space_time_gi_star(cube, cell_size, distance=distance, time_window=time_window)
    flat = np.asarray(cube, float).reshape(-1, np.shape(cube)[-1])
    how = resolve_inference(flat, np.ones(flat.shape, bool), inference)
    if how == "montecarlo":
        mc = space_time_monte_carlo(
            cube,
            cell_size,
            distance=distance,
            time_window=time_window,
            simulations=simulations,
            seed=seed,
        )
        p, q = np.asarray(mc.p), np.asarray(mc.p_adjusted)
    else:
        q = benjamini_hochberg(p)
    test = q if classify_by == "q" else p
    T = z.shape[0]
    zf = np.nan_to_num(z).reshape(T, -1)
    tf = np.nan_to_num(test, nan=1.0).reshape(T, -1)
    hot, cold = (zf > 0) & (tf <= alpha), (zf < 0) & (tf <= alpha)
    mk = mann_kendall(zf)
    up, down = (mk.p <= alpha) & (mk.z > 0), (mk.p <= alpha) & (mk.z < 0)
    cat_hot = _categorise(hot, cold, up, down)
    cat_cold = _categorise(cold, hot, down, up)
    cat = np.where(cat_hot != "", cat_hot, np.where(cat_cold != "", cat_cold + "_cold", ""))
    cat[cat == ""] = "no_pattern"
    shape = z.shape[1:]
    return EmergingResult(
        z,
        p,
        q,
        cat.reshape(shape).astype(str),
        mk.z.reshape(shape),
        mk.p.reshape(shape),
        hot.mean(axis=0).reshape(shape),
        cold.mean(axis=0).reshape(shape),
        float(alpha),
        int(time_window),
        classify_by,
        grid,
        how,
        int(simulations) if how == "montecarlo" else 0,
        seed if how == "montecarlo" else None,
    )
