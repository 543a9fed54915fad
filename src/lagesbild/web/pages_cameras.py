"""Cameras placed on a map, from their page: `/cameras/new` and `/cameras/{id}/edit` show a
map where a click (or a drag of the marker) sets the position and the field of view is drawn
as a cone that follows the bearing, angle and range typed beside it; a save goes through
`services.cameras` (the import's checks, the owner organisation's only, audited)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lagesbild.domain.model import WRITE_ROLES, Sensitivity
from lagesbild.errors import AccessDenied, ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import cameras as svc
from lagesbild.services import records
from lagesbild.web.headers import tile_config
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.params import Id
from lagesbild.web.security import Caller, remote_of

router = APIRouter(include_in_schema=False)

FORM_FIELDS = ("lat", "lon", *svc.FIELDS, "sensitivity")
# a refused field -> the form field whose message names it (the builder's own names)
_ERROR_FIELD = {"lat/lon": "location", "bearing/angle/range": "bearing"}
_KNOWN = {"location", *svc.FIELDS, "sensitivity"}


def install(app: FastAPI) -> None:
    """Register the camera editor's pages (one line in the app factory)."""
    app.include_router(router)


def _form(
    request: Request,
    caller: Caller,
    record_id: int | None,
    form: dict,
    errors: dict[str, str] | None = None,
    status: int = 200,
):
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    cfg = {
        **tile_config(),
        "lang": t.lang,
        "centre": svc.centre(store, caller.viewer),
        "record_id": record_id,
        "msg": {"click": t("camera.js.click"), "cone": t("camera.js.cone")},
    }
    return render(
        request,
        caller,
        "camera_edit.html",
        {
            "record_id": record_id,
            "form": form,
            "errors": errors or {},
            "sensitivities": [s.value for s in Sensitivity],
            "config": cfg,
        },
        status,
    )


def _number(value) -> str:
    return "" if value is None else f"{float(value):g}"


@router.get("/cameras/new", response_class=HTMLResponse)
@page
def camera_new(request: Request, caller: CallerDep):
    need(caller, WRITE_ROLES)
    blank = dict.fromkeys(FORM_FIELDS, "")
    return _form(
        request, caller, None, {**blank, "angle": "90", "range": "50", "sensitivity": "shared"}
    )


@router.get("/cameras/{camera_id}/edit", response_class=HTMLResponse)
@page
def camera_edit(request: Request, caller: CallerDep, camera_id: Id):
    need(caller, WRITE_ROLES)
    store = request.app.state.store
    row = records.get_record(store, "cameras", camera_id, caller.viewer, remote_of(request))
    if row["owner_org_id"] != caller.viewer.organisation_id:
        raise AccessDenied("only the owner organisation may change this camera")
    point = row["geom"]
    form = {
        "lat": f"{point.y:.7f}",
        "lon": f"{point.x:.7f}",
        "operator": row["operator"] or "",
        "bearing": _number(row["bearing"]),
        "angle": _number(row["angle"]),
        "range": _number(row["range_m"]),
        "legal_basis": row["legal_basis"] or "",
        "active_from": str(row["active_from"] or ""),
        "active_to": str(row["active_to"] or ""),
        "sensitivity": row["sensitivity"],
    }
    return _form(request, caller, camera_id, form)


async def _save(request: Request, caller: Caller, record_id: int | None):
    need(caller, WRITE_ROLES)
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    sent = await request.form()
    form = {k: str(sent.get(k) or "") for k in FORM_FIELDS}
    try:
        svc.save(store, caller.viewer, record_id, form, remote_of(request))
    except ValidationError as exc:
        field = _ERROR_FIELD.get(exc.field, exc.field)
        field = field if field in _KNOWN else "form"
        msg = t(f"camera.err.{field}") + (f" ({exc.message})" if field == "form" else "")
        return _form(request, caller, record_id, form, {field: msg}, 422)
    lang = request.query_params.get("lang")
    return RedirectResponse("/cameras" + (f"?lang={lang}" if lang else ""), 303)


@router.post("/cameras/new", response_class=HTMLResponse)
@page
async def camera_create(request: Request, caller: CallerDep):
    return await _save(request, caller, None)


@router.post("/cameras/{camera_id}/edit", response_class=HTMLResponse)
@page
async def camera_update(request: Request, caller: CallerDep, camera_id: Id):
    return await _save(request, caller, camera_id)
