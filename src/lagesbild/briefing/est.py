"""EST (*Effektiv samordning för trygghet*): the weekly picture of a district with its places
ranked by what happened, the weekly meeting's priority places per organisation for the coming
week, the four-monthly ranking of areas by need (level and trend), and feedback to each
reporting organisation on what its reports led to.

Figures come from the analysis engine: counts per place from `services.data.count_in` (the
assignment join behind `analyse indicators`), rate ratios from `analysis.rate_ratio` (exact),
rates per hectare with `analysis.poisson_interval` (Garwood).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, select

from lagesbild import analysis as an
from lagesbild.briefing import figures
from lagesbild.domain.model import SYSTEM, WRITE_ROLES, Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import AccessDenied, ValidationError
from lagesbild.services import data
from lagesbild.services.results import clean
from lagesbild.store import audit
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import (
    action_items,
    assignments,
    briefings,
    decisions,
    observations,
    organisations,
    places,
    priorities,
)

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
AREA_KINDS = ("scene", "priority_place", "comparison_area")
WEEKS_BEFORE = 4


def week_start(value: str | date) -> date:
    """The Monday of an ISO week `2024-W48`, or of the week a date falls in."""
    if isinstance(value, date):
        return value - timedelta(days=value.weekday())
    text = str(value).strip()
    if m := _WEEK.match(text):
        try:
            return date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            raise ValidationError("week", f"{text!r} is not an ISO week") from None
    try:
        return week_start(date.fromisoformat(text))
    except ValueError:
        raise ValidationError("week", f"{text!r}: expected 2024-W48 or a date") from None


def _week_period(store: Store, monday: date) -> Period:
    start = datetime.combine(monday, time(), store.tz)
    end = datetime.combine(monday + timedelta(days=7), time(), store.tz)
    iso = monday.isocalendar()
    return Period(f"{iso.year}-W{iso.week:02d}", start, end)


def areas(store: Store, viewer: Viewer, district: data.PlaceGeo) -> list[data.PlaceGeo]:
    """The places below a district (or a municipality), the district itself excluded."""
    ids = [i for i in figures.family(store, viewer, district.id) if i != district.id]
    with store.read() as conn:
        rows = conn.execute(
            select(*data.PLACE_COLUMNS)
            .where(places.c.id.in_(ids), visible(places, viewer))
            .order_by(places.c.name)
        ).all()
    return [data.place_geo(store, r) for r in rows]


def _severity(store: Store, layer: str, code: str) -> int:
    cat = store.taxonomy.get(layer, code)
    return cat.severity if cat else 1


def weekly_picture(store: Store, viewer: Viewer, district: str, week: str | date) -> dict:
    """Each place of the district in the week against the week before: counts per layer, the
    severity-weighted score (count x severity 1-3) that ranks them, the rate ratio of all
    records with its exact interval, and the priority places already set for the week."""
    d = data.find_place(store, viewer, district)
    monday = week_start(week)
    now = _week_period(store, monday)
    before = now.previous()
    # the weeks before: a single week is noisy, so the change is also given against the mean
    # of the `WEEKS_BEFORE` weeks before (a rate ratio per day, exact interval)
    weeks = Period(
        f"{WEEKS_BEFORE} weeks before", now.start - WEEKS_BEFORE * (now.end - now.start), now.start
    )
    rows = []
    for p in areas(store, viewer, d):
        rec: dict[str, Any] = {"place": p.name, "place_id": p.id, "kind": p.kind, "score": 0}
        total_a = total_b = total_w = 0
        for layer in ("crimes", "observations"):
            ca = data.count_in(store, viewer, layer, p.id, 0, before, None)
            total_w += sum(data.count_in(store, viewer, layer, p.id, 0, weeks, None).values())
            cb = data.count_in(store, viewer, layer, p.id, 0, now, None)
            rec[f"{layer}_now"], rec[f"{layer}_before"] = sum(cb.values()), sum(ca.values())
            rec["score"] += sum(n * _severity(store, layer, c) for c, n in cb.items())
            rec[f"{layer}_severe"] = sum(
                n for c, n in cb.items() if _severity(store, layer, c) >= 3
            )
            total_a, total_b = total_a + sum(ca.values()), total_b + sum(cb.values())
        rr = an.rate_ratio(total_a, before.days, total_b, now.days)
        rec.update(rate_ratio=rr.ratio, ci_low=rr.ci_low, ci_high=rr.ci_high, p_value=rr.p_value)
        rw = an.rate_ratio(total_w, weeks.days, total_b, now.days)
        rec["weeks_before"] = {
            "count": total_w,
            "mean_per_week": total_w / WEEKS_BEFORE,
            "rate_ratio": rw.ratio,
            "ci_low": rw.ci_low,
            "ci_high": rw.ci_high,
            "p_value": rw.p_value,
        }
        rows.append(rec)
    rows.sort(key=lambda r: (-r["score"], r["place"]))
    for rank, r in enumerate(rows, start=1):
        r["rank"] = rank
    return clean(
        {
            "district": d.name,
            "week": now.label,
            "week_start": monday,
            "from": now.start,
            "to": now.end,
            "places": rows,
            "priorities": priorities_on(store, viewer, monday),
            "method": "places ranked by severity-weighted count (crimes and observations, "
            "count x severity 1-3); rate ratio this week / the week before, and per day against "
            f"the {WEEKS_BEFORE} weeks before (weeks_before), exact 95 % intervals",
        }
    )


# ---------------------------------------------------------------- priorities


def set_priority(
    store: Store,
    viewer: Viewer,
    week: str | date,
    place: str,
    organisation: str,
    note: str | None = None,
    briefing_id: int | None = None,
    geometry: dict | None = None,
) -> int:
    """The weekly meeting's decision: `organisation` gives priority to `place` in the week,
    the whole place or (`geometry`, GeoJSON in WGS84) a point or small area drawn inside it."""
    if viewer != SYSTEM and viewer.role not in WRITE_ROLES:
        raise AccessDenied("your role may not set priorities")
    monday = week_start(week)
    p = data.find_place(store, viewer, place)
    org = figures.organisation_id(store, organisation)
    drawn = _drawn(store, p, geometry) if geometry else None
    now = datetime.now(UTC)
    with store.write() as conn:
        existing = conn.execute(
            select(priorities.c.id).where(
                priorities.c.week_start == monday,
                priorities.c.place_id == p.id,
                priorities.c.organisation_id == org,
                priorities.c.geom.is_(None),
            )
        ).scalar()
        if existing is not None and drawn is None:  # the whole place, once per organisation
            return int(existing)
        owner = viewer.organisation_id or org
        pid = conn.execute(
            insert(priorities).values(
                week_start=monday,
                place_id=p.id,
                organisation_id=org,
                briefing_id=briefing_id,
                note=note,
                geom=drawn,
                owner_org_id=owner,
                sensitivity="shared",
                created_at=now,
                updated_at=now,
                created_by=viewer.user_id,
            )
        ).inserted_primary_key[0]
        audit.record(conn, viewer, "create", "priorities", pid, f"{p.name} {monday}")
    return int(pid)


MAX_PRIORITY_HA = 5.0  # a priority drawn on the map is a spot or a small area, not a district
NEAR_PLACE_M = 100


def _drawn(store: Store, place: data.PlaceGeo, geometry: dict):
    """A drawn priority's shape (WGS84): a point or a polygon of at most `MAX_PRIORITY_HA`
    inside the place (or within `NEAR_PLACE_M` of it)."""
    import shapely
    from shapely.errors import GEOSException

    try:
        g = shapely.geometry.shape(geometry)
    except (GEOSException, AttributeError, KeyError, TypeError, ValueError, IndexError):
        raise ValidationError("geometry", "expected a GeoJSON Point or Polygon") from None
    if g.geom_type not in ("Point", "Polygon") or g.is_empty or not g.is_valid:
        raise ValidationError("geometry", f"a {g.geom_type}: expected a Point or a valid Polygon")
    projected = store.projector.to_projected(g)
    if projected.area / 1e4 > MAX_PRIORITY_HA:
        raise ValidationError(
            "geometry",
            f"{projected.area / 1e4:.1f} ha: a drawn priority is at most "
            f"{MAX_PRIORITY_HA:g} ha (prioritise the whole place instead)",
        )
    if projected.distance(place.geom) > NEAR_PLACE_M:
        raise ValidationError("geometry", f"lies outside {place.name}")
    return g


def remove_priority(store: Store, viewer: Viewer, priority_id: int) -> None:
    if viewer != SYSTEM and viewer.role not in WRITE_ROLES:
        raise AccessDenied("your role may not change priorities")
    with store.write() as conn:
        conn.execute(
            delete(priorities).where(priorities.c.id == priority_id, visible(priorities, viewer))
        )
        audit.record(conn, viewer, "delete", "priorities", priority_id)


def priorities_on(store: Store, viewer: Viewer, day: date) -> list[dict[str, Any]]:
    """The priority places of the week `day` falls in, per organisation, with the place's
    outline (``geometry``) and the point or area drawn at the meeting (``drawn``), WGS84
    GeoJSON, for the map."""
    import shapely

    monday = week_start(day)
    q = (
        select(
            priorities.c.id,
            priorities.c.week_start,
            priorities.c.place_id,
            places.c.name.label("place"),
            organisations.c.name.label("organisation"),
            priorities.c.note,
            places.c.geom,
            priorities.c.geom.label("drawn"),
        )
        .join(places, places.c.id == priorities.c.place_id)
        .join(organisations, organisations.c.id == priorities.c.organisation_id)
        .where(priorities.c.week_start == monday, visible(priorities, viewer))
        .order_by(places.c.name, organisations.c.name)
    )
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    for r in rows:
        g, d = r.pop("geom"), r.pop("drawn")
        r["geometry"] = shapely.geometry.mapping(g) if g is not None else None
        # the point or small area drawn at the meeting, if any (else the whole place)
        r["drawn"] = shapely.geometry.mapping(d) if d is not None else None
    return clean(rows)


# ---------------------------------------------------------------- ranking by need


RANKING_METHOD = (
    "level: records per hectare in the period, exact Poisson 95 % interval; trend: rate ratio "
    "per day against the period just before (as many calendar months, else as many days), "
    "exact 95 % interval; need = level x trend when p < 0.05, else level"
)


def previous_start(start: date, stop: date) -> date:
    """The first day of the period compared with [start, stop): whole calendar months are
    compared with as many calendar months before (2024 with 2023, not with the 366 days
    before 2024), other periods with as many days before."""
    if start.day == 1 and stop.day == 1:
        return _months_back(start, (stop.year - start.year) * 12 + stop.month - start.month)
    return start - (stop - start)


def _months_back(end: date, months: int) -> date:
    import calendar

    y, m = divmod(end.year * 12 + end.month - 1 - months, 12)
    return date(y, m + 1, min(end.day, calendar.monthrange(y, m + 1)[1]))


def ranking(
    store: Store,
    viewer: Viewer,
    district: str | data.PlaceGeo,
    end: date,
    months: int = 4,
    layer: str = "crimes",
    category: str | None = None,
    start: date | None = None,
) -> dict:
    """Areas ranked by need for the coming period: the level (records per hectare in the
    `months` up to and including the day `end`, with its exact Poisson interval) and the trend
    (rate ratio against the `months` before, exact interval). Need = level x trend when the
    trend is significant (p < 0.05), else the level alone: high and rising comes first.

    `start` (a report's first day) replaces `months`: the period is then [start, end] and the
    one before it as `previous_start` says. A period after the layer's last record ranks no
    area (`no_data`, `data_ends`): its zeros are missing data, not a fall."""
    if months < 1:
        raise ValidationError("months", "must be at least 1")
    # a report already holds its district; the CLI and the pages give its name
    d = (
        district
        if isinstance(district, data.PlaceGeo)
        else data.find_place(store, viewer, district)
    )
    stop = end + timedelta(days=1)  # `end` is the last day, included
    if start is None:
        start = _months_back(stop, months)
        first_before = _months_back(start, months)  # calendar months, as the docstring says
    elif start > end:
        raise ValidationError("start", "must not be after end")
    else:
        first_before = previous_start(start, stop)
    now = Period(
        f"{start}..{end}",
        datetime.combine(start, time(), store.tz),
        datetime.combine(stop, time(), store.tz),
    )
    before = Period(
        f"{first_before}..{start - timedelta(days=1)}",
        datetime.combine(first_before, time(), store.tz),
        now.start,
    )
    cats = store.taxonomy.expand(layer, category)
    result = {
        "district": d.name,
        "layer": layer,
        "category": category,
        "period": {"from": now.start, "to": now.end},
        "previous": {"from": before.start, "to": before.end},
        "months": months,
        "no_data": False,
        "data_ends": None,
        "method": RANKING_METHOD,
    }
    last = data.latest(store, viewer, layer)
    if last is None or last < now.start:
        last_day = last.astimezone(store.tz).date() if last is not None else None
        return clean({**result, "areas": [], "no_data": True, "data_ends": last_day})
    rows = []
    for p in areas(store, viewer, d):
        if p.kind not in AREA_KINDS:
            continue
        ha = p.geom.area / 1e4
        a = sum(data.count_in(store, viewer, layer, p.id, 0, before, cats).values())
        b = sum(data.count_in(store, viewer, layer, p.id, 0, now, cats).values())
        level = an.poisson_interval(b, ha)
        rr = an.rate_ratio(a, before.days, b, now.days)
        significant = rr.p_value < 0.05 and a + b > 0
        trend = "rising" if significant and rr.ratio > 1 else "falling" if significant else "stable"
        need = level.rate * (rr.ratio if significant else 1.0)
        rows.append(
            {
                "place": p.name,
                "kind": p.kind,
                "area_ha": ha,
                "count_before": a,
                "count_now": b,
                "per_ha": level.rate,
                "per_ha_low": level.ci_low,
                "per_ha_high": level.ci_high,
                "rate_ratio": rr.ratio,
                "ci_low": rr.ci_low,
                "ci_high": rr.ci_high,
                "p_value": rr.p_value,
                "trend": trend,
                "need": need,
            }
        )
    rows.sort(key=lambda r: (-r["need"], r["place"]))
    for rank, r in enumerate(rows, start=1):
        r["rank"] = rank
    return clean({**result, "areas": rows})


# ---------------------------------------------------------------- feedback to reporters


def feedback(
    store: Store, viewer: Viewer, organisation: str, date_from: date, date_to: date
) -> dict:
    """What an organisation's reports (observations) in [from, to] led to: how many, where,
    and at those places: the weeks they were priority places, the briefings held, the
    decisions taken and the action items set (and done)."""
    if date_to < date_from:
        raise ValidationError("to", f"{date_to} is before from {date_from}")
    org = figures.organisation_id(store, organisation)
    start = datetime.combine(date_from, time(), store.tz)
    end = datetime.combine(date_to + timedelta(days=1), time(), store.tz)
    o = observations
    mine = [o.c.owner_org_id == org, o.c.occurred_at >= start, o.c.occurred_at < end]
    with store.read() as conn:
        name = conn.execute(select(organisations.c.name).where(organisations.c.id == org)).scalar()
        by_cat = dict(
            conn.execute(
                select(o.c.category, func.count())
                .where(*mine, visible(o, viewer))
                .group_by(o.c.category)
            ).all()
        )
        by_place = conn.execute(
            select(places.c.id, places.c.name, places.c.kind, func.count())
            .select_from(o)
            .join(
                assignments,
                and_(assignments.c.record_id == o.c.id, assignments.c.layer == "observations"),
            )
            .join(places, places.c.id == assignments.c.place_id)
            .where(*mine, assignments.c.round_id == 0, visible(o, viewer))
            .group_by(places.c.id, places.c.name, places.c.kind)
        ).all()
        out_places = []
        for pid, pname, kind, n in sorted(by_place, key=lambda r: -r[3]):
            if kind in ("city", "district"):
                continue
            out_places.append(
                {"place": pname, "reports": n, **_led_to(conn, viewer, pid, start, end)}
            )
    return clean(
        {
            "organisation": name,
            "from": date_from,
            "to": date_to,
            "reports": sum(by_cat.values()),
            "by_category": dict(sorted(by_cat.items(), key=lambda kv: -kv[1])),
            "places": out_places,
        }
    )


def _led_to(conn, viewer: Viewer, place_id: int, start: datetime, end: datetime) -> dict:
    weeks = conn.execute(
        select(func.count(func.distinct(priorities.c.week_start))).where(
            priorities.c.place_id == place_id,
            priorities.c.week_start >= start.date(),
            priorities.c.week_start < end.date(),
            visible(priorities, viewer),
        )
    ).scalar_one()
    held = select(briefings.c.id).where(
        briefings.c.place_id == place_id,
        briefings.c.at >= start,
        briefings.c.at < end,
        visible(briefings, viewer),
    )
    n_briefings = conn.execute(select(func.count()).select_from(held.subquery())).scalar_one()
    n_decisions = conn.execute(
        select(func.count()).where(decisions.c.briefing_id.in_(held), visible(decisions, viewer))
    ).scalar_one()
    acts = conn.execute(
        select(action_items.c.status, func.count())
        .where(
            action_items.c.place_id == place_id,
            action_items.c.created_at >= start,
            action_items.c.created_at < end,
            visible(action_items, viewer),
        )
        .group_by(action_items.c.status)
    ).all()
    by_status = dict(acts)
    return {
        "priority_weeks": int(weeks),
        "briefings": int(n_briefings),
        "decisions": int(n_decisions),
        "action_items": int(sum(by_status.values())),
        "action_items_done": int(by_status.get("done", 0)),
    }
