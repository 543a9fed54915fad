"""The yearly mapping round in the browser: `/rounds` (every round with its scenes),
`/rounds/{year}` (that round's extents on a map, the round before dashed beneath),
`/rounds/{year}/{place_id}` (draw, assess, compare and save one scene's extent as a version),
the live hectares (`.../measure`, the server's own projection, so they equal what
`lagesbild places` prints), `GET /api/v1/extents/{id}/history`, and the map editor's library
(npm's `@geoman-io/leaflet-geoman-free`, fetched by `npm ci` into node_modules, served here)."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Annotated

import shapely
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from lagesbild import __file__ as package_file
from lagesbild.domain.model import WRITE_ROLES, Sensitivity
from lagesbild.errors import AccessDenied, ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import data, guard_areas, records
from lagesbild.services import rounds as svc
from lagesbild.store.queries import place_summaries
from lagesbild.web.headers import tile_config
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.params import Id
from lagesbild.web.security import Caller, remote_of

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["extents"])

NODE_MODULES_ENV = "LAGESBILD_NODE_MODULES"
GEOMAN = "@geoman-io/leaflet-geoman-free/dist"


def node_modules() -> Path | None:
    """Where `npm ci` put the front-end libraries: $LAGESBILD_NODE_MODULES, else the
    node_modules folder beside the project (an editable install, a checkout)."""
    if os.environ.get(NODE_MODULES_ENV):
        return Path(os.environ[NODE_MODULES_ENV])
    for parent in Path(package_file).resolve().parents:
        if (parent / "node_modules" / GEOMAN).is_dir():
            return parent / "node_modules"
    return None


def install(app: FastAPI) -> None:
    """Register the mapping round's pages and API (one line in the app factory)."""
    app.include_router(router)
    app.include_router(api_router)
    folder = node_modules()
    # the editor library's own dist folder only; missing (no `npm ci`) it answers 404
    app.mount(
        "/vendor/geoman",
        StaticFiles(directory=folder / GEOMAN if folder else Path("/nonexistent"), check_dir=False),
        name="geoman",
    )


# ------------------------------------------------------------------ helpers


def _may_save(caller: Caller) -> bool:
    return caller.viewer.role in WRITE_ROLES


def _gj(geom) -> dict | None:
    return shapely.geometry.mapping(geom) if geom is not None and not geom.is_empty else None


def _config(request: Request, t: Translator, **extra) -> dict:
    return {**tile_config(), "lang": t.lang, **extra}


def _labels(t: Translator) -> dict:
    return {
        "criteria": [(c, t.code("criterion", c)) for c in svc.CRITERIA],
        "statuses": [(s, t.code("extent_status", s)) for s in svc.STATUSES],
    }


# ------------------------------------------------------------------ pages


@router.get("/rounds", response_class=HTMLResponse)
@page
def rounds_page(request: Request, caller: CallerDep):
    need(caller)
    store = request.app.state.store
    overview = svc.overview(store, caller.viewer)
    next_year = date.today().year
    # the rounds with extents, the ones opened without any yet (the demo's 2024), this year's
    years = sorted({*overview, *svc.opened_years(store), next_year}, reverse=True)
    return render(
        request,
        caller,
        "rounds.html",
        {"overview": overview, "years": years, "may_save": _may_save(caller)},
    )


@router.get("/rounds/{year}", response_class=HTMLResponse)
@page
def round_page(request: Request, caller: CallerDep, year: int):
    need(caller)
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    found = svc.round_extents(store, caller.viewer, year)
    before = [
        e for e in svc.overview(store, caller.viewer).get(year - 1, []) if e.extent.year == year - 1
    ]
    mapped = {e.place_id for e in found}
    _years, summaries = place_summaries(store, caller.viewer)
    places = [(p.id, p.name) for p in summaries if p.id not in mapped]
    features = [
        {
            "type": "Feature",
            "geometry": _gj(e.geom),
            "properties": {
                "place": e.place,
                "year": e.year,
                "status": e.status,
                "area_ha": round(e.area_ha, 2),
                "role": "this" if e.year == year else "before",
            },
        }
        for e in [*found, *(r.extent for r in before)]
    ]
    return render(
        request,
        caller,
        "rounds_year.html",
        {
            "year": year,
            "found": found,
            "unmapped": places,
            "may_save": _may_save(caller),
            "config": _config(request, t, features=features, msg=_js(t)),
        },
    )


