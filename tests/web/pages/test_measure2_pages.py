"""Issue 23's second round in the browser: a measurement goal on /goals like a count goal (its
monthly chart, baseline and target lines, the interval named), and the screenshots of the
forum's metrics, /goals and /observe."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.web.pages.conftest import login

pytestmark = pytest.mark.browser

SHOTS = Path("/work/shots/measure2")


def _api(server) -> httpx.Client:
    c = httpx.Client(base_url=server.url, timeout=30)
    r = c.post("/api/v1/login", json={"username": "samordnare", "password": "demo"})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def test_goals_page_adds_and_charts_a_measurement_goal(server, context):
    page = context.new_page()
    login(page, server.url, "samordnare", "/goals")
    page.fill("#title", "Renare torg")
    page.fill("#place", "Sergels torg/Klara")
    page.select_option("#indicator", "measurements:syringes_collected")
    page.fill("#baseline", "2022")
    page.fill("#change", "-30")
    page.fill("#deadline", "2025-12-31")
    page.click("#new-goal button[type=submit]")
    page.wait_for_url(f"{server.url}/goals")
    goal = page.locator("article.goal", has_text="Renare torg")
    assert goal.count() == 1
    assert "Platsmätningar: insamlade sprutor" in goal.locator(".goal-meta").inner_text()
    chart = goal.get_by_test_id("goal-chart")
    assert chart.count() == 1
    # one point per month with a value in the 24 months up to the last, as the dashboard has it
    c = _api(server)
    try:
        dash = c.get("/api/v1/goals").json()
    finally:
        c.close()
    item = next(g for g in dash["goals"] if g["title"] == "Renare torg")
    assert chart.locator("circle.month").count() == len(item["trend"]["months"]) >= 12
    # the baseline line is 2022's monthly mean, from the stored rows (closed form)
    rows = server.query(
        "SELECT substr(m.measured_at, 1, 7), SUM(m.value) FROM measurements m "
        "JOIN places p ON p.id = m.place_id WHERE p.name = 'Sergels torg/Klara' "
        "AND m.metric = 'syringes_collected' AND m.measured_at >= '2021-12-31 23:00' "
        "AND m.measured_at < '2022-12-31 23:00' GROUP BY 1"  # 2022 in Stockholm, in UTC
    )
    mean = sum(r[1] for r in rows) / len(rows)
    base = chart.locator("line.baseline title").text_content()
    assert re.sub(r"\s", "", base.split(":")[1]) == f"{mean:.1f}".replace(".", ",")
    assert chart.locator("line.target").count() == 1
    target = float(chart.locator("line.target").get_attribute("y1"))
    assert target > float(chart.locator("line.baseline").get_attribute("y1"))  # fewer: lower
    assert "exakt Poisson" in goal.locator(".goal-interval").inner_text()
    assert "→" in goal.locator(".goal-progress").inner_text()


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)])
def test_screenshots(server, browser, size):
    c = _api(server)
    try:
        r = c.post(
            "/api/v1/briefings",
            json={"place": "Klara", "at": f"2024-11-26T{size[0] % 24:02d}:00:00", "kind": "forum"},
        )
        assert r.status_code == 201, r.text
        bid = r.json()["id"]
    finally:
        c.close()
    w, h = size
    for lang in ("sv", "en"):
        ctx = browser.new_context(viewport={"width": w, "height": h}, locale="sv-SE")
        page = ctx.new_page()
        login(page, server.url, "samordnare", "/goals")
        for name, path, sel in (
            ("forum", f"/briefings/{bid}", "#agenda-metrics"),
            ("goals", "/goals", "article.goal"),
            ("observe", "/observe", "[data-testid=observation-round-form]"),
        ):
            page.goto(f"{server.url}{path}?lang={lang}")
            page.wait_for_selector(sel)
            if name == "forum":
                page.locator("#agenda-metrics").scroll_into_view_if_needed()
                page.screenshot(path=SHOTS / f"{name}-metrics-{w}-{lang}.png")
            page.screenshot(path=SHOTS / f"{name}-{w}-{lang}.png", full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{name} {w} {lang} scrolls sideways"
        ctx.close()


def test_goals_page_applies_the_partnership_template(server, context):
    page = context.new_page()
    login(page, server.url, "samordnare", "/goals?lang=en")
    before = server.query("SELECT count(*) FROM goals")[0][0]
    page.fill("#tpl-place", "Sergels torg")
    page.fill("#tpl-baseline", "2022")
    page.fill("#tpl-deadline", "2025-12-31")
    page.click("#goal-template button[value=preview]")
    page.wait_for_selector("#tpl-rows")
    # the preview writes nothing, and says which goals are made and which left out and why
    assert server.query("SELECT count(*) FROM goals")[0][0] == before
    rows = page.locator("#tpl-rows tbody tr")
    made = page.locator("#tpl-rows tr.made")
    skipped = page.locator("#tpl-rows tr.skipped")
    assert made.count() == 3  # violent crime, footfall, girls observed
    assert skipped.count() == 3  # syringes (at the scene), litter (nowhere), lights (Klara)
    syringes = page.locator("#tpl-rows tr.skipped", has_text="syringes collected")
    assert "measured at: Sergels torg/Klara" in syringes.inner_text()
    assert rows.count() == 8  # and the two pieces of evidence
    page.click("#tpl-apply")
    page.wait_for_selector("#tpl-result")
    assert "3 goals were made" in page.locator("#tpl-result").inner_text()
    assert server.query("SELECT count(*) FROM goals")[0][0] == before + 3
    # the goals are on the page, a measurement goal among them with its chart
    footfall = page.locator("article.goal", has_text="footfall")
    assert footfall.count() >= 1
    assert footfall.first.get_by_test_id("goal-chart").count() == 1
    # a missing place is named in the field, nothing written
    page.fill("#tpl-place", "Ingenstans")
    page.click("#goal-template button[value=preview]")
    assert page.locator("#tpl-place-error").count() == 1
    assert server.query("SELECT count(*) FROM goals")[0][0] == before + 3
