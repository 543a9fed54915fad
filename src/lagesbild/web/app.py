"""The app factory. `create_app(url)` builds the FastAPI app for one store; the store is opened
at start-up (lifespan), never at import time, so tests build as many apps as they like."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import shapely
import xstatic.pkg.leaflet as xleaflet
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from lagesbild import __version__
from lagesbild.domain.model import PUBLIC_VIEWER
from lagesbild.errors import LagesbildError
from lagesbild.store.engine import Store, database_url
from lagesbild.store.lifecycle import open_store
from lagesbild.store.queries import place_summaries

HERE = Path(__file__).parent


def create_app(url: str | None = None) -> FastAPI:
    db_url = database_url(url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.store = open_store(db_url)
        yield
        app.state.store.dispose()

    app = FastAPI(title="lagesbild", version=__version__, lifespan=lifespan,
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs")
    app.mount("/static/leaflet", StaticFiles(directory=xleaflet.BASE_DIR), name="leaflet")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    @app.exception_handler(LagesbildError)
    async def _user_error(request: Request, exc: LagesbildError):
        return JSONResponse({"detail": exc.message, "hint": exc.hint}, status_code=exc.http_status)

    @app.get("/health")
    def health(request: Request) -> dict:
        store: Store = request.app.state.store
        with store.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__, "backend": store.backend,
                "crs": store.settings.crs, "timezone": store.settings.timezone}

    @app.get("/", response_class=HTMLResponse)
    def places_page(request: Request, lang: str = "sv"):
        store: Store = request.app.state.store
        # Until log-in exists (web core issue) the page shows what the public may see.
        rounds, places = place_summaries(store, PUBLIC_VIEWER)
        return templates.TemplateResponse(
            request, "places.html",
            {"rounds": rounds, "places": places, "lang": "en" if lang == "en" else "sv",
             "version": __version__},
        )

    @app.get("/api/v1/extents.geojson")
    def extents_geojson(request: Request) -> dict:
        """Public scene extents per mapping round, with hectares (RFC 7946)."""
        store: Store = request.app.state.store
        from lagesbild.store.queries import extent_features

        return {"type": "FeatureCollection",
                "features": extent_features(store, PUBLIC_VIEWER, shapely.geometry.mapping)}

    return app
