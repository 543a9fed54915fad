"""`/observe`: systematic place observation on a phone. One observation round per send (start
time, place, counts per group, weather, activities, a note), kept in the phone's outbox and
sent with its own key like the field report (`static/observe.js`, the service worker keeps the
page for offline use); the planned rounds of the day and which are due; planning a round.
The rounds are stored as measurements (`services.observe_rounds`)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import select

from lagesbild.domain.model import REPORT_ROLES, WRITE_ROLES
from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import observe_rounds as rounds
from lagesbild.store.access import visible
from lagesbild.store.schema import places
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.security import Caller, remote_of

router = APIRouter(include_in_schema=False)


def _places(request: Request, caller: Caller) -> list[str]:
    store = request.app.state.store
    with store.read() as conn:
        return list(
            conn.execute(
                select(places.c.name)
                .where(visible(places, caller.viewer), places.c.kind != "city")
                .order_by(places.c.name)
            ).scalars()
        )


def _context(request: Request, caller: Caller, values: dict, errors: dict) -> dict:
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    now = datetime.now(UTC)
    return {
        "places": _places(request, caller),
        "groups": [(g.code, g.label(t.lang)) for g in store.taxonomy.observed_groups()],
        "weather": [(w, t(f"observe.weather.{w}")) for w in rounds.WEATHER],
        "activities": [(a, t(f"observe.activity.{a}")) for a in rounds.ACTIVITIES],
        "planned": rounds.rounds_of_day(store, caller.viewer, now),
        "recent": rounds.recent_rounds(store, caller.viewer),
        "values": values,
        "errors": errors,
        "may_plan": caller.viewer.role in WRITE_ROLES,
        "weekdays": [(i, t(f"observe.weekday.{i}")) for i in range(7)],
        "today": date.today().isoformat(),
        "sent": request.query_params.get("sent"),
        "planned_ok": request.query_params.get("planned"),
        "config": {
            "msg": t.js(),
            "lang": t.lang,
            "user": caller.user.username if caller.user else None,
        },
    }


def _fresh(request: Request) -> dict:
    now = datetime.now(request.app.state.store.tz).strftime("%Y-%m-%dT%H:%M")
    return {"started_at": now, "key": uuid.uuid4().hex}


@router.get("/observe", response_class=HTMLResponse)
@page
def observe_page(request: Request, caller: CallerDep):
    need(caller, REPORT_ROLES)
    values = _fresh(request)
    values["place"] = request.query_params.get("place") or ""
    values["planned_id"] = request.query_params.get("planned") or ""
    return render(request, caller, "observe.html", _context(request, caller, values, {}))


def _form_round(form: dict[str, str], taxonomy) -> dict:
    """The form's fields as the script sends them (`counts`, `activities` as lists)."""
    return {
        "key": form.get("key"),
        "place": form.get("place"),
        "started_at": form.get("started_at"),
        "counts": {g.code: form.get(f"count_{g.code}") or "0" for g in taxonomy.observed_groups()},
        "weather": form.get("weather"),
        "activities": [a for a in rounds.ACTIVITIES if form.get(f"act_{a}")],
        "note": form.get("note"),
        "planned_id": form.get("planned_id"),
    }


@router.post("/observe", response_class=HTMLResponse)
@page
async def observe_submit(request: Request, caller: CallerDep):
    """The form's fallback without scripts: the same round the script would send."""
    need(caller, REPORT_ROLES)
    store = request.app.state.store
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    try:
        rounds.record_round(
            store, caller.viewer, _form_round(form, store.taxonomy), remote_of(request)
        )
    except ValidationError as exc:
        field = exc.field.replace("counts.", "count_")
        errors = {field if field in form else "form": exc.message}
        return render(request, caller, "observe.html", _context(request, caller, form, errors), 400)
    return RedirectResponse("/observe?sent=1", status_code=303)


@router.post("/api/v1/observation_rounds")
async def observe_api(request: Request, caller: CallerDep) -> JSONResponse:
    """One round as JSON (`key`, `place`, `started_at`, `counts` per group, `weather`,
    `activities`, `note`, `planned_id`); the key may come as the Idempotency-Key header. 201
    when stored, 200 with the same id when that key was stored before."""
    need(caller, REPORT_ROLES)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise ValidationError("body", "expected a JSON object") from None
    if not isinstance(body, dict):
        raise ValidationError("body", "expected a JSON object")
    body.setdefault("key", request.headers.get("idempotency-key"))
    r = rounds.record_round(request.app.state.store, caller.viewer, body, remote_of(request))
    return JSONResponse({"id": r.id, "created": r.created}, status_code=201 if r.created else 200)


@router.post("/observe/plan", response_class=HTMLResponse)
@page
async def observe_plan(request: Request, caller: CallerDep):
    need(caller, WRITE_ROLES)
    store = request.app.state.store
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    try:
        try:
            first = date.fromisoformat(form.get("starts_on") or "")
        except ValueError:
            raise ValidationError("starts_on", "expected a date YYYY-MM-DD") from None
        weekday = form.get("weekday") or ""
        if not weekday.isdigit():
            raise ValidationError("weekday", "choose a weekday")
        rounds.plan_round(
            store, caller.viewer, form.get("plan_place") or "", int(weekday),
            form.get("time") or "", first,
        )  # fmt: skip
    except LagesbildError as exc:
        errors = {"plan": exc.message}
        ctx = _context(request, caller, _fresh(request), errors)
        return render(request, caller, "observe.html", ctx, 400)
    return RedirectResponse("/observe?planned=1", status_code=303)
