"""Meetings in the browser (issue 18), driven by Chromium against a real server on the demo: the
forum's goals, the EST week and the live briefing, each as a coordinator (who changes) and as a
viewer (who sees but may not change)."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from tests.web.pages.conftest import login

pytestmark = pytest.mark.browser


def _api(server, user: str = "samordnare") -> httpx.Client:
    """A signed-in API client (session cookie and its CSRF token) of a demo user."""
    c = httpx.Client(base_url=server.url, timeout=30)
    r = c.post("/api/v1/login", json={"username": user, "password": "demo"})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def _api_goals(server, user: str = "samordnare") -> dict:
    c = _api(server, user)
    try:
        return c.get("/api/v1/goals").json()
    finally:
        c.close()


def test_goals_page_as_coordinator_adds_edits_and_retires(server, context):
    page = context.new_page()
    login(page, server.url, "samordnare", "/goals")
    dash = _api_goals(server)
    assert dash["month"] == "2024-12"  # the latest month with data, not today's
    goals = page.locator("article.goal")
    assert goals.count() == len(dash["goals"]) > 0
    assert page.get_by_test_id("goal-chart").count() == goals.count()
    # the violence goal: one point per month of the 24, the baseline and target lines
    violence = page.locator("article.goal", has_text="Våldsbrotten")
    chart = violence.get_by_test_id("goal-chart")
    assert chart.locator("circle.month").count() == 24
    assert chart.locator("line.baseline").count() == 1 and chart.locator("line.target").count() == 1
    assert chart.locator("line.deadline").count() == 1
    assert "inte ännu" in violence.locator(".goal-status").inner_text()

    page.fill("#title", "Färre stölder i Klara")
    page.fill("#place", "Klara")
    page.select_option("#indicator", "crimes:theft")
    page.fill("#baseline", "2022")
    page.fill("#change", "-30")
    page.fill("#deadline", "2026-06-30")
    page.click("#new-goal button[type=submit]")
    page.wait_for_url(f"{server.url}/goals")
    added = page.locator("article.goal", has_text="Färre stölder i Klara")
    assert added.count() == 1 and added.get_by_test_id("goal-chart").count() == 1
    gid = added.get_attribute("id").removeprefix("goal-")
    row = server.query("SELECT target_change, deadline FROM goals WHERE id = ?", int(gid))
    assert row[0][0] == pytest.approx(-0.3) and row[0][1] == "2026-06-30"

    added.locator("summary").click()
    added.locator(f"#title-{gid}").fill("Färre stölder i Klara (ändrat)")
    added.locator("form[action$='/goals/" + gid + "'] button[type=submit]").click()
    page.wait_for_url(f"{server.url}/goals*")
    assert page.locator("article.goal", has_text="(ändrat)").count() == 1

    # retiring asks first: dismissed, nothing happens; accepted, the goal leaves the page
    edited = page.locator(f"#goal-{gid}")
    edited.locator("summary").click()
    page.once("dialog", lambda d: d.dismiss())
    edited.locator("form.retire button").click()
    page.wait_for_timeout(300)
    assert server.query("SELECT retired_at FROM goals WHERE id = ?", int(gid))[0][0] is None
    page.once("dialog", lambda d: d.accept())
    edited.locator("form.retire button").click()
    page.wait_for_url(f"{server.url}/goals")
    assert page.locator(f"#goal-{gid}").count() == 0
    assert server.query("SELECT retired_at FROM goals WHERE id = ?", int(gid))[0][0] is not None


def test_goals_page_as_viewer_sees_but_cannot_change(server, context):
    page = context.new_page()
    login(page, server.url, "lasare", "/goals")
    n = page.locator("article.goal").count()
    assert n > 0 and page.get_by_test_id("goal-chart").count() == n
    assert page.locator("form[method=post][action^='/goals']").count() == 0
    # a month past the data: the goal says so, with no ratio, interval or p-value
    page.goto(f"{server.url}/goals?month=2025-06")
    violence = page.locator("article.goal", has_text="Våldsbrotten")
    assert "inga data för perioden" in violence.locator(".goal-status").inner_text()
    progress = violence.locator(".goal-progress").inner_text()
    assert "bortom data" in progress and "2024-12-31" in progress and "kvot 0" not in progress
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    r = page.request.post(
        f"{server.url}/goals",
        form={"csrf_token": csrf, "title": "x", "place": "Klara", "indicator": "status"},
    )
    assert r.status == 403


def _open_briefing(server) -> int:
    rows = server.query(
        "SELECT id FROM briefings WHERE status = 'open' AND kind = 'operational' ORDER BY at DESC"
    )
    return rows[0][0]


def _report(server, user: str, text: str, sensitivity: str = "shared") -> int:
    """A field report filed through the API inside Klara (Sergels torg)."""
    c = _api(server, user)
    try:
        r = c.post(
            "/api/v1/observations",
            json={
                "type": "Feature",
                "properties": {
                    "occurred_at": "2024-12-10 18:20",
                    "category": "drug_sale",
                    "count": 2,
                    "text": text,
                    "sensitivity": sensitivity,
                },
                "geometry": {"type": "Point", "coordinates": [18.0645, 59.3323]},
            },
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]
    finally:
        c.close()


def test_live_briefing_shows_a_field_report_filed_by_another_user(server, browser):
    bid = _open_briefing(server)
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="sv-SE")
    page = ctx.new_page()
    login(page, server.url, "lasare", f"/briefings/{bid}/live")
    events = page.get_by_test_id("live-events")
    page.wait_for_selector("#live-state[data-state=connected]", timeout=10_000)
    assert events.locator(":scope > *").count() == 0
    assert page.locator("#live-heard").inner_text() != "–"
    rid = _report(server, "falt", "Langning vid trappan")
    item = events.locator(f"[data-id='observations-{rid}']")
    item.wait_for(timeout=10_000)  # the contract: within 10 s, without a reload
    assert "Langning vid trappan" in item.inner_text()
    assert events.locator(":scope > *").count() == 1
    page.wait_for_function(
        "Number(document.getElementById('live-map').dataset.features) > 1", timeout=5_000
    )
    page.screenshot(path="/work/shots/meetings/live-viewer-1920-sv.png")
    ctx.close()


def test_live_briefing_shows_only_what_the_viewer_may_see(server, browser):
    """A restricted report of one organisation does not reach a viewer of another."""
    bid = _open_briefing(server)
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    login(page, server.url, "lasare", f"/briefings/{bid}/live")
    page.wait_for_selector("#live-state[data-state=connected]", timeout=10_000)
    hidden = _report(server, "falt", "Bara för polisen", sensitivity="restricted")
    shown = _report(server, "samordnare", "Delad rapport")
    events = page.get_by_test_id("live-events")
    events.locator(f"[data-id='observations-{shown}']").wait_for(timeout=10_000)
    page.wait_for_timeout(2500)  # a poll more: the restricted one must still not be there
    assert events.locator(f"[data-id='observations-{hidden}']").count() == 0
    ctx.close()


def test_week_page_as_coordinator_sets_a_priority_on_the_map(server, context):
    page = context.new_page()
    login(page, server.url, "samordnare", "/week")
    ranking = page.get_by_test_id("week-ranking")
    assert ranking.locator("tbody tr").count() >= 3
    assert page.locator("#week-filter #week").input_value() == "2024-W52"  # last full week
    assert page.get_by_test_id("week-feedback").count() == 1
    assert page.locator("#need-ranking tbody tr").count() >= 3
    mapel = page.get_by_test_id("week-priorities")
    page.wait_for_selector("#week-map[data-ready='1']")
    before = int(mapel.get_attribute("data-features"))
    for_week = page.locator("#for_week").input_value()
    # a click in Klara picks a point and the place under it
    page.select_option("#p-org", "Polisen, lokalpolisområde Norrmalm")
    page.fill("#p-note", "Extra närvaro vid trappan")
    klara = page.evaluate(
        """() => { let c = null; document.getElementById('week-map').lbmap.layer.eachLayer(l => {
            if (l.feature && l.feature.properties.name === 'Klara')
                c = l.getBounds().getCenter(); });
            const p = document.getElementById('week-map').lbmap.map.latLngToContainerPoint(c);
            return [p.x, p.y]; }"""
    )
    mapel.click(position={"x": klara[0], "y": klara[1]})  # scrolled into view first
    assert page.locator("#geometry").input_value().startswith('{"type":"Point"')
    place = page.locator("#p-place").input_value()  # the smallest area under the click
    assert place in ("Klara", "Sergels torg/Klara", "Sergels torg")
    page.click("#priority-form button[type=submit]")
    page.wait_for_url(f"{server.url}/week?*")
    item = page.locator("#priority-list li", has_text="Extra närvaro vid trappan")
    assert item.count() == 1
    page.wait_for_selector("#week-map[data-ready='1']")
    assert int(page.get_by_test_id("week-priorities").get_attribute("data-features")) == before + 1
    # the shared map's priorities layer shows it (the week after this one is included)
    layer = page.request.get(f"{server.url}/map/priorities.geojson").json()
    names = [f["properties"]["label"] for f in layer["features"]]
    assert f"{place} ({for_week})" in names
    notes = [n for f in layer["features"] for n in f["properties"]["notes"]]
    assert "Extra närvaro vid trappan" in notes
    # and removing it takes it away again
    item.locator("button").click()
    page.wait_for_url(f"{server.url}/week?*")
    assert page.locator("#priority-list li", has_text="Extra närvaro vid trappan").count() == 0


def test_week_page_as_viewer_sees_but_cannot_change(server, context):
    page = context.new_page()
    login(page, server.url, "lasare", "/week")
    assert page.get_by_test_id("week-ranking").locator("tbody tr").count() >= 3
    assert page.get_by_test_id("week-priorities").count() == 1
    assert page.get_by_test_id("week-feedback").count() == 1
    assert page.locator("form[method=post][action^='/week']").count() == 0
    # the tertial ranking with the `week ranking` options: months and category
    page.goto(f"{server.url}/week?months=6&category=drug_offence")
    assert "2024-07-01" in page.locator("#need .hint").inner_text()
    assert page.locator("#category").input_value() == "drug_offence"
    assert page.locator("#need-ranking tbody tr").count() >= 3
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    r = page.request.post(
        f"{server.url}/week/priorities",
        form={
            "csrf_token": csrf,
            "for_week": "2026-W50",
            "place": "Klara",
            "organisation": "Polisen",
        },
    )
    assert r.status == 403


def test_briefing_page_map_names_hot_spots_and_lock_asks_first(server, context):
    bid = _open_briefing(server)
    page = context.new_page()
    login(page, server.url, "samordnare", f"/briefings/{bid}")
    mapel = page.get_by_test_id("briefing-map")
    page.wait_for_selector("#briefing-map[data-ready='1']")
    assert int(mapel.get_attribute("data-features")) > 1  # the place, streets, hot spots
    cells = page.locator("#hotspots .hot-cells li")
    assert cells.count() > 0
    text = " ".join(cells.all_inner_texts())
    assert "vid " in text and "n 0" not in text
    assert not re.search(r"\d{2},\d{5}", text)  # no raw coordinates where a street is near
    # the map numbers the listed cells (no permanent labels covering each other): every rank
    # of the list is on a marker, cells too close to tell apart share one ("1, 2")
    for layer in ("crimes", "observations"):
        listed = page.locator(f"#hotspots li:has(.hot-{layer}) ol.hot-cells > li").count()
        shown = page.locator(f"#briefing-map .hot-rank.hot-{layer}:visible").all_inner_texts()
        ranks = sorted(int(r) for label in shown for r in label.split(", "))
        assert ranks == list(range(1, listed + 1)), (layer, shown)
    assert page.locator("#briefing-map .leaflet-tooltip").count() == 0  # details on hover
    page.locator("#briefing-map .hot-rank:visible").first.hover()
    assert "z " in page.locator("#briefing-map .leaflet-tooltip").inner_text()
    # locking asks first: dismissed, the briefing stays open
    page.once("dialog", lambda d: d.dismiss())
    page.click("#lock-form button")
    page.wait_for_timeout(300)
    assert server.query("SELECT status FROM briefings WHERE id = ?", bid)[0][0] == "open"
    # the ratio column is whole at 1366 px: its cells end inside the table's box
    page.set_viewport_size({"width": 1366, "height": 900})
    table = page.locator("#counts table").bounding_box()
    section = page.locator("#counts").bounding_box()
    assert table["x"] + table["width"] <= section["x"] + section["width"] + 1


def test_briefing_page_as_viewer_has_the_map_and_no_forms(server, context):
    bid = _open_briefing(server)
    page = context.new_page()
    login(page, server.url, "lasare", f"/briefings/{bid}")
    page.wait_for_selector("#briefing-map[data-ready='1']")
    assert page.locator("form[method=post]").count() == 1  # the log-out button only
    assert page.locator("#lock-form").count() == 0


@pytest.mark.parametrize("kind", ["weekly", "forum"])
def test_weekly_and_forum_meetings_have_their_agenda(server, context, kind):
    c = _api(server)
    try:
        # before the demo's last operational briefing, which other page tests take as the
        # latest open one
        at = "2024-11-25T09:00:00" if kind == "weekly" else "2024-11-27T10:00:00"
        r = c.post("/api/v1/briefings", json={"place": "Klara", "at": at, "kind": kind})
        assert r.status_code == 201, r.text
        bid = r.json()["id"]
        printed = c.get(f"/briefings/{bid}/print?lang=en").text
    finally:
        c.close()
    page = context.new_page()
    login(page, server.url, "lasare", f"/briefings/{bid}")
    if kind == "weekly":
        assert page.locator("#agenda-week-ranking tbody tr").count() >= 2
        assert page.locator("#agenda-feedback tbody tr").count() >= 1
        assert "The week 2024-W47" in printed
    else:
        assert page.locator("#agenda-goals [data-testid=goal-chart]").count() >= 1
        assert page.locator("#agenda-actions h3").count() >= 1
        assert "Goals (2024-10)" in printed
        # the partnership's metrics (issue 23): each named in words with both periods, its
        # interval named, and a chart of its 24 months (12 light, 12 dark)
        cards = page.locator("#agenda-metrics .forum-metric")
        assert cards.count() >= 3
        syringes = page.locator("#agenda-metrics .forum-metric[data-metric=syringes_collected]")
        assert syringes.count() == 1
        assert "Insamlade sprutor" in syringes.locator("h3").inner_text()
        assert "exakt Poisson" in syringes.locator(".metric-interval").inner_text()
        assert syringes.locator("svg rect[fill='#08519c']").count() == 12
        assert syringes.locator("svg rect[fill='#9ecae1']").count() == 12
        girls = page.locator("#agenda-metrics .forum-metric[data-group=girls_13_18]")
        assert girls.count() >= 1
        assert "Welch" in girls.first.locator(".metric-interval").inner_text()
        printed = html.unescape(printed)
        assert "The partnership's metrics" in printed
        assert "Syringes collected – Sergels torg/Klara" in printed
        assert "exact Poisson interval" in printed and "Welch's t interval" in printed
    assert page.locator("#counts").count() == 0  # not the operational picture's agenda


def _read_events(c: httpx.Client, url: str, headers: dict, seconds: float) -> list[tuple]:
    """(event, id, data) of a Server-Sent Events stream for `seconds`."""
    import json
    import time

    out, event, eid = [], None, None
    end = time.monotonic() + seconds
    with c.stream("GET", url, headers=headers, timeout=seconds + 10) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("id: "):
                eid = line[4:]
            elif line.startswith("data: "):
                out.append((event, eid, json.loads(line[6:])))
                event = eid = None
            if time.monotonic() > end:
                break
    return out


def test_live_stream_resumes_from_the_last_event_id(server):
    from datetime import UTC, datetime, timedelta
    from urllib.parse import urlencode

    bid = _open_briefing(server)
    since = (datetime.now(UTC) - timedelta(seconds=2)).isoformat()
    rid = _report(server, "samordnare", "Ström och återanslutning")
    c = _api(server, "lasare")
    try:
        url = f"/briefings/{bid}/live/events?" + urlencode({"since": since})
        first = _read_events(c, url, {}, 4)
        items = [(eid, d) for ev, eid, d in first if ev == "item"]
        assert [d["id"] for _, d in items] == [f"observations-{rid}"]
        assert any(ev == "ping" for ev, _, _ in first)  # the page's "last heard"
        # the browser reconnects with the last id it got: nothing is sent twice
        again = _read_events(c, url, {"Last-Event-ID": items[-1][0]}, 3)
        assert not [d for ev, _, d in again if ev == "item"]
    finally:
        c.close()
