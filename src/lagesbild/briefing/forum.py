"""The strategic forum: goals with an indicator, a baseline, a target and a deadline, and the
monthly dashboard of progress per goal with its trend and uncertainty.

Indicators: ``crimes:CATEGORY`` or ``observations:CATEGORY`` (a code or a group such as
``drug-related``; ``crimes`` alone counts every category) for the goal's place, and ``status``
(the place's status in the latest mapping round: the goal is met when it is no longer listed).

For a count indicator the dashboard compares the last twelve months with the baseline period
through `services.analyse.indicators` (exact Poisson rate ratio and its 95 % interval, the same
figure `lagesbild analyse indicators` prints), and tests the monthly series of the last 24
months for a trend with Mann-Kendall (`analysis.mann_kendall`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update

from lagesbild import analysis as an
from lagesbild.briefing import goal_measurements
from lagesbild.briefing.counts import too_few
from lagesbild.domain.model import SYSTEM, WRITE_ROLES, Sensitivity, Viewer, parse_enum
from lagesbild.domain.periods import Period, parse_period
from lagesbild.errors import AccessDenied, LagesbildError, NotFound, ValidationError
from lagesbild.services import data
from lagesbild.services.analyse import indicators
from lagesbild.services.results import clean
from lagesbild.store import audit
from lagesbild.store.access import counted_for, visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import goals, places

TREND_MONTHS = 24


def latest_month(store: Store, viewer: Viewer) -> date | None:
    """The last day of the latest month with crimes `viewer` sees: the dashboards' default,
    since a month past the data would count missing data as zero. Crimes only, as the map's
    default period: they arrive by import in batches, while one field report filed today would
    otherwise move every meeting's default to a month with no crimes yet."""
    last = data.latest(store, viewer, "crimes")
    if last is None:
        return None
    day = last.astimezone(store.tz).date()
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def parse_indicator(store: Store, indicator: str) -> tuple[str, str | None]:
    """``status``, or (layer, category selector or None)."""
    text = (indicator or "").strip().lower()
    if text == "status":
        return "status", None
    layer, _, cat = text.partition(":")
    if layer == "measurements":  # METRIC[:GROUP]: see briefing.goal_measurements
        goal_measurements.parse(store, cat)
        return layer, cat
    if layer not in ("crimes", "observations"):
        raise ValidationError(
            "indicator",
            f"{indicator!r}: expected status, crimes[:CATEGORY], observations[:...] "
            "or measurements:METRIC[:GROUP]",
        )
    if cat:
        store.taxonomy.expand(layer, cat)  # raises on an unknown category
    return layer, cat or None


KEEP: Any = object()  # update_goal: a field left as it is


def _check_target(target_change: float | None, target_value: float | None) -> None:
    if target_change is not None and target_value is not None:
        raise ValidationError("target", "give either a change (e.g. -0.2) or a target value")
    if target_change is not None and not -1 <= target_change <= 10:
        raise ValidationError(
            "change", f"{target_change} is not a change from -1 (-100 %) upwards, e.g. -0.2"
        )
    if target_value is not None and target_value < 0:
        raise ValidationError("target", f"{target_value} is not a count (0 or more)")


