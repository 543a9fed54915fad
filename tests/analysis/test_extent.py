import numpy as np
import pytest
import shapely
from sklearn.cluster import DBSCAN

from lagesbild.analysis.extent import compare_extents, dbscan_labels, propose_extent

L_SHAPE = shapely.Polygon([(0, 0), (300, 0), (300, 100), (120, 100), (120, 250), (0, 250)])


def _sample(poly, n, seed, noise=60):
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = poly.bounds
    xs, ys = rng.uniform(x0, x1, 6 * n), rng.uniform(y0, y1, 6 * n)
    keep = shapely.contains_xy(poly, xs, ys)
    x, y = xs[keep][:n], ys[keep][:n]
    nx, ny = rng.uniform(x0 - 300, x1 + 300, noise), rng.uniform(y0 - 300, y1 + 300, noise)
    return np.r_[x, nx], np.r_[y, ny]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_known_polygon_iou(seed):
    x, y = _sample(L_SHAPE, 600, seed)
    r = propose_extent(x + 674_000, y + 6_580_000, n_boot=50, seed=seed)
    truth = shapely.affinity.translate(L_SHAPE, 674_000, 6_580_000)
    iou = r.geometry.intersection(truth).area / r.geometry.union(truth).area
    assert iou >= 0.8
    assert r.ci_low_ha <= r.area_ha <= r.ci_high_ha
    assert r.ci_low_ha < L_SHAPE.area / 1e4 < r.ci_high_ha + 0.5


def test_bootstrap_reproducible_with_seed():
    x, y = _sample(L_SHAPE, 300, 5)
    a = propose_extent(x, y, n_boot=30, seed=42)
    b = propose_extent(x, y, n_boot=30, seed=42)
    np.testing.assert_array_equal(a.boot_areas_ha, b.boot_areas_ha)
    assert a.properties()["seed"] == 42


def test_two_scenes_give_two_clusters():
    x1, y1 = _sample(shapely.box(0, 0, 100, 100), 300, 1, noise=0)
    x2, y2 = _sample(shapely.box(600, 600, 700, 680), 250, 2, noise=0)
    r = propose_extent(np.r_[x1, x2], np.r_[y1, y2], n_boot=0)
    assert r.n_clusters == 2 and r.geometry.geom_type == "MultiPolygon"
    assert np.isnan(r.ci_low_ha)


@pytest.mark.parametrize("eps,min_samples", [(12.0, 5), (20.0, 8), (8.0, 3)])
def test_dbscan_noise_and_core_match_sklearn(eps, min_samples):
    x, y = _sample(L_SHAPE, 500, 3, noise=100)
    xy = np.c_[x, y]
    ours = dbscan_labels(xy, eps, min_samples)
    ref = DBSCAN(eps=eps, min_samples=min_samples).fit(xy)
    np.testing.assert_array_equal(ours == -1, ref.labels_ == -1)
    core = np.zeros(len(xy), bool)
    core[ref.core_sample_indices_] = True
    # the same partition of core points (labels may be numbered differently)
    pairs = {(a, b) for a, b in zip(ours[core], ref.labels_[core], strict=True)}
    assert len(pairs) == len(set(ref.labels_[core]))


def test_compare_extents_hand_example():
    a = shapely.box(0, 0, 200, 100)  # 2 ha
    b = shapely.box(100, 0, 400, 100)  # 3 ha
    c = compare_extents(a, b)
    assert (c.area_a_ha, c.area_b_ha) == (2.0, 3.0)
    assert (c.gained_ha, c.lost_ha, c.kept_ha) == (2.0, 1.0, 1.0)
    assert c.iou == pytest.approx(1 / 4)
    assert c.centroid_shift_m == pytest.approx(150.0)
    assert c.to_dict()["centroid_b"] == (250.0, 50.0)


def test_too_few_points():
    with pytest.raises(ValueError):
        propose_extent(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
