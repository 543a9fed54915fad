"""Field reports in a store set up for elsewhere (Manchester: `init --region -3,53,-1.5,54`):
the form's checks in the browser, the server's and their messages take the store's region; they
had Sweden's bounds written in, so no report could be made there."""

from __future__ import annotations

import os

import httpx
import pytest

from .conftest import _run, serving

PASSWORD = "piccadilly-gardens"

REGION = "-3,53,-1.5,54"


@pytest.fixture(scope="module")
def manchester(tmp_path_factory):
    db = tmp_path_factory.mktemp("manchester") / "store.sqlite"
    env = {**os.environ, "LAGESBILD_DB": f"sqlite:///{db}", "LAGESBILD_PASSWORD": PASSWORD}
    env.pop("LAGESBILD_TILES", None)
    _run(
        [
            "init",
            "--crs",
            "EPSG:27700",
            "--region",
            REGION,
            "--timezone",
            "Europe/London",
            "--organisation",
            "Manchester City Council",
        ],
        env,
    )
    _run(
        [
            "user",
            "add",
            "patrol",
            "--role",
            "field_reporter",
            "--organisation",
            "Manchester City Council",
        ],
        env,
    )
    with serving(env) as url:
        yield url


def test_a_field_report_in_the_stores_region_is_sent(manchester, context):
    page = context.new_page()
    page.goto(f"{manchester}/login?next=/report")
    page.fill("#username", "patrol")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{manchester}/report*")
    page.wait_for_selector("#pickmap.leaflet-container")
    # a position in Sweden is outside this store's region: the message gives its bounds
    page.fill("#lat", "59.33")
    page.fill("#lon", "18.06")
    page.select_option("#category", index=1)
    page.click("#report-form button[type=submit]")
    assert page.text_content("#lat-error") == "Latitud mellan 53 och 54."
    assert page.text_content("#lon-error") == "Longitud mellan −3 och −1,5."  # typographic minus
    # Piccadilly Gardens was refused as outside Sweden
    page.fill("#lat", "53.4809")
    page.fill("#lon", "-2.2374")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-status:text-is('Skickad.')")
    mine = page.request.get(f"{manchester}/report/mine.json").json()
    assert [(r["lat"], r["lon"]) for r in mine] == [(pytest.approx(53.4809), -2.2374)]


def test_the_forms_without_script_check_the_stores_region(manchester):
    with httpx.Client(base_url=manchester) as c:
        r = c.post("/residents", data={"category": "litter", "lat": "53,4809", "lon": "-2.2374"})
        assert r.status_code == 303, r.text  # was 400: 'Latitude between 55 and 69.5'
        r = c.post("/residents?lang=en", data={"category": "litter", "lat": "59.3", "lon": "18"})
        assert r.status_code == 400
        assert "Latitude between 53 and 54." in r.text
        assert "Longitude between −3 and −1.5." in r.text
        csrf = c.post("/api/v1/login", json={"username": "patrol", "password": PASSWORD})
        form = {"category": "drug_litter", "lat": "53.4809", "lon": "-2.2374", "count": "1"}
        form |= {"occurred_at": "2024-05-01T12:00", "csrf_token": csrf.json()["csrf_token"]}
        r = c.post("/report", data=form)
        assert r.status_code == 303, r.text  # was 400: outside Sweden
