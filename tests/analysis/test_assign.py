import numpy as np
import pytest
import shapely

from lagesbild.analysis.assign import assign_points, count_in_polygons


def _reference(x, y, polys, predicate="within"):
    tree = shapely.STRtree(polys)
    p, q = tree.query(shapely.points(x, y), predicate=predicate)
    o = np.lexsort((q, p))
    return p[o], q[o]


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_strtree_on_overlapping_polygons(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 1000, 20_000), rng.uniform(0, 1000, 20_000)
    centres = shapely.points(rng.uniform(0, 1000, (60, 2)))
    polys = shapely.buffer(centres, rng.uniform(10, 150, 60), quad_segs=8)
    polys[3] = shapely.difference(polys[3], shapely.buffer(centres[3], 5))  # a hole
    polys[7] = shapely.union(polys[7], shapely.box(900, 900, 950, 990))  # a multipolygon
    a = assign_points(x, y, polys)
    p, q = _reference(x, y, polys)
    np.testing.assert_array_equal(a.point_index, p)
    np.testing.assert_array_equal(a.polygon_index, q)


def test_boundary_points_and_include_boundary():
    polys = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)]
    x = np.array([5.0, 10.0, 15.0, 0.0, 30.0, np.nan])
    y = np.array([5.0, 5.0, 5.0, 0.0, 5.0, 1.0])
    a = assign_points(x, y, polys)
    assert list(zip(a.point_index, a.polygon_index, strict=True)) == [(0, 0), (2, 1)]
    b = assign_points(x, y, polys, include_boundary=True)
    p, q = _reference(x[:5], y[:5], polys, predicate="intersects")
    np.testing.assert_array_equal(b.point_index, p)
    np.testing.assert_array_equal(b.polygon_index, q)


def test_voronoi_partition_counts_sum_to_n():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 5000, 50_000), rng.uniform(0, 5000, 50_000)
    seeds = shapely.multipoints(rng.uniform(0, 5000, (200, 2)))
    frame = shapely.box(-1, -1, 5001, 5001)
    vor = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame
    )
    c = count_in_polygons(x, y, vor)
    assert c.sum() == 50_000  # boundary hits have probability zero with random floats
    np.testing.assert_array_equal(c, np.bincount(_reference(x, y, vor)[1], minlength=200))


def test_empty_inputs():
    a = assign_points(np.array([]), np.array([]), [shapely.box(0, 0, 1, 1)])
    assert a.point_index.size == 0 and a.counts().tolist() == [0]
    b = assign_points(np.array([0.5]), np.array([0.5]), [shapely.Polygon()])
    assert b.point_index.size == 0
