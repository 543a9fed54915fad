"""The point pattern of a place's events: the Clark-Evans nearest-neighbour index and Ripley's
K and L with a CSR envelope, both with the place itself as the window (never the points' box,
which makes any pattern look dispersed at its edges)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import ValidationError
from lagesbild.services import data
from lagesbild.services.analyse import resolve
from lagesbild.services.analyse.query import PATTERN
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

DISTANCES = 20  # Ripley's distances: DISTANCES steps up to the largest


def pattern(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    period: Period,
    *,
    layer: str = "crimes",
    categories: Sequence[str] | None = None,
    distance: float | None = None,
    simulations: int = 99,
    seed: int = 0,
) -> AnalysisOutput:
    """NNI and Ripley's K/L of the events assigned to the place over `period`; Ripley at
    `DISTANCES` steps up to `distance` (default a quarter of the place's box's shorter side,
    where the edge corrections still hold)."""
    window = place.geom
    x0, y0, x1, y1 = window.bounds
    reach = min(x1 - x0, y1 - y0) / 4 if distance is None else distance
    cats = None if categories is None else list(categories)
    pts = data.load_points(
        store, viewer, layer, period=period, categories=cats, within=(place.id, 0)
    )
    inside = shapely.contains_xy(window, pts.x, pts.y)
    x, y = pts.x[inside], pts.y[inside]
    if x.size < 3:
        raise ValidationError(
            "from", f"{x.size} events in the place and period: the pattern needs three or more"
        )
    nni = an.nearest_neighbour_index(x, y, window=window)
    r = reach * np.arange(1, DISTANCES + 1) / DISTANCES
    rip = an.ripley(x, y, r, window=window, simulations=simulations, seed=seed)
    summary = {
        "points": int(x.size),
        "area_ha": window.area / 10_000,
        **{f"nni_{k}": v for k, v in nni.to_dict().items() if k not in ("n_points", "area")},
        "ripley_deviation": rip.deviation,
        "ripley_p": rip.p,
        "ripley_edge_correction": rip.edge_correction,
        "simulations": rip.simulations,
        "seed": rip.seed,
    }
    return AnalysisOutput("pattern", summary, rip.to_records(), None, [])


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`pattern` from the query as written (`query.PATTERN`)."""
    period = resolve.window(store, asked["date_from"], asked["date_to"])
    cats = resolve.categories(store, asked["layer"], asked["category"])
    place = resolve.place(store, viewer, asked["place"])
    out = pattern(store, viewer, place, period, categories=cats, **PATTERN.options(asked))
    return out.echo(PATTERN.echo(asked, crs=store.settings.crs))
