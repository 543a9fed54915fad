"""The analyses over HTTP, under /api/v1/analyse/: the same parameters as `lagesbild analyse`
and the same service functions, so the numbers are the same; the caller's access applies."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from lagesbild.services import analyse as svc
from lagesbild.web.security import Caller, identify

router = APIRouter(prefix="/api/v1/analyse", tags=["analyses"])
CallerDep = Annotated[Caller, Depends(identify)]
LayerQ = Annotated[Literal["crimes", "observations"], Query()]


@router.get("/indicators")
def indicators(
    request: Request,
    caller: CallerDep,
    place: str,
    period: Annotated[list[str], Query(min_length=2, max_length=2)],
    category: str | None = None,
    layer: LayerQ = "crimes",
) -> dict:
    return svc.indicators(
        request.app.state.store, caller.viewer, place, period[0], period[1], category, layer
    ).to_json()


@router.get("/hotspots")
def hotspots(
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
) -> dict:
    return svc.hotspots(
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
    ).to_json()


@router.get("/emerging")
def emerging(
    request: Request,
    caller: CallerDep,
    date_from: Annotated[str, Query(alias="from")],
    date_to: Annotated[str, Query(alias="to")],
    place: str | None = None,
    layer: LayerQ = "crimes",
    category: str | None = None,
    cell: Annotated[float, Query(gt=0, le=10000)] = 100.0,
    slice: Literal["week", "month"] = "month",
) -> dict:  # noqa: A002 - the CLI's name
    return svc.emerging(
        request.app.state.store,
        caller.viewer,
        place,
        date_from,
        date_to,
        layer=layer,
        category=category,
        cell=cell,
        slice_=slice,
    ).to_json()


@router.get("/extent")
def extent(
    request: Request,
    caller: CallerDep,
    place: str,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to")] = None,
    category: str = "drug-related",
    compare: Annotated[list[str] | None, Query(max_length=2)] = None,
    seed: int = 0,
) -> dict:
    pair = (compare[0], compare[1]) if compare and len(compare) == 2 else None
    return svc.extent(
        request.app.state.store,
        caller.viewer,
        place,
        date_from,
        date_to,
        category=category,
        compare=pair,
        seed=seed,
    ).to_json()


@router.get("/coverage")
def coverage(
    request: Request,
    caller: CallerDep,
    place: str,
    round: str | None = None,
    date: str | None = None,
) -> dict:  # noqa: A002
    return svc.coverage(request.app.state.store, caller.viewer, place, round, date).to_json()


@router.get("/displacement")
def displacement(
    request: Request,
    caller: CallerDep,
    place: str,
    buffer: Annotated[float, Query(gt=0, le=5000)],
    control: str,
    before: str,
    after: str,
    category: str | None = None,
    layer: LayerQ = "crimes",
) -> dict:
    return svc.displacement(
        request.app.state.store,
        caller.viewer,
        place,
        buffer,
        control,
        before,
        after,
        category=category,
        layer=layer,
    ).to_json()


@router.get("/effect")
def effect(
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
) -> dict:  # noqa: A002
    return svc.effect(
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
    ).to_json()


@router.get("/survey")
def survey(request: Request, caller: CallerDep, area: str, question: str | None = None) -> dict:
    return svc.survey(request.app.state.store, caller.viewer, area, question).to_json()
