"""Hot spots on a grid: Getis-Ord Gi* (z, p, BH q, hot/cold class) or quartic kernel density."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import ValidationError
from lagesbild.services.analyse import resolve
from lagesbild.services.analyse.grid import box_of, check_cell, check_reach, grid_over, points_for
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

METHODS = ("gistar", "kde")


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
) -> AnalysisOutput:
    """Gi* or quartic KDE on a grid aligned to multiples of `cell` over the place's box (or the
    points' box), zero cells included, over exactly `period` (a briefing's runs from 18:00 to
    18:00). Cell polygons in the store's projected CRS."""
    check_cell(cell)
    if method not in METHODS:
        raise ValidationError("method", "expected gistar or kde")
    check_reach("distance", distance, cell)
    check_reach("bandwidth", bandwidth, cell)
    cats = None if categories is None else list(categories)
    # `is None`, not `or`: a bandwidth of 0 is refused above, never replaced by the default
    h = 3 * cell if bandwidth is None else bandwidth
    reach = h if method == "kde" else 0.0
    pts = points_for(store, viewer, layer, place, period, cats, cell, reach)
    grid = grid_over(box_of(place, pts), cell)
    inside = grid.cell_index(pts.x, pts.y) >= 0
    weights = pts.weights if layer == "observations" else None
    if method == "gistar":
        counts = an.bin_points(grid, pts.x, pts.y, weights)
        res = an.gi_star(counts, cell, distance=distance, grid=grid)
        rows = [
            {k: r[k] for k in ("x", "y", "count", "z", "p", "q", "class")} for r in res.to_records()
        ]
        summary = {
            "cells": grid.n_cells,
            "points": int(inside.sum()),
            **{f"cells_{k}": v for k, v in res.class_counts().items()},
        }
    else:
        # exact where it is cheap, binned (with its stated error bound) for big inputs; the
        # exact sum loops over (2 reach + 1)^2 cell offsets, each touching every cell
        offsets = (2 * math.ceil(h / cell + 0.5) + 1) ** 2
        exact = (
            len(pts) * grid.n_cells < 50_000_000
            and offsets * (grid.n_cells + len(pts)) < 500_000_000
        )
        res = an.kde_quartic(
            pts.x, pts.y, grid, h, weights=weights, method="exact" if exact else "binned"
        )
        cx, cy = (a.ravel() for a in grid.centres())
        counts = an.bin_points(grid, pts.x, pts.y, weights).ravel()
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
    cell, method = asked["cell"], asked["method"]
    # the cheap checks first, as the service makes them: a wrong option needs no store
    check_cell(cell)
    if method not in METHODS:
        raise ValidationError("method", "expected gistar or kde")
    check_reach("distance", asked["distance"], cell)
    check_reach("bandwidth", asked["bandwidth"], cell)
    period = resolve.window(store, asked["date_from"], asked["date_to"])
    cats = resolve.categories(store, asked["layer"], asked["category"])
    place = resolve.place(store, viewer, asked["place"]) if asked["place"] else None
    out = hotspots(
        store,
        viewer,
        place,
        period,
        layer=asked["layer"],
        categories=cats,
        cell=cell,
        method=method,
        distance=asked["distance"],
        bandwidth=asked["bandwidth"],
    )
    return out.echo(
        {
            "place": asked["place"],
            "from": asked["date_from"],
            "to": asked["date_to"],
            "layer": asked["layer"],
            "category": asked["category"],
            "cell": cell,
            "method": method,
            "distance": asked["distance"],
            "bandwidth": asked["bandwidth"],
            "crs": store.settings.crs,
        }
    )
