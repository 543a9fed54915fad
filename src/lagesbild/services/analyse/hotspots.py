"""Hot spots on a grid: Getis-Ord Gi* (z, p, BH q, hot/cold class) or quartic kernel density."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.services.analyse import resolve
from lagesbild.services.analyse.grid import box_of, check_cell, check_reach, grid_over, points_for
from lagesbild.services.analyse.query import HOTSPOTS
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

KNN_K = 8


def hotspots(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo | None,
    period: Period,
    *,
    layer: str = "crimes",
    categories: Sequence[str] | None = None,
    cell: float = 50.0,
    method: str = "gistar",
    distance: float | None = None,
    bandwidth: float | None = None,
    inference: str = "auto",
    simulations: int = 999,
    seed: int = 0,
    weights: str = "band",
) -> AnalysisOutput:
    """Gi* or quartic KDE on a grid aligned to multiples of `cell` over the place's box (or the
    points' box), zero cells included, over exactly `period` (a briefing's runs from 18:00 to
    18:00). Cell polygons in the store's projected CRS. Gi*'s `inference` "auto" takes the
    Monte Carlo test on sparse counts, where the normal tail would mark random cells hot."""
    # the options' bounds and choices are the query's (`query.HOTSPOTS`), checked at the edges;
    # these depend on the cell
    check_cell(cell)
    check_reach("distance", distance, cell)
    check_reach("bandwidth", bandwidth, cell)
    cats = None if categories is None else list(categories)
    # `is None`, not `or`: a bandwidth of 0 is refused above, never replaced by the default
    h = 3 * cell if bandwidth is None else bandwidth
    reach = h if method == "kde" else 0.0
    pts = points_for(store, viewer, layer, place, period, cats, cell, reach)
    grid = grid_over(box_of(place, pts), cell)
    inside = grid.cell_index(pts.x, pts.y) >= 0
    values = pts.weights if layer == "observations" else None
    if method == "gistar":
        counts = an.bin_points(grid, pts.x, pts.y, values)
        res = an.gi_star(
            counts,
            cell,
            distance=distance,
            grid=grid,
            weights=weights,
            k=KNN_K,
            inference=inference,
            simulations=simulations,
            seed=seed,
        )
        rows = [
            {k: r[k] for k in ("x", "y", "count", "z", "p", "q", "class")} for r in res.to_records()
        ]
        summary = {
            "cells": grid.n_cells,
            "points": int(inside.sum()),
            "inference": res.inference,
            "simulations": res.simulations,
            "seed": res.seed,
            "weights": res.weights,
            "adjustment": res.adjustment,
            **{f"cells_{k}": v for k, v in res.class_counts().items()},
        }
    else:
        # exact unless predicted slow (the analysis's measured cost model); binned then,
        # with its stated error bound
        res = an.kde_quartic(
            pts.x, pts.y, grid, h, weights=values, method=an.choose_kde_method(len(pts), grid, h)
        )
        cx, cy = (a.ravel() for a in grid.centres())
        counts = an.bin_points(grid, pts.x, pts.y, values).ravel()
        dens = res.density.ravel()
        rows = [
            {
                "x": float(cx[k]),
                "y": float(cy[k]),
                "count": float(counts[k]),
                "density": float(dens[k]),
            }
            for k in range(grid.n_cells)
        ]
        summary = {
            "cells": grid.n_cells,
            "points": int(inside.sum()),
            "bandwidth_m": h,
            "max_density_per_ha": float(dens.max()) if dens.size else 0.0,
            "error_bound_per_ha": res.max_error_bound,
        }
    return AnalysisOutput("hotspots", summary, rows, list(grid.cell_polygons()), [])


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`hotspots` from the query as written (`query.HOTSPOTS`)."""
    period = resolve.window(store, asked["date_from"], asked["date_to"])
    cats = resolve.categories(store, asked["layer"], asked["category"])
    place = resolve.place(store, viewer, asked["place"]) if asked["place"] else None
    out = hotspots(store, viewer, place, period, categories=cats, **HOTSPOTS.options(asked))
    return out.echo(HOTSPOTS.echo(asked, crs=store.settings.crs))
