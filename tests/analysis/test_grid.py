import numpy as np
import pytest
import shapely

from lagesbild.analysis.grid import bin_points, grid_for_points, make_grid


def test_grid_aligned_to_multiples_of_cell_size():
    g = make_grid((674_123.4, 6_580_777.0, 674_980.0, 6_581_240.2), 100.0)
    assert g.x0 == 674_100.0 and g.y0 == 6_580_700.0
    assert (g.nx, g.ny) == (9, 6)
    xmin, ymin, xmax, ymax = g.bounds
    assert xmax >= 674_980.0 and ymax >= 6_581_240.2
    assert xmax % 100 == 0 and ymax % 100 == 0


def test_degenerate_bbox_gives_one_cell():
    g = make_grid((500.0, 500.0, 500.0, 500.0), 100.0)
    assert g.shape == (1, 1)
    assert bin_points(g, np.array([500.0]), np.array([500.0])).sum() == 1


def test_bin_points_counts_and_zero_cells():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 1000, 5000), rng.uniform(0, 700, 5000)
    g = grid_for_points(x, y, 50.0)
    c = bin_points(g, x, y)
    assert c.sum() == 5000 and c.shape == g.shape
    # against a direct histogram with the same edges
    xe = g.x0 + np.arange(g.nx + 1) * 50.0
    ye = g.y0 + np.arange(g.ny + 1) * 50.0
    h, _, _ = np.histogram2d(y, x, bins=[ye, xe])
    np.testing.assert_array_equal(c, h)


def test_points_outside_ignored_and_weights():
    g = make_grid((0, 0, 100, 100), 50.0)
    c = bin_points(g, np.array([10.0, 60.0, 500.0]), np.array([10.0, 60.0, 5.0]), [2.0, 3.0, 9.0])
    np.testing.assert_array_equal(c, [[2.0, 0.0], [0.0, 3.0]])


def test_cell_polygons_and_centres():
    g = make_grid((0, 0, 200, 100), 100.0)
    polys = g.cell_polygons()
    cx, cy = g.centres()
    assert len(polys) == 2
    assert polys[1].equals(shapely.box(100, 0, 200, 100))
    np.testing.assert_array_equal(cx, [[50.0, 150.0]])
    np.testing.assert_array_equal(cy, [[50.0, 50.0]])


def test_bad_cell_size():
    with pytest.raises(ValueError):
        make_grid((0, 0, 1, 1), 0.0)
