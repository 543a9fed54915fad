"""Residents' reports (a digital safety walk): a public form without log-in, rate-limited, and
held until a coordinator moderates it. Accepting a report creates an observation (through
`services.records.create_record`, as the moderator); rejecting or merging it creates nothing.
Nobody but a moderator ever sees a report that is not accepted. No personal data is asked.

A report has the event's time, the place, a text and an optional photo (re-encoded without
EXIF by `services.photos`, shown to moderators only, never to the public). The sender gets a
reference and a private link, /residents/status/{token}, that shows only that report's stage:
received, under review, forwarded, closed. The moderator sees personal data in the text
highlighted (`services.redaction`), approves only the redacted text it edited (and the photo if
kept), rejects with a reason after a confirmation, and can undo its last decision.

Pages: GET/POST /residents (the form), GET /residents/status/{token}, GET /residents/moderate
(coordinators and admins; 401/403 otherwise), GET /residents/{id}/photo (the same),
POST /residents/{id}/accept|reject|merge, POST /residents/undo. API: POST
/api/v1/resident-reports (public, JSON), GET /api/v1/resident-reports (moderators),
POST /api/v1/resident-reports/{id}/{action}.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from shapely.geometry import Point
from sqlalchemy import delete, func, insert, select, update

from lagesbild.domain.model import DELETE_ROLES, Viewer
from lagesbild.domain.values import MAX_INT, as_id
from lagesbild.errors import AccessDenied, LagesbildError, NotFound, ValidationError
from lagesbild.geo.region import Region
from lagesbild.i18n import Translator
from lagesbild.services import photos, records, redaction
from lagesbild.store import audit
from lagesbild.store.engine import Store
from lagesbild.store.schema import rate_events, resident_photos, resident_reports
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
REASON_MAX = 300
EVENT_MAX_AGE = timedelta(days=365)  # an event's time older than this is a typing slip
# What a report's status is to the resident who sent it (nothing else of it is shown).
STAGES = ("received", "review", "forwarded", "closed")
# A moderation's error (the ValidationError's field) -> its message key.
MOD_ERRORS = {
    "status": "mod.err.status",
    "into": "mod.err.into",
    "other": "mod.err.other",
    "reason": "mod.err.reason",
    "text": "mod.err.text",
    "undo": "mod.err.undo",
}
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


def check_report(values: dict[str, Any], region: Region, tz=UTC) -> tuple[dict, dict[str, str]]:
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
    when, when_error = _event_time(values.get("occurred_at"), tz)
    clean["occurred_at"] = when
    if when_error:
        errors["occurred_at"] = when_error
    return clean, errors


def _event_time(raw: Any, tz) -> tuple[datetime | None, str | None]:
    """(the event's time, error key) from a local "YYYY-MM-DDTHH:MM"; none given is allowed
    (the report's own time is used), a time in the future or over a year back is not."""
    text = str(raw or "").strip()
    if not text:
        return None, None
    try:
        when = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        return None, "res.err.when"
    when = when.replace(tzinfo=tz) if when.tzinfo is None else when
    now = datetime.now(UTC)
    if when > now + timedelta(minutes=10) or when < now - EVENT_MAX_AGE:
        return None, "res.err.when"
    return when.astimezone(UTC), None


def submit(
    store: Store, values: dict[str, Any], sender: str | None, photo: bytes | None = None
) -> dict[str, Any]:
    """Store a resident's report as pending, with its photo re-encoded without EXIF; raises
    ValidationError or RateLimited and stores nothing then. Returns id, ref and token."""
    clean, errors = check_report(values, store.settings.region, store.tz)
    if errors:
        field = next(iter(errors))
        raise ValidationError(field, errors[field])
    jpeg = photos.reencode(photo) if photo else None  # a bad photo fails before anything
    if not take_rate(store, f"resident:{sender or '-'}", RATE_PER_SENDER) or not take_rate(
        store, "resident:*", RATE_TOTAL
    ):
        raise RateLimited("too many reports from here just now; try again later")
    geom = Point(clean["lon"], clean["lat"])
    now = datetime.now(UTC)
    ref = "LB-" + secrets.token_hex(3).upper()  # to quote on the phone: short, not a count
    token = secrets.token_urlsafe(24)  # the private status link: not guessable
    with store.write() as conn:
        rid = conn.execute(
            insert(resident_reports)
            .values(
                created_at=now,
                occurred_at=clean["occurred_at"],
                category=clean["category"],
                text=clean["text"],
                geom=geom,
                minx=geom.x,
                miny=geom.y,
                maxx=geom.x,
                maxy=geom.y,
                status="pending",
                ref=ref,
                token=token,
            )
            .returning(resident_reports.c.id)
        ).scalar_one()
        if jpeg:
            data, width, height = jpeg
            conn.execute(
                insert(resident_photos).values(
                    report_id=rid,
                    created_at=now,
                    mime="image/jpeg",
                    data=data,
                    width=width,
                    height=height,
                )
            )
    return {"id": rid, "ref": ref, "token": token}


def stage_of(row: dict) -> str:
    """What the sender sees: received, under review (a moderator has seen it), forwarded
    (accepted or merged into one that was), closed (rejected)."""
    if row["status"] in ("accepted", "merged"):
        return "forwarded"
    if row["status"] == "rejected":
        return "closed"
    return "review" if row["seen_at"] else "received"


def report_status(store: Store, token: str) -> dict[str, Any]:
    """A report's reference, category, times and stage by its private token: nothing of
    anyone else's, not even the moderator's text or reason."""
    t = resident_reports
    with store.read() as conn:
        row = (
            conn.execute(
                select(
                    t.c.ref, t.c.category, t.c.created_at, t.c.occurred_at, t.c.status, t.c.seen_at
                ).where(t.c.token == token, t.c.token.is_not(None))
            )
            .mappings()
            .first()
        )
    if row is None or not token:
        raise NotFound("no report with that link")
    return {**dict(row), "stage": stage_of(row)}


def mark_seen(store: Store, ids: list[int]) -> None:
    """The moderator has the reports in front of it: their senders see "under review"."""
    if ids:
        with store.write() as conn:
            conn.execute(
                update(resident_reports)
                .where(resident_reports.c.id.in_(ids), resident_reports.c.seen_at.is_(None))
                .values(seen_at=datetime.now(UTC))
            )


def photo_of(store: Store, viewer: Viewer, report_id: int) -> tuple[bytes, str]:
    """A report's photo for a moderator (the only ones who ever get it)."""
    _moderator(viewer)
    with store.read() as conn:
        row = conn.execute(
            select(resident_photos.c.data, resident_photos.c.mime).where(
                resident_photos.c.report_id == report_id
            )
        ).first()
    if row is None:
        raise NotFound(f"no photo with report {report_id}")
    return bytes(row[0]), row[1]


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
        rows = [dict(r) for r in conn.execute(q).mappings()]
        with_photo = set(
            conn.execute(
                select(resident_photos.c.report_id).where(
                    resident_photos.c.report_id.in_([r["id"] for r in rows])
                )
            ).scalars()
        )
    for r in rows:
        r["has_photo"] = r["id"] in with_photo
    return rows


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
    text: str | None = None,
    keep_photo: bool = False,
) -> int:
    """Accept: create an observation as the moderator (idempotent per report) and mark the
    report accepted. Only `text` (the moderator's redacted text; without one, the report's
    text with every finding of `services.redaction` removed) is copied, never the original;
    the photo goes with it only if `keep_photo`. The observation's id."""
    _moderator(viewer)
    with store.read() as conn:
        row = _pending(conn, report_id)
    code = store.taxonomy.validate(
        "observations", category or AS_OBSERVATION.get(row["category"], "other")
    )
    published = redaction.redact(row["text"]) if text is None else (text.strip() or None)
    if published and len(published) > TEXT_MAX:
        raise ValidationError("text", f"at most {TEXT_MAX} characters")
    when = row["occurred_at"] or row["created_at"]
    props = {
        "category": code,
        "occurred_at": when.astimezone(store.tz).strftime("%Y-%m-%d %H:%M"),
        "count": 1,
        "text": published,
        "lat": row["geom"].y,
        "lon": row["geom"].x,
        "sensitivity": "shared",
    }
    obs_id, _created = records.create_record(
        store, "observations", viewer, props, None, f"resident-report-{report_id}", remote
    )
    _mark(
        store,
        viewer,
        report_id,
        "accepted",
        remote,
        observation_id=obs_id,
        published_text=published,
    )
    with store.write() as conn:
        photo = resident_photos.c.report_id == report_id
        # not kept: never shown again, and gone with retention (kept until then for undo)
        conn.execute(update(resident_photos).where(photo).values(kept=keep_photo))
    return obs_id


def reject(
    store: Store,
    viewer: Viewer,
    report_id: int,
    remote: str | None = None,
    reason: str | None = None,
) -> None:
    """Reject with a reason (kept for the moderators, never shown to the sender)."""
    _moderator(viewer)
    reason = (reason or "").strip() or None
    if reason and len(reason) > REASON_MAX:
        raise ValidationError("reason", f"at most {REASON_MAX} characters")
    with store.read() as conn:
        _pending(conn, report_id)
    _mark(store, viewer, report_id, "rejected", remote, reason=reason)


def last_decision(store: Store, viewer: Viewer) -> dict | None:
    """The moderator's own latest decision that can still be undone."""
    _moderator(viewer)
    t = resident_reports
    with store.read() as conn:
        row = (
            conn.execute(
                select(t.c.id, t.c.status, t.c.observation_id)
                .where(t.c.moderated_by == viewer.user_id, t.c.status != "pending")
                .order_by(t.c.moderated_at.desc(), t.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def undo(store: Store, viewer: Viewer, remote: str | None = None) -> int:
    """Undo the moderator's last decision: the report is pending again and an observation
    made by accepting it is deleted. The report's id."""
    last = last_decision(store, viewer)
    if last is None:
        raise ValidationError("undo", "nothing to undo")
    if last["observation_id"]:
        with store.write() as conn:  # the report no longer points at what goes
            conn.execute(
                update(resident_reports)
                .where(resident_reports.c.id == last["id"])
                .values(observation_id=None)
            )
        records.delete_record(store, "observations", last["observation_id"], viewer, remote)
    with store.write() as conn:
        conn.execute(
            update(resident_reports)
            .where(resident_reports.c.id == last["id"])
            .values(
                status="pending",
                moderated_by=None,
                moderated_at=None,
                merged_into=None,
                reason=None,
                published_text=None,
            )
        )
        conn.execute(
            update(resident_photos)
            .where(resident_photos.c.report_id == last["id"])
            .values(kept=None)
        )
        audit.record(
            conn,
            viewer,
            "moderate",
            "resident_reports",
            last["id"],
            f"undo {last['status']}",
            remote,
        )
    return last["id"]


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
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    region = store.settings.region
    if "occurred_at" not in values:  # now, in the store's zone, as the phone would type it
        values = {**values, "occurred_at": datetime.now(store.tz).strftime("%Y-%m-%dT%H:%M")}
    return {
        "categories": [(c, t(f"res.cat.{c}")) for c in CATEGORIES],
        "values": values,
        "errors": with_messages(errors, position_messages(t, region)),
        "done": status,
        "text_max": TEXT_MAX,
        "photo_mb": photos.MAX_BYTES // (1024 * 1024),
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


PHOTO_ERRORS = {  # services.photos' message -> its key
    "the photo is larger than 10 MB": "res.err.photo_size",
}


@router.post("/residents", response_class=HTMLResponse)
@page
async def residents_submit(request: Request, caller: CallerDep):
    store = request.app.state.store
    form_data = {}
    photo: bytes | None = None
    try:
        # a body far past the photo's limit is refused before it is read
        if int(request.headers.get("content-length") or 0) > photos.MAX_BYTES + 256 * 1024:
            raise ValidationError("photo", "the photo is larger than 10 MB")
        raw = await request.form(max_files=1, max_fields=20)
        upload = raw.get("photo")
        form_data = {k: str(v) for k, v in raw.items() if k != "photo"}
        if upload is not None and not isinstance(upload, str) and upload.filename:
            photo = await photos.read_bounded(upload)
        if form_data.get("website"):  # a field people never see: only robots fill it in
            return RedirectResponse("/residents?thanks=1", status_code=303)
        sent = submit(store, form_data, remote_of(request), photo)
    except ValidationError as exc:
        _clean, errors = check_report(form_data, store.settings.region, store.tz)
        if exc.field == "photo":
            errors["photo"] = PHOTO_ERRORS.get(exc.message, "res.err.photo")
        ctx = _form_context(request, form_data, errors or {exc.field: exc.message})
        return render(request, caller, "residents.html", ctx, 400)
    except RateLimited:
        ctx = _form_context(request, form_data, {"form": "res.limited"})
        return render(request, caller, "residents.html", ctx, 429)
    return RedirectResponse(f"/residents/status/{sent['token']}?new=1", status_code=303)


@router.get("/residents/status/{token}", response_class=HTMLResponse)
@page
def status_page(request: Request, caller: CallerDep, token: str):
    if len(token) > 64:
        raise NotFound("no report with that link")
    report = report_status(request.app.state.store, token)
    response = render(
        request,
        caller,
        "resident_status.html",
        {"report": report, "stages": STAGES, "new": bool(request.query_params.get("new"))},
    )
    # the link is the key: not kept by caches, not sent on to other sites
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/residents/moderate", response_class=HTMLResponse)
@page
def moderation_page(request: Request, caller: CallerDep):
    if caller.user is None:  # 401, not a redirect that looks like a page (contract, issue 19)
        return render(request, caller, "message.html", {"kind": "mod.signin"}, 401)
    need(caller, DELETE_ROLES)
    store = request.app.state.store
    t = Translator(lang_of(request))
    pending = list_reports(store, caller.viewer, "pending")
    done = list_reports(store, caller.viewer, "done", 50)
    mark_seen(store, [r["id"] for r in pending])
    obs_cats = [
        (c, t.label(store.taxonomy.get("observations", c)))
        for c in store.taxonomy.codes("observations")
    ]
    targets = [r for r in pending + done if r["status"] in ("pending", "accepted")]
    for r in pending:
        r["pieces"] = redaction.segments(r["text"])
        r["redacted"] = redaction.redact(r["text"]) or ""
    last = last_decision(store, caller.viewer)
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
            "last": last,
            "text_max": TEXT_MAX,
            "reason_max": REASON_MAX,
            "error": MOD_ERRORS.get(request.query_params.get("error") or ""),
            "config": {**tile_config()},
        },
    )


@router.get("/residents/{report_id}/photo")
def photo(request: Request, caller: CallerDep, report_id: Id) -> Response:
    """A report's photo, to moderators only: 401 to the anonymous, 403 to other roles."""
    if caller.user is None:
        return Response("sign in", status_code=401, media_type="text/plain")
    try:
        data, mime = photo_of(request.app.state.store, caller.viewer, report_id)
    except AccessDenied:
        return Response("not allowed", status_code=403, media_type="text/plain")
    except NotFound:
        return Response("no photo", status_code=404, media_type="text/plain")
    return Response(data, media_type=mime, headers={"Cache-Control": "private, no-store"})


@router.post("/residents/undo")
@page
async def undo_submit(request: Request, caller: CallerDep):
    need(caller, DELETE_ROLES)
    await request.form()
    try:
        rid = undo(request.app.state.store, caller.viewer, remote_of(request))
    except ValidationError:
        return RedirectResponse("/residents/moderate?error=undo", status_code=303)
    return RedirectResponse(f"/residents/moderate#r{rid}", status_code=303)


@router.post("/residents/{report_id}/{action}")
@page
async def moderate_submit(request: Request, caller: CallerDep, report_id: Id, action: str):
    need(caller, DELETE_ROLES)
    store = request.app.state.store
    form = await request.form()
    remote = remote_of(request)
    try:
        if action == "accept":
            accept(
                store,
                caller.viewer,
                report_id,
                str(form.get("category") or "") or None,
                remote,
                text=str(form.get("text") or ""),
                keep_photo=form.get("keep_photo") == "1",
            )
        elif action == "reject":
            if form.get("confirm") != "1" or not str(form.get("reason") or "").strip():
                raise ValidationError("reason", "give a reason and confirm")
            reject(store, caller.viewer, report_id, remote, str(form.get("reason")))
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
    occurred_at: str | None = Field(
        None, max_length=40, description="the event's local time, YYYY-MM-DDTHH:MM"
    )


class ModerationIn(BaseModel):
    category: str | None = Field(None, description="observation category when accepting")
    into: int | None = Field(None, ge=1, le=MAX_INT, description="report to merge into")
    text: str | None = Field(
        None,
        max_length=TEXT_MAX,
        description="the redacted text to share when accepting (default: personal data removed)",
    )
    keep_photo: bool = Field(False, description="share the photo with the observation")
    reason: str | None = Field(None, max_length=REASON_MAX, description="why it is rejected")


@router.post("/api/v1/resident-reports", tags=["residents"], status_code=202)
def api_submit(body: ResidentReportIn, request: Request, caller: CallerDep) -> dict:
    """A resident's report: held for moderation (202 Accepted), shown to nobody until then."""
    sent = submit(request.app.state.store, body.model_dump(), remote_of(request))
    return {
        "id": sent["id"],
        "status": "pending",
        "ref": sent["ref"],
        "status_url": f"/residents/status/{sent['token']}",
    }


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
            "occurred_at": r["occurred_at"].isoformat() if r["occurred_at"] else None,
            "has_photo": r["has_photo"],
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
        obs = accept(
            store, caller.viewer, report_id, body.category, remote, body.text, body.keep_photo
        )
        return {"id": report_id, "status": "accepted", "observation_id": obs}
    if action == "reject":
        reject(store, caller.viewer, report_id, remote, body.reason)
        return {"id": report_id, "status": "rejected"}
    if action == "merge":
        if body.into is None:
            raise ValidationError("into", "give the report to merge into")
        merge(store, caller.viewer, report_id, body.into, remote)
        return {"id": report_id, "status": "merged", "merged_into": body.into}
    raise NotFound(f"no action {action}; expected accept, reject or merge")


@router.post("/api/v1/resident-reports/undo", tags=["residents"])
def api_undo(request: Request, caller: CallerDep) -> dict:
    """Undo the caller's own last moderation decision: the report is pending again."""
    require_user(caller)
    rid = undo(request.app.state.store, caller.viewer, remote_of(request))
    return {"id": rid, "status": "pending"}
