"""The public view (no log-in): scene extents per mapping round and counts per place and year,
small counts suppressed, point locations never exposed."""

from __future__ import annotations

from pathlib import Path

import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lagesbild.domain.model import PUBLIC_VIEWER
from lagesbild.i18n import LANGS, Translator
from lagesbild.services.disclosure import MASKED, SUPPRESSED, WITHHELD
from lagesbild.services.public import SUPPRESS_BELOW, public_counts
from lagesbild.store.queries import extent_features
from lagesbild.web.lang import LANG_COOKIE, lang_of

router = APIRouter(tags=["public"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


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
    """Counts per place, year, layer and category: a count of 1-4 is "<5", and a count withheld
    so that no "<5" can be worked out from the others is ">=5" (services.disclosure)."""
    rows = public_counts(request.app.state.store, year)
    return {"suppressed_below": SUPPRESS_BELOW, "counts": [r.to_dict() for r in rows]}


@router.get("/public", response_class=HTMLResponse)
def public_page(request: Request, year: int | None = None):
    lang = lang_of(request)  # ?lang=, else the lang cookie, as on every other page
    store = request.app.state.store
    t = Translator(lang, store.tz)
    rows = public_counts(store, year)
    years = sorted({r.year for r in rows})
    marks = {  # what each suppression mark of services.disclosure reads as
        SUPPRESSED: t("public.fewer", n=SUPPRESS_BELOW),
        WITHHELD: t("public.withheld", n=SUPPRESS_BELOW),
        MASKED: t("public.masked"),
    }
    table: dict[tuple[str, str, str], dict[int, str]] = {}
    for r in rows:  # layers and categories by their labels, counts in the language's form
        cat = store.taxonomy.get(r.layer, r.category)
        key = (r.place, t(f"layer.{r.layer}"), t.label(cat) if cat else r.category)
        table.setdefault(key, {})[r.year] = (
            marks[r.count] if isinstance(r.count, str) else t.num(r.count)
        )
    context = {"lang": lang, "years": years, "table": table, "statuses": t.statuses()}
    response = templates.TemplateResponse(request, "public.html", context)
    if request.query_params.get("lang") in LANGS:  # the choice holds for the other pages too
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response
