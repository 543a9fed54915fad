"""The public view (no log-in), in the site's layout: a labelled map of the scenes per mapping
round with hectares, a summary per area (this year against last, per hectare, a small trend
chart), a category filter, what is counted in plain words, and the same aggregates as CSV. Every
figure comes through `services.public` (suppressed by `services.disclosure`); point locations
are never exposed."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated

import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from lagesbild.domain.model import PUBLIC_VIEWER
from lagesbild.i18n import Translator
from lagesbild.services.disclosure import MASKED, SUPPRESSED, WITHHELD, Shown
from lagesbild.services.public import (
    SUPPRESS_BELOW,
    AreaSeries,
    area_series,
    layer_years,
    public_counts,
    public_totals,
    solved_at,
)
from lagesbild.store.queries import extent_features, place_summaries
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import page, render
from lagesbild.web.security import Caller, identify

router = APIRouter(tags=["public"])
CallerDep = Annotated[Caller, Depends(identify)]
CSV_COLUMNS = ("place", "kind", "year", "layer", "category", "count")


@router.get("/api/v1/public/extents")
@router.get("/api/v1/extents.geojson", include_in_schema=False)  # the first, older path
def public_extents(request: Request) -> dict:
    """Scene extents per mapping round with hectares (public records only)."""
    return {
        "type": "FeatureCollection",
        "features": extent_features(
            request.app.state.store, PUBLIC_VIEWER, shapely.geometry.mapping
        ),
    }


@router.get("/api/v1/public/counts")
def counts(request: Request, year: int | None = Query(None, ge=1900, le=2200)) -> dict:
    """Counts per place, year, layer and category, and each place's total of a layer and year
    (`totals`, category ""): a count of 1-4 is "<5", and a count withheld so that no "<5" can
    be worked out from the others is ">=5" (services.disclosure)."""
    store = request.app.state.store
    rows = public_counts(store, year)
    totals = [r for r in public_totals(store) if year is None or r.year == year]
    return {
        "suppressed_below": SUPPRESS_BELOW,
        "counts": [r.to_dict() for r in rows],
        "totals": [r.to_dict() for r in totals],
    }


@router.get("/api/v1/public/counts.csv", response_class=Response)
def counts_csv(request: Request) -> Response:
    """Open data: exactly the public aggregates, per category and (category empty) each
    place's total of a layer and year, with the same suppression marks as the page."""
    store = request.app.state.store
    rows = public_counts(store) + public_totals(store)
    rows.sort(key=lambda r: (r.place, r.year, r.layer, r.category))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        w.writerow((r.place, r.kind, r.year, r.layer, r.category, r.display))
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="lagesbild-public-counts.csv"'},
    )


def _category_choices(store, t: Translator, spans: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """(layer label, [(value, label)]) for the filter: each layer's categories by label."""
    groups = []
    for layer in sorted(spans):
        cats = sorted(
            ((f"{layer}:{c}", t.label(store.taxonomy.get(layer, c))) for c in _codes(store, layer)),
            key=lambda pair: pair[1].lower(),
        )
        groups.append((t(f"layer.{layer}"), [(layer, t("pub.all_of_layer")), *cats]))
    return groups


def _codes(store, layer: str) -> list[str]:
    """The categories of a layer that the public counts have."""
    return sorted({r.category for r in public_counts(store) if r.layer == layer})


def _shown(t: Translator, value: Shown) -> str:
    """A figure as the page says it: the number, a suppression mark in words, or "no data"."""
    if value is None:
        return t("pub.no_data")
    if value == SUPPRESSED:
        return "<5"
    if value == WITHHELD:
        return t("public.withheld", n=SUPPRESS_BELOW)
    if value == MASKED:
        return t("public.masked")
    return t.num(value)


def _card(t: Translator, s: AreaSeries, year: int) -> dict:
    """What one area's summary shows, worked out here so the template only lays it out."""
    numbers = [v for v in s.by_year.values() if isinstance(v, int)]
    top = max(numbers, default=0) or 1
    bars = [
        {
            "year": y,
            "text": _shown(t, v),
            "height": (v / top) if isinstance(v, int) else None,
            "kind": "num" if isinstance(v, int) else ("none" if v is None else "mark"),
        }
        for y, v in s.by_year.items()
    ]
    change = s.change(year)
    if change is not None and round(100 * change) == 0:  # not "-0 %"
        change = 0.0
    per_ha = s.per_ha(year)
    return {
        "place": s.place,
        "kind": t(f"kind.{s.kind}"),
        "layer": t(f"layer.{s.layer}"),
        "area": t.ha(s.area_ha) if s.area_ha else None,
        "now": _shown(t, s.by_year.get(year)),
        "before": _shown(t, s.by_year.get(year - 1)),
        "change": (("+" if change > 0 else "") + t.pct(change)) if change is not None else None,
        "per_ha": t.num(per_ha, 1) if per_ha is not None else None,
        "bars": bars,
        "summary": "; ".join(f"{b['year']}: {b['text']}" for b in bars),
    }


@router.get("/public", response_class=HTMLResponse)
@router.head("/public", response_class=HTMLResponse, include_in_schema=False)
@page
def public_page(
    request: Request,
    caller: CallerDep,
    category: str | None = None,
    year: int | None = Query(None, ge=1900, le=2200),
):
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    spans = layer_years(store)
    layer, _, code = (category or "").partition(":")
    if layer not in spans:  # an unknown choice shows everything rather than an error
        layer, code = "", ""
    if code and code not in _codes(store, layer):
        code = ""
    _rounds, places = place_summaries(store, PUBLIC_VIEWER)
    areas = {p.name: p.area_ha for p in places}
    latest = max((hi for _lo, hi in spans.values()), default=None)
    first = min((lo for lo, _hi in spans.values()), default=None)
    if year is None or latest is None or not first <= year <= latest:  # the latest by default
        year = latest
    series = area_series(store, areas, layer or None, code or None)
    scenes = [  # the scenes per mapping round, as a table beside the map
        (year_, p.name, t.ha(e.area_ha), t(f"status.{e.status}") if e.status else "")
        for p in places
        for year_, e in sorted(p.extents.items())
    ]
    context = {
        "year": year,
        "cards": [_card(t, s, year) for s in series] if year else [],
        "choices": _category_choices(store, t, spans),
        "chosen": f"{layer}:{code}" if code else layer,
        "scenes": sorted(scenes),
        "statuses": t.statuses(),
        "threshold": SUPPRESS_BELOW,
        "updated": _updated(t, solved_at(store)),
    }
    return render(request, caller, "public.html", context)


def _updated(t: Translator, when) -> str | None:
    """How fresh the figures are: the time their counts were read, with the date if not
    today (after a write the page shows the previous figures until the new ones are solved)."""
    if when is None:
        return None
    today = datetime.now(when.tzinfo).date()
    stamp = f"{when:%H:%M}" if when.date() == today else f"{t.date(when)} {when:%H:%M}"
    return t("pub2.updated", at=stamp)
