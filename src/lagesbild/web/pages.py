"""The HTML pages: the map, log-in, the field report form, place pages, lists of organisations,
cameras, guard areas and activation events, survey results, the audit log and browser import.

Pages read through the same services as the API (`services.records`, `services.analyse`,
`services.pages`), so a page shows exactly what the caller's access allows. Every text comes
from `web.i18n`; forms carry the session's CSRF token and keep what was typed on an error.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from lagesbild import __version__, accounts
from lagesbild.domain.model import DELETE_ROLES, REPORT_ROLES, WRITE_ROLES, Role
from lagesbild.domain.periods import between, parse_period
from lagesbild.errors import AccessDenied, LagesbildError, NotFound, ValidationError
from lagesbild.ingest.layers import LAYERS
from lagesbild.services import analyse, records
from lagesbild.services import pages as svc
from lagesbild.store import audit
from lagesbild.store.queries import extent_features, place_summaries
from lagesbild.web.i18n import LANG_COOKIE, LANGS, Translator, lang_of
from lagesbild.web.security import Caller, NotSignedIn, identify, remote_of, set_session_cookie

HERE = Path(__file__).parent
router = APIRouter(include_in_schema=False)
CallerDep = Annotated[Caller, Depends(identify)]
TILES_ENV = "LAGESBILD_TILES"
TILES_ATTRIBUTION_ENV = "LAGESBILD_TILES_ATTRIBUTION"
TEXT_MAX = 500
PAGE_SIZE = 100


@functools.cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=HERE / "templates")


# ------------------------------------------------------------------ rendering


def nav_items(caller: Caller) -> list[tuple[str, str]]:
    """(href, message key) of the menu: what the caller's role may use."""
    role = caller.viewer.role
    items = [("/", "nav.map"), ("/#places", "nav.places")]
    if role in REPORT_ROLES:
        items.append(("/report", "nav.report"))
    items.append(("/residents", "nav.residents"))
    if role in DELETE_ROLES:
        items.append(("/residents/moderate", "nav.moderate"))
    items += [
        ("/organisations", "nav.organisations"),
        ("/cameras", "nav.cameras"),
        ("/guard-areas", "nav.guard_areas"),
        ("/activation-events", "nav.activation_events"),
        ("/survey", "nav.survey"),
    ]
    if caller.user is not None:
        items.append(("/briefings", "nav.briefings"))
    if role in WRITE_ROLES:
        items.append(("/import", "nav.import"))
    if role == Role.ADMIN:
        items.append(("/audit", "nav.audit"))
    return items


