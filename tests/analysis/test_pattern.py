"""Point pattern: Ripley's K against pointpats, edge corrections against the CSR closed form
E[K(r)] = pi r^2, and the Clark-Evans index against its closed form."""

import numpy as np
import pytest
import shapely
from pointpats import distance_statistics as pp_stats

from lagesbild.analysis.pattern import nearest_neighbour_index, ripley

L_WINDOW = shapely.union(shapely.box(0, 0, 1000, 400), shapely.box(0, 0, 400, 1000))


def _csr(rng, win, n):
    x0, y0, x1, y1 = win.bounds
    xy = np.empty((0, 2))
    while len(xy) < n:
        c = np.c_[rng.uniform(x0, x1, 2 * n), rng.uniform(y0, y1, 2 * n)]
        xy = np.vstack([xy, c[shapely.contains_xy(win, c[:, 0], c[:, 1])]])
    return xy[:n, 0], xy[:n, 1]


def test_uncorrected_k_equals_pointpats():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 800, 150), rng.uniform(0, 500, 150)
    r = np.array([12.3, 37.1, 61.9, 88.8, 123.4])
    ours = ripley(x, y, r, edge_correction="none", simulations=0)
    _, k_pp = pp_stats.k(np.c_[x, y], support=r)
    # pointpats divides by n^2 (lambda^2 = n^2 / A^2), we by n (n - 1); same window (bbox)
    n = len(x)
    np.testing.assert_allclose(ours.k * (n - 1) / n, k_pp, rtol=1e-12)


@pytest.mark.parametrize(
    ("window", "correction"),
    [(shapely.box(0, 0, 1000, 600), "translate"), (L_WINDOW, "border")],
)
def test_edge_corrected_k_is_unbiased_under_csr(window, correction):
    rng = np.random.default_rng(1)
    r = np.array([25.0, 50.0, 100.0])
    ks, raw = [], []
    for _ in range(100):
        x, y = _csr(rng, window, 200)
        ks.append(ripley(x, y, r, window=window, edge_correction=correction, simulations=0).k)
        raw.append(ripley(x, y, r, window=window, edge_correction="none", simulations=0).k)
    mean_k = np.mean(ks, axis=0)
    np.testing.assert_allclose(mean_k, np.pi * r**2, rtol=0.05)
    # without correction K is clearly too low at the largest distance
    assert np.mean(raw, axis=0)[-1] < 0.93 * np.pi * r[-1] ** 2


def test_envelope_and_global_test_find_clustering_and_pass_csr():
    rng = np.random.default_rng(2)
    win = shapely.box(0, 0, 1000, 1000)
    r = np.linspace(10, 200, 12)
    x, y = _csr(rng, win, 150)
    csr = ripley(x, y, r, window=win, simulations=99, seed=1)
    assert csr.p > 0.05 and csr.edge_correction == "translate"
    centres = rng.uniform(100, 900, (10, 2))
    pts = np.repeat(centres, 15, axis=0) + rng.normal(0, 20, (150, 2))
    pts = np.clip(pts, 1, 999)
    clus = ripley(pts[:, 0], pts[:, 1], r, window=win, simulations=99, seed=1)
    assert clus.p == pytest.approx(0.01) and (clus.l > clus.l_high).any()
    assert len(clus.to_records()) == r.size


def test_clark_evans_lattice_closed_form_and_csr_mean():
    g = np.arange(10) * 10.0 + 5
    xx, yy = np.meshgrid(g, g)
    win = shapely.box(0, 0, 100, 100)
    lat = nearest_neighbour_index(xx.ravel(), yy.ravel(), window=win, edge_correction="none")
    # d = 10, lambda = 0.01: E = 0.5 / 0.1 = 5, R = 2, SE = 0.26136 / sqrt(100 * 0.01)
    assert lat.mean_distance == 10.0 and lat.index == 2.0
    assert lat.standard_error == pytest.approx(0.26136)
    rng = np.random.default_rng(3)
    donnelly, plain = [], []
    for _ in range(200):
        x, y = _csr(rng, shapely.box(0, 0, 500, 300), 60)
        w = shapely.box(0, 0, 500, 300)
        donnelly.append(nearest_neighbour_index(x, y, window=w).index)
        plain.append(nearest_neighbour_index(x, y, window=w, edge_correction="none").index)
    assert np.mean(donnelly) == pytest.approx(1.0, abs=0.02)
    assert np.mean(plain) > 1.04  # the edge effect Donnelly's correction removes
