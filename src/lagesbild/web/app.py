"""The app factory. `create_app(url)` builds the FastAPI app for one store; the store is opened
at start-up (lifespan), never at import time, so tests build as many apps as they like."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from pathlib import Path

import xstatic.pkg.leaflet as xleaflet
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import StatementError

from lagesbild import __version__
from lagesbild.domain.periods import MAX_YEAR, MIN_YEAR
from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.services.public import serve_stale as public_figures_serve_stale
from lagesbild.services.public import warm as public_figures_warm
from lagesbild.store.engine import Store, database_url
from lagesbild.store.lifecycle import open_store
from lagesbild.web import (
    api,
    api_analyse,
    briefing_routes,
    ogc,
    pages,
    pages_accounts,
    pages_analysis,
    pages_cameras,
    pages_field,
    pages_goal_template,
    pages_import,
    pages_map,
    pages_meetings,
    pages_observe,
    pages_places,
    pages_rounds,
    public,
    residents,
)
from lagesbild.web.briefing_pages import router as briefing_pages_router
from lagesbild.web.freshness import ChangeWatch
from lagesbild.web.headers import SecurityHeaders
from lagesbild.web.params import out_of_range
from lagesbild.web.uploads import BodyLimit

HERE = Path(__file__).parent


class OutOfRange(ValidationError):
    """A number or date of the request that Python or the store cannot hold."""

    http_status = 400


def _out_of_range(request: Request) -> OutOfRange:
    params = [*request.path_params.items(), *request.query_params.multi_items()]
    return OutOfRange(
        out_of_range(params) or "request",
        f"a number or date is out of range (whole numbers up to 2^63-1, years {MIN_YEAR}-"
        f"{MAX_YEAR})",
    )


def _error_handlers(app: FastAPI) -> None:
    """User errors become 4xx JSON naming the field; under /ogc, OGC exception bodies."""

    @app.exception_handler(LagesbildError)
    async def _user_error(request: Request, exc: LagesbildError):
        if request.url.path.startswith("/ogc"):
            code = {404: "NotFound", 401: "NotAuthorized", 403: "Forbidden"}.get(
                exc.http_status, "InvalidParameterValue"
            )
            return ogc.ogc_error_response(ogc.OGCError(exc.http_status, code, exc.message))
        body = {"detail": exc.message}
        if isinstance(exc, ValidationError):
            body["field"] = exc.field
        if exc.hint:
            body["hint"] = exc.hint
        return JSONResponse(body, status_code=exc.http_status)

    # The safety net: a value no check caught that overflows (an integer the store cannot
    # bind, a date pushed past year 9999) is the user's mistake, a 400, not a traceback.
    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError):
        return await _user_error(request, _out_of_range(request))

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError):
        if isinstance(exc.orig, OverflowError):  # raised while binding a parameter
            return await _user_error(request, _out_of_range(request))
        raise exc

    @app.exception_handler(ogc.OGCError)
    async def _ogc_error(request: Request, exc: ogc.OGCError):
        return ogc.ogc_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [
            {
                "field": ".".join(
                    str(p) for p in e["loc"] if p not in ("body", "query", "path", "header")
                ),
                "location": e["loc"][0] if e["loc"] else None,
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        if request.url.path.startswith("/ogc"):
            first = errors[0] if errors else {"field": "?", "message": "invalid"}
            return ogc.ogc_error_response(
                ogc.OGCError(400, "InvalidParameterValue", f"{first['field']}: {first['message']}")
            )
        return JSONResponse({"detail": "invalid request", "errors": errors}, status_code=422)


# The server's collector: objects alive after start-up (modules, the app, the store) are moved
# out of the collector's sight, and a young-generation collection runs every 50,000 instead of
# 700 allocations. Building a 10,000-feature answer allocates ~100,000 dicts and lists; with
# the defaults the collector took ~27 % of it (0.48 s -> 0.34 s measured).
GC_THRESHOLD = (50_000, 20, 100)


def tune_collector() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def server_app() -> FastAPI:
    """The app `lagesbild serve` runs: `create_app` with the collector tuned for a server
    process (a process-wide setting, so not done for apps embedded elsewhere, e.g. tests)."""
    return create_app(tune_gc=True, warm=True)


def create_app(url: str | None = None, tune_gc: bool = False, warm: bool = False) -> FastAPI:
    db_url = database_url(url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.store = open_store(db_url)
        app.state.watch = ChangeWatch(app.state.store)
        if tune_gc:
            tune_collector()
        if warm:  # the public figures solved before the first visitor asks (a served app only)
            public_figures_warm(app.state.store)
            public_figures_serve_stale(app.state.store)  # after a write: the previous figures
        yield
        app.state.watch.close()
        app.state.store.dispose()

    app = FastAPI(
        title="lagesbild",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
    )
    app.mount("/static/leaflet", StaticFiles(directory=xleaflet.BASE_DIR), name="leaflet")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit)  # outermost: a too-large body is refused before parsing
    _error_handlers(app)
    app.include_router(api.router)
    app.include_router(api_analyse.router)
    app.include_router(public.router)
    app.include_router(pages.router)
    app.include_router(pages_field.router)
    app.include_router(pages_observe.router)
    app.include_router(pages_places.router)
    app.include_router(pages_analysis.router)
    app.include_router(pages_map.router)
    app.include_router(pages_import.router)
    app.include_router(pages_accounts.router)
    pages_rounds.install(app)  # the mapping round's pages, API and map editor library
    pages_cameras.install(app)  # cameras placed on a map
    app.include_router(residents.router)
    app.include_router(briefing_routes.router)
    app.include_router(briefing_pages_router)
    app.include_router(pages_goal_template.router)  # before /goals/{goal_id}
    app.include_router(pages_meetings.router)
    app.include_router(ogc.router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:  # browsers ask for it on every page
        return FileResponse(
            HERE / "static" / "favicon.ico",
            media_type="image/x-icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/health")
    def health(request: Request) -> dict:
        store: Store = request.app.state.store
        with store.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {
            "status": "ok",
            "version": __version__,
            "backend": store.backend,
            "crs": store.settings.crs,
            "timezone": store.settings.timezone,
        }

    return app