def _js(t: Translator) -> dict:
    keys = (
        "area",
        "this_round",
        "round_before",
        "gained",
        "lost",
        "proposal",
        "band",
        "measuring",
        "problem",
        "no_geometry",
        "place_boundary",
    )
    out = {k: t(f"rounds.js.{k}") for k in keys}
    out.update({f"status.{s}": t.code("extent_status", s) for s in svc.STATUSES})
    return out


def _editor(
    request: Request,
    caller: Caller,
    year: int,
    place_id: int,
    form: dict | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    repaired=None,
    newer: svc.RoundExtent | None = None,
):
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    place = data.place_by_id(store, caller.viewer, place_id)
    extent = svc.current(store, caller.viewer, year, place_id)
    before = svc.previous(store, caller.viewer, year, place_id)
    shown = None
    from_version = request.query_params.get("from_version")
    if form is None and extent is not None:
        # what is stored, or the version asked for (viewed, and restored when saved)
        shown_from = extent
        if from_version and from_version.isdigit():
            shown_from = svc.version_of(store, caller.viewer, extent.id, int(from_version))
            shown = shown_from.version
        form = _form_of(shown_from, extent)
    elif form is None:
        form = {
            "geometry": "",
            "status": "listed",
            "criteria": [],
            "motivation": "",
            # a round is assessed in its own year: today only for this year's round
            "assessed_on": date.today().isoformat() if year == date.today().year else "",
            "participants": [],
            "sensitivity": "shared",
            "version": "0",
        }
    own = extent is None or extent.owner_org_id == caller.viewer.organisation_id
    may_save = _may_save(caller) and own
    history = svc.history(store, caller.viewer, extent.id) if extent is not None else []
    cfg = _config(
        request,
        t,
        msg=_js(t),
        measure=f"/rounds/{year}/{place_id}/measure",
        place=_gj(place.geom_wgs84),
        previous={"year": before.year, "geometry": _gj(before.geom), "area_ha": before.area_ha}
        if before
        else None,
        proposal=f"/rounds/{year}/{place_id}/proposal.json",
        repaired=_gj(repaired),
        editable=may_save,
    )
    return render(
        request,
        caller,
        "rounds_edit.html",
        {
            "year": year,
            "place": place,
            "extent": extent,
            "before": before,
            "form": form,
            "errors": errors or {},
            "may_save": may_save,
            "own": own,
            "history": history,
            "shown_version": shown,
            "newer": newer,
            "repaired": repaired is not None,
            "organisations": svc.organisations_named(store),
            "sensitivities": [s.value for s in Sensitivity],
            "config": cfg,
            **_labels(t),
        },
        status,
    )


def _form_of(shown: svc.RoundExtent | svc.Version, extent: svc.RoundExtent) -> dict:
    """The form's fields for a stored extent or one of its versions; the version the form
    carries is always the stored one (restoring an old version is a save on the newest)."""
    geometry = shown.geometry if isinstance(shown, svc.Version) else _gj(shown.geom)
    return {
        "geometry": json.dumps(geometry),
        "status": shown.status,
        "criteria": list(shown.criteria),
        "motivation": shown.motivation or "",
        "assessed_on": shown.assessed_on.isoformat() if shown.assessed_on else "",
        "participants": list(shown.participants),
        "sensitivity": extent.sensitivity,
        "version": str(extent.version),
    }


@router.get("/rounds/{year}/{place_id}", response_class=HTMLResponse)
@page
def round_editor(request: Request, caller: CallerDep, year: int, place_id: Id):
    need(caller)
    return _editor(request, caller, year, place_id)


_FIELDS = ("status", "criteria", "motivation", "assessed_on", "version")


def _message(t: Translator, exc: ValidationError, year: int) -> tuple[str, str]:
    """(form field, message in the caller's language) of a refused save."""
    if isinstance(exc, svc.GeometryRefused):
        return "geometry", t(f"rounds.geo.{exc.code}", **exc.values)
    if exc.field == "year":
        return "year", t("rounds.err.year", year=year, limit=date.today().year + 1)
    if exc.field in _FIELDS:
        return exc.field, t(f"rounds.err.{exc.field}")
    return "form", t("rounds.err.form") + f" ({exc.message})"


