"""Hot spots on a grid: Getis-Ord Gi* (z, p, BH q, hot/cold class) or quartic kernel density."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import ValidationError
from lagesbild.i18n import text
from lagesbild.services.analyse import resolve
from lagesbild.services.analyse.grid import (
    MAX_REACH_CELLS,
    MAX_REACH_M,
    box_of,
    check_cell,
    check_reach,
    grid_over,
    points_for,
)
from lagesbild.services.analyse.query import HOTSPOTS
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

KNN_K = 8
CV = "cv"  # the bandwidth chosen by likelihood cross-validation


def read_bandwidth(value: float | str | None) -> float | str | None:
    """A KDE bandwidth as given: metres (a number, or its text), "cv", or None (3 cells)."""
    if value is None or not isinstance(value, str):
        return value
    text_ = value.strip().lower()
    if text_ == CV:
        return CV
    try:
        return float(text_)
    except ValueError:
        raise ValidationError(
            "bandwidth", f"expected a number of metres or cv; got {value}"
        ) from None


def cv_bandwidth(
    store: Store,
    viewer: Viewer,
    layer: str,
    place: PlaceGeo | None,
    period: Period,
    cats: list[str] | None,
    cell: float,
    seed: int,
) -> tuple[an.BandwidthChoice, float, list[str]]:
    """The likelihood cross-validated bandwidth of the points on the grid (the events, not
    their counts), clipped to the widest the KDE takes (100 cells, 50 km), with a note then."""
    core = points_for(store, viewer, layer, place, period, cats, cell)
    if place is not None:
        keep = shapely.contains_xy(shapely.box(*place.geom.bounds), core.x, core.y)
        xs, ys = core.x[keep], core.y[keep]
    else:
        xs, ys = core.x, core.y
    if xs.size < 3:
        raise ValidationError(
            "bandwidth", f"cross-validation needs three or more events; {xs.size} in the period"
        )
    choice = an.likelihood_cv_bandwidth(np.column_stack([xs, ys]), seed=seed)
    limit = min(MAX_REACH_CELLS * cell, MAX_REACH_M)
    if choice.bandwidth <= limit:
        return choice, choice.bandwidth, []
    note = text("analyse.note.bandwidth_cv_clipped", "en", chosen=choice.bandwidth, used=limit)
    return choice, limit, [note]


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
    bandwidth: float | str | None = None,
    inference: str = "auto",
    simulations: int = 999,
    seed: int = 0,
    weights: str = "band",
) -> AnalysisOutput:
    """Gi* or quartic KDE on a grid aligned to multiples of `cell` over the place's box (or the
    points' box), zero cells included, over exactly `period` (a briefing's runs from 18:00 to
    18:00). Cell polygons in the store's projected CRS. Gi*'s `inference` "auto" takes the
    Monte Carlo test on sparse counts, where the normal tail would mark random cells hot.
    The KDE's `bandwidth` is metres, None (3 cells) or "cv": chosen from the period's points
    by likelihood cross-validation (`an.likelihood_cv_bandwidth`); the summary says which."""
    # the options' bounds and choices are the query's (`query.HOTSPOTS`), checked at the edges;
    # these depend on the cell
    check_cell(cell)
    check_reach("distance", distance, cell)
    bandwidth = read_bandwidth(bandwidth)
    if bandwidth != CV:
        check_reach("bandwidth", bandwidth, cell)
    cats = None if categories is None else list(categories)
    notes: list[str] = []
    chosen = None
    if method == "kde" and bandwidth == CV:
        chosen, h, notes = cv_bandwidth(store, viewer, layer, place, period, cats, cell, seed)
    else:
        # `is None`, not `or`: a bandwidth of 0 is refused above, never replaced by the default
        h = 3 * cell if bandwidth is None or bandwidth == CV else bandwidth
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
            "bandwidth_method": (
                chosen.method if chosen else "default" if bandwidth is None else "fixed"
            ),
            **({"bandwidth_cv_sigma_m": chosen.sigma} if chosen else {}),
            "max_density_per_ha": float(dens.max()) if dens.size else 0.0,
            "error_bound_per_ha": res.max_error_bound,
        }
    return AnalysisOutput("hotspots", summary, rows, list(grid.cell_polygons()), notes)


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`hotspots` from the query as written (`query.HOTSPOTS`)."""
    period = resolve.window(store, asked["date_from"], asked["date_to"])
    cats = resolve.categories(store, asked["layer"], asked["category"])
    place = resolve.place(store, viewer, asked["place"]) if asked["place"] else None
    out = hotspots(store, viewer, place, period, categories=cats, **HOTSPOTS.options(asked))
    return out.echo(HOTSPOTS.echo(asked, crs=store.settings.crs))
