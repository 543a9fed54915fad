"""The field report form for a phone, its offline outbox's service worker and the reporter's
own recent reports."""

from __future__ import annotations

import math
import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lagesbild.domain.model import REPORT_ROLES
from lagesbild.errors import ValidationError
from lagesbild.geo.region import Region
from lagesbild.i18n import Translator
from lagesbild.services import pages as svc
from lagesbild.services import records
from lagesbild.web.headers import tile_config
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import (
    HERE,
    TEXT_MAX,
    CallerDep,
    need,
    page,
    render,
)
from lagesbild.web.security import Caller, remote_of

router = APIRouter(include_in_schema=False)


# ------------------------------------------------------------------ field reports


def region_config(region: Region) -> list[float]:
    """The store's region for the scripts: [minlon, minlat, maxlon, maxlat]."""
    return [region.min_lon, region.min_lat, region.max_lon, region.max_lat]


def report_context(request: Request, caller: Caller, values: dict, errors: dict) -> dict:
    store = request.app.state.store
    t = Translator(lang_of(request))
    region = store.settings.region
    where = position_messages(t, region)
    cats = [
        (c, t.label(store.taxonomy.get("observations", c)))
        for c in store.taxonomy.codes("observations")
    ]
    return {
        "categories": cats,
        "values": values,
        "errors": with_messages(errors, where),
        "mine": svc.own_observations(store, caller.viewer, 10),
        "config": {
            **tile_config(),
            "msg": t.js(),
            "lang": t.lang,
            "region": region_config(region),
            "user": caller.user.username if caller.user else None,  # whose outbox items
        },
        "text_max": TEXT_MAX,
        "sent": request.query_params.get("sent"),
        "errmsgs": {
            code: where.get(f"err.{code}") or t(f"err.{code}", n=TEXT_MAX)
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


def check_position(values: dict, region: Region) -> tuple[dict[str, float], dict[str, str]]:
    """(lat and lon, field errors as message keys) of a typed position: numbers inside the
    store's region (Sweden unless the store was set up for elsewhere), decimal comma or point."""
    clean: dict[str, float] = {}
    errors: dict[str, str] = {}
    bounds = (("lat", region.min_lat, region.max_lat), ("lon", region.min_lon, region.max_lon))
    for name, lo, hi in bounds:
        raw = str(values.get(name) or "").strip().replace(",", ".")
        try:
            v = float(raw)
            if not (math.isfinite(v) and lo <= v <= hi):
                raise ValueError
            clean[name] = v
        except ValueError:
            errors[name] = "err.position" if not raw else f"err.{name}"
    return clean, errors


def position_messages(t: Translator, region: Region) -> dict[str, str]:
    """The messages of a position outside the region, with the region's bounds."""

    def deg(v: float) -> str:
        return t.num(v, 0 if float(v).is_integer() else len(f"{v:g}".partition(".")[2]))

    return {
        "err.lat": t("err.lat", lo=deg(region.min_lat), hi=deg(region.max_lat)),
        "err.lon": t("err.lon", lo=deg(region.min_lon), hi=deg(region.max_lon)),
    }


def with_messages(errors: dict[str, str], messages: dict[str, str]) -> dict[str, str]:
    """Field errors with the position's message keys replaced by their texts."""
    return {k: messages.get(v, v) for k, v in errors.items()}


def check_report(
    form: dict[str, str], codes: list[str], region: Region, text_max: int = TEXT_MAX
) -> dict:
    """Field errors (field -> message key) of a field report, the same rules the script uses."""
    errors = check_position(form, region)[1]
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
    errors = check_report(form, store.taxonomy.codes("observations"), store.settings.region)
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
                "day": r.occurred_at.astimezone(store.tz).date().isoformat(),  # for the map link
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
