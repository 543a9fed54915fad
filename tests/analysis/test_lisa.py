"""Local Moran's I against PySAL esda's Moran_Local (queen, row-standardised)."""

import numpy as np
import pytest
from esda import Moran_Local
from libpysal.weights import W, lat2W
from statsmodels.stats.multitest import multipletests

from lagesbild.analysis.grid import make_grid
from lagesbild.analysis.lisa import local_moran


def _esda(values, permutations=0, seed=1, w=None):
    if w is None:
        w = lat2W(*values.shape, rook=False)
    w.transform = "r"
    return Moran_Local(values.ravel(), w, permutations=permutations, seed=seed)


@pytest.mark.parametrize("shape", [(6, 7), (12, 9), (1, 8)])
def test_local_i_and_quadrants_equal_esda(shape):
    rng = np.random.default_rng(3)
    c = rng.poisson(2.0, shape).astype(float)
    c.flat[0] += 7
    r = local_moran(c, permutations=0)
    e = _esda(c)
    np.testing.assert_allclose(r.i.ravel(), e.Is, atol=1e-12)
    np.testing.assert_array_equal(r.quadrant.ravel(), e.q)
    assert np.isnan(r.p).all()


def test_permutation_p_and_z_agree_with_esda_within_monte_carlo_error():
    rng = np.random.default_rng(0)
    c = rng.normal(0, 1, (15, 18))
    c[3:6, 3:6] += 2.0
    b = 9999
    r = local_moran(c, permutations=b, seed=1)
    e = _esda(c, permutations=b, seed=1)
    se = np.sqrt(e.p_sim * (1 - e.p_sim) / b) + 1 / b
    # two independent simulations: their difference has sqrt(2) times one standard error
    assert np.all(np.abs(r.p.ravel() - e.p_sim) <= 5 * np.sqrt(2) * se)
    np.testing.assert_allclose(r.z.ravel(), e.z_sim, atol=0.15)
    np.testing.assert_allclose(
        r.q.ravel(), multipletests(r.p.ravel(), method="fdr_bh")[1], rtol=1e-12
    )
    # the planted block is a significant HH cluster
    assert set(r.cluster_labels()[4, 4:5]) == {"HH"}


def test_mask_equals_esda_on_the_study_area_cells():
    rng = np.random.default_rng(5)
    c = rng.normal(5, 2, (8, 8))
    mask = np.ones(c.shape, bool)
    mask[:3, :3] = False
    r = local_moran(c, mask=mask, permutations=0)
    ids = np.flatnonzero(mask.ravel())
    pos = {int(k): i for i, k in enumerate(ids)}
    full = lat2W(8, 8, rook=False)
    w = W({pos[k]: [pos[j] for j in full.neighbors[k] if j in pos] for k in ids})
    e = _esda(c.ravel()[ids].reshape(1, -1), w=w)
    np.testing.assert_allclose(r.i.ravel()[ids], e.Is, atol=1e-12)
    assert np.isnan(r.i[0, 0]) and r.quadrant[0, 0] == 0


def test_random_counts_rarely_significant_and_ties_are_conservative():
    rng = np.random.default_rng(7)
    c = rng.poisson(2.0, (30, 30)).astype(float)
    r = local_moran(c, permutations=199, seed=3)
    assert (r.q <= 0.05).sum() == 0
    # counts give tied lags; ties count on both sides so p >= the strict tail share
    assert np.nanmin(r.p) >= 1 / 200


def test_records_carry_the_contract_fields_for_every_cell():
    g = make_grid((0, 0, 500, 400), 100.0)
    c = np.zeros(g.shape)
    c[0, 0] = 5
    r = local_moran(c, permutations=49, grid=g)
    recs = r.to_records()
    assert len(recs) == g.n_cells
    assert {"x", "y", "count", "i", "z", "p", "q", "quadrant"} <= set(recs[0])
    assert recs[0]["x"] == 50.0 and recs[0]["y"] == 50.0 and recs[0]["count"] == 5.0
    assert recs[0]["quadrant"] == "HL"  # a busy cell among empty ones: an outlier


def test_constant_values_give_nan_not_crash():
    r = local_moran(np.ones((4, 4)), permutations=9)
    assert np.isnan(r.i).all() and (r.quadrant == 0).all()


def test_a_cell_without_neighbours_has_no_p_value():
    rng = np.random.default_rng(2)
    c = rng.normal(0, 1, (6, 6))
    mask = np.zeros(c.shape, bool)
    mask[:, :3] = True
    mask[5, 5] = True  # an island: no queen neighbour inside the study area
    r = local_moran(c, mask=mask, permutations=99)
    assert r.n_neighbours[5, 5] == 0 and np.isnan(r.p[5, 5]) and r.quadrant[5, 5] == 0
    assert np.isfinite(r.p[mask & (r.n_neighbours > 0)]).all()