def render(
    request: Request, caller: Caller, name: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    store = request.app.state.store
    lang = lang_of(request)
    t = Translator(lang, store.tz)
    ctx = {
        "t": t,
        "lang": lang,
        "langs": {code: str(request.url.include_query_params(lang=code)) for code in LANGS},
        "caller": caller,
        "user": caller.user,
        "csrf": caller.csrf or "",
        "nav": nav_items(caller),
        "path": request.url.path,
        "version": __version__,
        **context,
    }
    response = templates().TemplateResponse(request, name, ctx, status_code=status)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def page(fn):
    """Turn the services' access errors into pages: sign in, not allowed, not found."""

    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        request: Request = kwargs["request"]
        caller: Caller = kwargs["caller"]
        try:
            result = fn(*args, **kwargs)
            if hasattr(result, "__await__"):
                result = await result
            return result
        except NotSignedIn:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
        except AccessDenied:
            return render(request, caller, "message.html", {"kind": "forbidden"}, 403)
        except NotFound:
            return render(request, caller, "message.html", {"kind": "notfound"}, 404)

    return wrapper


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


def need(caller: Caller, roles=None) -> None:
    if caller.user is None:
        raise NotSignedIn("sign in first")
    if roles is not None and caller.viewer.role not in roles:
        raise AccessDenied("your role may not use this page")


# ------------------------------------------------------------------ map


@router.get("/", response_class=HTMLResponse)
@page
def map_page(request: Request, caller: CallerDep):
    store = request.app.state.store
    rounds, places = place_summaries(store, caller.viewer)
    start, end = svc.default_window(store, caller.viewer)
    t = Translator(lang_of(request))
    config = {
        "tiles": os.environ.get(TILES_ENV) or None,
        "attribution": os.environ.get(TILES_ATTRIBUTION_ENV, ""),
        "from": start,
        "to": end,
        "signedIn": caller.user is not None,
        "msg": t.js(),
        "lang": t.lang,
    }
    cats = {
        layer: [(c, t.label(store.taxonomy.get(layer, c))) for c in store.taxonomy.codes(layer)]
        for layer in ("crimes", "observations")
    }
    config["cats"] = {layer: [c for c, _ in pairs] for layer, pairs in cats.items()}
    config["labels"] = {layer: dict(pairs) for layer, pairs in cats.items()}
    return render(
        request,
        caller,
        "map.html",
        {"rounds": rounds, "places": places, "config": config, "categories": cats},
    )


def _window(request: Request, date_from: str | None, date_to: str | None):
    store = request.app.state.store
    if not date_from and not date_to:
        return None
    start = parse_period(date_from or "1900-01-01", store.tz, "from").start
    end = parse_period(date_to or "2999-12-31", store.tz, "to").end
    return between(start, end)


def _bbox(bbox: str | None):
    from lagesbild.web.api import parse_bbox

    return parse_bbox(bbox)


@router.get("/map/extents.geojson")
def map_extents(request: Request, caller: CallerDep) -> dict:
    """Scene extents per mapping round with hectares, as the caller may see them."""
    import shapely

    store = request.app.state.store
    return {
        "type": "FeatureCollection",
        "features": extent_features(store, caller.viewer, shapely.geometry.mapping),
    }


@router.get("/map/points.geojson")
def map_points(
    request: Request,
    caller: CallerDep,
    layer: str = "crimes",
    category: str | None = None,
    bbox: str | None = None,
    zoom: float = 14,
) -> dict:
    """Crimes or observations clustered on a grid fitted to the zoom (server-side, so the
    browser never gets thousands of markers)."""
    store = request.app.state.store
    if layer not in ("crimes", "observations"):
        raise ValidationError("layer", "expected crimes or observations")
    date_from = request.query_params.get("from")  # `from` is a keyword in Python
    date_to = request.query_params.get("to")
    cats = store.taxonomy.expand(layer, category) if category else None
    return svc.clustered_points(
        store,
        caller.viewer,
        layer,
        _window(request, date_from, date_to),
        cats,
        _bbox(bbox),
        max(0.0, min(zoom, 22.0)),
    )


@router.get("/map/hotspots.geojson")
def map_hotspots(
    request: Request,
    caller: CallerDep,
    layer: str = "crimes",
    category: str | None = None,
    cell: float = 100.0,
    place: str | None = None,
) -> dict:
    """The significant cells of `/api/v1/analyse/hotspots` (the same service; cells that are
    not significant are left out, so the map gets a few hundred cells instead of tens of
    thousands)."""
    store = request.app.state.store
    date_from = request.query_params.get("from")
    date_to = request.query_params.get("to")
    if not date_from or not date_to:
        raise ValidationError("from", "give from and to")
    try:
        out = analyse.hotspots(
            store,
            caller.viewer,
            place,
            date_from,
            date_to,
            layer=layer if layer in ("crimes", "observations") else "crimes",
            category=category,
            cell=max(25.0, min(cell, 1000.0)),
        )
    except ValidationError as exc:
        if exc.field == "place":  # nothing to analyse for this viewer and period
            return {"type": "FeatureCollection", "features": [], "summary": {}}
        raise
    features = [f for f in out.features() if f["properties"].get("class") != "not_significant"]
    return {"type": "FeatureCollection", "features": features, "summary": out.summary}


@router.get("/map/cameras.geojson")
def map_cameras(request: Request, caller: CallerDep) -> dict:
    """Cameras as their fields of view (sector polygons)."""
    store = request.app.state.store
    period = _window(request, request.query_params.get("from"), request.query_params.get("to"))
    return svc.camera_sectors(store, caller.viewer, period)


@router.get("/map/priorities.geojson")
def map_priorities(request: Request, caller: CallerDep, day: str | None = None) -> dict:
    """The week's priority places (EST) with the organisations that prioritised them."""
    from datetime import date as _date

    from lagesbild.briefing import est

    store = request.app.state.store
    try:
        when = _date.fromisoformat(day) if day else datetime.now(store.tz).date()
    except ValueError:
        raise ValidationError("day", f"{day!r} is not a date (YYYY-MM-DD)") from None
    by_place: dict[int, dict] = {}
    for p in est.priorities_on(store, caller.viewer, when):
        f = by_place.setdefault(
            p["place_id"],
            {
                "type": "Feature",
                "geometry": p["geometry"],
                "properties": {
                    "place": p["place"],
                    "week_start": str(p["week_start"]),
                    "organisations": [],
                    "notes": [],
                },
            },
        )
        f["properties"]["organisations"].append(p["organisation"])
        if p.get("note"):
            f["properties"]["notes"].append(p["note"])
    return {"type": "FeatureCollection", "features": list(by_place.values())}


# ------------------------------------------------------------------ log-in


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
@page
def login_page(request: Request, caller: CallerDep, next: str | None = None):  # noqa: A002
    return render(
        request, caller, "login.html", {"next": _safe_next(next), "values": {}, "errors": {}}
    )


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",  # noqa: A002
):
    store = request.app.state.store
    from lagesbild.domain.model import PUBLIC_VIEWER

    anonymous = Caller(PUBLIC_VIEWER, None)
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "login.required"
    if not password:
        errors["password"] = "login.required"
    if not errors:
        try:
            user = accounts.authenticate(store, username.strip(), password, remote_of(request))
        except accounts.TooManyAttempts:
            errors["form"] = "login.throttled"
        except (accounts.LoginFailed, LagesbildError):
            errors["form"] = "login.failed"
        else:
            token, _csrf = accounts.start_session(store, user, remote_of(request))
            response = RedirectResponse(_safe_next(next), status_code=303)
            set_session_cookie(request, response, token)
            return response
    status = 429 if errors.get("form") == "login.throttled" else 400
    values = {"username": username}
    return render(
        request,
        anonymous,
        "login.html",
        {"next": _safe_next(next), "values": values, "errors": errors},
        status,
    )


