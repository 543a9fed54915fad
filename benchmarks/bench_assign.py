"""Points in polygons: lagesbild.assign_points vs geopandas.sjoin (and a bare shapely STRtree).

Run: .venv/bin/python benchmarks/bench_assign.py

1,000,000 random points in a 10 km square and 1,000 polygons, in two layouts: a Voronoi
partition (districts, every point in one polygon) and 1,000 overlapping 64-gon discs (places
and buffers). geopandas is given ready-made GeoDataFrames (building the point GeoDataFrame is
timed apart and not counted against it); lagesbild takes coordinate arrays. Each is the best
of two runs, and the pairs are checked equal.
"""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import numpy as np
import shapely

from lagesbild.analysis.assign import assign_points


def best(fn, repeat=2):
    t_best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def layouts(rng, side):
    seeds = shapely.multipoints(rng.uniform(0, side, (1000, 2)))
    frame = shapely.box(0, 0, side, side)
    vor = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame
    )
    discs = shapely.buffer(
        shapely.points(rng.uniform(0, side, (1000, 2))), rng.uniform(50, 400, 1000), quad_segs=16
    )
    return {"voronoi partition": vor, "overlapping discs": discs}


def main() -> None:
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    n, side = 1_000_000, 10_000.0
    x, y = rng.uniform(0, side, n), rng.uniform(0, side, n)
    t = time.perf_counter()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y))
    t_build = time.perf_counter() - t
    print(
        f"{n:,} points, 1,000 polygons; building the points GeoDataFrame: {t_build:.2f} s "
        f"(not counted)"
    )
    for name, polys in layouts(rng, side).items():
        gdf = gpd.GeoDataFrame(geometry=polys)
        t_ours, a = best(lambda polys=polys: assign_points(x, y, polys))
        t_gpd, j = best(lambda gdf=gdf: gpd.sjoin(pts, gdf, predicate="within"))
        t_tree, (pp, qq) = best(
            lambda polys=polys: shapely.STRtree(polys).query(
                shapely.points(x, y), predicate="within"
            )
        )
        o = np.lexsort((j["index_right"].to_numpy(), j.index.to_numpy()))
        same = np.array_equal(j.index.to_numpy()[o], a.point_index) and np.array_equal(
            j["index_right"].to_numpy()[o], a.polygon_index
        )
        print(f"{name}: {a.point_index.size:,} pairs, equal to sjoin: {same}")
        print(f"  lagesbild assign_points:  {t_ours:6.3f} s")
        print(f"  geopandas sjoin(within):  {t_gpd:6.3f} s   ratio {t_gpd / t_ours:5.1f}x")
        print(f"  shapely STRtree.query:    {t_tree:6.3f} s   ratio {t_tree / t_ours:5.1f}x")


if __name__ == "__main__":
    main()