@router.post("/rounds/{year}/{place_id}", response_class=HTMLResponse)
@page
def round_save(
    request: Request,
    caller: CallerDep,
    year: int,
    place_id: Id,
    geometry: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    criteria: Annotated[list[str] | None, Form()] = None,
    motivation: Annotated[str, Form()] = "",
    assessed_on: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "0",
    participants: Annotated[list[str] | None, Form()] = None,
    sensitivity: Annotated[str | None, Form()] = None,
):
    need(caller)
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    form = {
        "geometry": geometry,
        "status": status,
        "criteria": criteria or [],
        "motivation": motivation,
        "assessed_on": assessed_on,
        "participants": participants or [],
        "sensitivity": sensitivity,
        "version": version,
    }
    if not _may_save(caller):
        raise AccessDenied("your role may look at the mapping round, not save it")
    try:
        assessment = svc.parse_assessment(
            store,
            year,
            geometry=geometry,
            status=status,
            criteria=criteria or [],
            motivation=motivation,
            assessed_on=assessed_on,
            version=version,
            participants=participants,
            sensitivity=sensitivity or None,
        )
        svc.save(store, caller.viewer, year, place_id, assessment, remote_of(request))
    except svc.StaleVersion as exc:
        msg = t(
            "rounds.err.stale",
            opened=form["version"],
            newer=exc.newer.version,
            status=t.code("extent_status", exc.newer.status),
            ha=t.ha(exc.newer.area_ha, 2),
        )
        return _editor(
            request, caller, year, place_id, form, {"version": msg}, 409, newer=exc.newer
        )
    except ValidationError as exc:
        field, msg = _message(t, exc, year)
        repaired = exc.repaired if isinstance(exc, svc.GeometryRefused) else None
        return _editor(request, caller, year, place_id, form, {field: msg}, 422, repaired=repaired)
    lang = request.query_params.get("lang")
    return RedirectResponse(f"/rounds/{year}" + (f"?lang={lang}" if lang else ""), 303)


async def _drawn(request: Request) -> object:
    """The geometry of a measure request's JSON body ({"geometry": GeoJSON})."""
    try:
        body = await request.json()
    except ValueError:
        raise ValidationError("geometry", 'send a JSON object {"geometry": ...}') from None
    return body.get("geometry") if isinstance(body, dict) else None


@router.post("/rounds/{year}/{place_id}/measure")
async def round_measure(request: Request, caller: CallerDep, year: int, place_id: Id):
    """The drawn geometry's hectares in the store's projected CRS (the same computation as
    `lagesbild places`), what is wrong with it, and its change against the round before."""
    need(caller)
    store = request.app.state.store
    raw = await _drawn(request)
    out: dict = {"area_ha": None, "problem": None, "repaired": None, "compare": None}
    if not raw:
        return JSONResponse(out)
    try:
        geom = svc.check_geometry(store, raw)
    except svc.GeometryRefused as exc:
        out["problem"] = Translator(lang_of(request), store.tz)(
            f"rounds.geo.{exc.code}", **exc.values
        )
        out["repaired"] = _gj(exc.repaired)
        geom = exc.repaired
        if geom is None:
            try:
                shape = shapely.geometry.shape(raw)
                out["area_ha"] = round(store.projector.area_ha(shape), 4)
            except Exception:  # noqa: BLE001 - a shape beyond measuring has no area to show
                pass
            return JSONResponse(out)
    out["area_ha"] = store.projector.area_ha(geom)
    before = svc.previous(store, caller.viewer, year, place_id)
    if before is not None:
        c = svc.compare(store, before, geom)
        out["compare"] = {
            "year": c.previous_year,
            "gained": _gj(c.gained),
            "lost": _gj(c.lost),
            "gained_ha": c.gained_ha,
            "lost_ha": c.lost_ha,
            "change_ha": c.change_ha,
            "centre_moved_m": c.centre_moved_m,
        }
    return JSONResponse(out)


@router.get("/rounds/{year}/{place_id}/proposal.json")
def round_proposal(request: Request, caller: CallerDep, year: int, place_id: Id) -> dict:
    """The extent proposed from the year before's observations and crimes, with its band."""
    need(caller)
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    found = svc.proposal(store, caller.viewer, year, place_id)
    if found is None:
        return {"geometry": None, "text": t("rounds.proposal.none", year=year - 1)}
    return {
        "geometry": _gj(found.geom),
        "band": _gj(found.band),
        "area_ha": found.area_ha,
        "text": t(
            "rounds.proposal.text",
            period=found.period,
            points=t.num(found.points),
            ha=t.ha(found.area_ha, 2),
            low=t.ha(found.ci_low_ha, 2),
            high=t.ha(found.ci_high_ha, 2),
        ),
    }


