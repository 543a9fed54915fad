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
from lagesbild.domain.periods import parse_period
from lagesbild.errors import NotFound, ValidationError
from lagesbild.i18n import Translator
from lagesbild.i18n import format as fmt
from lagesbild.web.briefing_pages import _form, _names
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.params import Id
from lagesbild.web.security import Caller

router = APIRouter(include_in_schema=False)
GOAL_ROLES = (Role.ADMIN, Role.COORDINATOR)  # the forum's goals: set by its coordinators
MONTH_DAYS = 365.25 / 12
W, H, LEFT, RIGHT, TOP, BOTTOM = 800, 300, 60, 20, 56, 50


def _may_edit(caller: Caller) -> bool:
    return caller.user is not None and caller.viewer.role in GOAL_ROLES


def _nice_step(value: float) -> float:
    """A round step for the y axis' four intervals (1, 2 or 5 times a power of ten)."""
    import math

    if value <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(value))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= value)


def chart_model(g: dict[str, Any], store_tz) -> dict[str, Any] | None:
    """Where the count goal's monthly series, baseline mean, target line and deadline fall on
    the chart (SVG coordinates); None for a status goal."""
    trend = g.get("trend") or {}
    months, counts = trend.get("months") or [], trend.get("counts") or []
    if not months:
        return None
    base_mean = target = None
    if g.get("baseline_period") and isinstance(g.get("baseline_count"), (int, float)):
        days = parse_period(g["baseline_period"], store_tz).days
        base_mean = g["baseline_count"] / (days / MONTH_DAYS)
        if g.get("target_ratio") is not None:
            target = base_mean * g["target_ratio"]
        elif g.get("target_value") is not None:  # a yearly target value: per month
            target = g["target_value"] / (days / MONTH_DAYS)
    nums = [c for c in counts if isinstance(c, (int, float))]
    top = 4 * _nice_step(max([*nums, base_mean or 0, target or 0, 1]) * 1.1 / 4)
    w, h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = len(months)

    def x(i: float) -> float:
        return LEFT + w * (i + 0.5) / n

    def y(v: float) -> float:
        return TOP + h * (1 - v / top)

    points = [
        {"x": x(i), "y": y(c), "month": m, "count": c}
        for i, (m, c) in enumerate(zip(months, counts, strict=True))
        if isinstance(c, (int, float))
    ]
    deadline = g.get("deadline")
    dl = None
    if deadline is not None:
        label = f"{deadline:%Y-%m}" if isinstance(deadline, date) else str(deadline)[:7]
        if label in months:
            dl = {"x": x(months.index(label)), "inside": True}
        else:  # after (or before) the chart: marked at its edge with the date
            dl = {"x": W - RIGHT if label > months[-1] else LEFT, "inside": False}
        dl["label"] = str(deadline)
    return {
        "points": points,
        "line": " ".join(f"{p['x']:.1f},{p['y']:.1f}" for p in points),
        "base_y": y(base_mean) if base_mean is not None else None,
        "base_mean": base_mean,
        "target_y": y(target) if target is not None else None,
        "target": target,
        "ticks": [(y(top * k / 4), top * k / 4) for k in range(5)],
        "xlabels": [(x(i), m) for i, m in enumerate(months) if i % 3 == 0 or i == n - 1],
        "deadline": dl,
        "W": W,
        "H": H,
        "left": LEFT,
        "right": W - RIGHT,
        "bottom": H - BOTTOM,
    }


def _rounds_model(g: dict[str, Any]) -> dict[str, Any]:
    """A status goal's chart: the scene's area per mapping round; the target is none left."""
    rounds = g.get("rounds") or []
    top = 4 * _nice_step(max([r["area_ha"] for r in rounds] + [1]) * 1.1 / 4)
    w, h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = max(len(rounds), 1)
    bars = [
        {
            "x": LEFT + w * i / n + 10,
            "w": w / n - 20,
            "y": TOP + h * (1 - r["area_ha"] / top),
            "h": h * r["area_ha"] / top,
            "round": r["round"],
            "ha": r["area_ha"],
            "status": r["status"],
        }
        for i, r in enumerate(rounds)
    ]
    return {
        "bars": bars,
        "ticks": [(TOP + h * (1 - k / 4), top * k / 4) for k in range(5)],
        "W": W,
        "H": H,
        "left": LEFT,
        "right": W - RIGHT,
        "bottom": H - BOTTOM,
    }


def _words(g: dict[str, Any], t: Translator) -> dict[str, str]:
    """Status and progress in words, as said at the forum."""
    status = g.get("status") or "cannot compute"
    key = "goals.status." + status.replace(" ", "_")
    out = {"status": t(key) if t.has(key) else status}
    if g.get("indicator") == "status":
        out["progress"] = (
            t(
                "goals.progress.status",
                round=g.get("latest_round"),
                status=t.code("extent_status", g.get("latest_status")),
            )
            if g.get("latest_round")
            else t("goals.progress.no_round")
        )
    elif g.get("past_data"):
        out["progress"] = t(
            "goals.progress.past_data",
            day=t.date(g.get("data_ends")) if g.get("data_ends") else "–",
        )
    elif g.get("too_few"):
        out["progress"] = t(
            "goals.progress.too_few",
            a=g["baseline_count"],
            b=g["current_count"],
            period=g["baseline_period"],
        )
    elif g.get("rate_ratio") is not None:
        change = g["rate_ratio"] - 1
        out["progress"] = t(
            "goals.progress.count",
            a=g["baseline_count"],
            period=g["baseline_period"],
            b=g["current_count"],
            change=fmt.pct(change, t.lang) if change < 0 else "+" + fmt.pct(change, t.lang),
            ci=fmt.ratio_ci(g, t.lang),
        )
        if g.get("progress") is not None:
            out["progress"] += " " + t("goals.progress.share", share=fmt.pct(g["progress"], t.lang))
    else:
        out["progress"] = g.get("error") or ""
    if g.get("days_left") is not None:
        out["deadline"] = (
            t("goals.deadline.left", days=g["days_left"], day=t.date(g["deadline"]))
            if g["days_left"] >= 0
            else t("goals.deadline.passed", day=t.date(g["deadline"]))
        )
    return out


def goal_views(goals: list[dict[str, Any]], t: Translator, tz) -> list[dict[str, Any]]:
    """The dashboard's goals with their words and chart models, as the pages show them."""
    return [
        {
            **g,
            "words": _words(g, t),
            "chart": chart_model(g, tz) if g["indicator"] != "status" else None,
            "rounds_chart": _rounds_model(g) if g["indicator"] == "status" else None,
        }
        for g in goals
    ]


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
    goals = goal_views(dash["goals"], t, store.tz)
    return {
        "dash": dash,
        "goals": goals,
        "month": dash["month"],
        "may_edit": _may_edit(caller),
        "places": _names(request, caller, "places") if _may_edit(caller) else [],
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


FIELD_OF = {"change": "change", "target": "target", "title": "title", "baseline": "baseline"}


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
