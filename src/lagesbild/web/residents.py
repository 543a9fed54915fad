"""Residents' reports (a digital safety walk): a public form without log-in, rate-limited, and
held until a coordinator moderates it. Accepting a report creates an observation (through
`services.records.create_record`, as the moderator); rejecting or merging it creates nothing.
Nobody but a moderator ever sees a report that is not accepted. No personal data is asked.

Pages: GET/POST /residents (the form), GET /residents/moderate (coordinators and admins),
POST /residents/{id}/accept|reject|merge. API: POST /api/v1/resident-reports (public, JSON),
GET /api/v1/resident-reports (moderators), POST /api/v1/resident-reports/{id}/{action}.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from shapely.geometry import Point
from sqlalchemy import delete, func, insert, select, update

from lagesbild.domain.model import DELETE_ROLES, Viewer
from lagesbild.domain.values import MAX_INT, as_id
from lagesbild.errors import AccessDenied, LagesbildError, NotFound, ValidationError
from lagesbild.geo.region import Region
from lagesbild.i18n import Translator
from lagesbild.services import records
from lagesbild.store import audit
from lagesbild.store.engine import Store
from lagesbild.store.schema import rate_events, resident_reports
from lagesbild.web.headers import tile_config
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import need, page, render
from lagesbild.web.pages_field import (
    check_position,
    position_messages,
    region_config,
    with_messages,
)
from lagesbild.web.params import Id
from lagesbild.web.security import Caller, identify, remote_of, require_user

router = APIRouter()
CallerDep = Annotated[Caller, Depends(identify)]

CATEGORIES = ("unsafe_place", "lighting", "litter", "drug_litter")
# What an accepted report becomes in the observation taxonomy.
AS_OBSERVATION = {
    "unsafe_place": "other",
    "lighting": "lighting",
    "litter": "litter",
    "drug_litter": "drug_litter",
}
TEXT_MAX = 500
# A moderation's error (the ValidationError's field) -> its message key.
MOD_ERRORS = {"status": "mod.err.status", "into": "mod.err.into", "other": "mod.err.other"}
# Per sender (address) and in all: several app processes agree, since the events are stored.
RATE_PER_SENDER = int(os.environ.get("LAGESBILD_RESIDENT_RATE", "5"))
RATE_TOTAL = int(os.environ.get("LAGESBILD_RESIDENT_RATE_TOTAL", "500"))
RATE_WINDOW = timedelta(hours=1)


class RateLimited(LagesbildError):
    http_status = 429


# ------------------------------------------------------------------ store


def take_rate(store: Store, key: str, limit: int, window: timedelta = RATE_WINDOW) -> bool:
    """Count one event for `key`; False (and nothing counted) when `limit` events of the key
    already fall in the window. Old events are dropped on the way."""
    now = datetime.now(UTC)
    with store.write() as conn:
        conn.execute(delete(rate_events).where(rate_events.c.at < now - timedelta(days=1)))
        used = conn.execute(
            select(func.count()).where(rate_events.c.key == key, rate_events.c.at >= now - window)
        ).scalar_one()
        if used >= limit:
            return False
        conn.execute(insert(rate_events).values(key=key, at=now))
    return True


def check_report(values: dict[str, Any], region: Region) -> tuple[dict, dict[str, str]]:
    """(clean values, field errors as message keys) of a resident's report."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if values.get("category") not in CATEGORIES:
        errors["category"] = "err.category"
    else:
        clean["category"] = values["category"]
    position, position_errors = check_position(values, region)
    clean.update(position)
    errors.update(position_errors)
    text = str(values.get("text") or "").strip()
    if len(text) > TEXT_MAX:
        errors["text"] = "err.text_long"
    clean["text"] = text or None
    return clean, errors


def submit(store: Store, values: dict[str, Any], sender: str | None) -> int:
    """Store a resident's report as pending; raises ValidationError or RateLimited."""
    clean, errors = check_report(values, store.settings.region)
    if errors:
        field = next(iter(errors))
        raise ValidationError(field, errors[field])
    if not take_rate(store, f"resident:{sender or '-'}", RATE_PER_SENDER) or not take_rate(
        store, "resident:*", RATE_TOTAL
    ):
        raise RateLimited("too many reports from here just now; try again later")
    geom = Point(clean["lon"], clean["lat"])
    with store.write() as conn:
        return conn.execute(
            insert(resident_reports)
            .values(
                created_at=datetime.now(UTC),
                category=clean["category"],
                text=clean["text"],
                geom=geom,
                minx=geom.x,
                miny=geom.y,
                maxx=geom.x,
                maxy=geom.y,
                status="pending",
            )
            .returning(resident_reports.c.id)
        ).scalar_one()


