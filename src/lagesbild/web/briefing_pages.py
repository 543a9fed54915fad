"""The operational briefing (samverkansuppställning) in the browser: the list of briefings with
the form for a new one, and the briefing page itself, the generated picture readable on a
projector and a phone with the forms to run the meeting (attendance, decisions, action items,
lock) while it is open.

The pages call the same service functions as `lagesbild briefing ...` and the JSON API
(`briefing.service`), so the caller's access applies as everywhere: reading needs a signed-in
user who may see the briefing, changing needs a writing role (admin, coordinator, analyst), and
a locked briefing answers 409 and shows no forms. Forms carry the session's CSRF token; on an
error the message stands beside the field and what was typed is kept.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from lagesbild.briefing import counts, maps, service
from lagesbild.domain.model import WRITE_ROLES, ActionStatus, BriefingKind, BriefingStatus
from lagesbild.errors import NotFound, ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import records
from lagesbild.store.access import visible
from lagesbild.store.schema import action_items
from lagesbild.web.lang import lang_of
from lagesbild.web.meeting_views import goal_views, meeting_map_config, ranking_rows, ratio_weeks
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.params import Id
from lagesbild.web.security import Caller

router = APIRouter(include_in_schema=False)
TEXT_MAX = 4000
NAME_MAX = 200
MAX_NOTABLE = 14


# ------------------------------------------------------------------ helpers


def _names(request: Request, caller: Caller, layer: str) -> list[str]:
    """The names of the places or organisations the caller may see, for choices and datalists."""
    rows, _ = records.list_records(
        request.app.state.store, layer, caller.viewer, records.RecordFilter(limit=5000)
    )
    return sorted({r["name"] for r in rows if r.get("name")}, key=str.casefold)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    out: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        values = [str(v) for v in form.getlist(key)]
        out[key] = values if key == "org" else values[-1]
    return out


def _as_datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = str(value)
    return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)


def _is_writer(caller: Caller) -> bool:
    return caller.user is not None and caller.viewer.role in WRITE_ROLES


def _live_status(request: Request, caller: Caller, ids: list[int]) -> dict[int, dict]:
    """The current status of action items (the stored picture keeps them as they were)."""
    if not ids:
        return {}
    store = request.app.state.store
    q = select(action_items.c.id, action_items.c.status, action_items.c.done_at).where(
        action_items.c.id.in_(ids), visible(action_items, caller.viewer)
    )
    with store.read() as conn:
        return {r.id: {"status": r.status, "done_at": r.done_at} for r in conn.execute(q)}


def _agenda(store, caller: Caller, b: dict, t: Translator) -> dict | None:
    """The weekly or forum meeting's own agenda (`briefing.agenda`) ready for the page."""
    from lagesbild.briefing import agenda

    items = agenda.agenda(store, caller.viewer, b)
    if items is None:
        return None
    if b["kind"] == "weekly":
        ranking_rows(items["ranking"])
    else:
        items["goals"] = goal_views(items["goals"], t, store)
    return items


# ------------------------------------------------------------------ list and new


def _list_context(
    request: Request,
    caller: Caller,
    place: str | None,
    values: dict | None = None,
    errors: dict | None = None,
) -> dict[str, Any]:
    store = request.app.state.store
    errors = dict(errors or {})
    place = (place or "").strip()
    try:
        rows = service.list_briefings(store, caller.viewer, place or None)
    except (NotFound, ValidationError):
        errors["filter"] = "briefing.err.place"
        rows = []
    if values is None:
        now = datetime.now(store.tz).replace(second=0, microsecond=0)
        values = {"place": place, "at": now.strftime("%Y-%m-%dT%H:%M"), "kind": "operational"}
    return {
        "rows": rows,
        "place": place,
        "places": _names(request, caller, "places"),
        "may_write": _is_writer(caller),
        "values": values,
        "errors": errors,
        "text_max": NAME_MAX,
        "kinds": [k.value for k in BriefingKind],
    }


@router.get("/briefings", response_class=HTMLResponse)
@page
def briefings_page(request: Request, caller: CallerDep, place: str | None = None):
    need(caller)
    ctx = _list_context(request, caller, place)
    return render(request, caller, "briefing_list.html", ctx, 400 if ctx["errors"] else 200)


