"""Store queries for the meetings and reports that `services.analyse` has no function for: the
records of a period in a place, observations per organisation, the roster, activation events,
action items, the place hierarchy. Every query filters with `store.access.visible`.

Counts by category against an earlier period are the place's own rows of `analyse indicators`
(`services.analyse.indicators.place_rows`), over the briefing's periods between instants (the
previous briefing at 18:00), so a briefing's rate ratio is the engine's figure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from lagesbild.domain.model import ActionStatus, Viewer
from lagesbild.domain.periods import Period
from lagesbild.services import data
from lagesbild.services.analyse import indicators
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import (
    action_items,
    activation_events,
    assignments,
    briefings,
    organisations,
    places,
    roster_entries,
)


def category_rows(
    store: Store,
    viewer: Viewer,
    place: data.PlaceGeo,
    before: Period,
    now: Period,
    layer: str,
) -> list[dict[str, Any]]:
    """Per category: count before and now, per hectare, and the rate ratio now/before with its
    exact 95 % interval (exposure hectare-days, as `analyse indicators`)."""
    return indicators.place_rows(store, viewer, place, before, now, layer)


def records_in(
    store: Store,
    viewer: Viewer,
    layer: str,
    place_id: int,
    period: Period,
    categories: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The records of a layer assigned to a place in a period, oldest first."""
    t = data.POINT_TABLES[layer]
    cols = [t.c.id, t.c.occurred_at, t.c.category, organisations.c.name.label("organisation")]
    if layer == "observations":
        cols += [t.c["count"], t.c.text]
    q = (
        select(*cols)
        .join(assignments, and_(assignments.c.record_id == t.c.id, assignments.c.layer == layer))
        .join(organisations, organisations.c.id == t.c.owner_org_id)
        .where(
            assignments.c.place_id == place_id,
            assignments.c.round_id == 0,
            t.c.occurred_at >= period.start,
            t.c.occurred_at < period.end,
            visible(t, viewer),
        )
        .order_by(t.c.occurred_at, t.c.id)
    )
    if categories is not None:
        q = q.where(t.c.category.in_(categories))
    with store.read() as conn:
        return [{"layer": layer, **dict(r)} for r in conn.execute(q).mappings()]


def observations_by_organisation(
    store: Store, viewer: Viewer, place_id: int, period: Period
) -> list[dict[str, Any]]:
    """Reports and people/items reported (`count`) per organisation, most reports first."""
    from sqlalchemy import func

    t = data.POINT_TABLES["observations"]
    q = (
        select(
            organisations.c.name,
            func.count().label("reports"),
            func.sum(func.coalesce(t.c["count"], 1)).label("counted"),
        )
        .join(
            assignments,
            and_(assignments.c.record_id == t.c.id, assignments.c.layer == "observations"),
        )
        .join(organisations, organisations.c.id == t.c.owner_org_id)
        .where(
            assignments.c.place_id == place_id,
            assignments.c.round_id == 0,
            t.c.occurred_at >= period.start,
            t.c.occurred_at < period.end,
            visible(t, viewer),
        )
        .group_by(organisations.c.name)
    )
    with store.read() as conn:
        rows = [
            {"organisation": n, "reports": int(r), "counted": int(c or 0)}
            for n, r, c in conn.execute(q)
        ]
    return sorted(rows, key=lambda r: (-r["reports"], r["organisation"]))


def family(store: Store, viewer: Viewer, place_id: int) -> list[int]:
    """The place and every place below it (parent_id), as ids."""
    with store.read() as conn:
        rows = conn.execute(select(places.c.id, places.c.parent_id).where(visible(places, viewer)))
        children: dict[int | None, list[int]] = {}
        for pid, parent in rows:
            children.setdefault(parent, []).append(pid)
    out, todo = [], [place_id]
    while todo:
        pid = todo.pop()
        if pid not in out:
            out.append(pid)
            todo += children.get(pid, [])
    return out