def _moderator(viewer: Viewer) -> None:
    if viewer.role not in DELETE_ROLES:
        raise AccessDenied("only coordinators and administrators moderate residents' reports")


def list_reports(store: Store, viewer: Viewer, status: str | None = None, limit: int = 200):
    _moderator(viewer)
    t = resident_reports
    q = select(t).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
    if status == "done":
        q = q.where(t.c.status != "pending")
    elif status:
        q = q.where(t.c.status == status)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def _pending(conn, report_id: int) -> dict:
    row = (
        conn.execute(select(resident_reports).where(resident_reports.c.id == report_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no resident's report {report_id}")
    if row["status"] != "pending":
        raise ValidationError("status", f"the report is already {row['status']}")
    return dict(row)


def accept(
    store: Store,
    viewer: Viewer,
    report_id: int,
    category: str | None = None,
    remote: str | None = None,
) -> int:
    """Accept: create an observation as the moderator (idempotent per report) and mark the
    report accepted. Returns the observation's id."""
    _moderator(viewer)
    with store.read() as conn:
        row = _pending(conn, report_id)
    code = store.taxonomy.validate(
        "observations", category or AS_OBSERVATION.get(row["category"], "other")
    )
    props = {
        "category": code,
        "occurred_at": row["created_at"].astimezone(store.tz).strftime("%Y-%m-%d %H:%M"),
        "count": 1,
        "text": row["text"],
        "lat": row["geom"].y,
        "lon": row["geom"].x,
        "sensitivity": "shared",
    }
    obs_id, _created = records.create_record(
        store, "observations", viewer, props, None, f"resident-report-{report_id}", remote
    )
    _mark(store, viewer, report_id, "accepted", remote, observation_id=obs_id)
    return obs_id


def reject(store: Store, viewer: Viewer, report_id: int, remote: str | None = None) -> None:
    _moderator(viewer)
    with store.read() as conn:
        _pending(conn, report_id)
    _mark(store, viewer, report_id, "rejected", remote)


def merge(
    store: Store, viewer: Viewer, report_id: int, into: int, remote: str | None = None
) -> None:
    """Merge a report into another (a duplicate of the same thing): nothing new is created."""
    _moderator(viewer)
    if into == report_id:
        raise ValidationError("into", "a report cannot be merged into itself")
    with store.read() as conn:
        _pending(conn, report_id)
        target = conn.execute(
            select(resident_reports.c.status).where(resident_reports.c.id == into)
        ).scalar()
    if target is None or target in ("rejected", "merged"):
        raise ValidationError("into", f"report {into} is not one to merge into")
    _mark(store, viewer, report_id, "merged", remote, merged_into=into)


def _mark(store: Store, viewer: Viewer, report_id: int, status: str, remote, **extra) -> None:
    with store.write() as conn:
        done = conn.execute(
            update(resident_reports)
            .where(resident_reports.c.id == report_id, resident_reports.c.status == "pending")
            .values(
                status=status,
                moderated_by=viewer.user_id,
                moderated_at=datetime.now(UTC),
                **extra,
            )
        ).rowcount
        if not done:
            raise ValidationError("status", "the report was moderated meanwhile")
        audit.record(
            conn, viewer, "moderate", "resident_reports", report_id, f"{status} {extra}", remote
        )


# ------------------------------------------------------------------ pages


def _form_context(request: Request, values: dict, errors: dict, status: str | None = None):
    t = Translator(lang_of(request))
    region = request.app.state.store.settings.region
    return {
        "categories": [(c, t(f"res.cat.{c}")) for c in CATEGORIES],
        "values": values,
        "errors": with_messages(errors, position_messages(t, region)),
        "done": status,
        "text_max": TEXT_MAX,
        "config": {
            **tile_config(),
            "msg": t.js(),
            "lang": t.lang,
            "region": region_config(region),
        },
    }


@router.get("/residents", response_class=HTMLResponse)
@page
def residents_form(request: Request, caller: CallerDep):
    done = "thanks" if request.query_params.get("thanks") else None
    return render(request, caller, "residents.html", _form_context(request, {}, {}, done))


@router.post("/residents", response_class=HTMLResponse)
@page
async def residents_submit(request: Request, caller: CallerDep):
    form = {k: str(v) for k, v in (await request.form()).items()}
    if form.get("website"):  # a field people never see: only robots fill it in
        return RedirectResponse("/residents?thanks=1", status_code=303)
    try:
        submit(request.app.state.store, form, remote_of(request))
    except ValidationError as exc:
        _clean, errors = check_report(form, request.app.state.store.settings.region)
        ctx = _form_context(request, form, errors or {exc.field: exc.message})
        return render(request, caller, "residents.html", ctx, 400)
    except RateLimited:
        ctx = _form_context(request, form, {"form": "res.limited"})
        return render(request, caller, "residents.html", ctx, 429)
    return RedirectResponse("/residents?thanks=1", status_code=303)


@router.get("/residents/moderate", response_class=HTMLResponse)
@page
def moderation_page(request: Request, caller: CallerDep):
    need(caller, DELETE_ROLES)
    store = request.app.state.store
    t = Translator(lang_of(request))
    pending = list_reports(store, caller.viewer, "pending")
    done = list_reports(store, caller.viewer, "done", 50)
    obs_cats = [
        (c, t.label(store.taxonomy.get("observations", c)))
        for c in store.taxonomy.codes("observations")
    ]
    targets = [r for r in pending + done if r["status"] in ("pending", "accepted")]
    return render(
        request,
        caller,
        "moderate.html",
        {
            "pending": pending,
            "done": done,
            "obs_categories": obs_cats,
            "as_observation": AS_OBSERVATION,
            "targets": targets,
            "error": MOD_ERRORS.get(request.query_params.get("error") or ""),
        },
    )


@router.post("/residents/{report_id}/{action}")
@page
async def moderate_submit(request: Request, caller: CallerDep, report_id: Id, action: str):
    need(caller, DELETE_ROLES)
    store = request.app.state.store
    form = await request.form()
    remote = remote_of(request)
    try:
        if action == "accept":
            accept(store, caller.viewer, report_id, str(form.get("category") or "") or None, remote)
        elif action == "reject":
            reject(store, caller.viewer, report_id, remote)
        elif action == "merge":
            into = as_id(str(form.get("into") or ""))
            if into is None:
                raise ValidationError("into", "choose a report to merge into")
            merge(store, caller.viewer, report_id, into, remote)
        else:
            raise NotFound(f"no action {action}")
    except ValidationError as exc:
        # a message key, not the (English) text: shown in the page's language, and a link can
        # put no text of its own on the page
        code = exc.field if exc.field in MOD_ERRORS else "other"
        return RedirectResponse(f"/residents/moderate?error={code}#r{report_id}", status_code=303)
    return RedirectResponse("/residents/moderate", status_code=303)


# ------------------------------------------------------------------ API


class ResidentReportIn(BaseModel):
    category: str = Field(description="unsafe_place, lighting, litter or drug_litter")
    lat: float
    lon: float
    text: str | None = Field(None, max_length=TEXT_MAX)


class ModerationIn(BaseModel):
    category: str | None = Field(None, description="observation category when accepting")
    into: int | None = Field(None, ge=1, le=MAX_INT, description="report to merge into")


@router.post("/api/v1/resident-reports", tags=["residents"], status_code=202)
def api_submit(body: ResidentReportIn, request: Request, caller: CallerDep) -> dict:
    """A resident's report: held for moderation (202 Accepted), shown to nobody until then."""
    rid = submit(request.app.state.store, body.model_dump(), remote_of(request))
    return {"id": rid, "status": "pending"}


@router.get("/api/v1/resident-reports", tags=["residents"])
def api_list(request: Request, caller: CallerDep, status: str | None = "pending") -> list[dict]:
    require_user(caller)
    rows = list_reports(request.app.state.store, caller.viewer, status)
    return [
        {
            "id": r["id"],
            "created_at": r["created_at"].isoformat(),
            "category": r["category"],
            "text": r["text"],
            "lat": r["geom"].y,
            "lon": r["geom"].x,
            "status": r["status"],
            "observation_id": r["observation_id"],
            "merged_into": r["merged_into"],
        }
        for r in rows
    ]


@router.post("/api/v1/resident-reports/{report_id}/{action}", tags=["residents"])
def api_moderate(
    report_id: Id,
    action: str,
    request: Request,
    caller: CallerDep,
    body: Annotated[ModerationIn | None, Body()] = None,
) -> dict:
    require_user(caller)
    store, remote = request.app.state.store, remote_of(request)
    body = body or ModerationIn()
    if action == "accept":
        obs = accept(store, caller.viewer, report_id, body.category, remote)
        return {"id": report_id, "status": "accepted", "observation_id": obs}
    if action == "reject":
        reject(store, caller.viewer, report_id, remote)
        return {"id": report_id, "status": "rejected"}
    if action == "merge":
        if body.into is None:
            raise ValidationError("into", "give the report to merge into")
        merge(store, caller.viewer, report_id, body.into, remote)
        return {"id": report_id, "status": "merged", "merged_into": body.into}
    raise NotFound(f"no action {action}; expected accept, reject or merge")
