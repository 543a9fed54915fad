"""`/observe` on a phone in headless Chromium: an observation round recorded offline waits in
the outbox and is stored exactly once as measurements when the network is back; the planned
rounds of the day show which are due; the API is idempotent and names wrong fields."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.web.pages.conftest import login

pytestmark = pytest.mark.browser
TZ = ZoneInfo("Europe/Stockholm")


def _until(page, expression: str, seconds: float = 30) -> None:
    # polled with evaluate: wait_for_function evaluates a string, which the CSP forbids
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.2)


def _rounds(server, note: str) -> list[tuple]:
    return server.query("SELECT id, source_key FROM observation_rounds WHERE note = ?", note)


def test_a_round_recorded_offline_is_stored_once_when_back_online(server, phone):
    page = phone.new_page()
    login(page, server.url, "falt", "/observe")
    assert page.locator("[data-testid='observation-round-form']").count() == 1
    # the service worker keeps the page: once it controls the page and holds a copy, the page
    # opens with no network
    _until(page, "navigator.serviceWorker.controller !== null")
    page.reload()
    _until(page, "caches.match('/observe').then(r => !!r)")
    note = f"offline {uuid.uuid4().hex[:8]}"
    phone.set_offline(True)
    page.reload()  # served from the service worker's cache
    page.select_option("#place", "Sergels torg")
    page.fill("#count_girls_13_18", "4")
    for _ in range(3):
        page.click("button[data-for='count_boys_13_18'][data-step='1']")
    page.fill("#count_adults", "20")
    page.select_option("#weather", "sun")
    page.check("input[name='act_stage']")
    page.fill("#note", note)
    page.click("#observation-round-form button[type=submit]")
    page.wait_for_selector("body[data-outbox='1']")
    assert "Ingen kontakt" in page.text_content("#observe-status")
    assert _rounds(server, note) == []
    assert page.input_value("#count_adults") == "0"  # a fresh form for the next round
    phone.set_offline(False)
    page.wait_for_selector("body[data-outbox='0']", timeout=45_000)
    ((rid, key),) = _rounds(server, note)
    rows = dict(
        server.query(
            'SELECT "group", value FROM measurements WHERE source_key LIKE ? '
            "AND metric = 'people_observed'",
            key + ":%",
        )
    )
    assert rows == {"girls_13_18": 4.0, "boys_13_18": 3.0, "children": 0.0, "adults": 20.0,
                    "all": 27.0}  # fmt: skip
    assert server.query("SELECT weather, activities FROM observation_rounds WHERE id = ?", rid) == [
        ("sun", "stage")
    ]


def test_the_api_is_idempotent_and_names_the_field(server):
    with httpx.Client(base_url=server.url) as c:
        r = c.post("/api/v1/login", json={"username": "falt", "password": "demo"})
        csrf = r.json()["csrf_token"]
        key = uuid.uuid4().hex
        body = {
            "place": "Sergels torg",
            "started_at": (datetime.now(TZ) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
            "counts": {"girls_13_18": 2, "adults": 9},
            "note": f"api {key[:8]}",
        }
        head = {"X-CSRF-Token": csrf, "Idempotency-Key": key}
        first = c.post("/api/v1/observation_rounds", json=body, headers=head)
        again = c.post("/api/v1/observation_rounds", json=body, headers=head)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        assert len(_rounds(server, body["note"])) == 1
        bad = c.post(
            "/api/v1/observation_rounds",
            json={**body, "counts": {"girls_13_18": -1}},
            headers={**head, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert bad.status_code == 422 and bad.json()["field"] == "counts.girls_13_18"
        bad = c.post(
            "/api/v1/observation_rounds",
            json={**body, "counts": {"dogs": 1}},
            headers={**head, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert bad.status_code == 422 and "dogs" in bad.json()["detail"]


def test_planned_rounds_show_which_are_due(server, context):
    now = datetime.now(TZ)
    soon = (now + timedelta(minutes=10)).strftime("%H:%M")
    page = context.new_page()
    login(page, server.url, "samordnare", "/observe")
    page.select_option("#plan_place", "Klara")
    page.select_option("#weekday", str((now + timedelta(minutes=10)).weekday()))
    page.fill("#time", soon)
    page.fill("#starts_on", (now - timedelta(days=1)).date().isoformat())
    page.click("#plan-form button[type=submit]")
    page.wait_for_url("**/observe?planned=1")
    item = page.locator("[data-testid='planned-rounds'] li", has_text="Klara").first
    assert item.get_attribute("data-state") == "due"
    assert soon in item.text_content()
