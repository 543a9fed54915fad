"""Quartic KDE: exact mode against a brute-force sum, binned mode within its stated bound."""

import math

import numpy as np
import pytest
from scipy import integrate

from lagesbild.analysis.grid import make_grid
from lagesbild.analysis.kde import kde_quartic, quartic_kernel, quartic_lipschitz


def brute_force(x, y, grid, h, w=None):
    cx, cy = grid.centres()
    d = np.hypot(cx.ravel()[:, None] - x[None], cy.ravel()[:, None] - y[None])
    k = quartic_kernel(d, h) * (1.0 if w is None else w[None])
    return (k.sum(axis=1) * 1e4).reshape(grid.shape)


_CACHE: dict = {}


def cached_brute_force(n, seed, cell, h):
    """Brute force on the standard test points, computed once per case."""
    key = (n, seed, cell, h)
    if key not in _CACHE:
        x, y = _points(n, seed)
        _CACHE[key] = brute_force(x, y, make_grid((0, 0, 1000, 800), cell), h)
    return _CACHE[key]


def _points(n=2500, seed=0):
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(500, 120, n), rng.uniform(-100, 1100, n // 5)]
    y = np.r_[rng.normal(380, 90, n), rng.uniform(-100, 900, n // 5)]
    return x, y


def test_kernel_integrates_to_one_and_lipschitz():
    h = 37.0
    total, _ = integrate.quad(lambda r: 2 * math.pi * r * quartic_kernel(r, h), 0, h)
    assert total == pytest.approx(1.0, rel=1e-10)
    d = np.linspace(0, 1.2 * h, 200_001)
    slope = np.abs(np.diff(quartic_kernel(d, h)) / np.diff(d)).max()
    assert slope == pytest.approx(quartic_lipschitz(h), rel=1e-6)


@pytest.mark.parametrize("h,cell", [(75.0, 20.0), (30.0, 25.0), (10.0, 20.0), (200.0, 50.0)])
def test_exact_equals_brute_force(h, cell):
    x, y = _points()
    g = make_grid((0, 0, 1000, 800), cell)
    r = kde_quartic(x, y, g, h, method="exact")
    bf = brute_force(x, y, g, h)
    np.testing.assert_allclose(r.density, bf, rtol=1e-9, atol=1e-9 * bf.max())
    assert r.max_error_bound == 0.0


def test_exact_with_weights():
    x, y = _points(800, seed=4)
    w = np.random.default_rng(1).integers(1, 5, x.size).astype(float)
    g = make_grid((0, 0, 1000, 800), 40.0)
    r = kde_quartic(x, y, g, 90.0, weights=w, method="exact")
    np.testing.assert_allclose(r.density, brute_force(x, y, g, 90.0, w), rtol=1e-9, atol=1e-12)
    assert r.counts.sum() == pytest.approx(w[(x >= 0) & (x <= 1000) & (y >= 0) & (y <= 800)].sum())


@pytest.mark.parametrize("binning", ["linear", "nearest"])
@pytest.mark.parametrize("oversample", [1, 2, 3, 4])
@pytest.mark.parametrize("h,cell", [(75.0, 20.0), (30.0, 25.0), (150.0, 10.0)])
def test_binned_within_stated_bound(oversample, h, cell, binning):
    x, y = _points(3000, seed=2)
    g = make_grid((0, 0, 1000, 800), cell)
    r = kde_quartic(x, y, g, h, oversample=oversample, binning=binning)
    bf = cached_brute_force(3000, 2, cell, h)
    err = np.abs(r.density - bf)
    assert np.all(err <= r.error_bound + 1e-9 * bf.max())
    # and it is not vacuous: the binned density is a usable approximation
    assert err.max() < 0.25 * bf.max()


@pytest.mark.parametrize("binning,factor", [("linear", 8), ("nearest", 2)])
def test_binned_error_shrinks_with_oversampling(binning, factor):
    x, y = _points(3000, seed=8)
    g = make_grid((0, 0, 1000, 800), 20.0)
    bf = brute_force(x, y, g, 60.0)
    e1 = np.abs(kde_quartic(x, y, g, 60.0, oversample=1, binning=binning).density - bf).max()
    e4 = np.abs(kde_quartic(x, y, g, 60.0, oversample=4, binning=binning).density - bf).max()
    assert e4 < e1 / factor


def test_linear_binning_beats_nearest():
    x, y = _points(3000, seed=9)
    g = make_grid((0, 0, 1000, 800), 25.0)
    bf = brute_force(x, y, g, 75.0)
    lin = kde_quartic(x, y, g, 75.0, binning="linear")
    near = kde_quartic(x, y, g, 75.0, binning="nearest")
    assert np.abs(lin.density - bf).max() < np.abs(near.density - bf).max() / 3
    assert lin.max_error_bound < near.max_error_bound


def test_single_point_peak_and_mass():
    g = make_grid((0, 0, 1000, 1000), 5.0)
    r = kde_quartic(np.array([502.5]), np.array([497.5]), g, 60.0, method="exact")
    assert r.density.max() == pytest.approx(1e4 * 3 / (math.pi * 3600))
    # density per ha times cell area in ha sums to the number of points (1)
    assert r.density.sum() * g.cell_area_ha == pytest.approx(1.0, rel=1e-3)


def test_snow_deaths_real_data_exact_vs_brute_force():
    import geopandas as gpd
    from libpysal import examples

    pts = gpd.read_file(examples.get_path("SohoPeople.shp")).to_crs(27700)
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    w = pts["Count"].to_numpy(float)
    g = make_grid((x.min(), y.min(), x.max(), y.max()), 10.0)
    r = kde_quartic(x, y, g, 50.0, weights=w, method="exact")
    np.testing.assert_allclose(r.density, brute_force(x, y, g, 50.0, w), rtol=1e-9, atol=1e-12)
    b = kde_quartic(x, y, g, 50.0, weights=w, oversample=2)
    assert np.all(np.abs(b.density - r.density) <= b.error_bound + 1e-9)


def test_records_and_validation():
    g = make_grid((0, 0, 100, 100), 50.0)
    r = kde_quartic(np.array([10.0]), np.array([10.0]), g, 40.0)
    recs = r.to_records()
    assert len(recs) == 4 and {"x", "y", "count", "density"} <= set(recs[0])
    with pytest.raises(ValueError):
        kde_quartic(np.array([1.0]), np.array([1.0]), g, 0.0)
    with pytest.raises(ValueError):
        kde_quartic(np.array([1.0]), np.array([1.0]), g, 10.0, method="nope")


def test_kde_rule_takes_exact_where_cheap_or_within_budget():
    from lagesbild.analysis.kde import choose_kde_method, predict_kde_seconds

    # issue 21: 100 000 points on 40 x 40 cells were binned (1.6 % off at the peak)
    small = make_grid((0, 0, 2000, 2000), 50.0)
    assert choose_kde_method(100_000, small, 150.0) == "exact"
    assert choose_kde_method(100_000, small, 150.0, 50.0) == "exact"
    # few points on a big grid: the exact sum is the cheaper one, whatever the budget
    big = make_grid((0, 0, 50_000, 50_000), 50.0)
    exact_s, binned_s = predict_kde_seconds(1_000, big, 150.0)
    assert exact_s < binned_s
    assert choose_kde_method(1_000, big, 150.0, time_budget=0.0) == "exact"
    # a million points on a million cells: binned, with its error bound
    assert choose_kde_method(1_000_000, big, 150.0) == "binned"
    with pytest.raises(ValueError):
        choose_kde_method(10, big, 150.0, 25.0)


def test_kde_rule_follows_the_exact_sum_offsets():
    from lagesbild.analysis.kde import _exact_offsets

    # offsets whose nearest possible point-to-centre distance is below h; by hand for h = s:
    # an offset of 2 cells is at least 1.5 s away, so only the 3 x 3 block
    assert _exact_offsets(50.0, 50.0) == 9
    # h = 3 s, rows |dr| = 0, 1, 2 reach |dc| <= 3 (7 cells each), |dr| = 3 reaches |dc| <= 2
    # (2.5^2 + 1.5^2 < 9), |dr| = 4 nothing (3.5 s away): 7 + 2 * 7 + 2 * 7 + 2 * 5 = 45
    assert _exact_offsets(150.0, 50.0) == 45
