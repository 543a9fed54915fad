"""The agendas of the three kinds of meeting, beside the generated picture they all keep:

- operational (samverkansuppställning): the picture since the last one, hot spots on a map with
  the nearest street's name, tonight's roster, open action items (`briefing.picture`);
- weekly (EST): the week's ranking of the district's places, the priorities set for the coming
  week, and feedback to each reporting organisation (`briefing.est`);
- forum (strategic): the goals with their indicator trends (`briefing.forum`), the decisions
  and the action items per organisation.

Read as the viewer, when the page or print is made (the agenda is the meeting's working view;
the stored picture stays what the briefing saw)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lagesbild.briefing import est, forum
from lagesbild.domain.model import Viewer
from lagesbild.errors import LagesbildError
from lagesbild.services import data
from lagesbild.store.engine import Store

FEEDBACK_WEEKS = 4


def _at(b: dict[str, Any], store: Store) -> datetime:
    at = b["at"]
    at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return at.astimezone(store.tz)


def _district(store: Store, viewer: Viewer, place_id: int) -> data.PlaceGeo:
    """The place the weekly picture ranks inside: the briefing's place when it has areas below
    it, else the place above it."""
    from sqlalchemy import select

    from lagesbild.store.schema import places

    place = data.place_by_id(store, viewer, place_id)
    if len(est.areas(store, viewer, place)) >= 2:
        return place
    with store.read() as conn:
        parent = conn.execute(select(places.c.parent_id).where(places.c.id == place_id)).scalar()
    return data.place_by_id(store, viewer, parent) if parent else place


def weekly(store: Store, viewer: Viewer, b: dict[str, Any]) -> dict[str, Any]:
    """The week before the meeting ranked, the coming week's priorities, feedback per
    organisation over the `FEEDBACK_WEEKS` weeks before (only those that reported)."""
    at = _at(b, store)
    district = _district(store, viewer, b["picture"]["place_id"])
    last_week = est.week_start(at.date()) - timedelta(days=7)
    picture = est.weekly_picture(store, viewer, district.name, last_week)
    coming = est.week_start(at.date()) + timedelta(days=7)
    start, end = at.date() - timedelta(days=7 * FEEDBACK_WEEKS), at.date() - timedelta(days=1)
    feedback = []
    for org in sorted({r["organisation"] for r in _reporters(store, viewer, start, end)}):
        fb = est.feedback(store, viewer, org, start, end)
        if fb["reports"]:
            feedback.append(fb)
    return {
        "district": district.name,
        "week": picture["week"],
        "ranking": picture["places"],
        "priorities_week": "{}-W{:02d}".format(*coming.isocalendar()[:2]),
        "priorities": est.priorities_on(store, viewer, coming),
        "feedback_from": start.isoformat(),
        "feedback_to": end.isoformat(),
        "feedback": feedback,
    }


def _reporters(store: Store, viewer: Viewer, start, end) -> list[dict]:
    from sqlalchemy import func, select

    from lagesbild.store.access import visible
    from lagesbild.store.schema import observations, organisations

    o = observations
    lo = datetime.combine(start, datetime.min.time(), store.tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), store.tz)
    q = (
        select(organisations.c.name.label("organisation"), func.count())
        .join(organisations, organisations.c.id == o.c.owner_org_id)
        .where(o.c.occurred_at >= lo, o.c.occurred_at < hi, visible(o, viewer))
        .group_by(organisations.c.name)
    )
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def forum_agenda(store: Store, viewer: Viewer, b: dict[str, Any]) -> dict[str, Any]:
    """The goals as of the latest month with data before the meeting, and the action items
    (open at it and added at it) grouped by the responsible organisation."""
    at = _at(b, store)
    month_end = forum.latest_month(store, viewer)
    first = at.date().replace(day=1) - timedelta(days=1)  # the month before the meeting's
    if month_end is None or month_end > first:
        month_end = first
    try:
        goals = forum.dashboard(store, viewer, month_end)
    except LagesbildError as exc:
        goals = {"goals": [], "error": exc.message, "month": f"{month_end:%Y-%m}"}
    items: dict[Any, dict] = {}
    for a in [*(b["picture"].get("actions") or []), *(b["minutes"].get("new_actions") or [])]:
        items[a["id"]] = a
    per_org: dict[str, list[dict]] = {}
    for a in items.values():
        per_org.setdefault(a.get("responsible") or "–", []).append(a)
    return {
        "month": goals["month"],
        "goals": goals["goals"],
        # the partnership's metrics, as the dashboard has them (`goal_measurements.agenda`)
        "metrics": goals.get("metrics") or [],
        "actions_by_organisation": dict(sorted(per_org.items())),
        "decisions": b["minutes"].get("decisions") or [],
    }


def agenda(store: Store, viewer: Viewer, b: dict[str, Any]) -> dict[str, Any] | None:
    """The kind's own agenda items; None for an operational briefing (its picture is it)."""
    if b.get("kind") == "weekly":
        return weekly(store, viewer, b)
    if b.get("kind") == "forum":
        return forum_agenda(store, viewer, b)
    return None
