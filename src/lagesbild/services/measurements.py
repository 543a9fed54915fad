"""Place measurements as figures: a metric's values at a place per month (summed for counts per
month, averaged for every other kind, see `domain.taxonomy.Metric`), by group; the model of
the place page's chart with the activation events on the time axis; the change between two
periods; and the effect of an intervention on a metric (`analyse effect --layer
measurements`).

Every read goes through the one access rule (`store.access.visible`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select

from lagesbild import analysis as an
from lagesbild.analysis.measures import mean_ratio, ols_its
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.domain.taxonomy import DEFAULT_TAXONOMY, Metric, Taxonomy
from lagesbild.errors import ValidationError
from lagesbild.i18n import text
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import activation_events, measurements

ALL = "all"  # the group that stands for everyone observed


@dataclass(frozen=True)
class Value:
    at: datetime  # in the store's zone
    value: float
    group: str | None


def load(
    store: Store,
    viewer: Viewer,
    place_id: int,
    metric: str,
    period: Period | None = None,
) -> list[Value]:
    """The metric's values at the place (every group), oldest first, that `viewer` may see."""
    m = measurements.c
    q = select(m.measured_at, m.value, m.group).where(
        m.place_id == place_id, m.metric == metric, visible(measurements, viewer)
    )
    if period is not None:
        q = q.where(m.measured_at >= period.start, m.measured_at < period.end)
    with store.read() as conn:
        rows = conn.execute(q.order_by(m.measured_at)).all()
    return [Value(r[0].astimezone(store.tz), float(r[1]), r[2]) for r in rows]


def metrics_at(store: Store, viewer: Viewer, place_id: int) -> list[str]:
    m = measurements.c
    with store.read() as conn:
        return sorted(
            conn.execute(
                select(m.metric)
                .where(m.place_id == place_id, visible(measurements, viewer))
                .distinct()
            ).scalars()
        )


def groups_in(values: list[Value]) -> list[str | None]:
    seen = {v.group for v in values}
    # everyone first, then the groups in order, no group (a plain metric) alone
    return sorted(seen, key=lambda g: (g != ALL, g is not None, g or ""))


def pick_group(values: list[Value], group: str | None, metric: str) -> list[Value]:
    """The values of one group: the asked one, or (none asked) the plain values or `all`."""
    groups = groups_in(values)
    if group is None:
        group = None if None in groups else ALL if ALL in groups else None
        if group is None and groups and None not in groups:
            raise ValidationError(
                "group", f"{metric} is measured by group; give one of: {', '.join(groups)}"
            )
    elif group not in groups:
        known = ", ".join(g for g in groups if g) or "none"
        raise ValidationError("group", f"no values of {metric} for group {group!r}; known: {known}")
    return [v for v in values if v.group == group]


def month_of(t: datetime) -> str:
    return f"{t:%Y-%m}"


def per_month(values: list[Value], metric: Metric) -> dict[str, float]:
    """One figure per month: the sum of a count per month, else the mean of the values."""
    by: dict[str, list[float]] = defaultdict(list)
    for v in values:
        by[month_of(v.at)].append(v.value)
    agg = sum if metric.summed else (lambda xs: sum(xs) / len(xs))
    return {k: float(agg(xs)) for k, xs in sorted(by.items())}


def units(values: list[Value], metric: Metric) -> np.ndarray:
    """The units an interval is over: months for a count per month, else each value (a round,
    a monthly average)."""
    if metric.summed:
        return np.array(list(per_month(values, metric).values()))
    return np.array([v.value for v in values])


