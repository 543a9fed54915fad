"""What arrives during a briefing, for the big screen (`/briefings/{id}/live`): field reports and
other observations and crimes stored in and around the briefing's place, and the briefing's
decisions and action items, each since an instant. Read with the viewer's access
(`store.access.visible`), so the screen shows only what the signed-in viewer may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import select

from lagesbild.domain.model import Viewer
from lagesbild.i18n import Translator
from lagesbild.services import data
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import action_items, decisions, organisations

AROUND_M = 300  # reports this near the place count as the meeting's
MAX_EVENTS = 200


def _when(value: datetime, store: Store) -> str:
    return value.astimezone(store.tz).strftime("%H:%M")


def arrivals(
    store: Store, viewer: Viewer, briefing: dict[str, Any], since: datetime, lang: str = "sv"
) -> list[dict[str, Any]]:
    """Events stored after `since` (created_at), oldest first, each with a stable ``id``
    (layer and row id) and ``at`` (when stored, ISO) for the stream's cursor."""
    t = Translator(lang, store.tz)
    place = data.place_by_id(store, viewer, briefing["picture"]["place_id"])
    area = place.geom.buffer(AROUND_M)
    minx, miny, maxx, maxy = store.projector.to_wgs84(area).bounds
    out: list[dict[str, Any]] = []
    with store.read() as conn:
        for layer in ("observations", "crimes"):
            tb = data.POINT_TABLES[layer]
            cols = [tb.c.id, tb.c.category, tb.c.occurred_at, tb.c.created_at, tb.c.geom]
            cols.append(organisations.c.name.label("organisation"))
            if layer == "observations":
                cols.append(tb.c.text)
            q = (
                select(*cols)
                .join(organisations, organisations.c.id == tb.c.owner_org_id)
                .where(
                    tb.c.created_at > since,
                    visible(tb, viewer),
                    tb.c.maxx >= minx,
                    tb.c.minx <= maxx,
                    tb.c.maxy >= miny,
                    tb.c.miny <= maxy,
                )
                .order_by(tb.c.created_at, tb.c.id)
                .limit(MAX_EVENTS)
            )
            for r in conn.execute(q).mappings():
                if not area.contains(store.projector.to_projected(r["geom"])):
                    continue
                cat = store.taxonomy.get(layer, r["category"])
                out.append(
                    {
                        "id": f"{layer}-{r['id']}",
                        "layer": layer,
                        "at": r["created_at"].isoformat(),
                        "time": _when(r["occurred_at"], store),
                        "label": t.label(cat) if cat else r["category"],
                        "text": (r.get("text") or "")[:200],
                        "organisation": r["organisation"],
                        "lon": r["geom"].x,
                        "lat": r["geom"].y,
                    }
                )
        for table, layer, key in (
            (decisions, "decisions", "meet.live.decision"),
            (action_items, "actions", "meet.live.action"),
        ):
            q = (
                select(table.c.id, table.c.text, table.c.created_at)
                .where(
                    table.c.briefing_id == briefing["id"],
                    table.c.created_at > since,
                    visible(table, viewer),
                )
                .order_by(table.c.created_at, table.c.id)
            )
            for r in conn.execute(q).mappings():
                out.append(
                    {
                        "id": f"{layer}-{r['id']}",
                        "layer": layer,
                        "at": r["created_at"].isoformat(),
                        "time": _when(r["created_at"], store),
                        "label": t(key),
                        "text": r["text"][:200],
                    }
                )
    out.sort(key=lambda e: (e["at"], e["id"]))
    return out[-MAX_EVENTS:]


def event_feature(event: dict[str, Any]) -> dict[str, Any] | None:
    """An arrival with a position as a map feature (kind ``event``)."""
    if event.get("lon") is None:
        return None
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(shapely.Point(event["lon"], event["lat"])),
        "properties": {"kind": "event", **event},
    }
