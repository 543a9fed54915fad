r"""Proposed scene extent from observations, its area with a bootstrap interval, and comparison.

*Boundary.* Points (drug-related observations and crimes, projected CRS) are clustered by
density (DBSCAN, Ester et al. 1996): a point is a *core* point when at least ``min_samples``
points (itself included) lie within ``eps`` metres; core points within ``eps`` of each other
form one cluster; other points within ``eps`` of a core point join its cluster; the rest is
noise. Clusters holding at least ``min_cluster_share`` of the clustered points are kept, and
each becomes the concave hull (``shapely.concave_hull``, Park & Oh 2012 as implemented in
GEOS; ``concave_ratio`` 0 = tightest, 1 = convex hull) of its points; the extent is their union.

When ``eps`` is not given it is chosen from the data as 1.5 times the median distance from a
point to its ``min_samples``-th nearest neighbour (counting itself), a robust version of the
"knee" of the k-distance plot that DBSCAN's authors suggest.

*Area and its interval* (``interval="parametric"``, the default). The hull of points drawn
inside a region lies inside it, so its area is biased low, the more so the fewer the points
(for a convex polygon with :math:`r` corners the deficit of the convex hull of :math:`n`
uniform points is about :math:`\tfrac{2}{3} r \log n / n` of the area, Renyi & Sulanke 1963;
the concave hull loses more). Measured before this correction: a 3.30 ha rectangle with 150
points inside and 30 noise points was estimated at 2.69 ha (18 % low). The bias and the spread
are taken from a parametric bootstrap (Efron & Tibshirani 1993, ch. 6 and 10) of the whole
procedure: ``n_clustered`` points uniform in a region and the remaining points uniform over the
points' bounding box (the noise) are simulated, and the extent is rebuilt as from the data
(``eps`` chosen again when it was not given). With :math:`\rho_b = \hat A^*_b / |R|`, the ratio
of the simulated estimate to the area of the region simulated in,

.. math::

    \hat A = \hat A_0 / \operatorname{median}(\rho), \qquad
    [\hat A_0 / \rho_{(1-\alpha/2)},\ \hat A_0 / \rho_{(\alpha/2)}],

where :math:`\hat A_0` is the hull's area: the ratio is treated as a pivot (its distribution
depends on the number of points and the shape, not on the scale). The region simulated in is
first the hull itself and then, for the reported figures, the hull grown to the corrected area
of a first, smaller round (``n_boot // 4`` simulations), because a hull simulated in is already
too small and would under-correct. The returned ``geometry`` is the hull grown outward
(a mitred buffer) until its area is :math:`\hat A`, so map and figure agree. Checked in
``tests/analysis/test_extent_calibration.py``: on rectangles and L-shapes with 150 + 30 and
600 + 120 points the mean estimate is within 5 % of the truth and the 95 % interval covers it
in at least 90 % of the scenes.

The older ``interval="bootstrap"`` resamples the points with replacement and re-centres the
percentile interval on the hull's area; its interval is too wide and its centre too low (the
issue above), and it is kept only for comparison.

*Comparison of two extents* :math:`A` (earlier) and :math:`B`: gained :math:`|B \setminus A|`,
lost :math:`|A \setminus B|`, kept :math:`|A \cap B|` (hectares), intersection over union,
and the distance between the centroids in metres.

References
----------
Ester, M., Kriegel, H.-P., Sander, J. & Xu, X. (1996). A density-based algorithm for
discovering clusters in large spatial databases with noise. *KDD-96*, 226-231.
Park, J.-S. & Oh, S.-J. (2012). A new concave hull algorithm and concaveness measure for
n-dimensional datasets. *J. Inf. Sci. Eng.* 28, 587-600.
Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
Renyi, A. & Sulanke, R. (1963). Uber die konvexe Hulle von n zufallig gewahlten Punkten.
*Z. Wahrscheinlichkeitstheorie* 2, 75-84.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

__all__ = [
    "ExtentComparison",
    "ExtentResult",
    "compare_extents",
    "dbscan_labels",
    "default_eps",
    "propose_extent",
]


@dataclass(frozen=True)
class ExtentResult:
    """Proposed extent (``geometry``, projected CRS) with area and its interval in ha.

    ``area_ha`` is the bias-corrected area (the area of ``geometry``) and ``hull_area_ha`` the
    area of the hulls before correction; ``boot_median_ha`` is the median of the simulated
    estimates and ``boot_areas_ha`` all of them; ``interval`` names the method.
    """

    geometry: shapely.Geometry
    area_ha: float
    ci_low_ha: float
    ci_high_ha: float
    boot_median_ha: float
    confidence: float
    n_points: int
    n_clustered: int
    n_clusters: int
    eps: float
    min_samples: int
    concave_ratio: float
    n_boot: int
    seed: int | None
    boot_areas_ha: np.ndarray
    hull_area_ha: float = float("nan")
    interval: str = "parametric"

    def properties(self) -> dict:
        """Everything but the geometry and the bootstrap sample, for GeoJSON/JSON/CSV."""
        keys = (
            "area_ha",
            "ci_low_ha",
            "ci_high_ha",
            "boot_median_ha",
            "confidence",
            "n_points",
            "n_clustered",
            "n_clusters",
            "eps",
            "min_samples",
            "concave_ratio",
            "n_boot",
            "seed",
            "hull_area_ha",
            "interval",
        )
        return {k: getattr(self, k) for k in keys}


def default_eps(xy: np.ndarray, min_samples: int) -> float:
    """1.5 x the median distance to the ``min_samples``-th nearest point (itself counted)."""
    k = min(int(min_samples), len(xy))
    if k < 2:
        raise ValueError("need at least two points")
    d, _ = cKDTree(xy).query(xy, k=k)
    return 1.5 * float(np.median(d[:, -1]))


def dbscan_labels(xy: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    """DBSCAN cluster label per point (``-1`` = noise), neighbours at distance ``<= eps``.

    Core points and clusters are those of scikit-learn's ``DBSCAN``; a border point that is
    within reach of two clusters goes to the one with the lowest label.
    """
    n = len(xy)
    pairs = cKDTree(xy).query_pairs(eps, output_type="ndarray")
    deg = 1 + np.bincount(pairs.ravel(), minlength=n)
    core = deg >= min_samples
    both = core[pairs[:, 0]] & core[pairs[:, 1]]
    cp = pairs[both]
    graph = sparse.coo_array((np.ones(len(cp)), (cp[:, 0], cp[:, 1])), shape=(n, n))
    _, comp = csgraph.connected_components(graph, directed=False)
    labels = np.full(n, -1, dtype=np.int64)
    _, labels[core] = np.unique(comp[core], return_inverse=True)
    # border points: non-core with a core neighbour
    for a, b in ((0, 1), (1, 0)):
        sel = core[pairs[:, a]] & ~core[pairs[:, b]]
        src, dst = pairs[sel, a], pairs[sel, b]
        if dst.size:
            best = np.full(n, np.iinfo(np.int64).max)
            np.minimum.at(best, dst, labels[src])
            upd = (best < np.iinfo(np.int64).max) & (labels == -1) | (
                (labels >= 0) & ~core & (best < labels)
            )
            labels[upd] = best[upd]
    return labels


def _extent(
    xy: np.ndarray, eps: float, min_samples: int, min_share: float, ratio: float
) -> tuple[shapely.Geometry, int, int]:
    labels = dbscan_labels(xy, eps, min_samples)
    ids, sizes = np.unique(labels[labels >= 0], return_counts=True)
    n_in = int(sizes.sum())
    hulls = []
    for lab, size in zip(ids, sizes, strict=True):
        if size < min_share * n_in:
            continue
        hull = shapely.concave_hull(shapely.multipoints(xy[labels == lab]), ratio=ratio)
        if hull.area > 0:
            hulls.append(hull)
    geom = shapely.union_all(hulls) if hulls else shapely.Polygon()
    return geom, n_in, len(hulls)


def _uniform_in(rng: np.random.Generator, geom: shapely.Geometry, n: int) -> np.ndarray:
    """``n`` points uniform in ``geom`` (rejection from its bounding box)."""
    x0, y0, x1, y1 = geom.bounds
    out = np.empty((0, 2))
    shapely.prepare(geom)
    while len(out) < n:
        m = max(16, 2 * (n - len(out)) * int(np.ceil((x1 - x0) * (y1 - y0) / geom.area)))
        xy = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        out = np.vstack([out, xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]])
    return out[:n]


def _grow(geom: shapely.Geometry, target_area: float) -> shapely.Geometry:
    """``geom`` buffered outward (mitred) until its area is ``target_area`` (bisection)."""
    if not target_area > geom.area or geom.is_empty:
        return geom
    lo, hi = 0.0, np.sqrt(target_area)
    for _ in range(40):
        mid = (lo + hi) / 2
        if geom.buffer(mid, join_style="mitre").area < target_area:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-3:
            break
    return geom.buffer(hi, join_style="mitre")


def _simulated_ratios(
    rng: np.random.Generator,
    region: shapely.Geometry,
    window: tuple[float, float, float, float],
    n_in: int,
    n_noise: int,
    n_sim: int,
    rebuild,
) -> np.ndarray:
    """Estimate / true area for ``n_sim`` scenes simulated in ``region`` (plus noise)."""
    x0, y0, x1, y1 = window
    out = np.empty(n_sim)
    for b in range(n_sim):
        inside = _uniform_in(rng, region, n_in)
        noise = np.column_stack([rng.uniform(x0, x1, n_noise), rng.uniform(y0, y1, n_noise)])
        out[b] = rebuild(np.vstack([inside, noise])).area / region.area
    return out


def propose_extent(
    x: np.ndarray,
    y: np.ndarray,
    *,
    eps: float | None = None,
    min_samples: int = 5,
    min_cluster_share: float = 0.1,
    concave_ratio: float = 0.2,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int | None = 0,
    interval: Literal["parametric", "bootstrap"] = "parametric",
) -> ExtentResult:
    """Scene boundary from points: DBSCAN clusters, concave hulls, calibrated area interval.

    Parameters
    ----------
    x, y : ndarray
        Point coordinates in metres.
    eps : float, optional
        DBSCAN radius in metres (default: :func:`default_eps`, chosen again in each
        simulation).
    min_samples : int
        Points within ``eps`` (self included) that make a core point.
    min_cluster_share : float
        Keep clusters holding at least this share of the clustered points.
    concave_ratio : float
        ``shapely.concave_hull`` ratio.
    n_boot : int
        Simulations for the interval (0 for none: no correction, no interval).
    seed : int or None
        Seed of ``numpy.random.default_rng`` for the simulations.
    interval : {"parametric", "bootstrap"}
        The calibrated parametric bootstrap (default) or the older resampling bootstrap; see
        the module docstring.
    """
    xy = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    if len(xy) < max(3, min_samples):
        raise ValueError("too few points for an extent")
    if interval not in ("parametric", "bootstrap"):
        raise ValueError("interval must be 'parametric' or 'bootstrap'")

    def rebuild(pts: np.ndarray, e: float | None = eps) -> shapely.Geometry:
        e = default_eps(pts, min_samples) if e is None else e
        return _extent(pts, e, min_samples, min_cluster_share, concave_ratio)[0]

    eps_used = default_eps(xy, min_samples) if eps is None else float(eps)
    hull, n_in, n_cl = _extent(xy, eps_used, min_samples, min_cluster_share, concave_ratio)
    hull_area = hull.area / 10_000.0
    rng = np.random.default_rng(seed)
    a = (1 - confidence) / 2
    geom, area = hull, hull_area
    if n_boot and interval == "bootstrap":
        boot = np.empty(n_boot)
        for b in range(n_boot):
            sample = xy[rng.integers(0, len(xy), len(xy))]
            boot[b] = rebuild(sample, eps_used).area / 10_000.0
        lo, med, hi = np.quantile(boot, [a, 0.5, 1 - a])
        lo, hi = max(0.0, area + lo - med), area + hi - med
    elif n_boot and hull.area > 0:
        window = tuple(np.r_[xy.min(axis=0), xy.max(axis=0)])
        n_noise = len(xy) - n_in

        def ratios(region: shapely.Geometry, k: int) -> np.ndarray:
            return _simulated_ratios(rng, region, window, n_in, n_noise, k, rebuild)

        # first round in the hull, then in the hull grown to that round's corrected area
        first = ratios(hull, max(10, n_boot // 4))
        region = _grow(hull, hull.area / max(np.median(first), 1e-9))
        rho = ratios(region, n_boot)
        boot = rho * region.area / 10_000.0
        med = float(np.median(boot))
        r_lo, r_mid, r_hi = np.quantile(rho, [a, 0.5, 1 - a])
        area = hull_area / r_mid
        lo, hi = hull_area / r_hi, hull_area / r_lo
        geom = _grow(hull, area * 10_000.0)
    else:
        boot = np.empty(0)
        lo = med = hi = np.nan
    boot.setflags(write=False)
    return ExtentResult(
        geom,
        geom.area / 10_000.0 if interval == "parametric" and n_boot else area,
        float(lo),
        float(hi),
        float(med),
        confidence,
        len(xy),
        n_in,
        n_cl,
        eps_used,
        int(min_samples),
        float(concave_ratio),
        int(n_boot),
        seed,
        boot,
        hull_area,
        interval,
    )


@dataclass(frozen=True)
class ExtentComparison:
    """Change from extent ``a`` (earlier round) to ``b``: areas in ha, shift in metres."""

    area_a_ha: float
    area_b_ha: float
    gained_ha: float
    lost_ha: float
    kept_ha: float
    iou: float
    centroid_shift_m: float
    centroid_a: tuple[float, float]
    centroid_b: tuple[float, float]

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def compare_extents(a: shapely.Geometry, b: shapely.Geometry) -> ExtentComparison:
    """Area gained (in ``b`` not ``a``), lost, kept, IoU and centroid shift between extents.

    Examples
    --------
    >>> c = compare_extents(shapely.box(0, 0, 200, 100), shapely.box(100, 0, 300, 100))
    >>> c.gained_ha, c.lost_ha, c.kept_ha, c.centroid_shift_m
    (1.0, 1.0, 1.0, 100.0)
    """
    inter = shapely.intersection(a, b).area
    union = shapely.union(a, b).area
    ca, cb = shapely.centroid(a), shapely.centroid(b)
    return ExtentComparison(
        a.area / 1e4,
        b.area / 1e4,
        shapely.difference(b, a).area / 1e4,
        shapely.difference(a, b).area / 1e4,
        inter / 1e4,
        inter / union if union else float("nan"),
        float(shapely.distance(ca, cb)),
        (ca.x, ca.y),
        (cb.x, cb.y),
    )
