"""Briefings, EST and the strategic forum over HTTP: a JSON API under /api/v1/briefings (and
/api/v1/week, /api/v1/goals) and the printable page /briefings/{id}/print. The same service
functions as `lagesbild briefing|week|goals`; the caller's access applies (reads through
`store.access.visible`, changes need a writing role, and a locked briefing answers 409)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from lagesbild.briefing import est, forum, render, service
from lagesbild.errors import ValidationError
from lagesbild.web.params import Day, Id, Instant
from lagesbild.web.security import Caller, identify, require_user

router = APIRouter(tags=["briefings"])
CallerDep = Annotated[Caller, Depends(identify)]


class NewBriefing(BaseModel):
    place: str = Field(min_length=1, max_length=200)
    at: Instant = Field(description="ISO 8601; without an offset, local time of the store")
    since: Instant | None = None
    kind: str = Field(
        default="operational",
        pattern="^(operational|weekly|forum)$",
        description="operational (samverkansuppställning), weekly (EST) or forum (strategic)",
    )


class Attendance(BaseModel):
    organisations: list[str] = Field(min_length=1)
    present: bool = True


class Text(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class ActionIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    responsible: str = Field(min_length=1, max_length=200)
    due: Day | None = None


class ActionStatusIn(BaseModel):
    status: str = Field(pattern="^(open|done|cancelled)$")


class PriorityIn(BaseModel):
    week: str
    place: str
    organisation: str
    note: str | None = None
    briefing_id: int | None = None


def _local(request: Request, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=request.app.state.store.tz)


def _signed_in(caller: Caller):
    require_user(caller)
    return caller.viewer


@router.get("/api/v1/briefings")
def list_briefings(
    request: Request, caller: CallerDep, place: str | None = None, kind: str | None = None
) -> list[dict]:
    from lagesbild.services.results import clean

    return clean(service.list_briefings(request.app.state.store, caller.viewer, place, kind))


@router.post("/api/v1/briefings", status_code=201)
def new_briefing(request: Request, caller: CallerDep, body: NewBriefing) -> dict:
    store = request.app.state.store
    viewer = _signed_in(caller)
    bid = service.new_briefing(
        store,
        viewer,
        body.place,
        _local(request, body.at),
        period_from=_local(request, body.since),
        kind=body.kind,
    )
    return service.get_briefing(store, viewer, bid)


@router.get("/api/v1/briefings/{briefing_id}")
def get_briefing(request: Request, caller: CallerDep, briefing_id: Id) -> dict:
    return service.get_briefing(request.app.state.store, caller.viewer, briefing_id)


@router.post("/api/v1/briefings/{briefing_id}/attendance")
def attend(request: Request, caller: CallerDep, briefing_id: Id, body: Attendance) -> dict:
    names = service.attend(
        request.app.state.store, _signed_in(caller), briefing_id, body.organisations, body.present
    )
    return {"attendance": names}


@router.post("/api/v1/briefings/{briefing_id}/decisions", status_code=201)
def decide(request: Request, caller: CallerDep, briefing_id: Id, body: Text) -> dict:
    did = service.decide(request.app.state.store, _signed_in(caller), briefing_id, body.text)
    return {"id": did}


@router.post("/api/v1/briefings/{briefing_id}/actions", status_code=201)
def add_action(request: Request, caller: CallerDep, briefing_id: Id, body: ActionIn) -> dict:
    aid = service.add_action(
        request.app.state.store,
        _signed_in(caller),
        briefing_id,
        body.text,
        body.responsible,
        body.due,
    )
    return {"id": aid}


@router.post("/api/v1/briefings/actions/{item_id}/status")
def action_status(request: Request, caller: CallerDep, item_id: Id, body: ActionStatusIn) -> dict:
    service.set_action_status(request.app.state.store, _signed_in(caller), item_id, body.status)
    return {"id": item_id, "status": body.status}


@router.post("/api/v1/briefings/{briefing_id}/refresh")
def refresh(request: Request, caller: CallerDep, briefing_id: Id) -> dict:
    store = request.app.state.store
    service.refresh(store, _signed_in(caller), briefing_id)
    return service.get_briefing(store, caller.viewer, briefing_id)


@router.post("/api/v1/briefings/{briefing_id}/lock")
def lock(request: Request, caller: CallerDep, briefing_id: Id) -> dict:
    store = request.app.state.store
    service.lock(store, _signed_in(caller), briefing_id)
    return service.get_briefing(store, caller.viewer, briefing_id)


@router.get("/briefings/{briefing_id}/print", response_class=HTMLResponse)
def print_page(request: Request, caller: CallerDep, briefing_id: Id, lang: str = "sv"):
    store = request.app.state.store
    b = service.get_briefing(store, caller.viewer, briefing_id)
    return HTMLResponse(render.briefing_html(store, b, lang, caller.viewer))


@router.get("/briefings/{briefing_id}/print.pdf")
def print_pdf(request: Request, caller: CallerDep, briefing_id: Id, lang: str = "sv"):
    import tempfile
    from pathlib import Path

    store = request.app.state.store
    html = render.briefing_html(
        store, service.get_briefing(store, caller.viewer, briefing_id), lang, caller.viewer
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = render.write_pdf(html, Path(tmp) / "briefing.pdf")
        body = path.read_bytes()
    return Response(body, media_type="application/pdf")


# ---------------------------------------------------------------- EST and forum


@router.get("/api/v1/week/picture")
def week_picture(request: Request, caller: CallerDep, district: str, week: str) -> dict:
    return est.weekly_picture(request.app.state.store, caller.viewer, district, week)


@router.get("/api/v1/week/priorities")
def week_priorities(request: Request, caller: CallerDep, week: str) -> list[dict]:
    return est.priorities_on(request.app.state.store, caller.viewer, est.week_start(week))


@router.post("/api/v1/week/priorities", status_code=201)
def set_priority(request: Request, caller: CallerDep, body: PriorityIn) -> dict:
    pid = est.set_priority(
        request.app.state.store,
        _signed_in(caller),
        body.week,
        body.place,
        body.organisation,
        body.note,
        body.briefing_id,
    )
    return {"id": pid}


@router.get("/api/v1/week/ranking")
def week_ranking(
    request: Request,
    caller: CallerDep,
    district: str,
    to: Day,
    months: Annotated[int, Query(ge=1, le=36)] = 4,
    category: str | None = None,
) -> dict:
    return est.ranking(
        request.app.state.store, caller.viewer, district, to, months, category=category
    )


@router.get("/api/v1/week/feedback")
def week_feedback(
    request: Request,
    caller: CallerDep,
    organisation: str,
    date_from: Annotated[Day, Query(alias="from")],
    date_to: Annotated[Day, Query(alias="to")],
) -> dict:
    viewer = _signed_in(caller)
    if date_to < date_from:
        raise ValidationError("to", "must not be before from")
    return est.feedback(request.app.state.store, viewer, organisation, date_from, date_to)


@router.get("/api/v1/goals")
def goals(request: Request, caller: CallerDep, month: str | None = None) -> dict:
    return forum.dashboard(request.app.state.store, caller.viewer, month)
