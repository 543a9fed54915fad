import numpy as np
import pytest
import shapely

from lagesbild.analysis.assign import PolygonGrid, assign_points, count_in_polygons


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


def test_a_grid_laid_once_assigns_batch_after_batch_as_strtree():
    """`PolygonGrid` (an import's chunks): its grid covers the polygons, not the points, so
    points beyond the polygons, NaN and a batch wholly outside must still come out right."""
    rng = np.random.default_rng(5)
    centres = shapely.points(rng.uniform(200, 800, (40, 2)))
    polys = shapely.buffer(centres, rng.uniform(10, 120, 40), quad_segs=6)
    polys[2] = shapely.difference(polys[2], shapely.buffer(centres[2], 6))  # a hole
    polys = np.append(polys, [None, shapely.Polygon()])  # no geometry, empty: in no pair
    grid = PolygonGrid(polys)
    for size in (1, 7, 5000):
        x, y = rng.uniform(-100, 1100, size), rng.uniform(-100, 1100, size)
        x[::5] = np.nan
        a = grid.assign(x, y)
        ok = ~np.isnan(x)
        p, q = _reference(x[ok], y[ok], polys[:40])
        np.testing.assert_array_equal(a.point_index, np.flatnonzero(ok)[p])
        np.testing.assert_array_equal(a.polygon_index, q)
        assert a.n_points == size and a.n_polygons == 42
    assert grid.assign(np.array([5000.0]), np.array([5000.0])).point_index.size == 0
    b = PolygonGrid(polys[:40], include_boundary=True)
    edge = shapely.get_coordinates(shapely.get_exterior_ring(polys[0]))[:20]  # on a boundary
    got = b.assign(edge[:, 0], edge[:, 1])
    p, q = _reference(edge[:, 0], edge[:, 1], polys[:40], predicate="intersects")
    np.testing.assert_array_equal(got.point_index, p)
    np.testing.assert_array_equal(got.polygon_index, q)
    assert set(p.tolist()) == set(range(20))
    assert PolygonGrid([]).assign(np.array([1.0]), np.array([1.0])).point_index.size == 0


def test_a_grid_of_fine_cells_stays_within_its_bound():
    grid = PolygonGrid([shapely.box(0, 0, 1000, 1000)], cell_size=0.001, max_cells=10_000)
    assert grid.nx * grid.ny <= 10_201  # 101 x 101 at most: the cell grew to 10
    a = grid.assign(np.array([500.5, 999.99, 1000.5]), np.array([1.0, 999.99, 1.0]))
    assert a.point_index.tolist() == [0, 1]


@pytest.mark.parametrize("n", [1, 2, 7, 200])
def test_the_grid_cell_median_is_numpys(n):
    """The cell size's median (`_median`, sorted by hand to spare numpy.ma's import) equals
    np.median, for an odd and an even count."""
    from lagesbild.analysis.assign import _median

    sides = np.random.default_rng(n).uniform(1.0, 50.0, n)
    assert _median(sides) == pytest.approx(float(np.median(sides)), rel=0, abs=1e-12)
