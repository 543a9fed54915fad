"""The HTML pages' shared rendering (templates, navigation, `render`, `page`, `need`), the map
and its data, and log-in. The other pages live beside it: `pages_field` (field reports),
`pages_places` (places, lists, survey, audit), `pages_import` (browser import).

Pages read through the same services as the API (`services.records`, `services.analyse`,
`services.pages`), so a page shows exactly what the caller's access allows. Every text comes
from `lagesbild.i18n`; forms carry the session's CSRF token and keep what was typed on an error.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from lagesbild import __version__, accounts
from lagesbild.domain.model import DELETE_ROLES, REPORT_ROLES, WRITE_ROLES, Role
from lagesbild.domain.periods import between, parse_period
from lagesbild.errors import AccessDenied, LagesbildError, NotFound, ValidationError
from lagesbild.i18n import LANGS, Translator
from lagesbild.services import analyse
from lagesbild.services import pages as svc
from lagesbild.store.queries import extent_features, place_summaries
from lagesbild.web import cache
from lagesbild.web.api import audit_listed
from lagesbild.web.headers import tile_config
from lagesbild.web.lang import LANG_COOKIE, lang_of
from lagesbild.web.lru import LRU
from lagesbild.web.security import Caller, NotSignedIn, identify, remote_of, set_session_cookie

HERE = Path(__file__).parent
router = APIRouter(include_in_schema=False)
CallerDep = Annotated[Caller, Depends(identify)]
TEXT_MAX = 500
PAGE_SIZE = 100
MAP_CACHE = cache.ResponseCache(256)  # clustered map views
MAP_POINTS = LRU(16)  # the points those views cluster (per layer, period, audience)


@functools.cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=HERE / "templates")


# ------------------------------------------------------------------ rendering


NavItem = tuple[str, str]  # (href, message key)


def nav_groups(caller: Caller) -> list[tuple[str, list[NavItem]]]:
    """The menu in groups by who uses them, each (group message key, items): what the caller's
    role may use. First the map and the reports (everyone, field staff), then coordination
    (coordinators' meetings and rounds), then the registers and data (analysts), then what the
    public sees and sends."""
    role = caller.viewer.role
    signed_in = caller.user is not None
    work = [("/", "nav.map"), ("/#places", "nav.places")]
    if role in REPORT_ROLES:
        work += [("/report", "nav.report"), ("/observe", "nav.observe")]
    coordination: list[NavItem] = []
    if signed_in:
        coordination = [
            ("/briefings", "nav.briefings"),
            ("/week", "nav.week"),
            ("/goals", "nav.goals"),
            ("/rounds", "nav.rounds"),
        ]
    registers = [
        ("/organisations", "nav.organisations"),
        ("/cameras", "nav.cameras"),
        ("/guard-areas", "nav.guard_areas"),
        ("/activation-events", "nav.activation_events"),
        ("/survey", "nav.survey"),
    ]
    if role in WRITE_ROLES:
        registers.append(("/import", "nav.import"))
    if role == Role.ADMIN:
        registers.append(("/audit", "nav.audit"))
    public = [("/public", "nav.public"), ("/residents", "nav.residents")]
    if role in DELETE_ROLES:
        public.append(("/residents/moderate", "nav.moderate"))
    groups = [
        ("nav.g.work", work),
        ("nav.g.coordination", coordination),
        ("nav.g.registers", registers),
        ("nav.g.public", public),
    ]
    return [(key, items) for key, items in groups if items]


def nav_items(caller: Caller) -> list[NavItem]:
    """(href, message key) of the menu: what the caller's role may use."""
    return [item for _, items in nav_groups(caller) for item in items]


def nav_current(items: list[NavItem], path: str) -> str | None:
    """The menu item the page belongs to: the longest href that is the path or a folder above it
    (/rounds/2023/4 is under Rounds, /places/1 under Places, /residents/moderate not Residents)."""
    best: str | None = None
    for href, _ in items:
        base = "/places" if href == "/#places" else href
        hit = path == base or (base != "/" and path.startswith(base.rstrip("/") + "/"))
        if hit and (best is None or len(base) > len("/places" if best == "/#places" else best)):
            best = href
    return best


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
        "nav_groups": nav_groups(caller),
        "nav_current": nav_current(nav_items(caller), request.url.path),
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

DOWNLOAD_MAX = 10_000  # the API's page limit: one map download holds at most this many rows


@router.get("/", response_class=HTMLResponse)
@page
def map_page(request: Request, caller: CallerDep):
    store = request.app.state.store
    rounds, places = place_summaries(store, caller.viewer)
    start, end = svc.default_window(store, caller.viewer)
    t = Translator(lang_of(request))
    config = {
        **tile_config(),
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
        {
            "rounds": rounds,
            "places": places,
            "config": config,
            "categories": cats,
            "download_max": DOWNLOAD_MAX,
        },
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


async def loaded_points(
    request: Request, caller: Caller, layer: str, category: str | None
) -> svc.MapPoints:
    """The points of the request's layer, period (`from`, `to`) and category the caller may
    see, loaded once per change of the layer and shared by every view, chart and table."""
    store = request.app.state.store
    if layer not in ("crimes", "observations"):
        raise ValidationError("layer", "expected crimes or observations")
    date_from = request.query_params.get("from")  # `from` is a keyword in Python
    date_to = request.query_params.get("to")
    cats = store.taxonomy.expand(layer, category) if category else None
    window = _window(request, date_from, date_to)
    version = await cache.request_version(request, (layer,))
    key = (layer, cache.audience(caller.viewer), window, tuple(cats or ()), version)
    loaded = MAP_POINTS.get(key)
    if loaded is None:
        loaded = await run_in_threadpool(
            MAP_POINTS.get_or_compute,
            key,
            lambda: svc.map_points(store, caller.viewer, layer, window, cats),
        )
    return loaded


@router.get("/map/points.geojson")
async def map_points(
    request: Request,
    caller: CallerDep,
    layer: str = "crimes",
    category: str | None = None,
    bbox: str | None = None,
    zoom: float = 14,
) -> Response:
    """Crimes or observations clustered on a grid fitted to the zoom (server-side, so the
    browser never gets thousands of markers). Cached like the API's layers: the same view
    asked again (another user of the same organisation, the browser revalidating with its
    ETag) is served from memory until the layer changes. A new view (panning, zooming)
    clusters the points already loaded for this layer, period, categories and audience: the
    store is read once per change, not once per view."""
    store = request.app.state.store
    loaded = await loaded_points(request, caller, layer, category)
    box = _bbox(bbox)
    remote = remote_of(request)
    fresh: list[list[int]] = []

    def compute() -> tuple[bytes, list[int]]:  # about a millisecond for 10,000 points
        view = loaded.within(box)
        fc = svc.cluster(store, view, box, max(0.0, min(zoom, 22.0)))
        fc["numberTotal"] = len(loaded.points)  # the filter's, beside the view's numberMatched
        fresh.append(view.restricted_ids())
        return orjson.dumps(fc), fresh[-1]

    # a view shows where its restricted records are (a cluster of one is the record): it opens
    # them, and is audited as a listing of them is, whether computed now or served again
    answer = await cache.cached_answer(
        request,
        caller.viewer,
        (layer,),
        MAP_CACHE,
        compute,
        "application/geo+json",
        cheap=True,
        on_reuse=lambda ids: audit_listed(store, caller, layer, ids, remote),
    )
    if fresh:
        await audit_listed(store, caller, layer, fresh[0], remote)
    return answer


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
        out = analyse.answer(
            "hotspots",
            store,
            caller.viewer,
            {
                "place": place,
                "date_from": date_from,
                "date_to": date_to,
                "layer": layer if layer in ("crimes", "observations") else "crimes",
                "category": category,
                "cell": max(25.0, min(cell, 1000.0)),
            },
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
    return svc.camera_sectors(store, caller.viewer, period, remote_of(request))


@router.get("/map/priorities.geojson")
def map_priorities(request: Request, caller: CallerDep, day: str | None = None) -> dict:
    """The week's priority places (EST) with the organisations that prioritised them (and the
    coming week's, once set: `briefing.maps.priorities_layer`)."""
    from datetime import date as _date

    from lagesbild.briefing import maps

    store = request.app.state.store
    try:
        when = _date.fromisoformat(day) if day else datetime.now(store.tz).date()
    except ValueError:
        raise ValidationError("day", f"{day!r} is not a date (YYYY-MM-DD)") from None
    return maps.priorities_layer(store, caller.viewer, when)


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
    throttled = False
    if not username.strip():
        errors["username"] = "login.required"
    if not password:
        errors["password"] = "login.required"
    if not errors:
        try:
            user = accounts.authenticate(store, username.strip(), password, remote_of(request))
        except accounts.TooManyAttempts as exc:
            # an account's lock says what a wrong password says (it tells a guesser nothing)
            errors["form"] = "login.failed" if exc.message == accounts.WRONG else "login.throttled"
            throttled = True
        except (accounts.LoginFailed, LagesbildError):
            errors["form"] = "login.failed"
        else:
            token, _csrf = accounts.start_session(store, user, remote_of(request))
            response = RedirectResponse(_safe_next(next), status_code=303)
            set_session_cookie(request, response, token)
            return response
    status = 429 if throttled else 400
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
