"""The Knox test against pointpats (Knox) and brute force over all pairs."""

import math

import numpy as np
import pytest
from pointpats.spacetime import Knox

from lagesbild.analysis.nearrepeat import knox_test


def _burglaries(seed=0, n=300, repeats=40):
    """Random events in 3 km x 3 km over a year, plus near repeats: 40 events within 80 m and
    5 days of an earlier one."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    t = rng.integers(0, 365, n).astype(float)
    src = rng.integers(0, n, repeats)
    ang = rng.uniform(0, 2 * np.pi, repeats)
    r = rng.uniform(0, 80, repeats)
    x = np.r_[x, x[src] + r * np.cos(ang)]
    y = np.r_[y, y[src] + r * np.sin(ang)]
    t = np.r_[t, t[src] + rng.integers(0, 6, repeats)]
    return x, y, t


def _brute(x, y, t):
    n = len(x)
    i, j = np.triu_indices(n, 1)
    dd = np.hypot(x[i] - x[j], y[i] - y[j])
    dt = np.abs(t[i] - t[j])
    return dd, dt


def test_statistic_and_expectation_equal_pointpats():
    x, y, t = _burglaries()
    r = knox_test(x, y, t, distance=100.0, days=7.0, simulations=999, seed=1)
    pp = Knox(np.c_[x, y], t.reshape(-1, 1), delta=100.0, tau=7.0, permutations=999)
    assert r.close_pairs == pp.statistic_
    assert r.expected == pytest.approx(pp.expected[0, 0], rel=1e-12)
    assert r.space_pairs == pp.observed[0].sum()
    # the planted near repeats: a clear excess, found by both
    assert r.ratio > 2 and r.p <= 0.01 and pp.p_sim <= 0.01


def test_counts_inclusive_at_both_limits_and_each_pair_once():
    # integer positions and days exactly at the limits count
    x = np.array([0.0, 100.0, 0.0, 300.0])
    y = np.zeros(4)
    t = np.array([0.0, 7.0, 8.0, 0.0])
    r = knox_test(x, y, t, distance=100.0, days=7.0, simulations=0)
    # within 100 m: (0,1) at 100, (0,2) at 0, (1,2) at 100;
    # within 7 days: (0,1) at 7, (0,3) at 0, (1,2) at 1, (1,3) at 7; both: (0,1), (1,2)
    assert r.space_pairs == 3 and r.time_pairs == 4 and r.close_pairs == 2
    assert r.total_pairs == 6 and r.expected == pytest.approx(3 * 4 / 6)


def test_band_table_equals_brute_force_and_closed_form_expectation():
    x, y, t = _burglaries(seed=3, n=200, repeats=20)
    r = knox_test(x, y, t, distance=150.0, days=10.0, simulations=99, seed=2)
    dd, dt = _brute(x, y, t)
    total = dd.size

    for b in r.bands:
        first_d, first_t = b.distance_from == 0, b.days_from == 0
        in_d = (dd <= b.distance_to + 1e-9) & ((dd > b.distance_from + 1e-9) | first_d)
        in_t = (dt <= b.days_to + 1e-9) & ((dt > b.days_from + 1e-9) | first_t)
        assert b.observed == int((in_d & in_t).sum())
        assert b.expected == pytest.approx(in_d.sum() * in_t.sum() / total, rel=1e-12)
    assert sum(b.observed for b in r.bands) == total
    assert len(r.bands) == 16 and math.isinf(r.bands[-1].distance_to)


def test_random_times_give_no_excess_and_simulated_mean_matches_expectation():
    rng = np.random.default_rng(9)
    x, y = rng.uniform(0, 2000, 400), rng.uniform(0, 2000, 400)
    t = rng.uniform(0, 365, 400)
    r = knox_test(x, y, t, distance=100.0, days=14.0, simulations=499, seed=4)
    assert r.p > 0.05
    assert r.ratio == pytest.approx(1.0, abs=0.35)
    d = r.to_dict()
    assert {"close_pairs", "expected", "ratio", "p", "bands"} <= set(d)
    assert d["bands"][0]["distance_to"] == 100.0 and d["bands"][-1]["distance_to"] == "inf"


def test_seeded():
    x, y, t = _burglaries(seed=5, n=100, repeats=10)
    a = knox_test(x, y, t, distance=100.0, days=7.0, simulations=99, seed=3)
    b = knox_test(x, y, t, distance=100.0, days=7.0, simulations=99, seed=3)
    assert a == b