@router.post("/logout")
def logout_submit(request: Request, caller: CallerDep):
    from lagesbild.web.security import SESSION_COOKIE

    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and caller.user is not None:
        accounts.end_session(request.app.state.store, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ------------------------------------------------------------------ field reports


def report_context(request: Request, caller: Caller, values: dict, errors: dict) -> dict:
    store = request.app.state.store
    t = Translator(lang_of(request))
    cats = [
        (c, t.label(store.taxonomy.get("observations", c)))
        for c in store.taxonomy.codes("observations")
    ]
    return {
        "categories": cats,
        "values": values,
        "errors": errors,
        "mine": svc.own_observations(store, caller.viewer, 10),
        "config": {
            "tiles": os.environ.get(TILES_ENV) or None,
            "attribution": os.environ.get(TILES_ATTRIBUTION_ENV, ""),
            "msg": t.js(),
            "lang": t.lang,
        },
        "text_max": TEXT_MAX,
        "sent": request.query_params.get("sent"),
        "errmsgs": {
            code: t(f"err.{code}", n=TEXT_MAX)
            for code in ("position", "lat", "lon", "category", "count", "when")
        },
    }


@router.get("/report", response_class=HTMLResponse)
@page
def report_page(request: Request, caller: CallerDep):
    need(caller, REPORT_ROLES)
    now = datetime.now(request.app.state.store.tz).strftime("%Y-%m-%dT%H:%M")
    values = {"count": "1", "occurred_at": now, "key": uuid.uuid4().hex}
    return render(request, caller, "report.html", report_context(request, caller, values, {}))


def check_report(form: dict[str, str], codes: list[str], text_max: int = TEXT_MAX) -> dict:
    """Field errors (field -> message key) of a field report, the same rules the script uses."""
    errors: dict[str, str] = {}
    for name, lo, hi in (("lat", 55.0, 69.5), ("lon", 10.0, 24.5)):
        raw = (form.get(name) or "").strip().replace(",", ".")
        try:
            v = float(raw)
            if not (lo <= v <= hi and math.isfinite(v)):
                errors[name] = f"err.{name}"
        except ValueError:
            errors[name] = "err.position" if not raw else f"err.{name}"
    if form.get("category") not in codes:
        errors["category"] = "err.category"
    try:
        if not 1 <= int(form.get("count") or "1") <= 1000:
            errors["count"] = "err.count"
    except ValueError:
        errors["count"] = "err.count"
    if len(form.get("text") or "") > text_max:
        errors["text"] = "err.text_long"
    if not (form.get("occurred_at") or "").strip():
        errors["occurred_at"] = "err.when"
    return errors


@router.post("/report", response_class=HTMLResponse)
@page
async def report_submit(request: Request, caller: CallerDep):
    """The form's fallback without scripts: the same record the script would send."""
    need(caller, REPORT_ROLES)
    store = request.app.state.store
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    errors = check_report(form, store.taxonomy.codes("observations"))
    if not errors:
        props = {
            "category": form["category"],
            "count": int(form.get("count") or 1),
            "text": (form.get("text") or "").strip() or None,
            "occurred_at": form["occurred_at"].replace("T", " "),
            "lat": float(form["lat"].replace(",", ".")),
            "lon": float(form["lon"].replace(",", ".")),
        }
        try:
            records.create_record(
                store,
                "observations",
                caller.viewer,
                props,
                None,
                form.get("key") or None,
                remote_of(request),
            )
        except ValidationError as exc:
            errors[exc.field if exc.field in form else "form"] = exc.message
        else:
            return RedirectResponse("/report?sent=1", status_code=303)
    ctx = report_context(request, caller, form, errors)
    return render(request, caller, "report.html", ctx, 400)


@router.get("/report/mine.json")
def my_reports(request: Request, caller: CallerDep) -> list[dict]:
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    out = []
    for r in svc.own_observations(store, caller.viewer, 10):
        cat = store.taxonomy.get("observations", r.category)
        out.append(
            {
                "id": r.id,
                "category": r.category,
                "label": t.label(cat) if cat else r.category,
                "when": t.datetime(r.occurred_at),
                "count": r.count,
                "text": r.text,
                "lat": r.lat,
                "lon": r.lon,
            }
        )
    return out


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served from the root so that its scope covers /report."""
    body = (HERE / "static" / "sw.js").read_text(encoding="utf-8")
    return Response(
        body,
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


# ------------------------------------------------------------------ places


SCOPE_KEYS = {"place": "scope.place", "extent": "scope.extent", "city": "scope.city"}


def scope_label(t: Translator, scope: str) -> str:
    if scope.startswith("place: "):
        return scope[7:]
    if scope.startswith("city: "):
        return f"{scope[6:]} ({t('kind.city')})"
    if scope.startswith("extent of each period's round"):
        years = scope[scope.find("(") + 1 : scope.find(")")].split(" vs ")
        return t("scope.each_round", a=years[0], b=years[-1])
    if scope.startswith("extent "):
        return t("scope.extent", year=scope[7:])
    return scope


def _default_periods(extent_years: list[int], span) -> tuple[str, str]:
    if len(extent_years) >= 2:
        return str(extent_years[-2]), str(extent_years[-1])
    if span:
        last = span[1].year - (1 if span[1].month < 12 else 0)
        return str(last - 1), str(last)
    year = datetime.now().year
    return str(year - 2), str(year - 1)


@router.get("/places/{place_id}", response_class=HTMLResponse)
@page
def place_page(
    request: Request,
    caller: CallerDep,
    place_id: int,
    a: str | None = None,
    b: str | None = None,
    layer: str = "crimes",
):
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    _rounds, summaries = place_summaries(store, caller.viewer)
    place = next((p for p in summaries if p.id == place_id), None)
    if place is None:
        raise NotFound(f"no place {place_id}")
    layer = layer if layer in ("crimes", "observations") else "crimes"
    years = sorted(place.extents)
    da, db = _default_periods(years, svc.data_span(store, caller.viewer))
    a, b = (a or da).strip(), (b or db).strip()
    errors: dict[str, str] = {}
    result = None
    try:
        result = analyse.indicators(store, caller.viewer, place.name, a, b, None, layer)
    except ValidationError as exc:
        errors["a" if "A" in exc.field else "b" if "B" in exc.field else "form"] = exc.message
    rows = result.rows if result else []
    for r in rows:
        r["label"] = scope_label(t, r["scope"])
        cat = store.taxonomy.get(layer, r["category"])
        r["category_label"] = t.label(cat) if cat else r["category"]
    chart_scope = next(
        (r["scope"] for r in rows if r["scope"].startswith("extent of each")),
        rows[0]["scope"] if rows else None,
    )
    chart_rows = [r for r in rows if r["scope"] == chart_scope and (r["count_a"] or r["count_b"])]
    summary = result.summary if result else {}
    drug = layer == "crimes" and any(r["category"] == "drug_offence" for r in rows)
    return render(
        request,
        caller,
        "place.html",
        {
            "place": place,
            "years": years,
            "a": a,
            "b": b,
            "layer": layer,
            "errors": errors,
            "rows": rows,
            "chart_label": scope_label(t, chart_scope) if chart_scope else "",
            "bar_chart": bar_model(chart_rows, "per_ha_a", "per_ha_b"),
            "forest_chart": forest_model(chart_rows),
            "drug": drug,
            "caveat": analyse.ENFORCEMENT_CAVEAT[t.lang],
            "presence": (
                summary.get("police_presence_hours_a"),
                summary.get("police_presence_hours_b"),
            ),
            "config": {"tiles": os.environ.get(TILES_ENV) or None, "msg": t.js(), "lang": t.lang},
        },
    )


@router.get("/places/{place_id}/map.geojson")
def place_geojson(request: Request, caller: CallerDep, place_id: int) -> dict:
    """The place's boundary and its extents by round (for the place page's small map)."""
    import shapely

    store = request.app.state.store
    row = records.get_record(store, "places", place_id, caller.viewer, remote_of(request))
    feats = [records.to_feature(row, store)]
    feats[0]["properties"]["role"] = "place"
    for f in extent_features(store, caller.viewer, shapely.geometry.mapping):
        if f["properties"]["place"] == row["name"]:
            f["properties"]["role"] = "extent"
            feats.append(f)
    return {"type": "FeatureCollection", "features": feats}


# ------------------------------------------------------------------ lists


def _list(request: Request, caller: Caller, layer: str, offset: int, limit: int = PAGE_SIZE):
    store = request.app.state.store
    rows, total = records.list_records(
        store, layer, caller.viewer, records.RecordFilter(limit=limit, offset=max(0, offset))
    )
    return rows, total


def _pager(offset: int, shown: int, total: int) -> dict:
    return {
        "offset": offset,
        "first": offset + 1 if shown else 0,
        "last": offset + shown,
        "total": total,
        "prev": max(0, offset - PAGE_SIZE) if offset > 0 else None,
        "next": offset + PAGE_SIZE if offset + PAGE_SIZE < total else None,
    }


@router.get("/organisations", response_class=HTMLResponse)
@page
def organisations_page(request: Request, caller: CallerDep, offset: int = 0):
    orgs, _ = _list(request, caller, "organisations", 0, 1000)
    names = {o["id"]: o["name"] for o in orgs}
    roster, total = _list(request, caller, "roster", offset)
    roster.sort(key=lambda r: r["starts_at"], reverse=True)
    for r in roster:
        r["organisation"] = names.get(r["organisation_id"], "")
    return render(
        request,
        caller,
        "organisations.html",
        {"orgs": orgs, "roster": roster, "pager": _pager(offset, len(roster), total)},
    )


LIST_PAGES = {
    "cameras": ("nav.cameras", "cameras"),
    "guard-areas": ("nav.guard_areas", "guard_areas"),
    "activation-events": ("nav.activation_events", "activation_events"),
}


def _list_page(request: Request, caller: Caller, slug: str, offset: int):
    title, layer = LIST_PAGES[slug]
    store = request.app.state.store
    rows, total = _list(request, caller, layer, offset)
    for r in rows:
        geom = r.get("geom")
        r["area_ha"] = store.projector.area_ha(geom) if geom is not None and geom.area > 0 else None
    return render(
        request,
        caller,
        "records.html",
        {
            "title": title,
            "layer": layer,
            "rows": rows,
            "pager": _pager(offset, len(rows), total),
        },
    )


@router.get("/cameras", response_class=HTMLResponse)
@page
def cameras_page(request: Request, caller: CallerDep, offset: int = 0):
    return _list_page(request, caller, "cameras", offset)


@router.get("/guard-areas", response_class=HTMLResponse)
@page
def guard_areas_page(request: Request, caller: CallerDep, offset: int = 0):
    return _list_page(request, caller, "guard-areas", offset)


@router.get("/activation-events", response_class=HTMLResponse)
@page
def activation_events_page(request: Request, caller: CallerDep, offset: int = 0):
    return _list_page(request, caller, "activation-events", offset)


# ------------------------------------------------------------------ survey


@router.get("/survey", response_class=HTMLResponse)
@page
def survey_page(
    request: Request, caller: CallerDep, area: str | None = None, question: str | None = None
):
    store = request.app.state.store
    rows, _ = _list(request, caller, "survey_results", 0, 10_000)
    areas = sorted({r["area"] for r in rows if r["area"] != "city"})
    questions = sorted({r["question"] for r in rows})
    area = area or (areas[0] if areas else None)
    result, error = None, None
    if area:
        q = question or (questions[0] if len(questions) == 1 else None)
        try:
            result = analyse.survey(store, caller.viewer, area, q)
        except (ValidationError, NotFound) as exc:
            error = exc.message
    data = result.rows if result else []
    return render(
        request,
        caller,
        "survey.html",
        {
            "areas": areas,
            "questions": questions,
            "area": area,
            "question": question or (result.summary["question"] if result else None),
            "rows": data,
            "chart": survey_model(data),
            "error": error,
        },
    )


# ------------------------------------------------------------------ audit


@router.get("/audit", response_class=HTMLResponse)
@page
def audit_page(
    request: Request,
    caller: CallerDep,
    user: str | None = None,
    action: str | None = None,
    offset: int = 0,
):
    need(caller, {Role.ADMIN})
    rows = audit.read(
        request.app.state.store,
        audit.AuditFilter(user or None, action or None, None, None, None, PAGE_SIZE + 1, offset),
    )
    more = len(rows) > PAGE_SIZE
    return render(
        request,
        caller,
        "audit.html",
        {
            "rows": rows[:PAGE_SIZE],
            "filters": {"user": user or "", "action": action or ""},
            "actions": audit.ACTIONS,
            "offset": offset,
            "more": more,
        },
    )


# ------------------------------------------------------------------ import


class _OwnedSource:
    """A source whose every row belongs to one organisation (imports by non-administrators)."""

    def __init__(self, source, organisation: str) -> None:
        self._source = source
        self._organisation = organisation

    def __getattr__(self, name: str):
        return getattr(self._source, name)

    def records(self):
        for line, rec, geom in self._source.records():
            rec["organisation"] = self._organisation
            yield line, rec, geom


def _import_context(values: dict, errors: dict, result=None) -> dict:
    return {"layers": list(LAYERS), "values": values, "errors": errors, "result": result}


@router.get("/import", response_class=HTMLResponse)
@page
def import_page(request: Request, caller: CallerDep):
    need(caller, WRITE_ROLES)
    return render(request, caller, "import.html", _import_context({"layer": "crimes"}, {}))


@router.post("/import", response_class=HTMLResponse)
@page
async def import_submit(
    request: Request,
    caller: CallerDep,
    layer: Annotated[str, Form()] = "",
    crs: Annotated[str, Form()] = "",
    strict: Annotated[str | None, Form()] = None,
    file: Annotated[UploadFile | None, File()] = None,
):
    """The CLI's `lagesbild import` for one uploaded file, with the same summary and the same
    list of rejected rows; rows are owned by the importer's organisation."""
    from lagesbild.ingest.service import ImportOptions, import_file, open_file
    from lagesbild.ingest.writer import StrictRejection

    need(caller, WRITE_ROLES)
    store = request.app.state.store
    user = caller.user
    values = {"layer": layer, "crs": crs, "strict": bool(strict)}
    errors: dict[str, str] = {}
    if layer not in LAYERS:
        errors["layer"] = "err.required"
    elif layer == "organisations" and user.role != Role.ADMIN:
        errors["layer"] = "import.admin_only"
    if file is None or not file.filename:
        errors["file"] = "import.no_file"
    if errors:
        return render(request, caller, "import.html", _import_context(values, errors), 400)
    name = Path(file.filename).name.replace("..", "_") or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="lagesbild-import-") as tmp:
        path = Path(tmp) / name
        with open(path, "wb") as fh:
            while chunk := await file.read(1 << 20):
                fh.write(chunk)
        options = ImportOptions(
            crs=crs.strip() or None,
            strict=bool(strict),
            organisation=user.organisation,
            user_id=user.id,
        )
        try:
            source = open_file(store, layer, path, options)
            if user.role != Role.ADMIN and layer != "organisations":
                source = _OwnedSource(source, user.organisation)
            result = import_file(store, layer, path, options, source=source)
        except StrictRejection as exc:
            errors["strict"] = "import.strict_failed"
            errors["detail"] = exc.message
            return render(request, caller, "import.html", _import_context(values, errors), 400)
        except LagesbildError as exc:
            field = getattr(exc, "field", None)
            errors["crs" if field and "crs" in field else "file"] = exc.message
            return render(request, caller, "import.html", _import_context(values, errors), 400)
    with store.write() as conn:
        audit.record(
            conn,
            caller.viewer,
            "import",
            result.layer,
            None,
            f"{name}: {result.summary.as_dict()}",
            remote_of(request),
        )
    rejected = sorted(result.summary.rejected, key=lambda r: r.line)[:500]
    shown = {
        "source": result.source,
        "name": name,
        "summary": result.summary,
        "rejected": rejected,
        "ignored": list(result.ignored_columns),
        "organisation": user.organisation,
    }
    return render(request, caller, "import.html", _import_context(values, {}, shown))