@router.post("/briefings", response_class=HTMLResponse)
@page
async def briefing_create(request: Request, caller: CallerDep):
    """A new briefing (operational, weekly or forum) with its generated picture; then its
    page."""
    from lagesbild.domain.values import parse_datetime

    need(caller, WRITE_ROLES)
    store = request.app.state.store
    form = await _form(request)
    values = {
        "place": (form.get("place") or "").strip(),
        "at": (form.get("at") or "").strip(),
        "kind": (form.get("kind") or "operational").strip(),
    }
    errors: dict[str, str] = {}
    if values["kind"] not in {k.value for k in BriefingKind}:
        errors["kind"] = "briefing.err.kind"
    if not values["place"]:
        errors["place"] = "err.required"
    elif len(values["place"]) > NAME_MAX:
        errors["place"] = "briefing.err.place"
    at = None
    if not values["at"]:
        errors["at"] = "err.when"
    else:
        try:
            at = parse_datetime(values["at"].replace("T", " "), "at", store.tz)
        except ValidationError:
            errors["at"] = "briefing.err.at"
    if not errors:
        try:
            bid = service.new_briefing(
                store, caller.viewer, values["place"], at, kind=values["kind"]
            )
        except NotFound:
            errors["place"] = "briefing.err.place"
        except ValidationError as exc:
            errors["at" if exc.field == "at" else "place"] = exc.message
        else:
            return RedirectResponse(f"/briefings/{bid}", status_code=303)
    ctx = _list_context(request, caller, None, values, errors)
    return render(request, caller, "briefing_list.html", ctx, 400)


# ------------------------------------------------------------------ the briefing


def _briefing_context(
    request: Request,
    caller: Caller,
    briefing_id: int,
    values: dict | None = None,
    errors: dict | None = None,
) -> dict[str, Any]:
    store = request.app.state.store
    lang = lang_of(request)
    t = Translator(lang, store.tz)
    b = service.get_briefing(store, caller.viewer, briefing_id)
    p, m = b["picture"], b["minutes"]
    is_open = b["status"] == BriefingStatus.OPEN.value
    day = _as_date(_as_datetime(b["at"]).astimezone(store.tz).date())

    carried = [dict(a) for a in p.get("actions") or []]
    made = [dict(a) for a in m.get("new_actions") or []]
    # a picture made on view already lists the items added here: each item once, as new here
    carried = [a for a in carried if a["id"] not in {x["id"] for x in made}]
    if is_open:  # show the items as they are now, so that "done" shows at once
        live = _live_status(request, caller, [a["id"] for a in carried + made])
        for a in carried + made:
            a.update(live.get(a["id"], {}))
    for a in carried + made:
        due = _as_date(a.get("due_date"))
        a["due"] = due
        a["overdue"] = bool(due and due < day and a.get("status") == ActionStatus.OPEN.value)
        a["open"] = a.get("status", ActionStatus.OPEN.value) == ActionStatus.OPEN.value

    def label(layer: str, code: str) -> str:
        cat = store.taxonomy.get(layer, code)
        return t.label(cat) if cat else code

    def when(value) -> str:
        return t.datetime(_as_datetime(value))

    def clock(value) -> str:
        v = _as_datetime(value)
        return v.astimezone(store.tz).strftime("%H:%M") if v else "–"

    orgs = _names(request, caller, "organisations")
    return {
        "b": b,
        "p": p,
        "m": m,
        "is_open": is_open,
        "may_write": is_open and _is_writer(caller),
        "carried": carried,
        "made": made,
        "orgs": orgs,
        "present": set(m.get("attendance") or []),
        "notable": (p.get("notable") or [])[:MAX_NOTABLE],
        "more_notable": max(0, len(p.get("notable") or []) - MAX_NOTABLE),
        "label": label,
        "when": when,
        "clock": clock,
        "ratio": lambda r: counts.ratio_text(r, lang),
        "hot": maps.hot_cells(store, caller.viewer, p),
        "map_config": meeting_map_config(t),
        "ratio_weeks": lambda r: ratio_weeks(r, lang),
        "agenda": _agenda(store, caller, b, t),
        "values": values or {},
        "errors": errors or {},
        "text_max": TEXT_MAX,
    }


@router.get("/briefings/{briefing_id}", response_class=HTMLResponse)
@page
def briefing_page(request: Request, caller: CallerDep, briefing_id: Id):
    need(caller)
    ctx = _briefing_context(request, caller, briefing_id)
    return render(request, caller, "briefing_page.html", ctx)


def _again(
    request: Request,
    caller: Caller,
    briefing_id: int,
    values: dict,
    errors: dict,
    status: int = 400,
):
    ctx = _briefing_context(request, caller, briefing_id, values, errors)
    return render(request, caller, "briefing_page.html", ctx, status)


def _locked(request: Request, caller: Caller, briefing_id: int):
    return _again(request, caller, briefing_id, {}, {"form": "briefing.err.locked"}, 409)


def _check_open(request: Request, caller: Caller, briefing_id: int) -> bool:
    """Signed in, a writing role, the briefing visible (else 404) and open."""
    need(caller, WRITE_ROLES)
    b = service.get_briefing(request.app.state.store, caller.viewer, briefing_id)
    return b["status"] == BriefingStatus.OPEN.value


