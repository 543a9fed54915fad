"""The strategic forum's goals in the browser (`/goals`): each goal with its indicator chart
(monthly counts against the baseline's monthly mean and the target line, the deadline marked),
its progress and status in words; coordinators and admins add, edit and retire goals, everyone
signed in sees them.

The figures are `briefing.forum.dashboard`'s, the same as `lagesbild goals dashboard` and
`/api/v1/goals`: a goal past the data says so and shows no ratio; small counts are counts."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lagesbild.briefing import forum
from lagesbild.domain.model import Role
from lagesbild.errors import NotFound, ValidationError
from lagesbild.i18n import Translator
from lagesbild.web.briefing_pages import _form, _names
from lagesbild.web.lang import lang_of
from lagesbild.web.meeting_views import goal_views, indicator_choices
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.params import Id
from lagesbild.web.security import Caller

router = APIRouter(include_in_schema=False)
GOAL_ROLES = (Role.ADMIN, Role.COORDINATOR)  # the forum's goals: set by its coordinators


def _may_edit(caller: Caller) -> bool:
    return caller.user is not None and caller.viewer.role in GOAL_ROLES


def _context(
    request: Request, caller: Caller, month: str | None, values=None, errors=None
) -> dict[str, Any]:
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    errors = dict(errors or {})
    try:
        dash = forum.dashboard(store, caller.viewer, (month or "").strip() or None)
    except ValidationError as exc:
        errors["month"] = exc.message
        dash = forum.dashboard(store, caller.viewer, None)
    goals = goal_views(dash["goals"], t, store)
    return {
        "dash": dash,
        "goals": goals,
        "month": dash["month"],
        "may_edit": _may_edit(caller),
        "places": _names(request, caller, "places") if _may_edit(caller) else [],
        "indicators": indicator_choices(store.taxonomy, t),
        "values": values or {},
        "errors": errors,
    }


@router.get("/goals", response_class=HTMLResponse)
@page
def goals_page(request: Request, caller: CallerDep, month: str | None = None):
    need(caller)
    ctx = _context(request, caller, month)
    return render(request, caller, "goals.html", ctx, 400 if ctx["errors"] else 200)


def _number(form: dict, key: str, errors: dict, scale: float = 1.0) -> float | None:
    text = (form.get(key) or "").strip().replace(",", ".").replace("%", "")
    if not text:
        return None
    try:
        return float(text) * scale
    except ValueError:
        errors[key] = "goals.err.number"
        return None


def _day(form: dict, key: str, errors: dict) -> date | None:
    text = (form.get(key) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[key] = "goals.err.date"
        return None


@router.post("/goals", response_class=HTMLResponse)
@page
async def goal_add(request: Request, caller: CallerDep):
    need(caller, GOAL_ROLES)
    form = await _form(request)
    keys = ("title", "place", "indicator", "baseline", "change", "target", "deadline")
    values = {k: (form.get(k) or "").strip() for k in keys}
    errors: dict[str, str] = {}
    for k in ("title", "place", "indicator"):
        if not values[k]:
            errors[k] = "err.required"
    change = _number(values, "change", errors, 0.01)  # typed as per cent: -20
    target = _number(values, "target", errors)
    deadline = _day(values, "deadline", errors)
    if not errors:
        try:
            forum.add_goal(
                request.app.state.store,
                caller.viewer,
                values["title"],
                values["place"],
                values["indicator"],
                baseline_period=values["baseline"] or None,
                target_change=change,
                target_value=target,
                deadline=deadline,
            )
        except NotFound:
            errors["place"] = "briefing.err.place"
        except ValidationError as exc:
            errors[exc.field if exc.field in keys else "indicator"] = exc.message
        else:
            return RedirectResponse("/goals", status_code=303)
    ctx = _context(request, caller, None, {"new": values}, {"new": True, **errors})
    return render(request, caller, "goals.html", ctx, 400)


@router.post("/goals/{goal_id}", response_class=HTMLResponse)
@page
async def goal_edit(request: Request, caller: CallerDep, goal_id: Id):
    need(caller, GOAL_ROLES)
    form = await _form(request)
    values = {k: (form.get(k) or "").strip() for k in ("title", "change", "target", "deadline")}
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = "err.required"
    change = _number(values, "change", errors, 0.01)
    target = _number(values, "target", errors)
    deadline = _day(values, "deadline", errors)
    if not errors:
        try:
            forum.update_goal(
                request.app.state.store,
                caller.viewer,
                goal_id,
                title=values["title"],
                target_change=change,
                target_value=None if change is not None else target,
                deadline=deadline,
            )
        except ValidationError as exc:
            errors[exc.field if exc.field in values else "title"] = exc.message
        else:
            return RedirectResponse(f"/goals#goal-{goal_id}", status_code=303)
    ctx = _context(request, caller, None, {goal_id: values}, {"goal": goal_id, **errors})
    return render(request, caller, "goals.html", ctx, 400)


@router.post("/goals/{goal_id}/retire", response_class=HTMLResponse)
@page
def goal_retire(request: Request, caller: CallerDep, goal_id: Id):
    need(caller, GOAL_ROLES)
    forum.retire_goal(request.app.state.store, caller.viewer, goal_id)
    return RedirectResponse("/goals", status_code=303)
