"""Clusters and outliers on a grid: local Moran's I (queen contiguity, conditional
permutations), every cell of the place's grid a row, zeros included."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.services.analyse import resolve
from lagesbild.services.analyse.grid import check_cell, grid_over, points_for
from lagesbild.services.analyse.query import LISA
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

ALPHA = 0.05
ROW_FIELDS = ("x", "y", "count", "i", "z", "p", "q", "quadrant", "cluster")


def lisa(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    period: Period,
    *,
    layer: str = "crimes",
    categories: Sequence[str] | None = None,
    cell: float = 50.0,
    permutations: int = 999,
    seed: int = 0,
) -> AnalysisOutput:
    """Local Moran's I of the counts per cell over the place's grid (the grid hot spots build:
    the place's box in cells aligned to multiples of `cell`), over exactly `period`. Cell
    polygons in the store's projected CRS."""
    check_cell(cell)
    cats = None if categories is None else list(categories)
    pts = points_for(store, viewer, layer, place, period, cats, cell)
    grid = grid_over(place.geom.bounds, cell)
    inside = grid.cell_index(pts.x, pts.y) >= 0
    values = pts.weights if layer == "observations" else None
    counts = an.bin_points(grid, pts.x, pts.y, values)
    res = an.local_moran(counts, permutations=permutations, seed=seed, alpha=ALPHA, grid=grid)
    rows = [{k: r[k] for k in ROW_FIELDS} for r in res.to_records()]
    summary = {
        "cells": grid.n_cells,
        "points": int(inside.sum()),
        "permutations": res.permutations,
        "seed": res.seed,
        "alpha": res.alpha,
        **{f"cells_{k}": v for k, v in res.cluster_counts().items()},
    }
    return AnalysisOutput("lisa", summary, rows, list(grid.cell_polygons()), [])


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`lisa` from the query as written (`query.LISA`)."""
    period = resolve.window(store, asked["date_from"], asked["date_to"])
    cats = resolve.categories(store, asked["layer"], asked["category"])
    place = resolve.place(store, viewer, asked["place"])
    out = lisa(store, viewer, place, period, categories=cats, **LISA.options(asked))
    return out.echo(LISA.echo(asked, crs=store.settings.crs))
