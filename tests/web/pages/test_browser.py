"""End to end in headless Chromium against a real server over the demo scenario: roles, the
field report on a phone, the offline outbox (exactly once), residents' reports held until
moderated, import through the browser, the language switch, and screenshots that are not
blank."""

from __future__ import annotations

import io
import os
import re
import time
import uuid
from pathlib import Path

import pytest

from tests.web.pages.conftest import USERS, login, wait_map

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("LAGESBILD_SCREENSHOTS")


def _shot_dir(tmp_path: Path) -> Path:
    d = Path(SHOTS) if SHOTS else tmp_path
    d.mkdir(parents=True, exist_ok=True)
    return d


def _expected_crimes(server, username: str | None) -> int:
    """The access rule written out in SQL, independently of store.access."""
    if username is None:
        return server.query("SELECT count(*) FROM crimes WHERE sensitivity = 'public'")[0][0]
    (org,) = server.query("SELECT organisation_id FROM users WHERE username = ?", username)[0]
    return server.query(
        "SELECT count(*) FROM crimes WHERE sensitivity IN ('public', 'shared') "
        "OR (sensitivity = 'restricted' AND owner_org_id = ?)",
        org,
    )[0][0]


MENU = {  # menu entry -> roles that have it
    "/report": {"admin", "coordinator", "analyst", "field_reporter"},
    "/residents/moderate": {"admin", "coordinator"},
    "/import": {"admin", "coordinator", "analyst"},
    "/audit": {"admin"},
}


@pytest.mark.parametrize("username", [None, *USERS])
def test_each_role_sees_what_it_may(server, context, username):
    page = context.new_page()
    if username:
        login(page, server.url, username)
    else:
        page.goto(server.url + "/")
    role = USERS.get(username)
    wait_map(page)
    for href, roles in MENU.items():
        has = page.locator(f"nav.menu a[href='{href}']").count() == 1
        assert has == (role in roles), (username, href)
    # the map's data: exactly the crimes the access rule allows, restricted ones included for
    # the owner organisation only
    r = page.request.get(
        server.url + "/map/points.geojson?layer=crimes&from=2000-01-01&to=2030-12-31&zoom=8"
    )
    assert r.json()["numberMatched"] == _expected_crimes(server, username)
    shown = page.text_content("#n-crimes") or ""  # "(N in view of M)"; the public sees none
    assert (set(re.findall(r"\d+", shown)) <= {"0"}) == (username is None)
    for href, roles in MENU.items():
        status = page.request.get(server.url + href, max_redirects=0).status
        if role in roles:
            assert status == 200, (username, href)
        else:
            assert status in (303, 401, 403), (username, href, status)  # 401: moderation (issue 19)


def test_field_report_on_a_phone_is_found_on_the_map(server, phone):
    page = phone.new_page()
    login(page, server.url, "falt", "/report")
    page.wait_for_selector("#pickmap.leaflet-container")
    page.locator("#pickmap").tap(position={"x": 180, "y": 150})
    if not page.input_value("#lat"):  # some builds send no click for a tap; type it then
        page.locator("#pickmap").click(position={"x": 180, "y": 150})
    assert page.input_value("#lat") and page.input_value("#lon")
    text = f"telefon {uuid.uuid4().hex[:8]}"
    page.select_option("#category", "drug_litter")
    page.fill("#count", "3")
    page.fill("#text", text)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-status:text-is('Skickad.')")
    page.wait_for_selector(f"#mine li:has-text('{text}')")
    mine = page.request.get(server.url + "/report/mine.json").json()
    rec = next(r for r in mine if r["text"] == text)
    assert rec["count"] == 3 and rec["category"] == "drug_litter"
    # the link in "my reports" opens the map at the report
    page.click(f"#mine li:has-text('{text}') a")
    wait_map(page)
    page.wait_for_selector(f"#map span[data-ids~='{rec['id']}']", timeout=20_000)
    ids = page.evaluate("LB.data.observations.features.flatMap(f => f.properties.ids || [])")
    assert rec["id"] in ids


