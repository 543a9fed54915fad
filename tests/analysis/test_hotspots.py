"""Gi* against PySAL esda (the peer) and BH q against statsmodels."""

import numpy as np
import pytest
from esda import G_Local
from libpysal import examples
from libpysal.weights import DistanceBand, Queen, W, lat2W
from statsmodels.stats.multitest import multipletests

from lagesbild.analysis.grid import bin_points, make_grid
from lagesbild.analysis.hotspots import (
    band_stencil,
    benjamini_hochberg,
    classify_hot_cold,
    gi_star,
    gi_star_points,
    gi_star_sparse,
    neighbour_sum,
)


def esda_z(y, w):
    return G_Local(np.asarray(y, float), w, star=True, transform="B", permutations=0).Zs


@pytest.mark.parametrize("shape", [(7, 9), (1, 6), (12, 5)])
def test_gi_star_equals_esda_queen_lattice_with_edges(shape):
    rng = np.random.default_rng(42)
    c = rng.poisson(3.0, shape).astype(float)
    c[0, 0] += 12  # a hot corner: fewest neighbours
    r = gi_star(c, 100.0)
    w = lat2W(*shape, rook=False)
    np.testing.assert_allclose(r.z.ravel(), esda_z(c.ravel(), w), rtol=0, atol=1e-6)
    # W_i counts the cell itself: 4 in a corner, 9 inside
    if shape[0] > 2 and shape[1] > 2:
        assert r.n_neighbours[0, 0] == 4 and r.n_neighbours[1, 1] == 9


@pytest.mark.parametrize("distance", [10.0, 25.0, 31.0, 45.0])
def test_gi_star_distance_band_equals_esda(distance):
    rng = np.random.default_rng(7)
    ny, nx, s = 14, 11, 10.0
    c = rng.negative_binomial(2, 0.4, (ny, nx)).astype(float)
    yy, xx = np.mgrid[0:ny, 0:nx]
    pts = np.c_[(xx.ravel() + 0.5) * s, (yy.ravel() + 0.5) * s]
    w = DistanceBand(pts, threshold=distance + 1e-6, binary=True, silence_warnings=True)
    r = gi_star(c, s, distance=distance)
    np.testing.assert_allclose(r.z.ravel(), esda_z(c.ravel(), w), atol=1e-6)


def test_large_band_uses_fft_and_still_matches_esda():
    rng = np.random.default_rng(3)
    ny, nx, s = 30, 26, 10.0
    c = rng.poisson(1.0, (ny, nx)).astype(float)
    assert band_stencil(s, 60.0).sum() > 64  # the FFT path
    yy, xx = np.mgrid[0:ny, 0:nx]
    pts = np.c_[(xx.ravel() + 0.5) * s, (yy.ravel() + 0.5) * s]
    w = DistanceBand(pts, threshold=60.0 + 1e-6, binary=True, silence_warnings=True)
    r = gi_star(c, s, distance=60.0)
    np.testing.assert_allclose(r.z.ravel(), esda_z(c.ravel(), w), atol=1e-6)


def test_mask_removes_cells_like_a_smaller_weights_matrix():
    rng = np.random.default_rng(11)
    c = rng.poisson(2.0, (8, 8)).astype(float)
    mask = np.ones_like(c, bool)
    mask[:3, :3] = False  # an L-shaped place
    r = gi_star(c, 50.0, mask=mask)
    ids = np.flatnonzero(mask.ravel())
    pos = {int(k): i for i, k in enumerate(ids)}
    full = lat2W(8, 8, rook=False)
    neigh = {pos[k]: [pos[j] for j in full.neighbors[k] if j in pos] for k in ids}
    w = W(neigh, silence_warnings=True)
    np.testing.assert_allclose(r.z.ravel()[ids], esda_z(c.ravel()[ids], w), atol=1e-6)
    assert np.isnan(r.z[0, 0]) and r.n_cells == mask.sum()


def test_columbus_crime_equals_esda_real_data():
    """Real public data (Anselin's Columbus neighbourhoods, shipped with libpysal)."""
    import geopandas as gpd

    df = gpd.read_file(examples.get_path("columbus.shp"))
    w = Queen.from_dataframe(df, use_index=False)
    r = gi_star_sparse(df["CRIME"].to_numpy(), w.sparse)
    np.testing.assert_allclose(r.z, esda_z(df["CRIME"], w), atol=1e-6)


