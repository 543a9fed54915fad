"""The briefing's map data and the live briefing for the big screen.

- ``/briefings/{id}/map.geojson``: the place, its streets and the picture's hot spots named by
  the nearest street (the briefing page's `briefing-map`).
- ``/briefings/{id}/live``: the page; a map and the list (`live-events`) of what arrived since it
  opened, fed by ``/briefings/{id}/live/events``, a Server-Sent Events stream. Each event's
  ``id:`` is the cursor (the instant it was stored), so a dropped connection resumes where it
  stopped (the browser sends ``Last-Event-ID``); a ``ping`` every few seconds tells the page the
  server is still there. The stream ends after `STREAM_SECONDS` and the browser reconnects, so
  no request is held for ever.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from lagesbild.briefing import live, maps, service
from lagesbild.errors import ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import data
from lagesbild.web.lang import lang_of
from lagesbild.web.meeting_views import meeting_map_config
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.params import Id
from lagesbild.web.security import require_user

router = APIRouter(include_in_schema=False)
POLL_SECONDS = 2.0
PING_SECONDS = 5.0
STREAM_SECONDS = 300.0
RETRY_MS = 3000


@router.get("/briefings/{briefing_id}/map.geojson")
def briefing_map(request: Request, caller: CallerDep, briefing_id: Id) -> dict:
    require_user(caller)
    store = request.app.state.store
    b = service.get_briefing(store, caller.viewer, briefing_id)
    place = data.place_by_id(store, caller.viewer, b["picture"]["place_id"])
    feats = maps.place_features(store, caller.viewer, place)
    feats += maps.hotspot_features(store, caller.viewer, b["picture"])
    return {"type": "FeatureCollection", "features": feats}


@router.get("/briefings/{briefing_id}/live", response_class=HTMLResponse)
@page
def live_page(request: Request, caller: CallerDep, briefing_id: Id):
    need(caller)
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    b = service.get_briefing(store, caller.viewer, briefing_id)
    opened = datetime.now(UTC)
    return render(
        request,
        caller,
        "meeting_live.html",
        {
            "b": b,
            "opened": opened.isoformat(),
            "opened_local": opened.astimezone(store.tz).strftime("%H:%M:%S"),
            "map_config": meeting_map_config(t),
        },
    )


def _cursor(text: str | None) -> datetime:
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        raise ValidationError("since", f"{text!r} is not an ISO 8601 instant") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sse(event: str, payload: dict, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


@router.get("/briefings/{briefing_id}/live/events")
async def live_events(request: Request, caller: CallerDep, briefing_id: Id, since: str):
    """The stream; `since` (the page's opening instant) unless the browser resumes with
    Last-Event-ID. Access is checked once here and applies to every query of the stream."""
    require_user(caller)
    store = request.app.state.store
    lang = lang_of(request)
    b = await run_in_threadpool(service.get_briefing, store, caller.viewer, briefing_id)
    cursor = _cursor(request.headers.get("last-event-id") or since)
    viewer = caller.viewer

    async def stream():
        nonlocal cursor
        seen: set[str] = set()
        started = last_ping = time.monotonic()
        yield f"retry: {RETRY_MS}\n\n"
        yield _sse("ping", {"now": datetime.now(UTC).isoformat()})
        while time.monotonic() - started < STREAM_SECONDS:
            if await request.is_disconnected():
                return
            events = await run_in_threadpool(live.arrivals, store, viewer, b, cursor, lang)
            for e in events:
                if e["id"] in seen:
                    continue
                seen.add(e["id"])
                cursor = max(cursor, datetime.fromisoformat(e["at"]))
                e["feature"] = live.event_feature(e)
                yield _sse("item", e, cursor.isoformat())
            if time.monotonic() - last_ping >= PING_SECONDS:
                last_ping = time.monotonic()
                yield _sse("ping", {"now": datetime.now(UTC).isoformat()})
            await asyncio.sleep(POLL_SECONDS)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