def add_goal(
    store: Store,
    viewer: Viewer,
    title: str,
    place: str,
    indicator: str,
    *,
    baseline_period: str | None = None,
    target_change: float | None = None,
    target_value: float | None = None,
    deadline: date | None = None,
    sensitivity: str = "public",
    dry_run: bool = False,
) -> int:
    """A goal; a count goal's baseline value is counted now from the store. `dry_run` checks
    everything and writes nothing (returns 0): the template's preview."""
    if viewer != SYSTEM and viewer.role not in WRITE_ROLES:
        raise AccessDenied("your role may not add goals")
    if not title or not title.strip():
        raise ValidationError("title", "is empty; a goal needs a title")
    _check_target(target_change, target_value)
    p = data.find_place(store, viewer, place)
    layer, cat = parse_indicator(store, indicator)
    sensitivity = parse_enum(Sensitivity, sensitivity, "sensitivity").value
    with store.read() as conn:
        owner = viewer.organisation_id
        if owner is None:
            from lagesbild.briefing.service import _owner

            owner = _owner(conn, viewer)
    baseline_value = None
    if layer != "status":
        if not baseline_period:
            raise ValidationError("baseline", "a count goal needs a baseline period, e.g. 2022")
        period = parse_period(baseline_period, store.tz, "baseline")
        if period.end > datetime.now(UTC):
            raise ValidationError(
                "baseline", f"{baseline_period} has not ended yet; a baseline is a past period"
            )
        cats = store.taxonomy.expand(layer, cat) if cat and layer != "measurements" else None
        who = counted_for(sensitivity, owner)  # not the author's access: see store.access
        baseline_value = (
            goal_measurements.baseline_value(store, who, p.id, cat, period)
            if layer == "measurements"
            else float(sum(data.count_in(store, who, layer, p.id, 0, period, cats).values()))
        )
        if target_value is None and target_change is not None:
            digits = 2 if layer == "measurements" else 0  # a mean is no whole count
            target_value = float(round(baseline_value * (1 + target_change), digits))
    if dry_run:
        return 0
    now = datetime.now(UTC)
    with store.write() as conn:
        gid = conn.execute(
            insert(goals).values(
                title=title,
                place_id=p.id,
                indicator=indicator.strip().lower(),
                baseline_period=baseline_period,
                baseline_value=baseline_value,
                target_value=target_value,
                target_change=target_change,
                deadline=deadline,
                owner_org_id=owner,
                sensitivity=sensitivity,
                created_at=now,
                updated_at=now,
                created_by=viewer.user_id,
            )
        ).inserted_primary_key[0]
        audit.record(conn, viewer, "create", "goals", gid, title)
    return int(gid)


def list_goals(store: Store, viewer: Viewer, retired: bool = False) -> list[dict[str, Any]]:
    """The goals `viewer` sees; retired ones only with `retired`."""
    q = (
        select(goals, places.c.name.label("place"))
        .outerjoin(places, places.c.id == goals.c.place_id)
        .where(visible(goals, viewer))
        .order_by(goals.c.id)
    )
    if not retired:
        q = q.where(goals.c.retired_at.is_(None))
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def _writable_goal(conn, viewer: Viewer, goal_id: int) -> dict[str, Any]:
    if viewer != SYSTEM and viewer.role not in WRITE_ROLES:
        raise AccessDenied("your role may not change goals")
    row = conn.execute(select(goals).where(goals.c.id == goal_id, visible(goals, viewer))).first()
    if row is None:
        raise NotFound(f"no goal {goal_id}")
    return dict(row._mapping)


def update_goal(
    store: Store,
    viewer: Viewer,
    goal_id: int,
    *,
    title: str | None = None,
    target_change: float | None = None,
    target_value: float | None = None,
    deadline: date | None | object = KEEP,
) -> None:
    """Change a goal's title, target (a change or a value, as `add_goal`) or deadline; the
    indicator, place and baseline stay (a new measure is a new goal). `deadline` left out keeps
    the goal's deadline (the CLI's `goals edit`); None clears it (the page's empty field)."""
    if title is not None and not title.strip():
        raise ValidationError("title", "is empty; a goal needs a title")
    _check_target(target_change, target_value)
    with store.write() as conn:
        g = _writable_goal(conn, viewer, goal_id)
        values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
        if deadline is not KEEP:
            values["deadline"] = deadline
        if title is not None:
            values["title"] = title.strip()
        if target_change is not None:
            base = g["baseline_value"]
            digits = 2 if g["indicator"].startswith("measurements:") else 0  # as add_goal
            values["target_change"] = target_change
            values["target_value"] = (
                float(round(base * (1 + target_change), digits)) if base is not None else None
            )
        elif target_value is not None:
            values.update(target_value=target_value, target_change=None)
        conn.execute(update(goals).where(goals.c.id == goal_id).values(**values))
        audit.record(conn, viewer, "update", "goals", goal_id, values.get("title", g["title"]))