@router.get("/pages/messages.json")
def messages(request: Request) -> JSONResponse:
    """The scripts' messages in the reader's language."""
    return JSONResponse(Translator(lang_of(request)).js())


# ------------------------------------------------------------------ chart models
# The charts are inline SVG drawn by the macros of templates/_charts.html; these functions only
# place the data on 0..1 scales, so the templates hold no arithmetic beyond pixels.


def _nice_max(value: float) -> float:
    """A round upper bound for an axis: 1, 2 or 5 times a power of ten."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def bar_model(rows: list[dict], key_a: str, key_b: str) -> dict:
    vmax = _nice_max(max([r[key_a] or 0 for r in rows] + [r[key_b] or 0 for r in rows] + [0]))
    return {
        "max": vmax,
        "ticks": [vmax * i / 4 for i in range(5)],
        "groups": [
            {
                "label": r["category_label"],
                "a": r[key_a],
                "b": r[key_b],
                "fa": (r[key_a] or 0) / vmax,
                "fb": (r[key_b] or 0) / vmax,
            }
            for r in rows
        ],
    }


def forest_model(rows: list[dict]) -> dict:
    """Rate ratios with their intervals on a log axis (1 = no change in the middle)."""
    items = [r for r in rows if r.get("rate_ratio") not in (None, 0)]
    los = [r["ci_low"] for r in items if r.get("ci_low")]
    his = [r["ci_high"] for r in items if r.get("ci_high")]
    lo = min([0.5, *los])
    hi = max([2.0, *his])
    extent = max(abs(math.log(lo)), abs(math.log(hi)))  # symmetric around 1
    lo, hi, span = math.exp(-extent), math.exp(extent), 2 * extent

    def f(v: float | None, default: float) -> float:
        if v is None or v <= 0 or not math.isfinite(v):
            return default
        return min(1.0, max(0.0, (math.log(v) - math.log(lo)) / span))

    ticks = [v for v in (0.1, 0.25, 0.5, 1, 2, 4, 10) if lo <= v <= hi]
    return {
        "ticks": [(f(v, 0), v) for v in ticks],
        "items": [
            {
                "label": r["category_label"],
                "ratio": r["rate_ratio"],
                "lo": r.get("ci_low"),
                "hi": r.get("ci_high"),
                "f": f(r["rate_ratio"], 0.5),
                "flo": f(r.get("ci_low"), 0.0),
                "fhi": f(r.get("ci_high"), 1.0),
                "drug": r["category"] == "drug_offence",
            }
            for r in items
        ],
    }


def survey_model(rows: list[dict]) -> dict:
    """Area and city shares by year with their Wilson intervals, on 0..max scales."""
    if not rows:
        return {"years": [], "ticks": [], "area": [], "city": []}
    years = [r["year"] for r in rows]
    top = max([r["ci_high"] for r in rows] + [r.get("city_ci_high") or 0 for r in rows])
    ymax = min(1.0, math.ceil(top * 10 + 0.5) / 10)
    n = len(years)

    def fx(i: int) -> float:
        return 0.5 if n == 1 else i / (n - 1)

    def series(key: str, lo: str, hi: str) -> list[dict]:
        return [
            {
                "fx": fx(i),
                "fy": r[key] / ymax,
                "flo": r[lo] / ymax,
                "fhi": r[hi] / ymax,
                "share": r[key],
                "year": r["year"],
            }
            for i, r in enumerate(rows)
            if r.get(key) is not None
        ]

    return {
        "years": [(fx(i), y) for i, y in enumerate(years)],
        "ticks": [(v / ymax, v) for v in [ymax * i / 5 for i in range(6)]],
        "area": series("share", "ci_low", "ci_high"),
        "city": series("city_share", "city_ci_low", "city_ci_high"),
    }
