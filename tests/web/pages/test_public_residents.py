"""Issue 19 in Chromium: the public page on a phone and by keyboard, the resident's phone flow
with a photo (reference and status link), and the moderator's desk flow (photo without EXIF,
highlighted personal data, redaction, reject with confirmation, undo, accept)."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from PIL import Image

from tests.web.pages.conftest import login
from tests.web.test_residents_followup import GPS_IFD, jpeg_with_gps

pytestmark = pytest.mark.browser


def test_public_page_on_a_phone_and_by_keyboard(server, phone):
    page = phone.new_page()
    page.goto(server.url + "/public?lang=en")
    assert page.locator("header nav a[href='/public']").count() == 1
    assert page.locator("[data-testid=public-area]").count() >= 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.wait_for_selector("#map[data-ready='1']")
    assert page.locator(".scene-label").count() >= 1  # the latest round's scenes, labelled
    # the filter by keyboard alone
    page.focus("select[name=category]")
    page.keyboard.press("ArrowDown")  # the first layer's "all categories"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**category=*")
    assert page.locator("[data-testid=public-area]").count() >= 1
    assert "category=crimes" in page.url or "category=observations" in page.url


def test_resident_sends_a_report_with_a_photo_from_a_phone(server, phone, tmp_path):
    page = phone.new_page()
    page.goto(server.url + "/residents")
    text = f"sprutor vid trappan, ring mig på 070-1234567 /Anna Svensson {uuid.uuid4().hex[:6]}"
    page.check("#cat-drug_litter")
    page.fill("#lat", "59.3320")
    page.fill("#lon", "18.0630")
    page.fill("#text", text)
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(jpeg_with_gps())
    page.set_input_files("input[type=file][name=photo]", str(photo))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#resident-form button[type=submit]")
    ref = page.wait_for_selector("[data-testid=report-ref]").text_content()
    assert re.fullmatch(r"LB-[0-9A-F]{6}", ref)
    assert page.locator("[aria-current=step]").get_attribute("data-stage") == "received"
    assert "070-1234567" not in page.content()
    status_url = page.url.split("?")[0]
    assert re.search(r"/residents/status/[\w-]{20,}$", status_url)
    (rid,) = server.query("SELECT id FROM resident_reports WHERE ref = ?", ref)[0]
    (n,) = server.query("SELECT count(*) FROM resident_photos WHERE report_id = ?", rid)[0]
    assert n == 1


def test_moderator_desk_redacts_rejects_undoes_and_accepts(server, browser, tmp_path):
    # a report with a photo and personal data, sent as a resident would
    import httpx

    text = f"ring mig på 070-7654321 /Eva Berg, lampan trasig {uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=server.url, follow_redirects=True) as c:
        r = c.post(
            "/residents",
            data={"category": "lighting", "lat": "59.3321", "lon": "18.0631", "text": text},
            files={"photo": ("p.jpg", jpeg_with_gps(), "image/jpeg")},
        )
        assert r.status_code == 200 and "report-ref" in r.text
    (rid,) = server.query("SELECT id FROM resident_reports WHERE text = ?", text)[0]

    anon = browser.new_context()
    assert anon.request.get(server.url + "/residents/moderate").status == 401
    assert anon.request.get(f"{server.url}/residents/{rid}/photo").status == 401
    anon.close()

    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    page = ctx.new_page()
    login(page, server.url, "samordnare", "/residents/moderate")
    card = page.locator(f"#r{rid}")
    img = card.locator("img[data-testid=report-photo]")
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    body = page.request.get(server.url + img.get_attribute("src")).body()
    shown = Image.open(io.BytesIO(body))
    assert not shown.getexif() and not shown.getexif().get_ifd(GPS_IFD)
    assert card.locator("mark[data-kind=phone]").text_content().startswith("070-7654321")
    assert card.locator("mark[data-kind=name]").text_content().startswith("Eva Berg")
    box = card.locator(f"#text-{rid}")
    assert "070" not in box.input_value() and "Eva" not in box.input_value()
    page.wait_for_selector(f"#map-{rid}[data-ready='1']")

    # reject: the reason and the confirmation step first
    card.locator("details.reject summary").click()
    card.locator(f"#reason-{rid}").fill("dublett")
    card.locator("details.reject button.danger").click()
    page.wait_for_selector("#undo")
    assert server.query("SELECT status, reason FROM resident_reports WHERE id = ?", rid)[0] == (
        "rejected",
        "dublett",
    )
    page.click("#undo button")
    page.wait_for_selector(f"#r{rid}")
    assert server.query("SELECT status FROM resident_reports WHERE id = ?", rid)[0][0] == "pending"

    # accept the redacted text, edited further, with the photo
    card = page.locator(f"#r{rid}")
    card.locator(f"#text-{rid}").fill("lampan trasig vid trappan")
    card.locator(f"#keep-{rid}").check()
    card.locator("button.primary").click()
    page.wait_for_selector(f"#done td:text-is('{rid}')")
    status, obs = server.query(
        "SELECT status, observation_id FROM resident_reports WHERE id = ?", rid
    )[0]
    assert status == "accepted"
    assert server.query("SELECT text FROM observations WHERE id = ?", obs)[0][0] == (
        "lampan trasig vid trappan"
    )
    ctx.close()