def _fill_report(page, text: str) -> None:
    page.fill("#lat", "59.3330")
    page.fill("#lon", "18.0640")
    page.select_option("#category", "drug_sale")
    page.fill("#count", "2")
    page.fill("#text", text)


def test_offline_report_is_kept_and_stored_exactly_once(server, context):
    page = context.new_page()
    login(page, server.url, "falt", "/report")
    text = f"offline {uuid.uuid4().hex[:8]}"
    _fill_report(page, text)
    context.set_offline(True)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("body[data-outbox='1']")
    assert "Ingen kontakt" in page.text_content("#report-status")
    assert server.query("SELECT count(*) FROM observations WHERE text = ?", text)[0][0] == 0
    context.set_offline(False)
    page.wait_for_selector("body[data-outbox='0']", timeout=45_000)
    assert server.query("SELECT count(*) FROM observations WHERE text = ?", text)[0][0] == 1

    # The answer is lost on the way back (the server stored it): the page sends it again
    # with the same key, and it is still stored once.
    text2 = f"lost answer {uuid.uuid4().hex[:8]}"
    lost = []

    def drop_answer(route):
        route.fetch()  # reaches the server, which stores the report
        lost.append(route.request.headers.get("idempotency-key"))
        route.abort()

    page.route("**/api/v1/observations", drop_answer)
    _fill_report(page, text2)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-status:has-text('Ingen kontakt')")
    assert page.get_attribute("body", "data-outbox") == "1" and len(lost) == 1
    assert server.query("SELECT count(*) FROM observations WHERE text = ?", text2)[0][0] == 1
    page.unroute("**/api/v1/observations")
    page.evaluate("LBOutbox.flush()")
    page.wait_for_selector("body[data-outbox='0']", timeout=20_000)
    assert server.query("SELECT count(*) FROM observations WHERE text = ?", text2)[0][0] == 1
    assert server.query("SELECT source_key FROM observations WHERE text = ?", text2)[0][0].endswith(
        lost[0]
    )


def test_outbox_report_is_sent_only_by_the_user_who_made_it(server, context):
    """A report queued on a shared phone is not sent in the next user's session, where it
    would belong to their organisation; it waits for its own reporter."""
    page = context.new_page()
    login(page, server.url, "falt", "/report")
    text = f"delad telefon {uuid.uuid4().hex[:8]}"
    page.route("**/api/v1/observations", lambda route: route.abort())  # no network for it
    _fill_report(page, text)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("body[data-outbox='1']")
    page.unroute("**/api/v1/observations")
    context.clear_cookies()  # the session ends; a coordinator signs in on the same phone
    login(page, server.url, "samordnare", "/report")
    page.wait_for_selector("#report-form")
    page.evaluate("LBOutbox.flush()")
    page.wait_for_selector("body[data-outbox='0']")
    assert f"{text}" not in page.inner_text("#mine")
    assert server.query("SELECT count(*) FROM observations WHERE text = ?", text)[0][0] == 0
    context.clear_cookies()
    login(page, server.url, "falt", "/report")
    page.wait_for_selector("body[data-outbox='0']", timeout=20_000)
    rows = server.query(
        "SELECT o.name, u.username FROM observations r JOIN organisations o "
        "ON o.id = r.owner_org_id JOIN users u ON u.id = r.created_by WHERE r.text = ?",
        text,
    )
    assert rows == [("Stadens mobila ordningsvakter", "falt")]


_CACHED = "caches.open('lagesbild-v1').then(c => c.match('/report')).then(r => !!r)"


def _until(page, expression: str, seconds: float = 20) -> None:
    # polled with evaluate: wait_for_function evaluates a string, which the CSP forbids
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.2)


