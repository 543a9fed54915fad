"""Near repeats: the Knox test of the events in a place (pairs close in space and in time,
against the random reassignment of their times) with the Near Repeat Calculator's band
table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import ValidationError
from lagesbild.services import data
from lagesbild.services.analyse import resolve
from lagesbild.services.analyse.query import NEARREPEAT
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

# what the contract puts at the top of the JSON (`--out F.json`, the API), besides the summary
TOP_LEVEL = ("close_pairs", "expected", "ratio", "p", "bands")


def local_days(times: np.ndarray, store: Store) -> np.ndarray:
    """Each event's calendar day in the store's time zone (a day number): a near repeat is
    counted in days as a person reads the dates, so `days=0` is the same local day."""
    seconds = times.astype("datetime64[s]").astype(np.int64)
    return np.array(
        [datetime.fromtimestamp(int(s), store.tz).date().toordinal() for s in seconds],
        dtype=float,
    )


def nearrepeat(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    period: Period,
    *,
    distance: float,
    days: int,
    layer: str = "crimes",
    categories: Sequence[str] | None = None,
    simulations: int = 999,
    seed: int = 0,
) -> AnalysisOutput:
    """The Knox test of the `layer`'s events in the place (crimes or observations, as assigned
    to it) over exactly `period`, pairs within `distance` metres and `days` calendar days, both
    inclusive. An observation is one event whatever its count: a near repeat is a visit."""
    cats = None if categories is None else list(categories)
    pts = data.load_points(
        store, viewer, layer, period=period, categories=cats, within=(place.id, 0)
    )
    if len(pts) < 2:
        raise ValidationError(
            "from", f"{len(pts)} events in the place and period: the Knox test needs two or more"
        )
    res = an.knox_test(
        pts.x,
        pts.y,
        local_days(pts.times, store),
        distance=distance,
        days=days,
        simulations=simulations,
        seed=seed,
    )
    figures = res.to_dict()
    bands = figures.pop("bands")
    figures["events"] = figures.pop("n_events")
    return AnalysisOutput(
        "nearrepeat",
        figures,
        bands,
        None,
        [],
        top_level={k: figures.get(k, bands) for k in TOP_LEVEL},
    )


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`nearrepeat` from the query as written (`query.NEARREPEAT`)."""
    period = resolve.window(store, asked["date_from"], asked["date_to"])
    cats = resolve.categories(store, asked["layer"], asked["category"])
    place = resolve.place(store, viewer, asked["place"])
    out = nearrepeat(store, viewer, place, period, categories=cats, **NEARREPEAT.options(asked))
    return out.echo(NEARREPEAT.echo(asked, crs=store.settings.crs))