def place_names(store: Store, viewer: Viewer) -> dict[int, str]:
    with store.read() as conn:
        rows = conn.execute(select(places.c.id, places.c.name).where(visible(places, viewer)))
        return {pid: name for pid, name in rows}


def roster(
    store: Store,
    viewer: Viewer,
    start: datetime,
    end: datetime,
    place_ids: list[int],
    briefing_id: int | None = None,
) -> list[dict[str, Any]]:
    """Roster entries overlapping [start, end) at the places (or with no place, or entered for
    the briefing): organisation, role, headcount, from, to, where."""
    t = roster_entries
    where_place = or_(t.c.place_id.in_(place_ids), t.c.place_id.is_(None))
    if briefing_id is not None:
        where_place = or_(where_place, t.c.briefing_id == briefing_id)
    q = (
        select(
            t.c.id,
            organisations.c.name.label("organisation"),
            t.c.role,
            t.c.headcount,
            t.c.starts_at,
            t.c.ends_at,
            places.c.name.label("place"),
        )
        .join(organisations, organisations.c.id == t.c.organisation_id)
        .outerjoin(places, places.c.id == t.c.place_id)
        .where(t.c.starts_at < end, t.c.ends_at > start, where_place, visible(t, viewer))
        .order_by(t.c.starts_at, organisations.c.name, t.c.id)
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def activations(
    store: Store, viewer: Viewer, start: datetime, end: datetime, place: data.PlaceGeo
) -> list[dict[str, Any]]:
    """Activation events overlapping [start, end) at the place, a place below it, or whose
    location lies in the place's box."""
    t = activation_events
    ids = family(store, viewer, place.id)
    minx, miny, maxx, maxy = place.geom_wgs84.bounds
    in_box = and_(t.c.maxx >= minx, t.c.minx <= maxx, t.c.maxy >= miny, t.c.miny <= maxy)
    q = (
        select(
            t.c.id, t.c.title, t.c.kind, t.c.starts_at, t.c.ends_at, places.c.name.label("place")
        )
        .outerjoin(places, places.c.id == t.c.place_id)
        .where(
            t.c.starts_at < end,
            t.c.ends_at > start,
            or_(t.c.place_id.in_(ids), and_(t.c.minx.is_not(None), in_box)),
            visible(t, viewer),
        )
        .order_by(t.c.starts_at, t.c.id)
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def open_actions(
    store: Store, viewer: Viewer, place_ids: list[int], at: datetime
) -> list[dict[str, Any]]:
    """Action items at the places that were open at `at`: created by then and not done by then
    (a done item shows in every briefing until the one after it was done); cancelled items do
    not show."""
    t = action_items
    b = briefings.alias("b")
    q = (
        select(
            t.c.id,
            t.c.text,
            organisations.c.name.label("responsible"),
            t.c.due_date,
            t.c.status,
            t.c.briefing_id,
            t.c.created_at,
            t.c.done_at,
        )
        .join(organisations, organisations.c.id == t.c.responsible_org_id)
        .outerjoin(b, b.c.id == t.c.briefing_id)
        .where(
            or_(t.c.place_id.in_(place_ids), b.c.place_id.in_(place_ids)),
            t.c.created_at <= at,
            or_(
                t.c.status == ActionStatus.OPEN.value,
                and_(t.c.status == ActionStatus.DONE.value, t.c.done_at > at),
            ),
            visible(t, viewer),
        )
        .order_by(t.c.due_date.is_(None), t.c.due_date, t.c.id)
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def organisation_id(store: Store, name_or_code: str) -> int:
    """An organisation by name, code or id (organisations are not sensitive)."""
    from lagesbild.errors import NotFound
    from lagesbild.store.names import find_id

    with store.read() as conn:
        found = find_id(conn, organisations, name_or_code)
        if found is None:
            names = conn.execute(select(organisations.c.name).order_by(organisations.c.name))
            raise NotFound(
                f"unknown organisation {name_or_code!r}",
                "the organisations are: " + "; ".join(r[0] for r in names),
            )
    return int(found)
