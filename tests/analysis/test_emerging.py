import numpy as np
import pytest
from esda import G_Local
from libpysal.weights import W, lat2W
from scipy import stats

from lagesbild.analysis.emerging import emerging_hot_spots, mann_kendall, space_time_gi_star
from lagesbild.analysis.hotspots import gi_star


def brute_s(x):
    n = len(x)
    return sum(np.sign(x[j] - x[i]) for i in range(n) for j in range(i + 1, n))


def test_mann_kendall_hand_example_with_ties():
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0])
    r = mann_kendall(x)
    assert r.s == brute_s(x) == 12
    # ties: three pairs (1, 3, 5): 3 * 2*1*9 = 54
    assert r.var_s == pytest.approx((10 * 9 * 25 - 54) / 18)
    assert r.z == pytest.approx((12 - 1) / np.sqrt((2250 - 54) / 18))


@pytest.mark.parametrize("seed", range(5))
def test_mann_kendall_vectorised_matches_scipy_kendalltau(seed):
    rng = np.random.default_rng(seed)
    T = 24
    x = np.round(rng.normal(size=(T, 30)) + np.linspace(0, rng.uniform(-1, 1), T)[:, None], 1)
    r = mann_kendall(x, continuity=False)
    for k in range(x.shape[1]):
        assert r.s[k] == brute_s(x[:, k])
        ref = stats.kendalltau(np.arange(T), x[:, k], method="asymptotic")
        assert r.p[k] == pytest.approx(ref.pvalue, rel=1e-9)


def test_per_slice_gi_star_equals_2d_gi_star():
    rng = np.random.default_rng(1)
    cube = rng.poisson(2.0, (5, 9, 8)).astype(float)
    z, _ = space_time_gi_star(cube, 100.0, time_window=0)
    for t in range(5):
        np.testing.assert_allclose(z[t], gi_star(cube[t], 100.0).z, atol=1e-12)


def test_space_time_gi_star_equals_esda_with_explicit_weights():
    rng = np.random.default_rng(2)
    T, ny, nx = 4, 5, 6
    cube = rng.poisson(3.0, (T, ny, nx)).astype(float)
    z, _ = space_time_gi_star(cube, 50.0, time_window=1)
    sp = lat2W(ny, nx, rook=False).neighbors
    neigh = {}
    for t in range(T):
        for i in range(ny * nx):
            same = [t * ny * nx + j for j in sp[i]]
            prev = [(t - 1) * ny * nx + j for j in [i, *sp[i]]] if t > 0 else []
            neigh[t * ny * nx + i] = same + prev
    w = W(neigh, silence_warnings=True)
    # esda's Gi* needs symmetric weights? No: it uses row sums and W @ y, so a one-way
    # (past-only) neighbourhood is expressed as is.
    ref = G_Local(cube.ravel(), w, star=True, transform="B", permutations=0).Zs
    np.testing.assert_allclose(z.ravel(), ref, atol=1e-6)


def _cube_with_patterns(seed=0):
    rng = np.random.default_rng(seed)
    T = 20
    t = np.arange(T)[:, None, None]
    mean = np.full((T, 20, 20), 2.0)
    mean[:, 2:5, 2:5] += 3.0 + 0.4 * t  # intensifying
    mean[:, 14:17, 14:17] += 4.0  # persistent
    mean[-1:, 2:5, 14:17] += 6.0  # new
    mean[:-2, 14:17, 2:5] += 4.0  # historical (time_window=1 carries it one slice on)
    return rng.poisson(mean).astype(float)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_emerging_categories(seed):
    r = emerging_hot_spots(_cube_with_patterns(seed), 100.0)
    assert r.category[3, 3] == "intensifying"
    assert r.category[15, 15] == "persistent"
    assert r.category[3, 15] == "new"
    assert r.category[15, 3] == "historical"
    assert r.category_counts()["no_pattern"] > 250
    recs = r.to_records()
    assert len(recs) == 400 and {"category", "trend_z", "share_hot"} <= set(recs[0])


def test_emerging_cold_and_consecutive():
    c = np.full((8, 9, 9), 5.0)
    c += np.random.default_rng(3).poisson(1.0, c.shape)
    c[-3:, 4, 4] = 30  # consecutive: last three slices only
    c[:, 1, 1] = 0  # a persistent cold spot
    c[:, 1, 2] = 0
    c[:, 2, 1] = 0
    r = emerging_hot_spots(c, 100.0, time_window=0)
    assert r.category[4, 4] == "consecutive"
    assert r.category[1, 1].endswith("_cold")


def test_too_few_slices():
    with pytest.raises(ValueError):
        mann_kendall(np.zeros((2, 3)))
