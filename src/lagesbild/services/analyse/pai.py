"""Predictive accuracy of a hot-spot map: a map made on a training period, judged on the
test period's events: PAI and PEI of the top 1, 2, 5, 10 and 20 % of the place's cells by the
training density, and of the training period's Gi* hot cells."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import shapely

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import ValidationError
from lagesbild.services.analyse import resolve
from lagesbild.services.analyse.grid import check_cell, grid_over, points_for
from lagesbild.services.analyse.query import PAI
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

AREA_SHARES = (0.01, 0.02, 0.05, 0.10, 0.20)
FIELDS = ("hot_cells", "cells", "area_share", "hits", "events", "hit_rate", "pai", "pei")


def pai(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    train: Period,
    test: Period,
    *,
    categories: Sequence[str] | None = None,
    cell: float = 50.0,
) -> AnalysisOutput:
    """PAI/PEI over the cells of the place's grid whose centres lie in the place: the training
    map is the quartic density (bandwidth 3 cells) and Gi* (auto inference) of the crimes of
    `train`, the hits are the crimes of `test`."""
    check_cell(cell)
    if test.start < train.end:
        raise ValidationError("test", "the test period must begin after the training period")
    cats = None if categories is None else list(categories)
    h = 3 * cell
    grid = grid_over(place.geom.bounds, cell)
    cx, cy = grid.centres()
    mask = shapely.contains_xy(place.geom, cx, cy)
    tr = points_for(store, viewer, "crimes", place, train, cats, cell, h)
    te = points_for(store, viewer, "crimes", place, test, cats, cell)
    train_counts = an.bin_points(grid, tr.x, tr.y)
    test_counts = an.bin_points(grid, te.x, te.y)
    density = an.kde_quartic(
        tr.x, tr.y, grid, h, method=an.choose_kde_method(len(tr), grid, h)
    ).density
    rows = [
        {"map": "density", **{k: r.to_dict()[k] for k in FIELDS}}
        for r in an.predictive_accuracy_curve(
            density, test_counts, area_shares=AREA_SHARES, mask=mask
        )
    ]
    gi = an.gi_star(train_counts, cell, mask=mask, grid=grid, inference="auto")
    hot = an.predictive_accuracy(test_counts, hot=gi.gi_bin > 0, mask=mask)
    rows.append({"map": "gistar", **{k: hot.to_dict()[k] for k in FIELDS}})
    summary = {
        "cells": int(mask.sum()),
        "train_events": int(train_counts[mask].sum()),
        "test_events": int(test_counts[mask].sum()),
        "bandwidth_m": h,
        "gistar_inference": gi.inference,
        "gistar_hot_cells": hot.hot_cells,
        "gistar_pai": hot.pai,
        "pai_at_5pct": rows[2]["pai"],
        "pei_at_5pct": rows[2]["pei"],
    }
    return AnalysisOutput("pai", summary, rows, None, [])


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`pai` from the query as written (`query.PAI`)."""
    train = resolve.period(store, asked["train"], "train")
    test = resolve.period(store, asked["test"], "test")
    cats = resolve.categories(store, "crimes", asked["category"])
    place = resolve.place(store, viewer, asked["place"])
    out = pai(store, viewer, place, train, test, categories=cats, cell=asked["cell"])
    return out.echo(PAI.echo(asked, crs=store.settings.crs))
