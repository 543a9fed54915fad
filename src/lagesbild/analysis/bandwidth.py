r"""A data-driven kernel bandwidth: likelihood cross-validation, converted to the quartic kernel.

*Likelihood cross-validation* (Habbema, Hermans & van den Broek 1974; Duin 1976) chooses the
bandwidth that maximises the leave-one-out log-likelihood of the points,

.. math::

    \mathrm{CV}(\sigma) = \sum_{i=1}^n \log \hat f_{-i}(x_i), \qquad
    \hat f_{-i}(x) = \frac{1}{n - 1} \sum_{j \ne i} \phi_\sigma(x - x_j),

here with the isotropic Gaussian kernel :math:`\phi_\sigma` in :math:`d` dimensions (one
:math:`\sigma` for both axes, in metres). It is done with the Gaussian because with a kernel of
bounded support, like the quartic, an isolated point has :math:`\hat f_{-i} = 0` and the
criterion is :math:`-\infty` for every small bandwidth.

*Quartic equivalent.* Kernels smooth alike when their bandwidths are in the ratio of their
canonical bandwidths :math:`\delta_K = (R(K)/\mu_2(K)^2)^{1/(d+4)}` (Marron & Nolan 1988), with
:math:`R(K) = \int K^2` and :math:`\mu_2` the second moment per axis. In the plane, the
Gaussian has :math:`R = 1/(4\pi)`, :math:`\mu_2 = 1`; the quartic :math:`K(u) = (3/\pi)(1 -
|u|^2)^2` has :math:`R = 9/(5\pi)`, :math:`\mu_2 = 1/8`; so the quartic radius equivalent to
:math:`\sigma` is :math:`h = \sigma\, (R_q/\mu_{2q}^2)^{1/6} / (R_g/\mu_{2g}^2)^{1/6}
= (2304/5)^{1/6} \sigma \approx 2.779\,\sigma`.

*Duplicates.* Crimes geocoded to one address share a position; a leave-one-out density then
grows without bound as :math:`\sigma \to 0`. Points closer than ``min_distance`` to point
:math:`i` are left out with it (leave one *location* out).

*When not to use.* Cross-validated bandwidths follow the finest structure in the data and can
be small and unstable with few points (below about 50) or with strongly clustered data; a
fixed bandwidth chosen for the question (a walking distance, a block) is often more useful
for a map. Above ``max_points`` a seeded random subset is used (the criterion costs
:math:`O(n^2)` per evaluation).

References
----------
Habbema, J. D. F., Hermans, J. & van den Broek, K. (1974). A stepwise discriminant analysis
program using density estimation. *COMPSTAT 1974*, 101-110.
Marron, J. S. & Nolan, D. (1988). Canonical kernels for density estimation. *Statistics &
Probability Letters* 7, 195-199.
Silverman, B. W. (1986). *Density Estimation for Statistics and Data Analysis*, sec. 3.4.4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.spatial.distance import pdist, squareform
from scipy.special import logsumexp

__all__ = ["QUARTIC_PER_GAUSSIAN", "BandwidthChoice", "likelihood_cv_bandwidth"]

#: Quartic radius per Gaussian sigma with the same smoothing in the plane (canonical kernels).
QUARTIC_PER_GAUSSIAN = (9 / (5 * math.pi) / (1 / 8) ** 2) ** (1 / 6) / (1 / (4 * math.pi)) ** (
    1 / 6
)


@dataclass(frozen=True)
class BandwidthChoice:
    """The cross-validated Gaussian ``sigma`` and the quartic ``bandwidth`` (metres)."""

    sigma: float
    bandwidth: float
    log_likelihood: float
    n_used: int
    n_points: int
    method: str = "likelihood-cv"

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _cv_log_likelihood(log_sigma: float, d2: np.ndarray, keep: np.ndarray, dim: int) -> float:
    """Mean leave-one-out log density (Gaussian) at exp(log_sigma); ``keep`` masks the pairs
    that count (not the point itself, nor its duplicates)."""
    s2 = math.exp(2 * log_sigma)
    logk = -d2 / (2 * s2) - dim / 2 * math.log(2 * math.pi * s2)
    logk = np.where(keep, logk, -np.inf)
    m = keep.sum(axis=1)
    return float(np.mean(logsumexp(logk, axis=1) - np.log(m)))


def likelihood_cv_bandwidth(
    points: np.ndarray,
    *,
    min_distance: float = 1.0,
    max_points: int = 3000,
    seed: int | None = 0,
) -> BandwidthChoice:
    """Likelihood cross-validated Gaussian sigma and its quartic equivalent.

    Parameters
    ----------
    points : ndarray, shape (n, d)
        Coordinates in metres (``d = 2`` for a map; any ``d`` works for ``sigma``).
    min_distance : float
        Points closer than this to the left-out point are left out with it (0: only the
        point itself).
    max_points : int
        Above this many points a random subset of this size is used.
    seed : int or None
        Seed of the subset.

    Returns
    -------
    BandwidthChoice
        ``bandwidth`` is ``sigma * QUARTIC_PER_GAUSSIAN`` (the radius for
        :func:`~lagesbild.analysis.kde.kde_quartic`).
    """
    xy = np.asarray(points, float)
    if xy.ndim == 1:
        xy = xy[:, None]
    n, dim = xy.shape
    if n < 3:
        raise ValueError("need at least 3 points")
    use = xy
    if n > max_points:
        use = xy[np.random.default_rng(seed).choice(n, max_points, replace=False)]
    d2 = squareform(pdist(use, "sqeuclidean"))
    keep = d2 >= min_distance**2
    np.fill_diagonal(keep, False)
    ok = keep.any(axis=1)  # a point whose every neighbour is a duplicate has no LOO density
    d2, keep = d2[np.ix_(ok, ok)], keep[np.ix_(ok, ok)]
    if keep.sum() == 0:
        raise ValueError("all points coincide")
    spread = float(np.sqrt(np.mean(np.var(use, axis=0))))
    nn = np.sqrt(np.min(np.where(keep, d2, np.inf), axis=1))
    lo, hi = math.log(max(float(np.median(nn)) / 10, 1e-6)), math.log(max(spread, 1e-6) * 2)
    res = optimize.minimize_scalar(
        lambda ls: -_cv_log_likelihood(ls, d2, keep, dim),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-6},
    )
    sigma = math.exp(res.x)
    return BandwidthChoice(
        sigma, sigma * QUARTIC_PER_GAUSSIAN, float(-res.fun) * int(ok.sum()), int(ok.sum()), n
    )
