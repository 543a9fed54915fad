r"""Point pattern: nearest-neighbour index and Ripley's K and L with a CSR envelope.

*Nearest-neighbour index* (Clark & Evans 1954). For :math:`n` points in a window of area
:math:`A` (intensity :math:`\lambda = n/A`) with mean nearest-neighbour distance :math:`\bar d`,
under complete spatial randomness (CSR) :math:`E[\bar d] = 1/(2\sqrt\lambda)` and
:math:`\mathrm{SE} = 0.26136/\sqrt{n\lambda}`; the index is :math:`R = \bar d / E[\bar d]`
(below 1: clustered, above 1: dispersed) and :math:`z = (\bar d - E)/\mathrm{SE}`. Points near
the window's edge have their true nearest neighbour outside it, which makes :math:`R` too
large; ``edge_correction="donnelly"`` (the default) uses Donnelly's (1978) expectation and
standard error for a window of perimeter :math:`P`,
:math:`E = 0.5\sqrt{A/n} + (0.0514 + 0.041/\sqrt n) P/n`,
:math:`\mathrm{SE} = \sqrt{0.0703 A/n^2 + 0.037 P \sqrt{A/n^5}}`.

*Ripley's K and L* (Ripley 1976; Besag 1977):

.. math::

    \hat K(r) = \frac{A}{n (n - 1)} \sum_i \sum_{j \ne i} e_{ij} \, 1(d_{ij} \le r), \qquad
    \hat L(r) = \sqrt{\hat K(r) / \pi},

with :math:`E[K(r)] = \pi r^2` and :math:`L(r) = r` under CSR. Edge corrections
:math:`e_{ij}`: ``"translate"`` (Ohser & Stoyan 1981) for a rectangular window of sides
:math:`W, H`, :math:`e_{ij} = WH / ((W - |\Delta x|)(H - |\Delta y|))`; ``"border"`` (reduced
sample) for any polygon, only points at least :math:`r` from the boundary are centres,
:math:`\hat K(r) = A \sum_{i: b_i \ge r} \#\{j: d_{ij} \le r\} / ((n - 1)\, \#\{i : b_i \ge r\})`;
``"none"`` for no correction (biased low).

*Envelope and test.* :math:`B` patterns of :math:`n` uniform points in the window give the
pointwise envelope of :math:`L` (the :math:`\alpha/2` and :math:`1-\alpha/2` quantiles) and the
global maximum-absolute-deviation test (Diggle 2003, sec. 2.7; Baddeley et al. 2014):
:math:`u = \max_r |\hat L(r) - \bar L(r)|`, :math:`p = (1 + \#\{u^{(b)} \ge u\})/(B + 1)`,
:math:`\bar L` the mean of the simulations. Reading the pointwise envelope at many
:math:`r` at once is a multiple test; the global p-value is the one to report.

*When not to use.* Both compare with CSR in the window, so the window must be where events
could happen (a place, not the bounding box of the points, which makes any pattern look
dispersed at its edges). Crime follows the population and the streets: clustering against
CSR is expected and says little; compare two patterns, or K of cases with K of controls.

References
----------
Clark, P. J. & Evans, F. C. (1954). Distance to nearest neighbor as a measure of spatial
relationships in populations. *Ecology* 35, 445-453.
Donnelly, K. P. (1978). Simulations to determine the variance and edge effect of total nearest
neighbour distance. In Hodder (ed.), *Simulation Methods in Archaeology*, 91-95.
Ripley, B. D. (1976). The second-order analysis of stationary point processes. *J. Appl.
Probab.* 13, 255-266.
Ohser, J. & Stoyan, D. (1981). On the second-order and orientation analysis of planar
stationary point processes. *Biometrical Journal* 23, 523-533.
Diggle, P. J. (2003). *Statistical Analysis of Spatial Point Patterns*, 2nd ed. Arnold.
Baddeley, A. et al. (2014). On tests of spatial pattern based on simulation envelopes.
*Ecological Monographs* 84, 477-489.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from scipy import stats
from scipy.spatial import cKDTree

__all__ = ["NearestNeighbourIndex", "RipleyResult", "nearest_neighbour_index", "ripley"]

EdgeCorrection = Literal["translate", "border", "none"]


@dataclass(frozen=True)
class NearestNeighbourIndex:
    """Clark-Evans nearest-neighbour index with its z and two-sided normal p-value."""

    n_points: int
    area: float
    mean_distance: float
    expected_distance: float
    standard_error: float
    index: float
    z: float
    p: float
    edge_correction: str

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _window(xy: np.ndarray, window: shapely.Geometry | None) -> shapely.Geometry:
    if window is None:
        return shapely.box(*xy.min(axis=0), *xy.max(axis=0))
    return window


def nearest_neighbour_index(
    x: np.ndarray,
    y: np.ndarray,
    *,
    window: shapely.Geometry | None = None,
    edge_correction: Literal["donnelly", "none"] = "donnelly",
) -> NearestNeighbourIndex:
    """Clark-Evans :math:`R` in ``window`` (default: the points' bounding box).

    Examples
    --------
    >>> g = np.arange(10) * 10.0 + 5  # a 10 x 10 lattice with spacing 10 in a 100 x 100 box
    >>> xx, yy = np.meshgrid(g, g)
    >>> r = nearest_neighbour_index(xx.ravel(), yy.ravel(), window=shapely.box(0, 0, 100, 100),
    ...                             edge_correction="none")
    >>> r.mean_distance, r.index
    (10.0, 2.0)
    """
    xy = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    n = len(xy)
    if n < 3:
        raise ValueError("need at least 3 points")
    win = _window(xy, window)
    area, perim = float(win.area), float(win.length)
    d, _ = cKDTree(xy).query(xy, k=2)
    dbar = float(d[:, 1].mean())
    if edge_correction == "donnelly":
        exp = 0.5 * np.sqrt(area / n) + (0.0514 + 0.041 / np.sqrt(n)) * perim / n
        se = np.sqrt(0.0703 * area / n**2 + 0.037 * perim * np.sqrt(area / n**5))
    elif edge_correction == "none":
        lam = n / area
        exp, se = 0.5 / np.sqrt(lam), 0.26136 / np.sqrt(n * lam)
    else:
        raise ValueError("edge_correction must be 'donnelly' or 'none'")
    z = (dbar - exp) / se
    return NearestNeighbourIndex(
        n,
        area,
        dbar,
        float(exp),
        float(se),
        float(dbar / exp),
        float(z),
        float(2 * stats.norm.sf(abs(z))),
        edge_correction,
    )


@dataclass(frozen=True)
class RipleyResult:
    """K and L at the distances ``r``, with the CSR envelope of L and the global test."""

    r: np.ndarray
    k: np.ndarray
    l: np.ndarray  # noqa: E741 - Ripley's L
    l_low: np.ndarray
    l_high: np.ndarray
    l_mean: np.ndarray
    deviation: float
    p: float
    n_points: int
    area: float
    edge_correction: str
    simulations: int
    seed: int | None

    def to_records(self) -> list[dict]:
        """One dict per distance: ``r, k, l, l_low, l_high, l_mean`` (``L - r`` is the
        usual plot)."""
        keys = ("r", "k", "l", "l_low", "l_high", "l_mean")
        return [{k: float(getattr(self, k)[i]) for k in keys} for i in range(self.r.size)]


def _is_rectangle(win: shapely.Geometry) -> bool:
    return bool(np.isclose(win.area, shapely.box(*win.bounds).area, rtol=1e-9))


def _k_function(
    xy: np.ndarray, win: shapely.Geometry, r: np.ndarray, correction: str
) -> np.ndarray:
    n, area = len(xy), win.area
    pairs = cKDTree(xy).query_pairs(r.max(), output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    delta = xy[a] - xy[b]
    d = np.hypot(delta[:, 0], delta[:, 1])
    if correction == "border":
        boundary = shapely.distance(shapely.points(xy), win.boundary)
        out = np.empty(r.size)
        for k, rk in enumerate(r):
            centre = boundary >= rk
            close = d <= rk
            # each pair counts once from each end that is a centre
            cnt = (close & centre[a]).sum() + (close & centre[b]).sum()
            m = centre.sum()
            out[k] = area * cnt / ((n - 1) * m) if m else np.nan
        return out
    if correction == "translate":
        x0, y0, x1, y1 = win.bounds
        w = area / ((x1 - x0 - np.abs(delta[:, 0])) * (y1 - y0 - np.abs(delta[:, 1])))
    elif correction == "none":
        w = np.ones(d.size)
    else:
        raise ValueError("edge_correction must be 'translate', 'border' or 'none'")
    order = np.argsort(d)
    cum = np.r_[0.0, np.cumsum(w[order])]
    within = cum[np.searchsorted(d[order], r, side="right")]
    return area * 2.0 * within / (n * (n - 1))


def _uniform_points(rng: np.random.Generator, win: shapely.Geometry, n: int) -> np.ndarray:
    x0, y0, x1, y1 = win.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        m = 2 * (n - len(out)) + 16
        xy = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        out = np.vstack([out, xy[shapely.contains_xy(win, xy[:, 0], xy[:, 1])]])
    return out[:n]


def ripley(
    x: np.ndarray,
    y: np.ndarray,
    r: np.ndarray,
    *,
    window: shapely.Geometry | None = None,
    edge_correction: EdgeCorrection | None = None,
    simulations: int = 99,
    seed: int | None = 0,
    confidence: float = 0.95,
) -> RipleyResult:
    """Ripley's K and L at distances ``r`` with a CSR envelope and the global MAD test.

    Parameters
    ----------
    x, y : ndarray
        Point coordinates (metres) inside ``window``.
    r : ndarray
        Distances in metres (positive, increasing; keep them under a quarter of the window's
        shorter side).
    window : shapely Polygon, optional
        Where points could be; default the points' bounding box.
    edge_correction : {"translate", "border", "none"}, optional
        Default ``"translate"`` for a rectangular window, ``"border"`` otherwise.
    simulations : int
        CSR patterns for the envelope and the test (0: none).
    seed : int or None
        Seed of :func:`numpy.random.default_rng`.
    confidence : float
        Pointwise envelope level.
    """
    xy = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    if len(xy) < 3:
        raise ValueError("need at least 3 points")
    rr = np.asarray(r, float).ravel()
    if rr.size == 0 or np.any(rr <= 0) or np.any(np.diff(rr) <= 0):
        raise ValueError("r must be positive and increasing")
    win = _window(xy, window)
    corr = edge_correction or ("translate" if _is_rectangle(win) else "border")
    if corr == "translate" and not _is_rectangle(win):
        raise ValueError("the translate correction here needs a rectangular window")
    k_obs = _k_function(xy, win, rr, corr)
    l_obs = np.sqrt(np.maximum(k_obs, 0.0) / np.pi)
    nan = np.full(rr.size, np.nan)
    low = high = mean = nan
    dev, p = float("nan"), float("nan")
    if simulations:
        rng = np.random.default_rng(seed)
        sims = np.array(
            [
                np.sqrt(
                    np.maximum(_k_function(_uniform_points(rng, win, len(xy)), win, rr, corr), 0)
                    / np.pi
                )
                for _ in range(simulations)
            ]
        )
        a = (1 - confidence) / 2
        low, high = np.nanquantile(sims, [a, 1 - a], axis=0)
        mean = np.nanmean(sims, axis=0)
        dev = float(np.nanmax(np.abs(l_obs - mean)))
        dev_sim = np.nanmax(np.abs(sims - mean), axis=1)
        p = float((1 + (dev_sim >= dev).sum()) / (simulations + 1))
    return RipleyResult(
        rr,
        k_obs,
        l_obs,
        low,
        high,
        mean,
        dev,
        p,
        len(xy),
        float(win.area),
        corr,
        int(simulations),
        seed,
    )