def compare(a: list[Value], b: list[Value], metric: Metric) -> dict[str, Any]:
    """The change from A to B with the interval that suits the metric: a count per month is a
    Poisson count over the months measured (exact conditional rate ratio, `rate_ratio`); an
    average (rounds, daily means, metres, shares) is compared by Welch's t interval
    (`analysis.measures.mean_ratio`)."""
    ua, ub = units(a, metric), units(b, metric)
    out: dict[str, Any] = {"n_a": int(ua.size), "n_b": int(ub.size)}
    if metric.summed:
        out.update(value_a=float(ua.sum()), value_b=float(ub.sum()))
        if ua.size and ub.size:
            rr = an.rate_ratio(int(ua.sum()), float(ua.size), int(ub.sum()), float(ub.size))
            out.update(ratio=rr.ratio, ci_low=rr.ci_low, ci_high=rr.ci_high, p_value=rr.p_value)
        out["interval"] = "exact Poisson rate ratio per month measured (conditional binomial)"
        return out
    out.update(
        value_a=float(ua.mean()) if ua.size else None,
        value_b=float(ub.mean()) if ub.size else None,
    )
    if ua.size >= 2 and ub.size >= 2:
        mr = mean_ratio(ua, ub)
        out.update(ratio=mr.ratio, ci_low=mr.ci_low, ci_high=mr.ci_high, p_value=mr.p_value)
    out["interval"] = "Welch t interval of the difference of means, over the baseline mean"
    return out


# ------------------------------------------------------------------ the place page's chart


def _events(store: Store, viewer: Viewer, place: PlaceGeo) -> list[dict[str, Any]]:
    """The activation events of the place or within its boundary (a scene holds its square)."""
    e = activation_events.c
    with store.read() as conn:
        rows = conn.execute(
            select(e.title, e.kind, e.starts_at, e.ends_at, e.place_id, e.geom)
            .where(visible(activation_events, viewer))
            .order_by(e.starts_at)
        ).all()
    inside = place.geom_wgs84.buffer(0)
    return [
        {"title": r[0], "kind": r[1], "start": r[2].astimezone(store.tz),
         "end": r[3].astimezone(store.tz)}
        for r in rows
        if r[4] == place.id or (r[5] is not None and inside.covers(r[5]))
    ]  # fmt: skip


def _ticks(hi: float) -> list[float]:
    return [hi * k / 4 for k in range(5)]


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """Contiguous runs of true as (first, last) indices."""
    out, start = [], None
    for i, f in enumerate([*flags, False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i - 1))
            start = None
    return out


def place_charts(
    store: Store, viewer: Viewer, place_id: int, lang: str = "sv"
) -> list[dict[str, Any]]:
    """One chart model per metric measured at the place (`_chart`). Groups of very different
    size (everyone and girls 13-18) get a chart each, so the small group's line is not flat
    along the axis."""
    from lagesbild.services.data import place_by_id

    place = place_by_id(store, viewer, place_id)
    events = _events(store, viewer, place)
    charts = []
    for code in metrics_at(store, viewer, place.id):
        metric = store.taxonomy.metric_or_plain(code)
        values = load(store, viewer, place.id, code)
        if not values:
            continue
        by_group = {
            g: per_month([v for v in values if v.group == g], metric) for g in groups_in(values)
        }
        tops = [max(s.values()) for s in by_group.values()]
        if len(tops) > 1 and min(tops) > 0 and max(tops) / min(tops) > 4:
            charts += [
                _chart(metric, {g: s}, events, lang, store.taxonomy) for g, s in by_group.items()
            ]
        else:
            charts.append(_chart(metric, by_group, events, lang, store.taxonomy))
    return charts


