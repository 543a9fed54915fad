"""The effect of an intervention: interrupted time series (segmented Poisson regression with
seasonality) on monthly or weekly counts, and difference-in-differences against a control."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period, between
from lagesbild.errors import ValidationError
from lagesbild.i18n import text
from lagesbild.services import data
from lagesbild.services.analyse import resolve
from lagesbild.services.analyse.grid import slices
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store


def add_years(t: datetime, years: int) -> datetime:
    """The same date `years` on; 29 February becomes 28 February in a common year."""
    try:
        return t.replace(year=t.year + years)
    except ValueError:
        return t.replace(year=t.year + years, day=28)


def effect(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    at: datetime,
    period: Period,
    *,
    control: PlaceGeo | None = None,
    layer: str = "crimes",
    categories: Sequence[str] | None = None,
    slice_: str = "month",
) -> AnalysisOutput:
    """ITS of the place's counts per slice of `period` around an intervention at `at`, and the
    DiD rate ratio against `control` when given."""
    edges = slices(period, slice_)
    cats = None if categories is None else list(categories)

    def series(pl: PlaceGeo) -> np.ndarray:
        pts = data.load_points(
            store, viewer, layer, period=period, categories=cats, within=(pl.id, 0)
        )
        t = pts.times.astype(np.int64)
        return np.bincount(np.searchsorted(edges, t, side="right") - 1, minlength=len(edges) - 1)[
            : len(edges) - 1
        ].astype(float)

    y = series(place)
    k = int(np.searchsorted(edges, int(at.timestamp()), side="left"))
    if k < 3 or k > len(y) - 3:
        raise ValidationError("intervention", "needs at least 3 slices before and after it")
    if y[:k].sum() < 5 or y[k:].sum() < 5:
        raise ValidationError(
            "place",
            f"too few records to fit a time series ({int(y[:k].sum())} before and "
            f"{int(y[k:].sum())} after the intervention that you may see; at least 5 each)",
        )
    its = an.interrupted_time_series(
        y,
        k,
        period=12 if slice_ == "month" else 52,
        seasonality="fourier" if len(y) >= 24 else "none",
    )
    summary: dict[str, Any] = {
        "place": place.name,
        "slices": len(y),
        "intervention_index": k,
        "level_change_rr": its.level_change[0],
        "level_change_low": its.level_change[1],
        "level_change_high": its.level_change[2],
        "trend_change_rr": its.trend_change[0],
        "trend_change_low": its.trend_change[1],
        "trend_change_high": its.trend_change[2],
        "ljung_box_q": its.ljung_box_q,
        "ljung_box_p": its.ljung_box_p,
        "ljung_box_lags": its.ljung_box_lags,
        "durbin_watson": its.durbin_watson,
    }
    # consecutive slices are seldom independent; the intervals assume they are
    autocorrelation = {
        "test": "ljung-box",
        "statistic": its.ljung_box_q,
        "p": its.ljung_box_p,
        "lags": its.ljung_box_lags,
        "durbin_watson": its.durbin_watson,
        "present": its.autocorrelated,
    }
    caveats = [autocorrelation_caveat(its, "en")] if its.autocorrelated else []
    rows = [
        {
            "slice_start": datetime.fromtimestamp(int(edges[i]), store.tz).date().isoformat(),
            "count": float(y[i]),
            "counterfactual": float(its.counterfactual[i]),
        }
        for i in range(len(y))
    ]
    notes: list[str] = list(caveats)
    if control is not None:
        summary["control"] = control.name
        yc = series(control)
        if yc[:k].sum() == 0 or yc[k:].sum() == 0:
            # the DiD's interaction has no finite estimate when a control period has no records
            notes.append(
                text(
                    "analyse.note.no_did",
                    "en",
                    control=control.name,
                    before=int(yc[:k].sum()),
                    after=int(yc[k:].sum()),
                )
            )
        else:
            post = (np.arange(len(y)) >= k).astype(float)
            # one row per place and slice: the interaction is the DiD rate ratio
            did = an.difference_in_differences(
                np.concatenate([y, yc]),
                np.r_[np.ones(len(y)), np.zeros(len(yc))],
                np.concatenate([post, post]),
            )
            summary.update(
                did_rate_ratio=did.rate_ratio,
                did_low=did.ci_low,
                did_high=did.ci_high,
                did_p=did.p_value,
            )
    top = {"autocorrelation": autocorrelation, "caveats": caveats}
    return AnalysisOutput("effect", summary, rows, None, notes, top_level=top)


def autocorrelation_caveat(its: an.ITSResult, lang: str) -> str:
    """The caveat an autocorrelated series prints: its test figures and what they mean."""
    return text(
        "analyse.caveat.autocorrelation",
        lang,
        q=its.ljung_box_q,
        lags=its.ljung_box_lags,
        p=its.ljung_box_p,
        dw=its.durbin_watson,
    )


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`effect` from the query as written (`query.EFFECT`); without from/to, two years on each
    side of the intervention."""
    at = resolve.period(store, asked["intervention"], "intervention").start
    date_from, date_to = asked["date_from"], asked["date_to"]
    start = resolve.period(store, date_from, "from").start if date_from else add_years(at, -2)
    end = resolve.period(store, date_to, "to").end if date_to else add_years(at, 2)
    period = between(start, end)
    slices(period, asked["slice"])  # a wrong slice is named before the store is read
    if asked["layer"] == "measurements":
        from lagesbild.services import measurements

        place = resolve.place(store, viewer, asked["place"])
        out = measurements.run_effect(store, viewer, asked, place, at, period)
        return out.echo({k: asked[k] for k in ("place", "intervention", "metric", "group")})
    cats = resolve.categories(store, asked["layer"], asked["category"])
    place = resolve.place(store, viewer, asked["place"])
    control = resolve.place(store, viewer, asked["control"]) if asked["control"] else None
    out = effect(
        store,
        viewer,
        place,
        at,
        period,
        control=control,
        layer=asked["layer"],
        categories=cats,
        slice_=asked["slice"],
    )
    return out.echo(
        {
            "place": asked["place"],
            "intervention": asked["intervention"],
            "control": asked["control"],
            "category": asked["category"],
            "slice": asked["slice"],
        }
    )