def _soho_deaths_bng():
    import geopandas as gpd

    g = gpd.read_file(examples.get_path("SohoPeople.shp")).to_crs(27700)
    return g.geometry.x.to_numpy(), g.geometry.y.to_numpy(), g["Count"].to_numpy(float)


def test_snow_cholera_deaths_gi_star_equals_esda_and_finds_broad_street():
    """Real public data: John Snow's 1854 cholera deaths (libpysal snow_maps), in EPSG:27700."""
    from pyproj import Transformer

    x, y, deaths = _soho_deaths_bng()
    grid = make_grid((x.min(), y.min(), x.max(), y.max()), 25.0)
    counts = bin_points(grid, x, y, deaths)
    r = gi_star(counts, 25.0, distance=50.0, grid=grid)
    cx, cy = grid.centres()
    pts = np.c_[cx.ravel(), cy.ravel()]
    w = DistanceBand(pts, threshold=50.0 + 1e-6, binary=True, silence_warnings=True)
    np.testing.assert_allclose(r.z.ravel(), esda_z(counts.ravel(), w), atol=1e-6)
    # the hottest cell lies near the Broad Street pump (51.51334 N, 0.13668 W)
    px, py = Transformer.from_crs(4326, 27700, always_xy=True).transform(-0.13668, 51.51334)
    k = np.nanargmax(r.z)
    assert np.hypot(cx.flat[k] - px, cy.flat[k] - py) < 100.0
    assert r.labels.flat[k] == "hot_99"


def test_bh_equals_statsmodels_including_ties_and_nan():
    rng = np.random.default_rng(5)
    p = np.r_[rng.uniform(0, 1, 300), rng.uniform(0, 0.001, 20), [0.03, 0.03, 0.03, 1.0]]
    q = benjamini_hochberg(p)
    np.testing.assert_allclose(q, multipletests(p, method="fdr_bh")[1], rtol=1e-12)
    p2 = np.r_[p, np.nan]
    q2 = benjamini_hochberg(p2)
    assert np.isnan(q2[-1])
    np.testing.assert_allclose(q2[:-1], q)


def test_q_and_classes_on_grid_follow_statsmodels():
    rng = np.random.default_rng(9)
    c = rng.poisson(1.0, (40, 40)).astype(float)
    c[10:13, 10:13] += 6
    c[30:33, 5:8] = 0
    r = gi_star(c, 100.0)
    np.testing.assert_allclose(
        r.q.ravel(), multipletests(r.p.ravel(), method="fdr_bh")[1], rtol=1e-12
    )
    assert r.gi_bin[11, 11] == 3
    assert set(np.unique(r.gi_bin)) <= set(range(-3, 4))
    rp = gi_star(c, 100.0, classify_by="p")
    assert (rp.gi_bin != 0).sum() >= (r.gi_bin != 0).sum()  # q is never below p


def test_classify_thresholds():
    z = np.array([3.0, 2.0, 1.7, 1.0, -1.7, -2.0, -3.0, np.nan])
    p = np.array([0.001, 0.04, 0.09, 0.2, 0.09, 0.04, 0.001, np.nan])
    np.testing.assert_array_equal(classify_hot_cold(z, p), [3, 2, 1, 0, -1, -2, -3, 0])


def test_constant_input_gives_nan_not_crash():
    r = gi_star(np.full((4, 4), 2.0), 10.0)
    assert np.isnan(r.z).all() and (r.gi_bin == 0).all()


def test_neighbour_sum_fft_and_direct_agree():
    rng = np.random.default_rng(2)
    v = rng.poisson(3, (50, 60)).astype(float)
    st = band_stencil(1.0, 6.0)
    from scipy import ndimage

    direct = ndimage.correlate(v, st.astype(float), mode="constant")
    np.testing.assert_array_equal(neighbour_sum(v, st), direct)


def test_points_wrapper_and_records():
    rng = np.random.default_rng(1)
    x, y = rng.normal(500, 80, 400), rng.normal(300, 80, 400)
    r = gi_star_points(x, y, 50.0)
    recs = r.to_records()
    assert len(recs) == r.grid.n_cells
    assert sum(rec["count"] for rec in recs) == 400
    assert {"x", "y", "z", "p", "q", "class"} <= set(recs[0])
    assert r.counts.flags.writeable is False
