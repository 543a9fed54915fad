"""The analyses over HTTP, under /api/v1/analyse/: one endpoint per query of
`services.analyse.query`, its parameters generated from the query's fields (the CLI's options
come from the same fields), answered by the same `services.analyse.answer`, so the numbers are
the same; the caller's access applies."""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from lagesbild.services import analyse
from lagesbild.services.analyse import query as spec
from lagesbild.services.results import AnalysisOutput
from lagesbild.web import cache
from lagesbild.web.security import Caller, identify

router = APIRouter(prefix="/api/v1/analyse", tags=["analyses"])
CallerDep = Annotated[Caller, Depends(identify)]
RESULTS = cache.ResponseCache(128)
# The fields whose absence means "today" (coverage's date): the cached answer varies by the day.
TODAY_FIELDS = {spec.COVERAGE.name: "date"}
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


def _annotation(f: spec.Field) -> Any:
    """The field as a FastAPI query parameter: its type (a Literal of its choices), its bounds,
    its alias and its help."""
    one: Any = Literal[f.choices] if f.choices else f.type  # type: ignore[valid-type]
    kind: Any = list[one] if (f.repeat or f.pair) else one
    if not f.required and f.default is None:
        kind = kind | None
    bounds: dict[str, Any] = {}
    if f.repeat:
        bounds.update(min_length=f.repeat, max_length=f.repeat)
    if f.pair:
        bounds.update(max_length=2)
    if f.gt is not None:
        bounds["gt"] = f.gt
    if f.le is not None:
        bounds["le"] = f.le
    return Annotated[kind, Query(alias=f.alias, description=f.text("en") or None, **bounds)]


def endpoint(q: spec.Query):
    """`GET /api/v1/analyse/{q.name}`: a function whose signature FastAPI reads (the request,
    the caller, one parameter per field) and which answers through the response cache."""

    today = TODAY_FIELDS.get(q.name)

    async def answer(request: Request, caller: CallerDep, **values: Any) -> Response:
        store = request.app.state.store
        vary = ""
        if today:
            # without a date the answer is today's: a server running past midnight must not
            # serve yesterday's from its cache
            values[today] = vary = values[today] or datetime.now(store.tz).date().isoformat()
        return await _cached(
            request,
            caller,
            lambda: analyse.answer(q, store, caller.viewer, values),
            vary=vary,
        )

    params = [
        inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
        inspect.Parameter("caller", inspect.Parameter.KEYWORD_ONLY, annotation=CallerDep),
    ]
    for f in q.fields:
        params.append(
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(f),
                default=inspect.Parameter.empty if f.required else f.default,
            )
        )
    answer.__signature__ = inspect.Signature(params, return_annotation=Response)  # type: ignore[attr-defined]
    answer.__name__ = answer.__qualname__ = q.name
    answer.__doc__ = q.text("en")
    return answer


for _query in spec.QUERIES.values():
    router.add_api_route(f"/{_query.name}", endpoint(_query), methods=["GET"])
