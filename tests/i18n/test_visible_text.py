"""Every page and both reports, rendered on the demo scenario, show a person no code and no word
of the other language: Swedish pages no snake_case code and no English status word, English
pages no Swedish word. Exceptions are user data only, each allowed with the reason."""

from __future__ import annotations

import itertools
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from lagesbild.demo.scenario import load_demo
from lagesbild.domain.model import SYSTEM
from lagesbild.report import render
from lagesbild.store.lifecycle import init_store
from lagesbild.store.schema import briefings, crimes, places, resident_reports
from lagesbild.web.app import create_app
from tests.i18n.visible import offending, user_text, visible_text, without

# Words allowed although they match, each with the reason (user data is taken out before the
# check, see `visible.user_text`).
ALLOWED: dict[str, set[str]] = {
    "sv": set(),
    "en": set(),
}
LANGS = ("sv", "en")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = init_store(f"sqlite:///{tmp_path_factory.mktemp('i18n') / 'store.sqlite'}")
    load_demo(store)
    yield store
    store.dispose()


def _routes(routes):
    """Every route, also those of included routers (newer FastAPI wraps them)."""
    for r in routes:
        inner = getattr(r, "original_router", None)
        yield from _routes(inner.routes) if inner is not None else (r,)


def _html_paths(app, store) -> list[str]:
    """The GET routes of the app that answer with a page, path parameters filled from the demo."""
    with store.read() as conn:
        place_ids = list(conn.execute(select(places.c.id).order_by(places.c.id)).scalars())
        briefing_ids = []
        for kind in ("operational", "weekly", "forum"):
            briefing_ids += list(
                conn.execute(
                    select(briefings.c.id).where(briefings.c.kind == kind).limit(2)
                ).scalars()
            )
        guard_area_ids = list(
            conn.exec_driver_sql("SELECT id FROM guard_areas ORDER BY id LIMIT 2").scalars()
        )
        camera_ids = list(
            conn.exec_driver_sql("SELECT id FROM cameras ORDER BY id LIMIT 2").scalars()
        )
        crime_ids = list(conn.execute(select(crimes.c.id).limit(1)).scalars())
        tokens = list(
            conn.execute(
                select(resident_reports.c.token).where(resident_reports.c.token.is_not(None))
            ).scalars()
        )
    # a resident's status link by its token; a report's photo is an image, not a page. An
    # import's pages (/import/{token}...) exist only after an upload: the wizard's own browser
    # test reads them in both languages (tests/web/pages/test_import_wizard_browser.py)
    fill = {
        "place_id": place_ids,
        "briefing_id": briefing_ids,
        "year": [2023],
        "guard_area_id": guard_area_ids,
        "camera_id": camera_ids,
        "token": tokens[:2],
        "layer": ["crimes", "observations"],
        "record_id": crime_ids,
    }
    out = []
    for route in _routes(app.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        if route.path.startswith(("/api", "/ogc")) or route.path.endswith((".json", ".js")):
            continue
        if route.path.endswith((".geojson", ".pdf", ".ico", "/photo")) or route.path == "/health":
            continue
        names = re.findall(r"{(\w+)}", route.path)
        if not names:
            out.append(route.path)
            continue
        for values in itertools.product(*(fill[name] for name in names)):
            path = route.path
            for name, value in zip(names, values, strict=True):
                path = path.replace(f"{{{name}}}", str(value))
            out.append(path)
    return out


@pytest.fixture(scope="module")
def pages(demo):
    """path -> {(who, lang): visible text} for the public and a signed-in admin."""
    app = create_app(demo.url)
    found: dict[tuple[str, str, str], str] = {}
    data = user_text(demo)
    with TestClient(app, base_url="https://testserver") as client:
        paths = _html_paths(app, demo)
        for who in ("public", "admin"):
            if who == "admin":
                r = client.post("/api/v1/login", json={"username": "admin", "password": "demo"})
                assert r.status_code == 200, r.text
            for path in paths:
                for lang in LANGS:
                    r = client.get(path, params={"lang": lang}, follow_redirects=False)
                    if r.status_code in (200, 403, 404) and "text/html" in r.headers.get(
                        "content-type", ""
                    ):
                        found[(path, who, lang)] = without(visible_text(r.text), data)
    return found


def test_every_page_is_rendered(pages):
    paths = {p for p, _, _ in pages}
    for must in ("/", "/import", "/audit", "/organisations", "/activation-events", "/public"):
        assert must in paths
    assert any(p.startswith("/places/") for p in paths)
    assert any(p.endswith("/print") for p in paths)


@pytest.mark.parametrize("lang", LANGS)
def test_pages_show_no_code_and_no_other_language(pages, lang):
    bad = {
        f"{who} {path}": sorted(offending(text, lang, ALLOWED[lang]))
        for (path, who, la), text in pages.items()
        if la == lang and offending(text, lang, ALLOWED[lang])
    }
    assert not bad, bad


@pytest.mark.parametrize("lang", LANGS)
def test_reports_show_no_code_and_no_other_language(demo, lang):
    place, _ = render.place_report(demo, SYSTEM, "Sergels torg/Klara", "2023", "2023", lang)
    town, _ = render.municipality_report(demo, SYSTEM, "Norra innerstaden", "2024", "2024", lang)
    data = user_text(demo)
    bad = {
        name: sorted(offending(without(visible_text(html), data), lang, ALLOWED[lang]))
        for name, html in (("place", place), ("municipality", town))
    }
    assert not any(bad.values()), bad
