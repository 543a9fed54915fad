"""Place pages with indicators and charts, the lists (organisations and roster, cameras, guard
areas, activation events), survey results and the audit log."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lagesbild.domain.model import Role
from lagesbild.errors import NotFound, ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import measurements, records
from lagesbild.services import pages as svc
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
    fixed = indicators.rows_of(rows, indicators.PLACE)
    own = indicators.rows_of(rows, indicators.ROUNDS)
    trend = None
    if not errors:
        trend = trend_model(store, caller.viewer, place.id, layer, pa, pb, t)
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
            "fixed_rows": [r for r in fixed if r["count_a"] or r["count_b"]],
            "extent_rows": [r for r in own if r["count_a"] or r["count_b"]],
            "disagreement": disagreement(fixed, own, t),
            "trend": trend,
            "hot_period": (pb.start.astimezone(store.tz).date(), pb.end.astimezone(store.tz).date())
            if not errors
            else None,
            "drug": drug,
            "measurement_charts": measurements.place_charts(store, caller.viewer, place.id, t.lang),
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


def _direction(ratio: float | None) -> int:
    if ratio is None or not math.isfinite(ratio) or ratio == 1:
        return 0
    return 1 if ratio > 1 else -1


def disagreement(fixed: list[dict], own: list[dict], t: Translator) -> str | None:
    """One plain sentence when the fixed area and each period's own extent point different
    ways (one up, the other down) for a category; None when they agree (or one is missing)."""
    by_cat = {r["category"]: r for r in own}
    differ = []
    for f in fixed:
        e = by_cat.get(f["category"])
        if e is None or not (f["count_a"] or f["count_b"]):
            continue
        fixed_dir = _direction(f["count_b"] / f["count_a"] if f["count_a"] else None)
        own_dir = _direction(e["rate_ratio"])
        if fixed_dir and own_dir and fixed_dir != own_dir:
            differ.append((f, e))
    if not differ:
        return None
    f, e = max(differ, key=lambda pair: pair[0]["count_a"] + pair[0]["count_b"])
    names = ", ".join(r["category_label"] for r, _ in differ)
    return t(
        "mapui.disagree",
        cats=names,
        cat=f["category_label"],
        fixed=t("mapui.fell" if f["count_b"] < f["count_a"] else "mapui.rose"),
        a=t.num(f["count_a"]),
        b=t.num(f["count_b"]),
        own=t("mapui.fell" if e["rate_ratio"] < 1 else "mapui.rose"),
        ratio=t.num(e["rate_ratio"], 2),
        ha_a=t.num(e["area_a_ha"], 1),
        ha_b=t.num(e["area_b_ha"], 1),
    )


TREND_MONTHS_MAX = 60


def trend_model(store, viewer, place_id: int, layer: str, pa, pb, t: Translator) -> dict | None:
    """Monthly counts and counts per hectare in the place's fixed area from the start of
    period A to the end of period B (at most five years back from B's end), with the city's
    per hectare beside it, placed on 0..1 scales (per hectare on a log scale, so the two
    trends can be compared although the city's density is far lower)."""
    from lagesbild.domain.periods import between
    from lagesbild.services import data
    from lagesbild.web.pages_map import month_counts

    first = min(pa.start, pb.start).astimezone(store.tz).date().replace(day=1)
    last = (max(pa.end, pb.end).astimezone(store.tz) - timedelta(seconds=1)).date()
    if (last.year - first.year) * 12 + last.month - first.month >= TREND_MONTHS_MAX:
        y, m = last.year, last.month - TREND_MONTHS_MAX + 1
        while m < 1:
            y, m = y - 1, m + 12
        first = date(y, m, 1)
    span = between(
        datetime(first.year, first.month, 1, tzinfo=store.tz),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), store.tz),
    )
    place = data.place_by_id(store, viewer, place_id)
    pts = data.load_points(store, viewer, layer, period=span, within=(place_id, 0))
    months, counts = month_counts(pts.times, store.tz, first, last)
    ha = place.geom.area / 1e4
    city = data.city(store, viewer)
    city_per_ha = None
    if city is not None and city.id != place_id:
        cpts = data.load_points(store, viewer, layer, period=span, within=(city.id, 0))
        city_per_ha = [
            c / (city.geom.area / 1e4) for c in month_counts(cpts.times, store.tz, first, last)[1]
        ]
    if not months:
        return None
    per_ha = [c / ha if ha else 0 for c in counts]
    cmax = _nice_max(max(counts + [0]))
    positives = [v for v in per_ha + (city_per_ha or []) if v > 0]
    lo = 10 ** math.floor(math.log10(min(positives))) if positives else 0.001
    hi = 10 ** math.ceil(math.log10(max(positives))) if positives else 1.0
    hi = hi if hi > lo else lo * 10

    def fy(v: float) -> float:
        v = max(v, lo)
        return (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    n = len(months)
    decades = range(int(round(math.log10(lo))), int(round(math.log10(hi))) + 1)
    return {
        "n": n,
        "months": [
            {
                "label": m.strftime("%Y-%m"),
                "fx": (i + 0.5) / n,
                "count": c,
                "fc": c / cmax,
                "per_ha": p,
                "fp": fy(p) if p > 0 else None,
                "city": city_per_ha[i] if city_per_ha else None,
                "fcity": fy(city_per_ha[i]) if city_per_ha and city_per_ha[i] > 0 else None,
            }
            for i, (m, c, p) in enumerate(zip(months, counts, per_ha, strict=True))
        ],
        "count_ticks": [(cmax * k / 4, k / 4) for k in range(5)],
        "per_ha_ticks": [(10.0**d, fy(10.0**d)) for d in decades],
        "label_every": max(1, math.ceil(n / 8)),
        "city": city.name if city is not None and city_per_ha else None,
        "area_ha": ha,
        "total": int(sum(counts)),
    }


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
            # cameras and guard areas are places on a map: the page shows them on one
            "config": {**tile_config(), "lang": lang_of(request)}
            if layer in ("cameras", "guard_areas")
            else None,
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
