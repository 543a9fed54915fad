"""What the grid analyses (hot spots, emerging hot spots) share: the work bounds, the grid over
a place's box, the points in it, and time slices."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import shapely

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import ValidationError
from lagesbild.services import data
from lagesbild.services.data import PlaceGeo, PointSet
from lagesbild.store.engine import Store

# Work bounds for the grid analyses: memory grows with cells (x time slices for emerging), the
# Gi* stencil and the KDE's loop over offsets with the square of the reach in cells.
MAX_CELLS = 4_000_000
MAX_BINS = 20_000_000  # emerging: cells x time slices
MAX_REACH_CELLS = 100
MAX_REACH_M = 50_000.0  # beyond a city's scale the widened box no longer projects faithfully


def check_cell(cell: float) -> None:
    if not (math.isfinite(cell) and cell > 0):
        raise ValidationError("cell", f"must be a positive number of metres; got {cell:g}")


def check_reach(option: str, value: float | None, cell: float) -> None:
    """A Gi* distance band or KDE bandwidth: positive, finite and at most 100 cells (50 km)."""
    if value is None:
        return
    if not (math.isfinite(value) and value > 0):
        raise ValidationError(option, f"must be a positive number of metres; got {value:g}")
    limit = min(MAX_REACH_CELLS * cell, MAX_REACH_M)
    if value > limit:
        raise ValidationError(
            option,
            f"at most {limit:g} m ({MAX_REACH_CELLS} cells of {cell:g} m, and at most "
            f"{MAX_REACH_M / 1000:g} km); got {value:g}",
        )


def grid_over(bbox: tuple[float, float, float, float], cell: float, slices: int = 1) -> an.Grid:
    """The analysis grid over `bbox`, refused when it would be too big to compute."""
    check_cell(cell)
    grid = an.make_grid(bbox, cell)
    if grid.n_cells > MAX_CELLS:
        raise ValidationError(
            "cell",
            f"{grid.n_cells} cells of {cell:g} m is too many (at most {MAX_CELLS}); "
            "use a larger cell or a smaller place",
        )
    if grid.n_cells * slices > MAX_BINS:
        raise ValidationError(
            "cell",
            f"{grid.n_cells} cells x {slices} time slices is too many (at most {MAX_BINS}); "
            "use a larger cell, a smaller place, a shorter period or monthly slices",
        )
    return grid


def points_for(
    store: Store,
    viewer: Viewer,
    layer: str,
    place: PlaceGeo | None,
    period: Period,
    categories: list[str] | None,
    cell: float,
    reach: float = 0.0,
) -> PointSet:
    """Points in the place's box, widened by `reach` metres (a kernel's bandwidth: points just
    outside the grid still add to the density of its edge cells); every point without a place."""
    if place is None:
        return data.load_points(store, viewer, layer, period=period, categories=categories)
    # the grid snaps outward to whole cells: load its box, widened by the reach
    grid_box = an.make_grid(place.geom.bounds, cell).bounds
    area = shapely.box(*grid_box).buffer(reach, join_style="mitre")
    return data.load_points(
        store,
        viewer,
        layer,
        period=period,
        categories=categories,
        bounds_wgs84=store.projector.to_wgs84(area).bounds,
    )


def box_of(place: PlaceGeo | None, pts: PointSet) -> tuple[float, float, float, float]:
    """The place's box, or the points' box without a place."""
    if place is not None:
        return place.geom.bounds
    if len(pts):
        return (pts.x.min(), pts.y.min(), pts.x.max(), pts.y.max())
    raise ValidationError("place", "no points in the period and no place to cover")


def slices(period: Period, slice_: str) -> np.ndarray:
    """Slice edges as UTC epoch seconds: calendar months, or weeks from the start."""
    start, end = period.start, period.end
    edges = []
    if slice_ == "month":
        d = date(start.year, start.month, 1)
        while True:
            t = period.start.replace(year=d.year, month=d.month, day=1, hour=0, minute=0, second=0)
            if t >= end:
                break
            edges.append(max(t, start))
            d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    elif slice_ == "week":
        t = start
        while t < end:
            edges.append(t)
            t += timedelta(days=7)
    else:
        raise ValidationError("slice", "expected week or month")
    edges.append(end)
    return np.array([int(e.timestamp()) for e in edges], dtype=np.int64)