def retire_goal(store: Store, viewer: Viewer, goal_id: int) -> None:
    """The forum no longer follows the goal: kept, but off the dashboard."""
    with store.write() as conn:
        g = _writable_goal(conn, viewer, goal_id)
        now = datetime.now(UTC)
        conn.execute(
            update(goals).where(goals.c.id == goal_id).values(retired_at=now, updated_at=now)
        )
        audit.record(conn, viewer, "retire", "goals", goal_id, g["title"])


def _month_edges(store: Store, last_month_end: date, months: int) -> list[datetime]:
    y, m = last_month_end.year, last_month_end.month
    edges = []
    for k in range(months, -1, -1):
        yy, mm = divmod(y * 12 + (m - 1) - k + 1, 12)
        edges.append(datetime.combine(date(yy, mm + 1, 1), time(), store.tz))
    return edges


def monthly_counts(
    store: Store, viewer: Viewer, layer: str, place_id: int, cats, month: date, months: int
) -> tuple[list[str], list[int]]:
    """Counts per calendar month for the `months` months up to and including `month`."""
    edges = _month_edges(store, month, months)
    labels, counts = [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        period = Period(f"{a:%Y-%m}", a, b)
        counts.append(sum(data.count_in(store, viewer, layer, place_id, 0, period, cats).values()))
        labels.append(f"{a:%Y-%m}")
    return labels, counts


def _count_goal(store: Store, viewer: Viewer, g: dict, month: date) -> dict[str, Any]:
    layer, cat = parse_indicator(store, g["indicator"])
    edges = _month_edges(store, month, 12)
    last_day = date.fromordinal(edges[-1].date().toordinal() - 1)
    current = f"{edges[0].date()}..{last_day}"
    pa = parse_period(g["baseline_period"], store.tz)
    pb = parse_period(current, store.tz)
    place = data.find_place(store, viewer, g["place"])
    codes = (store.taxonomy.expand(layer, cat) if cat else None) or store.taxonomy.codes(layer)
    # the place's own rows of `analyse indicators` and its caveats, for the goal's categories
    rows = indicators.place_rows(store, viewer, place, pa, pb, layer, codes)
    _presence, notes = indicators.caveats(store, viewer, place, pa, pb, layer, codes)
    a, b = sum(r["count_a"] for r in rows), sum(r["count_b"] for r in rows)
    if len(rows) == 1:
        row = rows[0]
        rr = (row["rate_ratio"], row["ci_low"], row["ci_high"], row["p_value"])
    else:  # a group of categories: the ratio of the summed counts, same exposure rule
        ha = rows[0]["area_a_ha"] if rows else 1.0
        r2 = an.rate_ratio(a, ha * pa.days, b, ha * pb.days)
        rr = (r2.ratio, r2.ci_low, r2.ci_high, r2.p_value)
    target_ratio = (
        1 + g["target_change"]
        if g["target_change"] is not None
        else (g["target_value"] / a if g["target_value"] is not None and a else None)
    )
    cats = store.taxonomy.expand(layer, cat) if cat else None
    labels, series = monthly_counts(store, viewer, layer, g["place_id"], cats, month, TREND_MONTHS)
    mk = an.mann_kendall(np.asarray(series, dtype=float))
    ratio, low, high, p = rr
    down = target_ratio is None or target_ratio <= 1  # a goal to reduce, or (rarely) to raise
    last = data.latest(store, viewer, layer)
    # the period's last month has no record: the period reaches past the data, its zeros are
    # missing data, so no ratio, interval or p-value (and no status but "no data")
    past_data = last is None or last < edges[-2]
    few = too_few(a, b)
    if past_data:
        status = "no data"
    elif few:
        status = "too few"
    elif target_ratio is None:
        status = "no target"
    elif (high < target_ratio) if down else (low > target_ratio):
        status = "met"  # even the far end of the interval is past the target
    elif (ratio <= target_ratio) if down else (ratio >= target_ratio):
        status = "on track"  # at the target, but the interval still reaches back over it
    else:
        status = "not yet"
    progress = (1 - ratio) / (1 - target_ratio) if target_ratio not in (None, 1) else None
    if past_data or few:
        ratio = low = high = p = progress = None
    trend_p = float(mk.p)
    return {
        "past_data": past_data,
        "data_ends": last.astimezone(store.tz).date() if last is not None else None,
        "too_few": few,
        "baseline_count": a,
        "current_count": b,
        "current_period": current,
        "rate_ratio": ratio,
        "ci_low": low,
        "ci_high": high,
        "p_value": p,
        "target_ratio": target_ratio,
        "progress": progress,
        "status": status,
        "trend": {
            "months": labels,
            "counts": series,
            "tau": float(mk.tau),
            "z": float(mk.z),
            "p_value": trend_p,
            "direction": (
                "falling" if trend_p < 0.05 and mk.s < 0 else "rising" if trend_p < 0.05 else "none"
            ),
        },
        "notes": notes,
    }


def _status_goal(store: Store, viewer: Viewer, g: dict) -> dict[str, Any]:
    p = data.find_place(store, viewer, g["place"])
    ext = data.place_extents(store, viewer, p)
    rounds = [{"round": e.round, "status": e.status, "area_ha": e.geom.area / 1e4} for e in ext]
    latest = rounds[-1] if rounds else None
    listed = latest is not None and latest["status"] == "listed"
    return {
        "rounds": rounds,
        "latest_round": latest["round"] if latest else None,
        "latest_status": latest["status"] if latest else None,
        # no mapping round has assessed the place: nothing says the scene is gone
        "status": "no data" if latest is None else "not yet" if listed else "met",
    }


def dashboard(store: Store, viewer: Viewer, month: str | date | None = None) -> dict:
    """Progress per goal as of the end of `month` (YYYY-MM; default the latest month with data,
    `latest_month`). The
    public (no sign-in) gets fixed calendar years with small counts suppressed
    (`briefing.forum_public`)."""
    if viewer.is_public:
        from lagesbild.briefing.forum_public import public_dashboard

        return public_dashboard(store, viewer, month, _dashboard)
    return _dashboard(store, viewer, month)


def _dashboard(store: Store, viewer: Viewer, month: str | date | None = None) -> dict:
    if month is None:
        end = latest_month(store, viewer)
        if end is None:  # no records at all: the last full month
            first = date.today().replace(day=1)
            end = date.fromordinal(first.toordinal() - 1)
    elif isinstance(month, date):
        end = month
    else:
        period = parse_period(str(month), store.tz, "month")
        end = date.fromordinal(period.end.date().toordinal() - 1)
    out = []
    for g in list_goals(store, viewer):
        item = {
            k: g[k]
            for k in (
                "id",
                "title",
                "place",
                "indicator",
                "baseline_period",
                "baseline_value",
                "target_value",
                "target_change",
                "deadline",
            )
        }
        if g["deadline"] is not None:
            item["days_left"] = (g["deadline"] - end).days
        try:
            if g["indicator"] == "status":
                item.update(_status_goal(store, viewer, g))
            elif g["indicator"].startswith("measurements:"):
                who = counted_for(g["sensitivity"], g["owner_org_id"])
                item.update(
                    goal_measurements.goal_figures(store, who, g, end, public=viewer.is_public)
                )
            else:  # the same figures for everyone who sees the goal
                who = counted_for(g["sensitivity"], g["owner_org_id"])
                item.update(_count_goal(store, who, g, end))
        except LagesbildError as exc:
            item.update(status="cannot compute", error=exc.message)
        out.append(item)
    metrics = goal_measurements.agenda(store, viewer, end)  # the partnership's metrics
    return clean({"as_of": end, "month": f"{end:%Y-%m}", "goals": out, "metrics": metrics})