def _chart(
    metric: Metric,
    by_group: dict[str | None, dict[str, float]],
    events: list,
    lang: str,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
) -> dict[str, Any]:
    """Months on x, one line per group (fractions 0..1 for the SVG), the months with an
    activation going on shaded and the number of events starting in each month marked on the
    time axis; `table` holds the numbers the chart draws."""
    groups = list(by_group)
    seen = sorted({k for series in by_group.values() for k in series})
    first, last = seen[0], seen[-1]
    months = [_month_label(i) for i in range(_month_index(first), _month_index(last) + 1)]
    hi = 4 * _nice(max(max(s.values()) for s in by_group.values()) / 4 or 0.25)
    n = max(len(months) - 1, 1)
    series = [
        {
            "group": g,
            "label": group_label(g, lang, taxonomy),
            # a line per run of months with values: no line across a gap (the winters
            # between two summers of observation rounds)
            "segments": [
                [(i / n, s[months[i]] / hi, months[i], s[months[i]]) for i in range(i0, i1 + 1)]
                for i0, i1 in _runs([mo in s for mo in months])
            ],
        }
        for g, s in by_group.items()
    ]
    starts: dict[str, list[str]] = defaultdict(list)
    active = [False] * len(months)
    for ev in events:
        a, b = month_of(ev["start"]), month_of(ev["end"])
        if a <= last and b >= first:
            if first <= a:
                starts[a].append(ev["title"])
            for i, mo in enumerate(months):
                active[i] = active[i] or a <= mo <= b
    step = 1 / n if len(months) > 1 else 1.0
    single = groups[0] if len(groups) == 1 and groups[0] is not None else None
    return {
        "metric": metric.code if single is None else f"{metric.code}-{single}",
        "label": metric.label(lang)
        + ("" if single is None else f": {group_label(single, lang, taxonomy)}"),
        "unit": metric.unit(lang),
        "kind": metric.kind,
        "kind_label": text(f"measure.kind.{metric.kind}", lang),
        "months": months,
        "ticks": _ticks(hi),
        "series": series,
        "active": [
            (max(0.0, (i0 - 0.5) * step), min(1.0, (i1 + 0.5) * step)) for i0, i1 in _runs(active)
        ],
        "events": [
            {"x": months.index(mo) / n, "month": mo, "n": len(t), "titles": t[:3]}
            for mo, t in sorted(starts.items())
        ],
        "year_ticks": [
            (i / n, mo[:4]) for i, mo in enumerate(months) if mo.endswith("-01") or i == 0
        ],
        "table": [
            {"month": mo, "values": [by_group[g].get(mo) for g in groups]}
            for mo in months
            if any(mo in by_group[g] for g in groups)
        ],
    }


def group_label(group: str | None, lang: str, taxonomy: Taxonomy = DEFAULT_TAXONOMY) -> str:
    """A group in words: the taxonomy's observed groups (a deployment's own among them), the
    catalogue's other groups, else the code."""
    if group is None:
        return text("measure.group.none", lang)
    known = taxonomy.observed_group(group)
    if known is not None:
        return known.label(lang)
    key = f"measure.group.{group}"
    from lagesbild.i18n import has

    return text(key, lang) if has(key) else group.replace("_", " ")


def _month_index(label: str) -> int:
    y, m = label.split("-")
    return int(y) * 12 + int(m) - 1


def _month_label(i: int) -> str:
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def _nice(x: float) -> float:
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at
    or above x: a round step between the axis's ticks."""
    p = 10 ** np.floor(np.log10(x))
    return float(next(m * p for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * p >= x))


# ------------------------------------------------------------------ the effect of an intervention


