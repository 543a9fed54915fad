"""Emerging hot spots: Gi* per time slice and a Mann-Kendall trend per cell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import ValidationError
from lagesbild.services.analyse import resolve
from lagesbild.services.analyse.grid import (
    box_of,
    check_cell,
    check_reach,
    grid_over,
    points_for,
    slices,
)
from lagesbild.services.analyse.query import EMERGING, WHERE
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store


def emerging(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo | None,
    period: Period,
    *,
    layer: str = "crimes",
    categories: Sequence[str] | None = None,
    cell: float = 100.0,
    slice_: str = "month",
    distance: float | None = None,
    inference: str = "auto",
    simulations: int = 199,
    seed: int = 0,
) -> AnalysisOutput:
    """Gi* per time slice (month or week) and a Mann-Kendall trend per cell, on a grid over the
    place's box (or the points'). Cell polygons in the store's projected CRS. The bins'
    p-values as the hot-spot map's: `inference` "auto" takes the Monte Carlo test on sparse
    counts, where the normal tail would mark random bins hot; the summary says which."""
    check_cell(cell)
    check_reach("distance", distance, cell)
    edges = slices(period, slice_)
    if len(edges) < 4:
        raise ValidationError("slice", "at least 3 time slices are needed; widen the period")
    cats = None if categories is None else list(categories)
    pts = points_for(store, viewer, layer, place, period, cats, cell)
    grid = grid_over(box_of(place, pts), cell, slices=len(edges) - 1)
    t = pts.times.astype("datetime64[s]").astype(np.int64)
    k = np.searchsorted(edges, t, side="right") - 1
    cube = np.zeros((len(edges) - 1, grid.ny, grid.nx))
    for s in range(len(edges) - 1):
        sel = k == s
        cube[s] = an.bin_points(grid, pts.x[sel], pts.y[sel])
    res = an.emerging_hot_spots(
        cube,
        cell,
        distance=distance,
        grid=grid,
        inference=inference,
        simulations=simulations,
        seed=seed,
    )
    summary = {
        "cells": grid.n_cells,
        "slices": len(edges) - 1,
        "inference": res.inference,
        "simulations": res.simulations,
        "seed": res.seed,
        **res.category_counts(),
    }
    return AnalysisOutput(
        "emerging",
        summary,
        res.to_records(),
        list(grid.cell_polygons()),
        [],
    )


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`emerging` from the query as written (`query.EMERGING`)."""
    cell = asked["cell"]
    check_reach("distance", asked.get("distance"), cell)
    period = resolve.window(store, asked["date_from"], asked["date_to"])
    slices(period, asked["slice"])  # a wrong slice is named before the store is read
    cats = resolve.categories(store, asked["layer"], asked["category"])
    place = resolve.place(store, viewer, asked["place"]) if asked["place"] else None
    options = EMERGING.options(asked, *WHERE, "slice")
    out = emerging(
        store,
        viewer,
        place,
        period,
        categories=cats,
        slice_=asked["slice"],
        distance=asked.get("distance"),  # the service's own, not the query's
        **options,
    )
    return out.echo(EMERGING.echo(asked))
