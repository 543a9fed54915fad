"""The EST weekly meeting in the browser (`/week`): everything `lagesbild week` does.

- the week's picture (`week-ranking`): the district's places ranked by the week's events, with
  the change against the week before and the four weeks before (`est.weekly_picture`);
- priorities for the coming week per organisation (`week-priorities`, a map): the whole place or
  a point or small area clicked on the map, with a note (`est.set_priority`); they show on the
  shared map's priorities layer;
- the tertial ranking by need (`est.ranking`) and feedback to reporters (`est.feedback`).

Defaults follow the data: the picture's week is the last full week with records, the ranking
ends on the last day with records, feedback covers the four weeks up to it; priorities are for
the calendar week after this one (the meeting decides the coming week)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from lagesbild.briefing import est, maps
from lagesbild.domain.model import WRITE_ROLES
from lagesbild.errors import NotFound, ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import data
from lagesbild.services.pages import latest_crime
from lagesbild.store.access import visible
from lagesbild.store.schema import places
from lagesbild.web.briefing_pages import _form, _names
from lagesbild.web.lang import lang_of
from lagesbild.web.meeting_views import meeting_map_config, ranking_rows, ratio_text, ratio_weeks
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.params import Id
from lagesbild.web.security import Caller, require_user

router = APIRouter(include_in_schema=False)
NOTE_MAX = 500


def _iso(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _last_day(store, viewer) -> date | None:
    # the latest crime, as the goals' and the map's defaults (forum.latest_month): a field
    # report filed today must not move the week shown to one without crimes yet
    last = latest_crime(store, viewer)
    return last.astimezone(store.tz).date() if last else None


def _districts(store, viewer) -> list[str]:
    q = (
        select(places.c.name)
        .where(places.c.kind.in_(("district", "city")), visible(places, viewer))
        .order_by(places.c.kind.desc(), places.c.name)  # districts first
    )
    with store.read() as conn:
        return [r[0] for r in conn.execute(q)]


def defaults(store, viewer, today: date) -> dict[str, Any]:
    last = _last_day(store, viewer) or today
    # the last week whose Sunday has data: a week cut by the end of the data is not a week
    picture_week = est.week_start(last + timedelta(days=1)) - timedelta(days=7)
    districts = _districts(store, viewer)
    return {
        "district": districts[0] if districts else "",
        "week": _iso(picture_week),
        "for_week": _iso(est.week_start(today) + timedelta(days=7)),
        "to": last.isoformat(),
        "from": (last - timedelta(days=27)).isoformat(),
        "months": "4",
    }


def _context(
    request: Request, caller: Caller, q: dict[str, str], values=None, errors=None
) -> dict[str, Any]:
    store = request.app.state.store
    lang = lang_of(request)
    t = Translator(lang, store.tz)
    viewer = caller.viewer
    base = defaults(store, viewer, datetime.now(store.tz).date())
    q = {k: (q.get(k) or "").strip() or v for k, v in base.items()} | {
        "org": (q.get("org") or "").strip(),
        "category": (q.get("category") or "").strip(),
    }
    errors = dict(errors or {})
    orgs = _names(request, caller, "organisations")
    if not q["org"]:
        own = caller.user.organisation if caller.user else None
        q["org"] = own if own in orgs else (orgs[0] if orgs else "")
    picture = ranking = feedback = None
    try:
        picture = est.weekly_picture(store, viewer, q["district"], q["week"])
    except (ValidationError, NotFound) as exc:
        errors["week" if getattr(exc, "field", "") == "week" else "district"] = exc.message
    try:
        months = int(q["months"])
    except ValueError:
        errors["months"] = "week.err.months"
        months = 4
    try:
        to = date.fromisoformat(q["to"])
        ranking = est.ranking(
            store, viewer, q["district"], to, months, category=q["category"] or None
        )
    except ValueError:
        errors["to"] = "week.err.date"
    except (ValidationError, NotFound) as exc:
        errors.setdefault("ranking", exc.message)
    try:
        feedback = est.feedback(
            store, viewer, q["org"], date.fromisoformat(q["from"]), date.fromisoformat(q["to"])
        )
    except ValueError:
        errors["from"] = "week.err.date"
    except (ValidationError, NotFound) as exc:
        errors.setdefault("org", exc.message)
    try:
        for_monday = est.week_start(q["for_week"])
    except ValidationError as exc:
        errors["for_week"] = exc.message
        for_monday = est.week_start(base["for_week"])
    chosen = est.priorities_on(store, viewer, for_monday)
    area_names = []
    if picture:
        area_names = [r["place"] for r in picture["places"]]
    return {
        "q": q,
        "picture": picture,
        "ranking": ranking,
        "feedback": feedback,
        "chosen": chosen,
        "for_week": _iso(for_monday),
        "for_monday": for_monday,
        "orgs": orgs,
        "districts": _districts(store, viewer),
        "areas": area_names,
        "may_write": caller.user is not None and viewer.role in WRITE_ROLES,
        "ratio": lambda r: ratio_text(r, lang),
        # the period's end is exclusive: the last day shown is the day before
        "need_to": (
            datetime.fromisoformat(ranking["period"]["to"]) - timedelta(days=1) if ranking else None
        ),
        "ratio_weeks": lambda r: ratio_weeks(r, lang),
        "values": values or {},
        "errors": errors,
        "map_config": meeting_map_config(t),
        "map_src": "/week/map.geojson?"
        + _query({"district": q["district"], "week": q["for_week"]}),
        "note_max": NOTE_MAX,
        "categories": [
            (c, t.label(store.taxonomy.get("crimes", c))) for c in store.taxonomy.codes("crimes")
        ],
    }


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@router.get("/week", response_class=HTMLResponse)
@page
def week_page(request: Request, caller: CallerDep):
    need(caller)
    ctx = _context(request, caller, dict(request.query_params))
    ranking_rows((ctx["picture"] or {}).get("places", []))
    for r in (ctx["ranking"] or {}).get("areas", []):
        r["count_a"], r["count_b"] = r["count_before"], r["count_now"]
    return render(request, caller, "week.html", ctx, 400 if ctx["errors"] else 200)


@router.get("/week/map.geojson")
def week_map(request: Request, caller: CallerDep, district: str, week: str) -> dict:
    """The district's areas (outlines and streets of the district) and the week's priorities."""
    require_user(caller)
    store = request.app.state.store
    d = data.find_place(store, caller.viewer, district)
    feats = [maps.feature(d.geom_wgs84, kind="place", name=d.name)]
    for p in est.areas(store, caller.viewer, d):
        if p.kind in est.AREA_KINDS:
            feats.append(maps.feature(p.geom_wgs84, kind="area", name=p.name, area_kind=p.kind))
    feats += maps.priority_features(store, caller.viewer, est.week_start(week))
    return {"type": "FeatureCollection", "features": feats}


@router.post("/week/priorities", response_class=HTMLResponse)
@page
async def priority_add(request: Request, caller: CallerDep):
    need(caller, WRITE_ROLES)
    form = await _form(request)
    keys = ("for_week", "place", "organisation", "note", "geometry", "district")
    values = {k: str(form.get(k) or "").strip() for k in keys}
    errors: dict[str, str] = {}
    for k in ("place", "organisation", "for_week"):
        if not values[k]:
            errors[k] = "err.required"
    if len(values["note"]) > NOTE_MAX:
        errors["note"] = "briefing.err.long"
    geometry = None
    if values["geometry"]:
        try:
            geometry = json.loads(values["geometry"])
        except ValueError:
            errors["geometry"] = "week.err.geometry"
    if not errors:
        try:
            est.set_priority(
                request.app.state.store,
                caller.viewer,
                values["for_week"],
                values["place"],
                values["organisation"],
                values["note"] or None,
                geometry=geometry,
            )
        except NotFound as exc:
            errors["organisation" if "organisation" in exc.message else "place"] = exc.message
        except ValidationError as exc:
            errors[exc.field if exc.field in keys else "place"] = exc.message
        else:
            target = _query({"district": values["district"], "for_week": values["for_week"]})
            return RedirectResponse(f"/week?{target}#priorities", status_code=303)
    query = {"district": values["district"], "for_week": values["for_week"]}
    ctx = _context(request, caller, query, values, {"priority": True, **errors})
    return render(request, caller, "week.html", ctx, 400)


@router.post("/week/priorities/{priority_id}/remove", response_class=HTMLResponse)
@page
async def priority_remove(request: Request, caller: CallerDep, priority_id: Id):
    need(caller, WRITE_ROLES)
    form = await _form(request)
    est.remove_priority(request.app.state.store, caller.viewer, priority_id)
    target = _query({k: str(form.get(k) or "") for k in ("district", "for_week")})
    return RedirectResponse(f"/week?{target}#priorities", status_code=303)