def test_signing_out_forgets_the_report_page_kept_for_offline_use(server, context):
    """The report page kept on the device lists its user's own reports with their texts: on a
    shared phone it must not outlive the session."""
    page = context.new_page()
    login(page, server.url, "falt", "/report")
    _until(page, "navigator.serviceWorker.controller !== null")
    page.reload()  # fetched through the service worker, which keeps a copy
    _until(page, _CACHED)
    page.click("form[action='/logout'] button")
    page.wait_for_url(f"{server.url}/")
    assert page.evaluate(_CACHED) is False


def test_validation_message_beside_the_field_keeps_what_was_typed(server, context):
    page = context.new_page()
    login(page, server.url, "falt", "/report")
    page.fill("#text", "kvar efter felet")
    page.fill("#count", "0")
    page.click("#report-form button[type=submit]")
    assert page.is_visible("#count-error") and page.is_visible("#category-error")
    assert page.get_attribute("#count", "aria-invalid") == "true"
    assert page.input_value("#text") == "kvar efter felet"
    # the same without scripts: the server answers with the form, the message and the values
    r = page.request.post(
        server.url + "/report",
        form={
            "csrf_token": page.get_attribute("meta[name=csrf-token]", "content"),
            "text": "kvar",
            "count": "x",
            "lat": "59.33",
            "lon": "18.06",
            "category": "drug_use",
            "occurred_at": "2024-05-01T21:00",
        },
    )
    assert r.status == 400
    html = r.text()
    assert 'id="count-error"' in html and ">kvar</textarea>" in html


def test_residents_report_is_held_until_moderated(server, browser):
    public = browser.new_context(viewport={"width": 390, "height": 844}, locale="sv-SE")
    page = public.new_page()
    page.goto(server.url + "/residents")
    text = f"trasig lampa {uuid.uuid4().hex[:8]}"
    page.check("#cat-lighting")
    page.fill("#lat", "59.3320")
    page.fill("#lon", "18.0630")
    page.fill("#text", text)
    page.click("#resident-form button[type=submit]")
    page.wait_for_selector("#thanks")
    rows = server.query("SELECT id, status FROM resident_reports WHERE text = ?", text)
    assert len(rows) == 1 and rows[0][1] == "pending"
    assert server.query("SELECT count(*) FROM observations WHERE text = ?", text)[0][0] == 0
    # nobody but a moderator sees it: not the public, not an analyst
    assert page.request.get(server.url + "/api/v1/resident-reports").status == 401
    public.close()

    mod = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = mod.new_page()
    login(page, server.url, "analytiker", "/")
    assert page.request.get(server.url + "/residents/moderate").status == 403
    assert page.request.get(server.url + "/api/v1/resident-reports").status == 403
    page.context.clear_cookies()
    login(page, server.url, "samordnare", "/residents/moderate")
    card = page.locator(f"li.card:has-text('{text}')")
    card.locator("button:has-text('Godkänn')").click()
    page.wait_for_selector(f"#done td:has-text('{rows[0][0]}')")
    status, obs_id = server.query(
        "SELECT status, observation_id FROM resident_reports WHERE id = ?", rows[0][0]
    )[0]
    assert status == "accepted" and obs_id
    cat, by = server.query(
        "SELECT o.category, u.username FROM observations o JOIN users u ON u.id = o.created_by "
        "WHERE o.id = ?",
        obs_id,
    )[0]
    assert (cat, by) == ("lighting", "samordnare")
    mod.close()


