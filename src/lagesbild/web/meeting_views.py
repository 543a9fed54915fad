"""What the meetings' pages share (briefing page, /goals, /week, the live screen): the goals'
chart models and words, the week's ranking rows and their change against the four weeks
before, and the meeting maps' configuration. No routes here, so every page module may import it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lagesbild.briefing.counts import ratio_text
from lagesbild.domain.periods import parse_period
from lagesbild.i18n import Translator
from lagesbild.i18n import format as fmt
from lagesbild.web.headers import tile_config

__all__ = [
    "goal_views",
    "indicator_choices",
    "meeting_map_config",
    "ranking_rows",
    "ratio_text",
    "ratio_weeks",
]
MONTH_DAYS = 365.25 / 12
W, H, LEFT, RIGHT, TOP, BOTTOM = 800, 300, 60, 20, 56, 50


def meeting_map_config(t: Translator) -> dict[str, Any]:
    """What the meetings' maps (static/meetmap.js) read: tiles, language, messages."""
    tz = str(t.tz) if t.tz is not None else None  # clocks on the page in the store's time
    return {**tile_config(), "msg": t.js(), "lang": t.lang, "tz": tz}


def _nice_step(value: float) -> float:
    """A round step for the y axis' four intervals (1, 2 or 5 times a power of ten)."""
    import math

    if value <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(value))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= value)


def chart_model(g: dict[str, Any], store_tz) -> dict[str, Any] | None:
    """Where the count goal's monthly series, baseline mean, target line and deadline fall on
    the chart (SVG coordinates); None for a status goal."""
    trend = g.get("trend") or {}
    # a measurement goal's trend has "values" (sums or means per month), a count goal's "counts"
    months = trend.get("months") or []
    counts = trend.get("counts") or trend.get("values") or []
    if not months or len(counts) != len(months):
        return None
    base_mean = target = None
    if str(g.get("indicator", "")).startswith("measurements:"):
        base_mean = _measurement_baseline(g)
        if base_mean is not None and g.get("target_ratio") is not None:
            target = base_mean * g["target_ratio"]
    elif g.get("baseline_period") and isinstance(g.get("baseline_count"), (int, float)):
        days = parse_period(g["baseline_period"], store_tz).days
        base_mean = g["baseline_count"] / (days / MONTH_DAYS)
        if g.get("target_ratio") is not None:
            target = base_mean * g["target_ratio"]
        elif g.get("target_value") is not None:  # a yearly target value: per month
            target = g["target_value"] / (days / MONTH_DAYS)
    nums = [c for c in counts if isinstance(c, (int, float))]
    top = 4 * _nice_step(max([*nums, base_mean or 0, target or 0, 1]) * 1.1 / 4)
    w, h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = len(months)

    def x(i: float) -> float:
        return LEFT + w * (i + 0.5) / n

    def y(v: float) -> float:
        return TOP + h * (1 - v / top)

    points = [
        {"x": x(i), "y": y(c), "month": m, "count": c}
        for i, (m, c) in enumerate(zip(months, counts, strict=True))
        if isinstance(c, (int, float))
    ]
    deadline = g.get("deadline")
    dl = None
    if deadline is not None:
        label = f"{deadline:%Y-%m}" if isinstance(deadline, date) else str(deadline)[:7]
        if label in months:
            dl = {"x": x(months.index(label)), "inside": True}
        else:  # after (or before) the chart: marked at its edge with the date
            dl = {"x": W - RIGHT if label > months[-1] else LEFT, "inside": False}
        dl["label"] = str(deadline)
    return {
        "points": points,
        "line": " ".join(f"{p['x']:.1f},{p['y']:.1f}" for p in points),
        "base_y": y(base_mean) if base_mean is not None else None,
        "base_mean": base_mean,
        "target_y": y(target) if target is not None else None,
        "target": target,
        "ticks": [(y(top * k / 4), top * k / 4) for k in range(5)],
        "xlabels": [(x(i), m) for i, m in enumerate(months) if (n - 1 - i) % 3 == 0],
        "deadline": dl,
        "W": W,
        "H": H,
        "left": LEFT,
        "right": W - RIGHT,
        "bottom": H - BOTTOM,
    }


def _measurement_baseline(g: dict[str, Any]) -> float | None:
    """The baseline on the monthly chart's scale: a count per month's baseline sum over its
    months measured; an average's baseline is already a mean."""
    value, n = g.get("baseline_value"), g.get("baseline_n")
    if not isinstance(value, (int, float)):
        return None
    if g.get("kind") == "count_month":
        return value / n if n else None
    return float(value)


def _rounds_model(g: dict[str, Any]) -> dict[str, Any]:
    """A status goal's chart: the scene's area per mapping round; the target is none left."""
    rounds = g.get("rounds") or []
    top = 4 * _nice_step(max([r["area_ha"] for r in rounds] + [1]) * 1.1 / 4)
    w, h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = max(len(rounds), 1)
    bars = [
        {
            "x": LEFT + w * i / n + 10,
            "w": w / n - 20,
            "y": TOP + h * (1 - r["area_ha"] / top),
            "h": h * r["area_ha"] / top,
            "round": r["round"],
            "ha": r["area_ha"],
            "status": r["status"],
        }
        for i, r in enumerate(rounds)
    ]
    return {
        "bars": bars,
        "ticks": [(TOP + h * (1 - k / 4), top * k / 4) for k in range(5)],
        "W": W,
        "H": H,
        "left": LEFT,
        "right": W - RIGHT,
        "bottom": H - BOTTOM,
    }


