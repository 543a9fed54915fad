"""Goals on place measurements (``measurements:METRIC[:GROUP]``): the baseline, the dashboard's
figures with an interval suited to the metric, and the place partnership's four goals as a
template a coordinator applies to a place.

Intervals (`services.measurements.compare`):

- a count per month (syringes collected, broken lights): the sum over the months measured in
  each period, compared by the exact (conditional binomial) Poisson rate ratio per month;
- every average (people observed per round, footfall a day, metres, shares): Welch's t
  interval of the difference of the means (rounds or monthly means), over the baseline mean.

The current period is the twelve months up to the dashboard's month, or up to the last month
with a value when the measurements stop earlier (measurements come in batches; a goal is not
"no data" because the last batch is a few months old). ``current_period`` says which.

The public (no sign-in) gets the counts of a count metric through `services.disclosure`: the
baseline, current and monthly sums as one table with their relations, and no derived figure
from a suppressed one.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period, parse_period
from lagesbild.domain.taxonomy import Metric
from lagesbild.errors import ValidationError
from lagesbild.services import data
from lagesbild.services import measurements as ms
from lagesbild.services.disclosure import Table, shown, suppress
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import places

TREND_MONTHS = 24
DERIVED = ("ratio", "rate_ratio", "ci_low", "ci_high", "p_value", "progress")


def parse(store: Store, selector: str | None) -> tuple[Metric, str | None]:
    """``METRIC[:GROUP]`` to the metric (known to the taxonomy) and the group or None."""
    metric, _, group = (selector or "").partition(":")
    if not metric:
        raise ValidationError(
            "indicator", "measurements needs a metric: measurements:METRIC[:GROUP]"
        )
    return store.taxonomy.metric(metric, "indicator"), (group or None)


def _values(store: Store, viewer: Viewer, place_id: int, selector: str, period: Period):
    metric, group = parse(store, selector)
    values = ms.load(store, viewer, place_id, metric.code, period)
    return metric, ms.pick_group(values, group, metric.code) if values else []


def baseline_value(store: Store, viewer: Viewer, place_id: int, selector: str, period) -> float:
    """The sum (a count per month) or the mean (any average) over the baseline period."""
    metric, values = _values(store, viewer, place_id, selector, period)
    if not values:
        # measurements belong to the exact place they were made for (a scene's own count is not
        # its square's): say where this metric is measured, so the goal can be set there
        elsewhere = measured_at(store, viewer, metric.code)
        raise ValidationError(
            "baseline",
            f"no values of {metric.code} at this place in {period.label}"
            + (f" (measured at: {', '.join(elsewhere)})" if elsewhere else ""),
        )
    cmp = ms.compare(values, values, metric)
    return float(cmp["value_a"])


def measured_at(store: Store, viewer: Viewer, code: str) -> list[str]:
    """The names of the places with values of the metric, as the viewer sees them."""
    m = ms.measurements.c
    with store.read() as conn:
        return list(
            conn.execute(
                select(places.c.name)
                .join(ms.measurements, m.place_id == places.c.id)
                .where(m.metric == code, visible(ms.measurements, viewer))
                .distinct()
                .order_by(places.c.name)
            ).scalars()
        )


def _months_back(last: date, months: int) -> tuple[datetime, datetime]:
    """[first day of the month `months - 1` before `last`'s month, first day after it)."""
    i = last.year * 12 + last.month - 1
    a, b = i - months + 1, i + 1
    return (
        datetime.combine(date(a // 12, a % 12 + 1, 1), time()),
        datetime.combine(date(b // 12, b % 12 + 1, 1), time()),
    )


def goal_figures(
    store: Store, viewer: Viewer, g: dict, end: date, *, public: bool = False
) -> dict[str, Any]:
    """The dashboard's item of one measurement goal as of `end` (see the module docstring)."""
    metric, group = parse(store, g["indicator"].partition(":")[2])
    place = data.find_place(store, viewer, g["place"])
    every = ms.load(store, viewer, place.id, metric.code)
    every = ms.pick_group(every, group, metric.code) if every else []
    upto = [v for v in every if v.at.date() <= end]
    base = {"metric": metric.code, "group": group, "kind": metric.kind, "unit": metric.unit_en}
    if not upto:
        return {**base, "status": "no data"}
    last = upto[-1].at.date()
    a0, a1 = _months_back(last, 12)
    tz = store.tz
    current = Period(f"{a0:%Y-%m}..", a0.replace(tzinfo=tz), a1.replace(tzinfo=tz))
    pa = parse_period(g["baseline_period"], tz)
    in_a = [v for v in every if pa.start <= v.at < pa.end]
    in_b = [v for v in every if current.start <= v.at < current.end]
    cmp = ms.compare(in_a, in_b, metric)
    target_ratio = (
        1 + g["target_change"]
        if g["target_change"] is not None
        else (
            g["target_value"] / cmp["value_a"]
            if g["target_value"] is not None and cmp.get("value_a")
            else None
        )
    )
    ratio, low, high = cmp.get("ratio"), cmp.get("ci_low"), cmp.get("ci_high")
    down = target_ratio is None or target_ratio <= 1
    if ratio is None:
        status = "no data"
    elif target_ratio is None:
        status = "no target"
    elif (high < target_ratio) if down else (low > target_ratio):
        status = "met"
    elif (ratio <= target_ratio) if down else (ratio >= target_ratio):
        status = "on track"
    else:
        status = "not yet"
    t0, t1 = _months_back(last, TREND_MONTHS)
    monthly = ms.per_month([v for v in every if t0.date() <= v.at.date() < t1.date()], metric)
    series = np.array(list(monthly.values()))
    trend: dict[str, Any] = {"months": list(monthly), "values": list(monthly.values())}
    if series.size >= 4:
        mk = an.mann_kendall(series)
        p = float(mk.p)
        trend.update(
            tau=float(mk.tau),
            p_value=p,
            direction="falling" if p < 0.05 and mk.s < 0 else "rising" if p < 0.05 else "none",
        )
    last_day = date.fromordinal(a1.date().toordinal() - 1)
    item = {
        **base,
        "current_period": f"{a0.date()}..{last_day}",
        "baseline_n": cmp["n_a"],
        "current_n": cmp["n_b"],
        "baseline_value": cmp.get("value_a"),
        "current_value": cmp.get("value_b"),
        "ratio": ratio,
        "ci_low": low,
        "ci_high": high,
        "p_value": cmp.get("p_value"),
        "interval": cmp["interval"],
        "target_ratio": target_ratio,
        "progress": (1 - ratio) / (1 - target_ratio)
        if ratio is not None and target_ratio not in (None, 1)
        else None,
        "status": status,
        "trend": trend,
    }
    if public:
        _suppress(item, metric, in_a)
    return item


def _suppress(item: dict[str, Any], metric: Metric, in_a: list) -> None:
    """The figures as the public gets them: a count metric's sums through
    `services.disclosure`, every other figure as `_suppress_means` (a mean of counts of 1-4 is
    a count-like figure: one round in a month, and its mean is that round's count; metres are
    treated alike, so that no figure of 1-4 is sent under a count-like key). Shares (0-1) are
    not counts and stay. The trend's test statistics go beside the trend (``trend_test``), as
    the count goals' do, and the numbers of rounds or months measured follow the "<5" rule."""
    for k in ("baseline_n", "current_n"):
        item[k] = shown(item.get(k))
    trend = item["trend"]
    item["trend_test"] = {k: trend.pop(k, None) for k in ("tau", "p_value")}
    if metric.summed:
        _suppress_sums(item, metric, in_a)
    elif metric.kind != "share":
        _suppress_means(item)
    else:
        _drop_derived(item)
    if item["trend"].get("suppressed"):
        item["trend_test"] = dict.fromkeys(item["trend_test"])


def _suppress_sums(item: dict[str, Any], metric: Metric, in_a: list) -> None:
    """A count per month: the baseline, current and monthly sums as one table with their
    relations (complementary suppression, `services.disclosure`)."""
    t = Table()
    months = item["trend"]["months"]
    for mo, v in zip(months, item["trend"]["values"], strict=True):
        t.add(("m", mo), int(v))
    base_months = ms.per_month(in_a, metric)
    for mo, v in base_months.items():
        if mo not in months:
            t.add(("m", mo), int(v), hidden=True)
    t.add("base", _int(item["baseline_value"]))
    t.add("current", _int(item["current_value"]))
    t.relate("base", [("m", mo) for mo in base_months])
    cur = item["current_period"][:7]
    t.relate("current", [("m", mo) for mo in months if mo >= cur])
    shown = suppress(t)
    item["baseline_value"], item["current_value"] = shown["base"], shown["current"]
    item["trend"]["values"] = [shown[("m", mo)] for mo in months]
    _drop_derived(item)


def _suppress_means(item: dict[str, Any]) -> None:
    """Means for the public: a mean above 0 and below 5 is sent as "<5" (never as a number),
    and nothing derived from it (ratio, interval, p-value, progress, target ratio; the trend's
    test) is sent. Means are not summed over months, so no suppressed month can be computed
    from the others and the period's mean without the rounds per month, which the public does
    not get (``baseline_n``/``current_n`` count the periods' rounds only)."""
    item["baseline_value"] = shown(item.get("baseline_value"))
    item["current_value"] = shown(item.get("current_value"))
    item["trend"]["values"] = [shown(v) for v in item["trend"]["values"]]
    _drop_derived(item)


def _drop_derived(item: dict[str, Any]) -> None:
    """No figure derived from a suppressed one: the comparison goes with a suppressed period,
    the trend's test with a suppressed month."""
    if isinstance(item["baseline_value"], str) or isinstance(item["current_value"], str):
        for k in (*DERIVED, "target_ratio"):
            item[k] = None
        item.update(status="suppressed", suppressed=True)
    if any(isinstance(v, str) for v in item["trend"]["values"]):
        item["trend"]["direction"] = None  # its test is beside it (`trend_test`)
        item["trend"]["suppressed"] = True
        item["suppressed"] = True
    item.setdefault("suppressed", False)


def _int(v: float | None) -> int | None:
    return None if v is None else int(round(v))


def dashboard_cells(g: dict, fmt_num) -> tuple[str, str]:
    """The CLI's "figures" and "trend" cells of a measurement goal."""
    if g.get("ratio") is None:
        return g.get("error", "") or f"{g.get('metric')}: no values", ""
    figs = (
        f"{fmt_num(g['baseline_value'])} ({g['baseline_period']}) -> "
        f"{fmt_num(g['current_value'])} ({g['current_period']}); ratio {g['ratio']:.2f} "
        f"({g['ci_low']:.2f}-{g['ci_high']:.2f})"
    )
    if g.get("target_ratio") is not None:
        figs += f", target {g['target_ratio']:.2f}"
    tr = g.get("trend") or {}
    trend = f"{tr.get('direction')} (tau {tr['tau']:.2f})" if tr.get("tau") is not None else ""
    return figs, trend


def agenda(store: Store, viewer: Viewer, end: date) -> list[dict[str, Any]]:
    """The partnership's metrics for the forum's agenda: per place, metric and group, the
    twelve months up to its last value (at or before `end`) against the twelve before, with
    the interval of its kind. Not for the public (its goals are its figures)."""
    if viewer.is_public:
        return []
    m = ms.measurements.c
    with store.read() as conn:
        pairs = conn.execute(
            select(m.place_id, places.c.name, m.metric)
            .join(places, places.c.id == m.place_id)
            .where(visible(ms.measurements, viewer))
            .distinct()
            .order_by(places.c.name, m.metric)
        ).all()
    out = []
    for place_id, name, code in pairs:
        metric = store.taxonomy.metric_or_plain(code)
        values = [v for v in ms.load(store, viewer, place_id, code) if v.at.date() <= end]
        for g in ms.groups_in(values):
            mine = [v for v in values if v.group == g]
            if not mine:
                continue
            b0, b1 = _months_back(mine[-1].at.date(), 12)
            a0, _ = _months_back(b0.date() - timedelta(days=1), 12)
            a = [v for v in mine if a0.date() <= v.at.date() < b0.date()]
            b = [v for v in mine if b0.date() <= v.at.date() < b1.date()]
            cmp = ms.compare(a, b, metric)
            monthly = ms.per_month(a + b, metric)
            out.append(
                {
                    "place": name,
                    "name": {
                        lang: metric.label(lang)
                        + ("" if g is None else f": {ms.group_label(g, lang, store.taxonomy)}")
                        for lang in ("sv", "en")
                    },
                    "unit": {lang: metric.unit(lang) for lang in ("sv", "en")},
                    "previous_period": f"{ms.month_of(a0)} – {ms.month_of(b0 - timedelta(days=1))}",
                    "current_period": f"{ms.month_of(b0)} – {ms.month_of(b1 - timedelta(days=1))}",
                    "interval_kind": "poisson" if metric.summed else "welch",
                    "chart": metric_chart(monthly, ms.month_of(b0)),
                    "metric": code,
                    "label": metric.label("en"),
                    "label_sv": metric.label("sv"),
                    "kind": metric.kind,
                    "group": g,
                    "last_month": ms.month_of(mine[-1].at),
                    "previous_value": cmp.get("value_a"),
                    "current_value": cmp.get("value_b"),
                    "ratio": cmp.get("ratio"),
                    "ci_low": cmp.get("ci_low"),
                    "ci_high": cmp.get("ci_high"),
                    "interval": cmp["interval"],
                }
            )
    return out


def metric_chart(monthly: dict[str, float], current_from: str) -> dict[str, Any]:
    """A small bar chart of a metric's 24 months for the forum's agenda (a viewBox of W x H):
    the twelve months before `current_from` light, the twelve from it dark, so the two periods
    the agenda compares are seen side by side."""
    W, H, left, top, bottom = 480, 150, 78, 12, 126
    months = list(monthly)
    hi = max(monthly.values(), default=0.0) or 1.0
    step = (W - left - 4) / max(len(months), 1)
    bars = []
    for i, mo in enumerate(months):
        v = monthly[mo]
        h = (bottom - top) * v / hi
        bars.append(
            {
                "x": round(left + i * step + 1, 1),
                "y": round(bottom - h, 1),
                "w": round(max(step - 2, 1), 1),
                "h": round(h, 1),
                "month": mo,
                "value": v,
                "current": mo >= current_from,
            }
        )
    years = [  # the first bar's year only when its January is not two bars away
        (b["x"], b["month"][:4])
        for i, b in enumerate(bars)
        if b["month"].endswith("-01") or (i == 0 and int(b["month"][5:]) <= 10)
    ]
    return {"W": W, "H": H, "left": left, "top": top, "bottom": bottom, "hi": hi,
            "bars": bars, "years": years}  # fmt: skip


def agenda_table(rows: list[dict[str, Any]]):
    """The agenda's metrics as a terminal table."""
    from rich.table import Table as RichTable

    t = RichTable(
        "place", "metric", "group", "last 12 months", "12 before", "ratio (95 %)",
        title="The partnership's metrics",
    )  # fmt: skip
    for r in rows:
        ratio = (
            f"{r['ratio']:.2f} ({r['ci_low']:.2f}-{r['ci_high']:.2f})"
            if r.get("ci_low") is not None
            else ""
        )
        t.add_row(
            r["place"], r["label"], r["group"] or "", _fmt(r["current_value"]),
            _fmt(r["previous_value"]), ratio,
        )  # fmt: skip
    return t


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:,.1f}"