def test_import_a_file_in_the_browser(server, context, tmp_path):
    csv = tmp_path / "brott.csv"
    csv.write_text(
        "id,occurred_at,category,lat,lon\n"
        "web-1,2024-03-01 21:00,theft,59.3325,18.0645\n"
        "web-2,2024-03-02 22:00,violent_crime,59.3327,18.0650\n"
        "web-3,2024-03-03 23:00,no_such_category,59.3329,18.0655\n",
        encoding="utf-8",
    )
    page = context.new_page()
    login(page, server.url, "analytiker", "/import")
    page.select_option("#layer", "crimes")
    page.set_input_files("#file", str(csv))
    page.click("form button.primary")
    page.click("[data-testid=column-mapping] [data-testid=import]")  # the wizard's mapping
    page.wait_for_selector("#import-result")
    cells = {
        k: page.text_content(f"#import-result td[data-k='{k}']").strip()
        for k in ("read", "stored", "rejected")
    }
    assert cells == {"read": "3", "stored": "2", "rejected": "1"}
    assert "no_such_category" in page.text_content("#rejected")
    assert page.text_content("#rejected td.num").strip() == "4"  # the file's line
    owner = server.query(
        "SELECT DISTINCT o.code FROM crimes c JOIN organisations o ON o.id = c.owner_org_id "
        "WHERE c.source_id IN ('web-1', 'web-2')"
    )
    assert owner == [("polis",)]  # the importer's organisation
    # a file that cannot be read: the message beside the file field, the choices kept
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01binary")
    page.goto(server.url + "/import")
    page.select_option("#layer", "observations")
    page.set_input_files("#file", str(bad))
    page.click("form button.primary")
    page.wait_for_selector("#file-error")
    assert page.input_value("#layer") == "observations"


def test_switch_language(server, context):
    page = context.new_page()
    page.goto(server.url + "/")
    assert page.text_content("#places h2") == "Platser och utbredning per kartläggning"
    assert page.get_attribute("html", "lang") == "sv"
    sv_cells = page.locator("#places td.num").all_text_contents()
    assert any("," in c and c.endswith("ha") for c in sv_cells)
    page.click("a.lang-link[data-lang='en']")
    page.wait_for_selector("html[lang='en']")
    assert page.text_content("#places h2") == "Places and extent per mapping round"
    en_cells = page.locator("#places td.num").all_text_contents()
    assert any("." in c and c.endswith("ha") for c in en_cells)
    page.goto(server.url + "/survey")  # the choice is kept (cookie)
    assert page.text_content("h1") == "The safety survey"
    page.goto(server.url + "/residents")
    assert "Tell us about a place" in page.text_content("h1")


def _not_blank(png: bytes, min_colours: int = 20) -> None:
    from PIL import Image, ImageStat

    img = Image.open(io.BytesIO(png)).convert("RGB")
    stat = ImageStat.Stat(img)
    assert max(stat.var) > 200, stat.var
    assert len(img.getcolors(maxcolors=1 << 20) or []) >= min_colours


def test_screenshots_of_map_and_place_page_are_not_blank(server, context, tmp_path):
    out = _shot_dir(tmp_path)
    page = context.new_page()
    login(page, server.url, "analytiker", "/")
    wait_map(page)
    assert int(page.get_attribute("#map", "data-features")) > 10
    assert page.locator("#map .cluster").count() > 0
    assert page.locator("#map path.leaflet-interactive").count() > 0  # extents, cameras, ...
    png = page.locator("#map").screenshot(path=str(out / "map.png"))
    _not_blank(png)

    (place_id,) = server.query("SELECT id FROM places WHERE name = 'Sergels torg/Klara'")[0]
    page.goto(f"{server.url}/places/{place_id}")
    page.wait_for_selector("#placemap[data-features='3']")
    assert page.locator("#chart-per-ha rect.bar").count() >= 4
    assert page.locator("#chart-ratio circle").count() >= 2
    assert page.is_visible(".caveat")
    png = page.screenshot(path=str(out / "place.png"), full_page=True)
    _not_blank(png)
    chart = page.locator("#chart-per-ha").screenshot(path=str(out / "chart.png"))
    _not_blank(chart, 5)

    page.goto(server.url + "/survey")
    assert int(page.get_attribute("#chart-survey", "data-points")) >= 3
    page.screenshot(path=str(out / "survey.png"), full_page=True)


def test_phone_width_has_no_sideways_scrolling(server, phone):
    page = phone.new_page()
    login(page, server.url, "falt", "/report")
    for path in ("/report", "/", "/residents", "/public"):
        page.goto(server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)