def _words(g: dict[str, Any], t: Translator) -> dict[str, str]:
    """Status and progress in words, as said at the forum."""
    status = g.get("status") or "cannot compute"
    key = "goals.status." + status.replace(" ", "_")
    out = {"status": t(key) if t.has(key) else status}
    if g.get("indicator") == "status":
        out["progress"] = (
            t(
                "goals.progress.status",
                round=g.get("latest_round"),
                status=t.code("extent_status", g.get("latest_status")),
            )
            if g.get("latest_round")
            else t("goals.progress.no_round")
        )
    elif g.get("past_data"):
        out["progress"] = t(
            "goals.progress.past_data",
            day=t.date(g.get("data_ends")) if g.get("data_ends") else "–",
        )
    elif g.get("too_few"):
        out["progress"] = t(
            "goals.progress.too_few",
            a=g["baseline_count"],
            b=g["current_count"],
            period=g["baseline_period"],
        )
    elif str(g.get("indicator", "")).startswith("measurements:") and g.get("ratio") is not None:
        change = g["ratio"] - 1
        digits = 0 if g.get("kind") == "count_month" else 1
        out["progress"] = t(
            "measure2.goal.progress",
            a=fmt.num(g.get("baseline_value"), t.lang, digits),
            period=g["baseline_period"],
            b=fmt.num(g.get("current_value"), t.lang, digits),
            current=g.get("current_period", "").replace("..", " – "),
            change=fmt.pct(change, t.lang) if change < 0 else "+" + fmt.pct(change, t.lang),
            ci=fmt.ratio_ci({**g, "rate_ratio": g["ratio"]}, t.lang),
        )
        if g.get("progress") is not None:
            out["progress"] += " " + t("goals.progress.share", share=fmt.pct(g["progress"], t.lang))
        out["interval"] = t(
            "measure2.goal.interval",
            interval=t(
                "measure2.interval." + ("poisson" if g.get("kind") == "count_month" else "welch")
            ),
        )
    elif g.get("rate_ratio") is not None:
        change = g["rate_ratio"] - 1
        out["progress"] = t(
            "goals.progress.count",
            a=g["baseline_count"],
            period=g["baseline_period"],
            b=g["current_count"],
            change=fmt.pct(change, t.lang) if change < 0 else "+" + fmt.pct(change, t.lang),
            ci=fmt.ratio_ci(g, t.lang),
        )
        if g.get("progress") is not None:
            out["progress"] += " " + t("goals.progress.share", share=fmt.pct(g["progress"], t.lang))
    else:
        out["progress"] = g.get("error") or ""
    if g.get("days_left") is not None:
        out["deadline"] = (
            t("goals.deadline.left", days=g["days_left"], day=t.date(g["deadline"]))
            if g["days_left"] >= 0
            else t("goals.deadline.passed", day=t.date(g["deadline"]))
        )
    return out


def indicator_label(taxonomy, indicator: str, t: Translator) -> str:
    """`crimes:violent_crime` as the meeting says it: "Reported crimes: violent crime"."""
    if indicator == "status":
        return t("goals.indicator.status")
    layer, _, code = indicator.partition(":")
    head = t("layer." + layer) if t.has("layer." + layer) else layer
    if layer == "measurements" and code:  # measurements:METRIC[:GROUP] in words
        from lagesbild.services.measurements import group_label

        metric, _, group = code.partition(":")
        words = taxonomy.metric_or_plain(metric).label(t.lang)
        head = t("measure2.layer")
        return f"{head}: {words}" + (f" ({group_label(group, t.lang, taxonomy)})" if group else "")
    if not code:
        return head
    cat = taxonomy.get(layer, code)
    return f"{head}: {t.label(cat) if cat else t('goals.indicator.group', group=code)}"


def indicator_choices(taxonomy, t: Translator) -> list[tuple[str, str]]:
    """(value, label) of the indicators a new goal may follow."""
    out = [("status", indicator_label(taxonomy, "status", t))]
    for layer in ("crimes", "observations"):
        out.append((layer, indicator_label(taxonomy, layer, t)))
        for code in taxonomy.codes(layer):
            value = f"{layer}:{code}"
            out.append((value, indicator_label(taxonomy, value, t)))
    for metric in taxonomy.metrics():  # goals on place measurements (issue 23)
        value = f"measurements:{metric.code}"
        out.append((value, indicator_label(taxonomy, value, t)))
        if metric.code == "people_observed":  # by group, as the observation rounds count
            for group in taxonomy.observed_groups():
                v = f"{value}:{group.code}"
                out.append((v, indicator_label(taxonomy, v, t)))
    return out


def goal_views(goals: list[dict[str, Any]], t: Translator, store) -> list[dict[str, Any]]:
    """The dashboard's goals with their words and chart models, as the pages show them."""
    tz = store.tz
    return [
        {
            **g,
            "indicator_label": indicator_label(store.taxonomy, g["indicator"], t),
            "words": _words(g, t),
            "chart": chart_model(g, tz) if g["indicator"] != "status" else None,
            "rounds_chart": _rounds_model(g) if g["indicator"] == "status" else None,
        }
        for g in goals
    ]


def ranking_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The week's places with their all-records counts this week (b) and the week before (a)."""
    for r in rows:
        r["b"] = r["crimes_now"] + r["observations_now"]
        r["a"] = r["crimes_before"] + r["observations_before"]
    return rows


def ratio_weeks(r: dict[str, Any], lang: str) -> str:
    """This week against the four weeks before, or "too few to compare"."""
    w = r["weeks_before"]
    return ratio_text({**w, "a": w["count"], "b": r["b"]}, lang, "a", "b")
