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


# ---------------------------------------------------------------- sparse counts: Monte Carlo


def test_the_monte_carlo_sums_are_the_space_time_stencil_sums():
    from lagesbild.analysis.emerging import space_time_monte_carlo, space_time_stencil
    from lagesbild.analysis.neighbours import stencil_sums

    cube = np.random.default_rng(2).poisson(0.4, (8, 9, 7)).astype(float)
    for k in (1, 2):
        mc = space_time_monte_carlo(cube, 50.0, time_window=k, simulations=99, seed=1)
        # the observed t: the 3-D stencil's neighbourhood sum S, standardised by its
        # multinomial moments N a / n and N (a / n - (a / n)^2), a the neighbours of the bin
        st = space_time_stencil(50.0, None, k)
        s = stencil_sums(cube, st)
        a = stencil_sums(np.ones(cube.shape), st) / cube.size
        t = (s - cube.sum() * a) / np.sqrt(cube.sum() * (a - a**2))
        np.testing.assert_allclose(mc.t, t, rtol=1e-10)
        assert mc.p.shape == cube.shape and mc.simulations == 99


def test_sparse_random_cubes_are_classified_by_monte_carlo_and_stay_calibrated():
    """On random sparse cubes (0.05 events per bin) the normal p marks far more than 5 % of
    the bins; the Monte Carlo p about 5 %, and auto chooses it."""
    rng = np.random.default_rng(11)
    share_mc, share_normal = [], []
    for _ in range(3):
        cube = rng.poisson(0.05, (12, 30, 30)).astype(float)
        normal = emerging_hot_spots(cube, 50.0, inference="normal")
        auto = emerging_hot_spots(cube, 50.0, inference="auto", simulations=199, seed=3)
        assert (normal.inference, auto.inference) == ("normal", "montecarlo")
        assert auto.simulations == 199 and auto.seed == 3 and normal.simulations == 0
        share_normal.append(np.mean(normal.p <= 0.05))
        share_mc.append(np.mean(auto.p <= 0.05))
        # the adjusted p (max-T over the cube) marks no bin of a random cube
        assert np.nanmin(auto.q) > 0.05
    assert np.mean(share_mc) <= 0.06
    assert np.mean(share_normal) > 2 * np.mean(share_mc)
    # dense counts: auto keeps the normal test
    dense = rng.poisson(40, (6, 10, 10)).astype(float)
    assert emerging_hot_spots(dense, 50.0, inference="auto").inference == "normal"


def test_a_planted_new_hot_spot_is_still_found_by_monte_carlo():
    rng = np.random.default_rng(5)
    cube = rng.poisson(0.05, (12, 30, 30)).astype(float)
    cube[-1, 14:16, 14:16] += 6  # 24 events in four cells in the last slice only
    res = emerging_hot_spots(
        cube, 50.0, inference="montecarlo", classify_by="q", simulations=199, seed=0
    )
    assert res.category[14, 14] == "new" and res.category[15, 15] == "new"
    assert res.category_counts().get("new", 0) <= 16  # the cluster's neighbourhood, not the map