def effect(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    at: datetime,
    period: Period,
    metric_code: str,
    group: str | None = None,
) -> AnalysisOutput:
    """The effect on a metric of an intervention at `at`, with a model for its kind:

    - a count per month: segmented Poisson regression of the monthly sums with seasons
      (`analysis.interrupted_time_series`, quasi-Poisson when over-dispersed), as for crimes;
    - a count per round (people observed): a quasi-Poisson GLM of the rounds on
      before/after with the hour of the day (rounds are too sparse for a monthly series);
    - an average (footfall a day, metres, shares): segmented least squares (OLS) of the monthly
      means with seasons; the level change is in the metric's unit with its t interval.
    """
    metric = store.taxonomy.metric(metric_code)
    values = pick_group(load(store, viewer, place.id, metric.code, period), group, metric.code)
    if not values:
        raise ValidationError("metric", f"no values of {metric.code} at {place.name} you may see")
    summary: dict[str, Any] = {
        "place": place.name,
        "metric": metric.code,
        "group": group,
        "kind": metric.kind,
    }
    rows: list[dict[str, Any]]
    if metric.kind == "count_round":
        y = np.array([v.value for v in values])
        post = np.array([v.at >= at for v in values], dtype=float)
        if post.sum() < 2 or (1 - post).sum() < 2:
            raise ValidationError("intervention", "needs at least 2 rounds before and after it")
        hours = sorted({v.at.hour for v in values})
        cols = [np.ones(y.size), post] + [
            np.array([v.at.hour == h for v in values], float) for h in hours[1:]
        ]
        names = ["const", "post"] + [f"hour{h}" for h in hours[1:]]
        fit = an.fit_poisson(np.column_stack(cols), y, names=names, scale="auto")
        rec = fit.to_records()[1]
        summary.update(
            model="quasi-Poisson GLM of rounds: const + after + hour of day",
            rounds_before=int((1 - post).sum()),
            rounds_after=int(post.sum()),
            estimate=rec["rate_ratio"],
            ci_low=rec["rr_low"],
            ci_high=rec["rr_high"],
            p_value=rec["p"],
            estimate_is="rate ratio after/before",
            scale=fit.scale,
        )
        rows = [
            {"measured_at": v.at.isoformat(), "value": v.value, "after": bool(p)}
            for v, p in zip(values, post, strict=True)
        ]
        return AnalysisOutput("effect", summary, rows)
    months = per_month(values, metric)
    labels = [
        _month_label(i) for i in range(_month_index(min(months)), _month_index(max(months)) + 1)
    ]
    missing = [mo for mo in labels if mo not in months]
    if missing and metric.summed:
        raise ValidationError(
            "metric", f"{metric.code} has months without values ({', '.join(missing[:3])} ...)"
        )
    labels = [mo for mo in labels if mo in months]
    y = np.array([months[mo] for mo in labels])
    k = sum(1 for mo in labels if mo < month_of(at.astimezone(store.tz)))
    if k < 3 or k > len(y) - 3:
        raise ValidationError("intervention", "needs at least 3 months before and after it")
    if metric.summed:
        its = an.interrupted_time_series(
            y, k, period=12, seasonality="fourier" if len(y) >= 24 else "none"
        )
        level, trend, cf = its.level_change, its.trend_change, its.counterfactual
        summary.update(
            model="segmented Poisson regression of monthly counts (quasi-Poisson, seasons)",
            estimate_is="rate ratio at the intervention",
        )
    else:
        ols = ols_its(y, k)
        level, trend, cf = ols.level_change, ols.trend_change, ols.counterfactual
        summary.update(
            model="segmented OLS of monthly means (seasons), level change in the metric's unit",
            estimate_is="difference at the intervention",
        )
    summary.update(
        slices=len(y),
        intervention_index=k,
        estimate=level[0],
        ci_low=level[1],
        ci_high=level[2],
        level_change=level[0],
        level_change_low=level[1],
        level_change_high=level[2],
        trend_change=trend[0],
        trend_change_low=trend[1],
        trend_change_high=trend[2],
    )
    rows = [
        {"month": mo, "value": float(v), "counterfactual": float(c)}
        for mo, v, c in zip(labels, y, cf, strict=True)
    ]
    return AnalysisOutput("effect", summary, rows)


def run_effect(
    store: Store, viewer: Viewer, asked: Mapping[str, Any], place: PlaceGeo, at: datetime, period
) -> AnalysisOutput:
    """`analyse effect --layer measurements` from the query as written."""
    if not asked.get("metric"):
        raise ValidationError("metric", "--layer measurements needs --metric, e.g. footfall")
    if asked.get("control"):
        raise ValidationError("control", "a control place is not used with --layer measurements")
    return effect(store, viewer, place, at, period, asked["metric"], asked.get("group"))