def test_place_names_in_map_tooltips_are_text_not_html(server, context):
    """A place name is the user's text: shown as it is in the place page's and the public map's
    tooltips, never run as HTML (Leaflet's bindTooltip takes HTML)."""
    import httpx

    name = f'<b id="pwn">X</b><a href="//evil.example">{uuid.uuid4().hex[:6]}</a>'
    ring = [[18.10, 59.30], [18.101, 59.30], [18.101, 59.301], [18.10, 59.301], [18.10, 59.30]]
    with httpx.Client(base_url=server.url) as api:
        r = api.post("/api/v1/login", json={"username": "samordnare", "password": "demo"})
        api.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        r = api.post(
            "/api/v1/places",
            json={
                "type": "Feature",
                "properties": {"name": name, "kind": "comparison_area", "sensitivity": "public"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            },
        )
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
    # its extent, for the public map (written to the store: POST /api/v1/extents is not used)
    from shapely.geometry import Polygon

    from lagesbild.ingest.writer import write_records
    from lagesbild.store.lifecycle import open_store

    store = open_store(server.db_url)
    try:
        rec = {"place": name, "round": 2023, "status": "listed", "sensitivity": "public"}
        corner = Polygon([(18.10, 59.30), (18.1003, 59.30), (18.1003, 59.3003), (18.10, 59.3003)])
        assert write_records(store, "extents", [(1, rec, corner)]).stored == 1
    finally:
        store.dispose()

    def tooltips(page, url: str) -> list[str]:
        """Hover every shape of the map; the tooltips' HTML."""
        page.goto(url)
        page.wait_for_selector(".leaflet-overlay-pane path")
        page.wait_for_timeout(300)  # fitBounds
        seen = []
        for path in page.locator(".leaflet-overlay-pane path").all():
            box = path.bounding_box()
            if box and box["width"] and box["height"]:
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                tip = page.locator(".leaflet-tooltip")
                if tip.count():
                    seen.append(tip.first.inner_html())
        assert page.locator("#pwn").count() == 0 and page.locator(".leaflet-tooltip a").count() == 0
        return seen

    page = context.new_page()
    login(page, server.url, "samordnare", f"/places/{pid}")
    shown = tooltips(page, f"{server.url}/places/{pid}")
    assert any("&lt;b id=" in t for t in shown), shown
    shown = tooltips(page, f"{server.url}/public")
    assert any("&lt;b id=" in t for t in shown), shown


def _extent_tooltips(page) -> list[str]:
    """Hover each extent of the map in view: the tooltips' texts."""
    page.wait_for_selector(".leaflet-overlay-pane path")
    page.wait_for_timeout(300)  # fitBounds
    seen = []
    for path in page.locator(".leaflet-overlay-pane path").all():
        box = path.bounding_box()
        if box and box["width"] > 4 and box["height"] > 4:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            tip = page.locator(".leaflet-tooltip")
            if tip.count():
                seen.append(tip.first.inner_text())
    return seen


def test_extent_tooltips_in_the_pages_language(server, context):
    """An extent's status and hectares in the page's language: a Swedish map said "(listed)"
    and the public map "14.1 ha"."""
    page = context.new_page()
    page.goto(server.url + "/public?lang=sv")
    shown = [t for t in _extent_tooltips(page) if " ha (" in t]
    assert shown and all("(listed)" not in t for t in shown), shown
    assert any(re.search(r"\d,\d ha \(listad\)", t) for t in shown), shown
    page.goto(server.url + "/public?lang=en")
    shown = [t for t in _extent_tooltips(page) if " ha (" in t]
    assert any(re.search(r"\d\.\d ha \(listed\)", t) for t in shown), shown
    login(page, server.url, "lasare", "/")
    page.goto(server.url + "/?lang=sv#z=15&c=59.3330,18.0640&layers=extents")
    wait_map(page)
    shown = [t for t in _extent_tooltips(page) if " ha (" in t]
    assert shown and all("(listed)" not in t for t in shown), shown