@api_router.get("/extents/{extent_id}/history")
def extent_history(request: Request, caller: CallerDep, extent_id: Id) -> dict:
    """The saved versions of an extent, newest first: who, when, what changed, and the
    extent as it was (status, criteria, motivation, date, organisations, geometry)."""
    versions = svc.history(request.app.state.store, caller.viewer, extent_id)
    return {"extent_id": extent_id, "versions": [v.to_dict() for v in versions]}


# ------------------------------------------------------------------ guard areas on a map

GUARD_FIELDS = ("name", "decision", "valid_from", "valid_to", "sensitivity")


def _guard_form(
    request: Request,
    caller: Caller,
    record_id: int | None,
    form: dict,
    errors: dict[str, str] | None = None,
    status: int = 200,
):
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    cfg = _config(request, t, msg=_js(t), measure="/guard-areas/measure", editable=True)
    return render(
        request,
        caller,
        "guard_area_edit.html",
        {
            "record_id": record_id,
            "form": form,
            "errors": errors or {},
            "sensitivities": [s.value for s in Sensitivity],
            "config": cfg,
        },
        status,
    )


@router.get("/guard-areas/new", response_class=HTMLResponse)
@page
def guard_area_new(request: Request, caller: CallerDep):
    need(caller, WRITE_ROLES)
    blank = {"geometry": "", "name": "", "decision": "", "valid_from": "", "valid_to": ""}
    return _guard_form(request, caller, None, {**blank, "sensitivity": "shared"})


@router.get("/guard-areas/{guard_area_id}/edit", response_class=HTMLResponse)
@page
def guard_area_edit(request: Request, caller: CallerDep, guard_area_id: Id):
    need(caller, WRITE_ROLES)
    store = request.app.state.store
    row = records.get_record(store, "guard_areas", guard_area_id, caller.viewer, remote_of(request))
    if row["owner_org_id"] != caller.viewer.organisation_id:
        raise AccessDenied("only the owner organisation may change this guard area")
    form = {
        "geometry": json.dumps(_gj(row["geom"])),
        **{k: "" if row[k] is None else str(row[k]) for k in GUARD_FIELDS},
    }
    return _guard_form(request, caller, guard_area_id, form)


async def _guard_save(request: Request, caller: Caller, record_id: int | None):
    need(caller, WRITE_ROLES)
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    sent = await request.form()
    form = {k: str(sent.get(k) or "") for k in ("geometry", *GUARD_FIELDS)}
    try:
        guard_areas.save(store, caller.viewer, record_id, form, remote_of(request))
    except ValidationError as exc:
        if isinstance(exc, svc.GeometryRefused):
            field, msg = "geometry", t(f"rounds.geo.{exc.code}", **exc.values)
        else:
            field = exc.field if exc.field in GUARD_FIELDS else "form"
            msg = t(f"guard.err.{field}")
        return _guard_form(request, caller, record_id, form, {field: msg}, 422)
    return RedirectResponse("/guard-areas", 303)


@router.post("/guard-areas/new", response_class=HTMLResponse)
@page
async def guard_area_create(request: Request, caller: CallerDep):
    return await _guard_save(request, caller, None)


@router.post("/guard-areas/{guard_area_id}/edit", response_class=HTMLResponse)
@page
async def guard_area_update(request: Request, caller: CallerDep, guard_area_id: Id):
    return await _guard_save(request, caller, guard_area_id)


@router.post("/guard-areas/measure")
async def guard_area_measure(request: Request, caller: CallerDep):
    """A drawn guard area's hectares in the store's projected CRS, and what is wrong with it."""
    need(caller)
    store = request.app.state.store
    raw = await _drawn(request)
    out: dict = {"area_ha": None, "problem": None, "repaired": None, "compare": None}
    if raw:
        try:
            out["area_ha"] = store.projector.area_ha(svc.check_geometry(store, raw))
        except svc.GeometryRefused as exc:
            t = Translator(lang_of(request), store.tz)
            out["problem"] = t(f"rounds.geo.{exc.code}", **exc.values)
            out["repaired"] = _gj(exc.repaired)
    return JSONResponse(out)
