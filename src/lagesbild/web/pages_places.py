"""Place pages with indicators and charts, the lists (organisations and roster, cameras, guard
areas, activation events), survey results and the audit log."""

from __future__ import annotations

import math
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lagesbild.domain.model import Role
from lagesbild.errors import NotFound, ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import pages as svc
from lagesbild.services import records
from lagesbild.services.analyse import CAVEAT, indicators, resolve, survey
from lagesbild.store import audit
from lagesbild.store.queries import extent_features, place_summaries
from lagesbild.web.headers import tile_config
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import (
    PAGE_SIZE,
    CallerDep,
    need,
    page,
    render,
)
from lagesbild.web.params import Id, Offset
from lagesbild.web.security import Caller, remote_of

router = APIRouter(include_in_schema=False)


# ------------------------------------------------------------------ places


SCOPE_KEYS = {"place": "scope.place", "extent": "scope.extent", "city": "scope.city"}


def _default_periods(extent_years: list[int], latest: datetime | None) -> tuple[str, str]:
    """The mapping rounds' last two years; else the last two whole years of crimes the viewer
    may see (bound to the data, not the clock)."""
    if len(extent_years) >= 2:
        return str(extent_years[-2]), str(extent_years[-1])
    if latest:
        last = latest.year - (1 if latest.month < 12 else 0)
        return str(last - 1), str(last)
    year = datetime.now().year
    return str(year - 2), str(year - 1)


@router.get("/places/{place_id}", response_class=HTMLResponse)
@page
def place_page(
    request: Request,
    caller: CallerDep,
    place_id: Id,
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
    da, db = _default_periods(years, svc.latest_crime(store, caller.viewer))
    a, b = (a or da).strip(), (b or db).strip()
    errors: dict[str, str] = {}
    result = None
    try:
        pa, pb = resolve.period(store, a, "period A"), resolve.period(store, b, "period B")
        geo = resolve.place_by_id(store, caller.viewer, place.id)
        result = indicators.indicators(store, caller.viewer, geo, pa, pb, layer=layer)
    except ValidationError as exc:
        errors["a" if "A" in exc.field else "b" if "B" in exc.field else "form"] = exc.message
    rows = result.rows if result else []
    for r in rows:
        r["label"] = t.scope(r["scope"])
        cat = store.taxonomy.get(layer, r["category"])
        r["category_label"] = t.label(cat) if cat else r["category"]
    chart_scope = next(
        (r["scope"] for r in indicators.rows_of(rows, indicators.ROUNDS)),
        rows[0]["scope"] if rows else None,
    )
    chart_rows = [r for r in rows if r["scope"] is chart_scope and (r["count_a"] or r["count_b"])]
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
            "chart_label": t.scope(chart_scope) if chart_scope else "",
            "bar_chart": bar_model(chart_rows, "per_ha_a", "per_ha_b"),
            "forest_chart": forest_model(chart_rows),
            "drug": drug,
            "caveat": t(CAVEAT),
            "presence": (
                summary.get("police_presence_hours_a"),
                summary.get("police_presence_hours_b"),
            ),
            "config": {**tile_config(), "msg": t.js(), "lang": t.lang},
        },
    )


@router.get("/places/{place_id}/map.geojson")
def place_geojson(request: Request, caller: CallerDep, place_id: Id) -> dict:
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
        store,
        layer,
        caller.viewer,
        records.RecordFilter(limit=limit, offset=max(0, offset)),
        remote_of(request),
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
def organisations_page(request: Request, caller: CallerDep, offset: Offset = 0):
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
def cameras_page(request: Request, caller: CallerDep, offset: Offset = 0):
    return _list_page(request, caller, "cameras", offset)


@router.get("/guard-areas", response_class=HTMLResponse)
@page
def guard_areas_page(request: Request, caller: CallerDep, offset: Offset = 0):
    return _list_page(request, caller, "guard-areas", offset)


@router.get("/activation-events", response_class=HTMLResponse)
@page
def activation_events_page(request: Request, caller: CallerDep, offset: Offset = 0):
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
            result = survey.survey(store, caller.viewer, area, q)
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
    offset: Offset = 0,
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
