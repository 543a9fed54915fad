"""The operational briefing in the browser, server-side over both backends: a coordinator runs a
briefing through the forms from creation to lock; a viewer reads but cannot change; the public
is sent to log-in; a form without the CSRF token is refused; both languages render. One
Playwright test adds a decision on a phone-sized viewport."""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lagesbild.briefing import service
from lagesbild.domain.model import SYSTEM
from lagesbild.domain.taxonomy import DEFAULT_TAXONOMY
from lagesbild.store.schema import action_items, briefings
from tests.web.conftest import login

AT = "2023-05-02T18:00"


def _create(client, csrf: str, place: str = "Klara", at: str = AT) -> int:
    r = client.post(
        "/briefings",
        data={"csrf_token": csrf, "place": place, "at": at},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    m = re.fullmatch(r"/briefings/(\d+)", r.headers["location"])
    assert m, r.headers["location"]
    return int(m.group(1))


def _forms(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="(/briefings/[^"]+)"', html)


def test_a_coordinator_runs_a_briefing_from_creation_to_lock(client, app_store):
    csrf = login(client, "coordinator-polis")
    page = client.get("/briefings")
    assert page.status_code == 200
    assert 'action="/briefings"' in page.text and 'name="csrf_token"' in page.text
    assert 'href="/briefings"' in page.text  # the menu entry

    bid = _create(client, csrf)
    page = client.get(f"/briefings/{bid}")
    assert page.status_code == 200
    html = page.text
    assert "Samverkansuppställning: Klara" in html
    # the picture: counts (the fixture's thefts and drug sales, period 2023-04-25..05-02)
    theft = DEFAULT_TAXONOMY.get("crimes", "theft").label("sv")
    assert 'id="counts"' in html and theft in html
    for section in ("notable", "hotspots", "by-organisation", "roster", "activations", "actions"):
        assert f'id="{section}"' in html, section
    assert f'href="/briefings/{bid}/print?lang=sv"' in html
    assert f'href="/briefings/{bid}/print.pdf?lang=sv"' in html
    assert set(_forms(html)) >= {
        f"/briefings/{bid}/attendance",
        f"/briefings/{bid}/decisions",
        f"/briefings/{bid}/actions",
        f"/briefings/{bid}/lock",
    }
    # the list shows it, open; the place filter keeps it
    listing = client.get("/briefings", params={"place": "Klara"}).text
    assert f'href="/briefings/{bid}"' in listing and "öppen" in listing

    # attendance: exactly the ticked organisations
    r = client.post(
        f"/briefings/{bid}/attendance",
        data={"csrf_token": csrf, "org": ["Polisen", "Socialtjänsten"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        f"/briefings/{bid}/attendance",
        data={"csrf_token": csrf, "org": ["Socialtjänsten"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert service.get_briefing(app_store, SYSTEM, bid)["minutes"]["attendance"] == [
        "Socialtjänsten"
    ]

    # a decision; an empty one gets its message beside the field
    r = client.post(f"/briefings/{bid}/decisions", data={"csrf_token": csrf, "decision": " "})
    assert r.status_code == 400 and 'id="decision-error"' in r.text
    r = client.post(
        f"/briefings/{bid}/decisions",
        data={"csrf_token": csrf, "decision": "Fokus på Plattan i kväll"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("#decisions")

    # an action item; a bad due date keeps what was typed
    bad = {"csrf_token": csrf, "action_text": "Städa trappan", "responsible": "Polisen"}
    r = client.post(f"/briefings/{bid}/actions", data={**bad, "due": "i morgon"})
    assert r.status_code == 400 and 'id="due-error"' in r.text
    assert "Städa trappan" in r.text and 'value="i morgon"' in r.text
    r = client.post(
        f"/briefings/{bid}/actions", data={**bad, "due": "2023-05-09"}, follow_redirects=False
    )
    assert r.status_code == 303
    b = service.get_briefing(app_store, SYSTEM, bid)
    assert [d["text"] for d in b["minutes"]["decisions"]] == ["Fokus på Plattan i kväll"]
    (item,) = b["minutes"]["new_actions"]
    assert (item["text"], item["responsible"], str(item["due_date"])) == (
        "Städa trappan",
        "Polisen",
        "2023-05-09",
    )
    html = client.get(f"/briefings/{bid}").text
    assert "Fokus på Plattan i kväll" in html and "Städa trappan" in html
    assert f"/briefings/{bid}/actions/{item['id']}/done" in html

    # mark it done
    r = client.post(
        f"/briefings/{bid}/actions/{item['id']}/done",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with app_store.read() as conn:
        status = conn.execute(
            select(action_items.c.status).where(action_items.c.id == item["id"])
        ).scalar()
    assert status == "done"
    html = client.get(f"/briefings/{bid}").text
    assert f'data-id="{item["id"]}" data-status="done"' in html
    assert f"/actions/{item['id']}/done" not in html

    # lock: no forms afterwards, the page says so, and a change is refused
    r = client.post(f"/briefings/{bid}/lock", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    html = client.get(f"/briefings/{bid}").text
    assert 'id="locked-note"' in html and "låst" in html
    assert _forms(html) == []
    assert "Fokus på Plattan i kväll" in html and "Socialtjänsten" in html
    r = client.post(f"/briefings/{bid}/decisions", data={"csrf_token": csrf, "decision": "Sent"})
    assert r.status_code == 409 and 'id="locked-note"' in r.text
    for path in ("attendance", "lock", f"actions/{item['id']}/done"):
        assert client.post(f"/briefings/{bid}/{path}", data={"csrf_token": csrf}).status_code == 409
    b = service.get_briefing(app_store, SYSTEM, bid)
    assert b["status"] == "locked"
    assert [d["text"] for d in b["minutes"]["decisions"]] == ["Fokus på Plattan i kväll"]
    assert "låst" in client.get("/briefings").text


def test_the_new_briefing_form_keeps_what_was_typed(client):
    csrf = login(client, "analyst-soc")
    r = client.post("/briefings", data={"csrf_token": csrf, "place": "Ingenstans", "at": AT})
    assert r.status_code == 400
    assert 'id="place-error"' in r.text and 'value="Ingenstans"' in r.text
    r = client.post("/briefings", data={"csrf_token": csrf, "place": "Klara", "at": "snart"})
    assert r.status_code == 400 and 'id="at-error"' in r.text and 'value="snart"' in r.text
    bid = _create(client, csrf)
    r = client.post("/briefings", data={"csrf_token": csrf, "place": "Klara", "at": AT})
    assert r.status_code == 400 and 'id="at-error"' in r.text  # one briefing per place and time
    assert client.get("/briefings", params={"place": "Ingenstans"}).status_code == 400
    assert f'href="/briefings/{bid}"' in client.get("/briefings").text


def test_a_weekly_meeting_and_a_forum_are_made_from_the_form(client, app_store):
    csrf = login(client, "analyst-soc")
    r = client.post(
        "/briefings",
        data={"csrf_token": csrf, "place": "Klara", "at": AT, "kind": "forum"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    bid = int(r.headers["location"].rsplit("/", 1)[1])
    assert service.get_briefing(app_store, SYSTEM, bid)["kind"] == "forum"
    listing = client.get("/briefings", params={"lang": "sv"}).text
    assert f'data-id="{bid}" data-kind="forum"' in listing
    assert "strategiskt samverkansforum" in listing
    page = client.get(f"/briefings/{bid}", params={"lang": "en"}).text
    assert "<h1>Strategic forum: Klara" in page
    r = client.post(
        "/briefings", data={"csrf_token": csrf, "place": "Klara", "at": AT, "kind": "fika"}
    )
    assert r.status_code == 400 and 'id="kind-error"' in r.text


def test_a_viewer_reads_but_cannot_change(client, app_store):
    bid = service.new_briefing(
        app_store, SYSTEM, "Klara", datetime.fromisoformat(AT).replace(tzinfo=app_store.tz)
    )
    csrf = login(client, "viewer-soc")
    listing = client.get("/briefings")
    assert listing.status_code == 200 and f'href="/briefings/{bid}"' in listing.text
    assert 'method="post" action="/briefings"' not in listing.text
    html = client.get(f"/briefings/{bid}").text
    assert "Samverkansuppställning: Klara" in html and _forms(html) == []
    for path, data in (
        ("decisions", {"decision": "Nej"}),
        ("attendance", {"org": ["Polisen"]}),
        ("lock", {}),
    ):
        r = client.post(f"/briefings/{bid}/{path}", data={"csrf_token": csrf, **data})
        assert r.status_code == 403, path
    r = client.post("/briefings", data={"csrf_token": csrf, "place": "Klara", "at": AT})
    assert r.status_code == 403
    b = service.get_briefing(app_store, SYSTEM, bid)
    assert b["status"] == "open" and b["minutes"]["decisions"] == []
    assert b["minutes"]["attendance"] == []


def test_the_public_is_sent_to_log_in_and_unknown_briefings_are_not_found(client, app_store):
    bid = service.new_briefing(
        app_store, SYSTEM, "Klara", datetime.fromisoformat(AT).replace(tzinfo=app_store.tz)
    )
    for path in ("/briefings", f"/briefings/{bid}"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"
    assert 'href="/briefings"' not in client.get("/").text  # no menu entry
    r = client.post(f"/briefings/{bid}/decisions", data={"decision": "x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    login(client, "viewer-polis")
    assert client.get("/briefings/999999").status_code == 404
    assert client.get("/briefings/not-a-number").status_code in (404, 422)


def test_a_form_without_the_csrf_token_is_refused(client, app_store):
    csrf = login(client, "coordinator-soc")
    bid = _create(client, csrf)
    r = client.post(f"/briefings/{bid}/decisions", data={"decision": "Utan token"})
    assert r.status_code == 403
    r = client.post(f"/briefings/{bid}/decisions", data={"csrf_token": "fel", "decision": "Fel"})
    assert r.status_code == 403
    assert client.post(f"/briefings/{bid}/lock", data={}).status_code == 403
    assert (
        client.post("/briefings", data={"place": "Klara", "at": "2023-05-04T18:00"}).status_code
        == 403
    )
    b = service.get_briefing(app_store, SYSTEM, bid)
    assert b["status"] == "open" and b["minutes"]["decisions"] == []
    with app_store.read() as conn:
        assert len(conn.execute(select(briefings.c.id)).all()) == 1


def test_both_languages_render(client):
    csrf = login(client, "admin-polis")
    bid = _create(client, csrf)
    sv = client.get(f"/briefings/{bid}", params={"lang": "sv"})
    en = client.get(f"/briefings/{bid}", params={"lang": "en"})
    assert sv.status_code == en.status_code == 200
    assert '<html lang="sv">' in sv.text and '<html lang="en">' in en.text
    assert "Händelser per kategori" in sv.text and "Lås uppställningen" in sv.text
    assert "Events by category" in en.text and "Lock the briefing" in en.text
    assert f"/briefings/{bid}/print?lang=en" in en.text
    assert "Samverkansuppställningar" in client.get("/briefings", params={"lang": "sv"}).text
    listing = client.get("/briefings", params={"lang": "en"}).text
    assert "Briefings and meetings" in listing and ">Briefings</a>" in listing
    for text in (sv.text, en.text, listing):
        assert not re.search(r"briefing\.[a-z_.]+", re.sub(r"/briefings[^\"]*", "", text)), text


# ------------------------------------------------------------------ in a browser


@pytest.mark.browser
def test_a_decision_on_a_phone(server, phone):
    from tests.web.pages.conftest import login as browser_login

    (bid,) = server.query(
        "SELECT id FROM briefings WHERE status = 'open' ORDER BY at DESC LIMIT 1"
    )[0]
    page = phone.new_page()
    browser_login(page, server.url, "samordnare", f"/briefings/{bid}")
    page.wait_for_selector("#counts table")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scroll
    text = f"Beslut från telefonen {uuid.uuid4().hex[:8]}"
    page.fill("#decision", text)
    page.click("#decision-form button[type=submit]")
    page.wait_for_url(f"{server.url}/briefings/{bid}*")
    page.wait_for_selector(f"#decision-list li:has-text('{text}')")
    assert server.query("SELECT count(*) FROM decisions WHERE text = ?", text)[0][0] == 1
    if os.environ.get("LAGESBILD_SCREENSHOTS"):
        shots = Path(os.environ["LAGESBILD_SCREENSHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "briefing-phone.png"), full_page=True)