def _done(briefing_id: int, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/briefings/{briefing_id}#{anchor}", status_code=303)


@router.post("/briefings/{briefing_id}/attendance", response_class=HTMLResponse)
@page
async def briefing_attendance(request: Request, caller: CallerDep, briefing_id: Id):
    """The organisations present: exactly those ticked."""
    if not _check_open(request, caller, briefing_id):
        return _locked(request, caller, briefing_id)
    store = request.app.state.store
    ticked = set((await _form(request)).get("org") or [])
    current = set(service.get_briefing(store, caller.viewer, briefing_id)["minutes"]["attendance"])
    known = set(_names(request, caller, "organisations"))
    if ticked - known:
        errors = {"attendance": "briefing.err.organisation"}
        return _again(request, caller, briefing_id, {"org": sorted(ticked)}, errors)
    try:
        if ticked - current:
            service.attend(store, caller.viewer, briefing_id, sorted(ticked - current), True)
        if current - ticked:
            service.attend(store, caller.viewer, briefing_id, sorted(current - ticked), False)
    except service.BriefingLocked:
        return _locked(request, caller, briefing_id)
    return _done(briefing_id, "attendance")


@router.post("/briefings/{briefing_id}/decisions", response_class=HTMLResponse)
@page
async def briefing_decide(request: Request, caller: CallerDep, briefing_id: Id):
    if not _check_open(request, caller, briefing_id):
        return _locked(request, caller, briefing_id)
    form = await _form(request)
    text = (form.get("decision") or "").strip()
    values = {"decision": form.get("decision") or ""}
    if not text:
        return _again(request, caller, briefing_id, values, {"decision": "err.required"})
    if len(text) > TEXT_MAX:
        return _again(request, caller, briefing_id, values, {"decision": "briefing.err.long"})
    try:
        service.decide(request.app.state.store, caller.viewer, briefing_id, text)
    except service.BriefingLocked:
        return _locked(request, caller, briefing_id)
    return _done(briefing_id, "decisions")


@router.post("/briefings/{briefing_id}/actions", response_class=HTMLResponse)
@page
async def briefing_add_action(request: Request, caller: CallerDep, briefing_id: Id):
    from lagesbild.domain.values import parse_date

    if not _check_open(request, caller, briefing_id):
        return _locked(request, caller, briefing_id)
    form = await _form(request)
    values = {k: form.get(k) or "" for k in ("action_text", "responsible", "due")}
    text, responsible = values["action_text"].strip(), values["responsible"].strip()
    errors: dict[str, str] = {}
    if not text:
        errors["action_text"] = "err.required"
    elif len(text) > TEXT_MAX:
        errors["action_text"] = "briefing.err.long"
    if not responsible:
        errors["responsible"] = "err.required"
    elif responsible not in _names(request, caller, "organisations"):
        errors["responsible"] = "briefing.err.organisation"
    due = None
    try:
        due = parse_date(values["due"].strip(), "due")
    except ValidationError:
        errors["due"] = "briefing.err.due"
    if errors:
        return _again(request, caller, briefing_id, values, errors)
    try:
        service.add_action(
            request.app.state.store, caller.viewer, briefing_id, text, responsible, due
        )
    except service.BriefingLocked:
        return _locked(request, caller, briefing_id)
    except (ValidationError, NotFound):
        return _again(request, caller, briefing_id, values, {"responsible": "err.required"})
    return _done(briefing_id, "actions")


@router.post("/briefings/{briefing_id}/actions/{item_id}/done", response_class=HTMLResponse)
@page
def briefing_action_done(request: Request, caller: CallerDep, briefing_id: Id, item_id: Id):
    """Mark an action item shown on the briefing done (carried over or made here)."""
    if not _check_open(request, caller, briefing_id):
        return _locked(request, caller, briefing_id)
    ctx = _briefing_context(request, caller, briefing_id)
    if item_id not in {a["id"] for a in ctx["carried"] + ctx["made"]}:
        raise NotFound(f"no action item {item_id} on briefing {briefing_id}")
    service.set_action_status(request.app.state.store, caller.viewer, item_id, "done")
    return _done(briefing_id, "actions")


@router.post("/briefings/{briefing_id}/lock", response_class=HTMLResponse)
@page
def briefing_lock(request: Request, caller: CallerDep, briefing_id: Id):
    if not _check_open(request, caller, briefing_id):
        return _locked(request, caller, briefing_id)
    try:
        service.lock(request.app.state.store, caller.viewer, briefing_id)
    except service.BriefingLocked:
        return _locked(request, caller, briefing_id)
    return _done(briefing_id, "status")
