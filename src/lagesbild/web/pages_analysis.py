"""A place's analysis page (`/places/{id}/analysis`): local Moran's I quadrants and Gi* hot
cells on a map, the near-repeat band table, Ripley's L with its CSR envelope and the PAI of a
hot-spot map, each from the same services as the CLI and the API, over the data the signed-in
viewer may see."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from lagesbild.domain.periods import Period, between
from lagesbild.errors import ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import pages as svc
from lagesbild.services.analyse import hotspots, lisa, nearrepeat, pai, pattern, resolve
from lagesbild.services.analyse.effect import add_years
from lagesbild.services.results import AnalysisOutput
from lagesbild.web.headers import tile_config
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.params import Id

router = APIRouter(include_in_schema=False)

CELL = 50.0
# fewer random maps than the CLI's 999: a page answers in seconds, and the smallest p it can
# show (0.005 and 0.01) is still below every threshold it marks
PERMUTATIONS = 199
SIMULATIONS = 99
NEAR_DISTANCE = 100.0
NEAR_DAYS = 7
ALPHA = 0.05


def default_period(request: Request, caller) -> str:
    """The last full calendar year of the crimes the viewer may see (the last year otherwise):
    crimes, as the map's default, since a field report filed today must not move it to a year
    that has no crimes yet."""
    store = request.app.state.store
    latest = svc.latest_crime(store, caller.viewer)
    if latest is None:
        return str(datetime.now(store.tz).year - 1)
    last = latest.astimezone(store.tz)
    # a year is full when the data reach its last days
    return str(last.year if (last.month, last.day) >= (12, 24) else last.year - 1)


def map_cells(lisa_out: AnalysisOutput | None, gi_out: AnalysisOutput | None) -> dict[str, Any]:
    """The cells to draw: LISA clusters and outliers and Gi* hot and cold cells, one feature a
    cell (both results are on the same grid: the place's box in cells of `CELL`)."""
    cells: dict[tuple[float, float], dict[str, Any]] = {}
    for out, keep in ((lisa_out, "cluster"), (gi_out, "class")):
        if out is None:
            continue
        for f in out.features():
            p = f["properties"]
            value = p.get(keep)
            if not value or value == "not_significant":
                continue
            key = (round(p["x"], 3), round(p["y"], 3))
            cell = cells.setdefault(key, {"type": "Feature", "geometry": f["geometry"]})
            props = cell.setdefault("properties", {"count": p["count"]})
            props["quadrant" if keep == "cluster" else "gistar"] = value
    return {"type": "FeatureCollection", "features": list(cells.values())}


def band_matrix(bands: list[dict[str, Any]]) -> dict[str, Any]:
    """The Knox bands as the Near Repeat Calculator shows them: distance bands down, time
    bands across, the ratio of observed to expected pairs in each."""
    dist = sorted({(b["distance_from"], b["distance_to"]) for b in bands}, key=lambda d: d[0])
    days = sorted({(b["days_from"], b["days_to"]) for b in bands}, key=lambda d: d[0])
    at = {(b["distance_from"], b["days_from"]): b for b in bands}
    rows = [{"band": d, "cells": [at.get((d[0], t[0])) for t in days]} for d in dist]
    return {"days": days, "rows": rows}


def l_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Ripley's L(r) with its envelope as SVG coordinates (a 500 x 280 plot area in a 600 x
    380 chart: its text stays legible on a phone)."""
    pts = [r for r in rows if r.get("l") is not None]
    if not pts:
        return {}
    r_max = max(r["r"] for r in pts)
    top = max(max(r["l"], r.get("l_high") or 0, r["r"]) for r in pts) * 1.05 or 1.0
    W, H, L, T = 500, 280, 70, 20

    def xy(r: float, v: float) -> str:
        return f"{L + W * r / r_max:.1f},{T + H - H * v / top:.1f}"

    env = [xy(r["r"], r["l_high"]) for r in pts if r.get("l_high") is not None]
    env += [xy(r["r"], r["l_low"]) for r in reversed(pts) if r.get("l_low") is not None]
    ticks, vticks = nice_ticks(r_max), nice_ticks(top)
    return {
        "line": " ".join(xy(r["r"], r["l"]) for r in pts),
        "csr": f"{xy(0, 0)} {xy(r_max, r_max)}",
        "envelope": " ".join(env),
        "xticks": [(L + W * v / r_max, v) for v in ticks],
        "yticks": [(T + H - H * v / top, v) for v in vticks],
        "box": (L, T, W, H),
        "points": len(pts),
    }


def nice_ticks(top: float) -> list[float]:
    """Round tick values from 0 to `top`: steps of 1, 2 or 5 times a power of ten, 3 to 7."""
    if not top > 0:
        return [0.0]
    base = 10 ** math.floor(math.log10(top))
    step = next(m * base for m in (0.2, 0.5, 1, 2, 5, 10) if top / (m * base) <= 6)
    return [k * step for k in range(int(top / step) + 1)]


def p_text(t: Translator, p: float | None) -> str:
    """A p-value as read: "< 0.01" below what the page's simulations resolve."""
    return f"< {t.num(0.01, 2)}" if p is not None and p < 0.01 else t.num(p, 3)


