"""The analyses over HTTP, under /api/v1/analyse/: the same parameters as `lagesbild analyse`
and the same service functions, so the numbers are the same; the caller's access applies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from lagesbild.services import analyse as svc
from lagesbild.services.results import AnalysisOutput
from lagesbild.web import cache
from lagesbild.web.security import Caller, identify

router = APIRouter(prefix="/api/v1/analyse", tags=["analyses"])
CallerDep = Annotated[Caller, Depends(identify)]
LayerQ = Annotated[Literal["crimes", "observations"], Query()]
RESULTS = cache.ResponseCache(128)
# The tables an analysis may read: their data versions make up the cache key.
SOURCES = (
    "crimes",
    "observations",
    "places",
    "extents",
    "roster_entries",
    "survey_results",
    "cameras",
    "guard_areas",
    "streets",
)


async def _cached(request: Request, caller: Caller, compute, vary: str = "") -> Response:
    """An analysis answer, computed once per (query, audience, data version), in the thread
    pool; a cached answer is sent without leaving the event loop."""

    def run() -> bytes:
        out: AnalysisOutput = compute()
        return orjson.dumps(out.to_json(), option=orjson.OPT_NON_STR_KEYS)

    return await cache.cached_answer(request, caller.viewer, SOURCES, RESULTS, run, vary=vary)


@router.get("/indicators")
async def indicators(
    request: Request,
    caller: CallerDep,
    place: str,
    period: Annotated[list[str], Query(min_length=2, max_length=2)],
    category: str | None = None,
    layer: LayerQ = "crimes",
) -> Response:
    return await _cached(
        request,
        caller,
        lambda: svc.indicators(
            request.app.state.store, caller.viewer, place, period[0], period[1], category, layer
        ),
    )


@router.get("/hotspots")
async def hotspots(
    request: Request,
    caller: CallerDep,
    date_from: Annotated[str, Query(alias="from")],
    date_to: Annotated[str, Query(alias="to")],
    place: str | None = None,
    layer: LayerQ = "crimes",
    category: str | None = None,
    cell: Annotated[float, Query(gt=0, le=10000)] = 50.0,
    method: Literal["gistar", "kde"] = "gistar",
    distance: Annotated[float | None, Query(gt=0)] = None,
    bandwidth: Annotated[float | None, Query(gt=0)] = None,
) -> Response:
    return await _cached(
        request,
        caller,
        lambda: svc.hotspots(
            request.app.state.store,
            caller.viewer,
            place,
            date_from,
            date_to,
            layer=layer,
            category=category,
            cell=cell,
            method=method,
            distance=distance,
            bandwidth=bandwidth,
        ),
    )


@router.get("/emerging")
async def emerging(
    request: Request,
    caller: CallerDep,
    date_from: Annotated[str, Query(alias="from")],
    date_to: Annotated[str, Query(alias="to")],
    place: str | None = None,
    layer: LayerQ = "crimes",
    category: str | None = None,
    cell: Annotated[float, Query(gt=0, le=10000)] = 100.0,
    slice: Literal["week", "month"] = "month",
) -> Response:  # noqa: A002 - the CLI's name
    return await _cached(
        request,
        caller,
        lambda: svc.emerging(
            request.app.state.store,
            caller.viewer,
            place,
            date_from,
            date_to,
            layer=layer,
            category=category,
            cell=cell,
            slice_=slice,
        ),
    )


@router.get("/extent")
async def extent(
    request: Request,
    caller: CallerDep,
    place: str,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to")] = None,
    category: str = "drug-related",
    compare: Annotated[list[str] | None, Query(max_length=2)] = None,
    seed: int = 0,
) -> Response:
    pair = (compare[0], compare[1]) if compare and len(compare) == 2 else None
    return await _cached(
        request,
        caller,
        lambda: svc.extent(
            request.app.state.store,
            caller.viewer,
            place,
            date_from,
            date_to,
            category=category,
            compare=pair,
            seed=seed,
        ),
    )


@router.get("/coverage")
async def coverage(
    request: Request,
    caller: CallerDep,
    place: str,
    round: str | None = None,
    date: str | None = None,
) -> Response:  # noqa: A002
    store = request.app.state.store
    # without a date the answer is today's: a server running past midnight must not serve
    # yesterday's from its cache
    today = datetime.now(store.tz).date().isoformat()
    on = date or today
    return await _cached(
        request, caller, lambda: svc.coverage(store, caller.viewer, place, round, on), vary=on
    )


@router.get("/displacement")
async def displacement(
    request: Request,
    caller: CallerDep,
    place: str,
    buffer: Annotated[float, Query(gt=0, le=5000)],
    control: str,
    before: str,
    after: str,
    category: str | None = None,
    layer: LayerQ = "crimes",
) -> Response:
    return await _cached(
        request,
        caller,
        lambda: svc.displacement(
            request.app.state.store,
            caller.viewer,
            place,
            buffer,
            control,
            before,
            after,
            category=category,
            layer=layer,
        ),
    )


@router.get("/effect")
async def effect(
    request: Request,
    caller: CallerDep,
    place: str,
    intervention: str,
    control: str | None = None,
    category: str | None = None,
    layer: LayerQ = "crimes",
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to")] = None,
    slice: Literal["week", "month"] = "month",
) -> Response:  # noqa: A002
    return await _cached(
        request,
        caller,
        lambda: svc.effect(
            request.app.state.store,
            caller.viewer,
            place,
            intervention,
            control=control,
            category=category,
            layer=layer,
            date_from=date_from,
            date_to=date_to,
            slice_=slice,
        ),
    )


@router.get("/survey")
async def survey(
    request: Request, caller: CallerDep, area: str, question: str | None = None
) -> Response:
    return await _cached(
        request, caller, lambda: svc.survey(request.app.state.store, caller.viewer, area, question)
    )
