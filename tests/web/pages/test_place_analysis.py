"""The place analysis page (`/places/{id}/analysis`) in headless Chromium over the demo: the
map draws the LISA clusters and Gi* hot cells, and the figures beside it, the near-repeat band
table, Ripley's L chart and the PAI table are those the API gives for the same request (the
same services, the same access); signed out it asks to sign in. Screenshots at desktop and
phone widths in Swedish and English."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.web.pages.conftest import login

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("LAGESBILD_SCREENSHOTS")


def _place(server) -> int:
    (pid,) = server.query("SELECT id FROM places WHERE name = 'Sergels torg/Klara'")[0]
    return pid


def _wait(page) -> None:
    page.wait_for_selector("#analysismap:not([data-features='0'])", timeout=60_000)


def test_the_analysis_page_shows_what_the_api_computes(server, context, tmp_path):
    pid = _place(server)
    page = context.new_page()
    login(page, server.url, "analytiker", f"/places/{pid}/analysis")
    page.goto(f"{server.url}/places/{pid}/analysis?period=2024&lang=en")
    _wait(page)
    api = page.request  # the same signed-in session
    asked = f"place={pid}&from=2024-01-01&to=2024-12-31&cell=50"
    lisa = api.get(f"{server.url}/api/v1/analyse/lisa?{asked}&permutations=199").json()
    gi = api.get(f"{server.url}/api/v1/analyse/hotspots?{asked}").json()
    near = api.get(
        f"{server.url}/api/v1/analyse/nearrepeat?place={pid}&from=2024-01-01&to=2024-12-31"
        "&distance=100&days=7&simulations=99"
    ).json()
    pai = api.get(f"{server.url}/api/v1/analyse/pai?place={pid}&train=2023&test=2024").json()

    # the map: one feature per LISA cluster or Gi* hot/cold cell
    clusters = {
        (f["properties"]["x"], f["properties"]["y"])
        for f in lisa["features"]
        if f["properties"]["cluster"] != "not_significant"
    }
    marked = {
        (f["properties"]["x"], f["properties"]["y"])
        for f in gi["features"]
        if f["properties"]["class"] != "not_significant"
    }
    assert int(page.get_attribute("#analysismap", "data-features")) == len(clusters | marked)
    assert page.locator("#analysismap path.leaflet-interactive").count() == len(clusters | marked)
    s = lisa["summary"]
    assert f"{s.get('cells_HH', 0)} HH cluster cells" in page.inner_text("#map-figures")
    assert gi["summary"]["inference"] == "montecarlo"
    assert "Monte Carlo test" in page.inner_text("#map-figures")

    # near repeats: the headline and the 4 x 4 band table
    figures = page.inner_text("#near-figures")
    assert f"{near['close_pairs']:,} pairs" in figures
    assert f"{near['summary']['events']} events" in figures
    assert page.locator("#near-bands tbody tr").count() == 4
    assert page.locator("#near-bands tbody td").count() == len(near["bands"]) == 16
    first = page.inner_text("#near-bands tbody tr:first-child td:nth-child(2)")
    assert f"{near['bands'][0]['observed']:,} / " in first

    # Ripley's L: the line, the CSR diagonal and the envelope, one point per distance
    assert int(page.get_attribute("#chart-ripley", "data-points")) == 20
    assert len(page.get_attribute("#chart-ripley polyline.l", "points").split()) == 20
    assert len(page.get_attribute("#chart-ripley polygon.envelope", "points").split()) == 40

    # PAI: 5 area shares of the density map and the Gi* hot cells, trained on 2023
    rows = page.locator("#pai-table tbody tr")
    assert rows.count() == len(pai["rows"]) == 6
    last = rows.nth(5).inner_text()
    assert f"{pai['rows'][5]['hits']:.0f} / {pai['rows'][5]['events']:.0f}" in last
    assert f"{pai['rows'][5]['pai']:.2f}" in last

    out = Path(SHOTS) if SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    for lang in ("sv", "en"):
        page.goto(f"{server.url}/places/{pid}/analysis?period=2024&lang={lang}")
        _wait(page)
        page.screenshot(path=str(out / f"place-analysis-desktop-{lang}.png"), full_page=True)


def test_the_analysis_page_on_a_phone_has_no_sideways_scrolling(server, phone, tmp_path):
    pid = _place(server)
    page = phone.new_page()
    login(page, server.url, "lasare", f"/places/{pid}/analysis")  # a viewer may read it
    _wait(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.is_visible("#chart-ripley") and page.is_visible("#pai-table")
    out = Path(SHOTS) if SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    for lang in ("sv", "en"):
        page.goto(f"{server.url}/places/{pid}/analysis?lang={lang}")
        _wait(page)
        page.screenshot(path=str(out / f"place-analysis-phone-{lang}.png"), full_page=True)


def test_signed_out_the_analysis_page_asks_to_sign_in_and_names_a_bad_period(server, browser):
    pid = _place(server)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{server.url}/places/{pid}/analysis")
    assert "/login" in page.url
    login(page, server.url, "analytiker", f"/places/{pid}/analysis")
    page.goto(f"{server.url}/places/{pid}/analysis?period=2024-13&lang=en")
    assert page.is_visible("#period-error")
    assert page.locator("#analysismap").count() == 0
    page.goto(f"{server.url}/places/999999/analysis")
    assert page.locator("h1").inner_text() != ""  # the not-found page, no traceback
    ctx.close()