def training_period(period: Period) -> Period:
    """The map's training period: the year before for a period of a year or more (the same
    calendar days, whatever the leap days), else the period of equal length just before."""
    if period.days >= 365:
        start = add_years(period.start, -1)
        return between(start, period.start, f"{start.date()}..{period.start.date()}")
    return period.previous()


def _attempt(fn, errors: dict[str, str], key: str):
    """An analysis, or its message in its section (too few events, a grid too big)."""
    try:
        return fn()
    except ValidationError as exc:
        errors[key] = exc.message
        return None


def analyse_place(request: Request, caller, place_id: int, period_text: str) -> dict[str, Any]:
    """Every analysis of the page, through the services with the caller's access."""
    store = request.app.state.store
    viewer = caller.viewer
    geo = resolve.place_by_id(store, viewer, place_id)  # NotFound when it may not be seen
    errors: dict[str, str] = {}
    period = _attempt(lambda: resolve.period(store, period_text, "period"), errors, "period")
    ctx: dict[str, Any] = {"place": geo, "errors": errors}
    if period is None:
        return ctx
    wgs = store.projector
    ctx["lisa"] = _attempt(
        lambda: lisa.lisa(
            store, viewer, geo, period, cell=CELL, permutations=PERMUTATIONS
        ).in_wgs84(wgs),
        errors,
        "lisa",
    )
    ctx["gistar"] = _attempt(
        lambda: hotspots.hotspots(
            store, viewer, geo, period, cell=CELL, method="gistar", inference="auto"
        ).in_wgs84(wgs),
        errors,
        "lisa",
    )
    ctx["near"] = _attempt(
        lambda: nearrepeat.nearrepeat(
            store,
            viewer,
            geo,
            period,
            distance=NEAR_DISTANCE,
            days=NEAR_DAYS,
            simulations=SIMULATIONS,
        ),
        errors,
        "near",
    )
    ctx["pattern"] = _attempt(
        lambda: pattern.pattern(store, viewer, geo, period, simulations=SIMULATIONS),
        errors,
        "pattern",
    )
    train = training_period(period)
    ctx["train"] = (train.start.date(), (train.end - timedelta(seconds=1)).date())
    ctx["pai"] = _attempt(
        lambda: pai.pai(store, viewer, geo, train, period, cell=CELL), errors, "pai"
    )
    ctx["cells"] = map_cells(ctx["lisa"], ctx["gistar"])
    ctx["outline"] = _outline(store, geo)
    return ctx


def _outline(store, geo) -> dict[str, Any]:
    import shapely

    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(store.projector.to_wgs84(geo.geom)),
        "properties": {"name": geo.name},
    }


@router.get("/places/{place_id}/analysis", response_class=HTMLResponse)
@page
async def place_analysis_page(
    request: Request, caller: CallerDep, place_id: Id, period: str | None = None
):
    need(caller)
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    text = (period or "").strip() or default_period(request, caller)
    # the analyses take seconds: off the event loop
    ctx = await run_in_threadpool(analyse_place, request, caller, place_id, text)
    near = ctx.get("near")
    pat = ctx.get("pattern")
    return render(
        request,
        caller,
        "place_analysis.html",
        {
            **ctx,
            "period": text,
            "cell": CELL,
            "alpha": ALPHA,
            "near_distance": NEAR_DISTANCE,
            "near_days": NEAR_DAYS,
            "permutations": PERMUTATIONS,
            "simulations": SIMULATIONS,
            "bands": band_matrix(near.rows) if near else None,
            "chart": l_chart(pat.rows) if pat else {},
            "pval": lambda p: p_text(t, p),
            "config": {
                **tile_config(),
                "lang": t.lang,
                "labels": {
                    k: t(f"analysis.legend.{k}")
                    for k in ("HH", "LL", "HL", "LH", "hot", "cold", "count")
                },
            },
        },
    )
