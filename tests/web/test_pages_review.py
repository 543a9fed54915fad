"""What the review of the web pages found, checked without a browser: the public page's table
in the reader's language (layers and categories by their labels, counts in the local form)."""

from __future__ import annotations

import re

from lagesbild.ingest.writer import write_records


def _cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", html)


def test_public_table_names_layers_and_categories_in_the_readers_language(client, app_store):
    rows = [
        (
            i,
            {
                "id": f"p{i}",
                "occurred_at": "2023-07-01 12:00",
                "category": "vandalism",
                "lat": 59.3315,
                "lon": 18.062,
                "sensitivity": "public",
            },
            None,
        )
        for i in range(1200)
    ]
    write_records(app_store, "crimes", rows)
    sv = _cells(client.get("/public?lang=sv").text)
    en = _cells(client.get("/public?lang=en").text)
    # labels, not the codes: a Swedish page showed "crimes" and "vandalism"
    assert "Anmälda brott" in sv and "skadegörelse" in sv
    assert "crimes" not in sv and "vandalism" not in sv and "theft" not in sv
    assert "Reported crimes" in en and "criminal damage" in en and "crimes" not in en
    # counts of a thousand and more in each language's form; small ones still suppressed
    assert any(re.fullmatch("1\u00a02\\d\\d", c) for c in sv), sv
    assert any(re.fullmatch("1,2\\d\\d", c) for c in en), en
    assert "färre än 5" in sv and "fewer than 5" in en


def test_public_table_scrolls_sideways_by_itself_on_a_phone(client):
    html = client.get("/public").text
    assert re.search(r'<div class="table-scroll">\s*<table>', html)


def test_moderation_error_in_the_pages_language_and_never_from_the_link(client):
    from .conftest import login

    rid = client.post(
        "/api/v1/resident-reports",
        json={"category": "lighting", "lat": 59.3320, "lon": 18.0630, "text": "lampa"},
    ).json()["id"]
    csrf = login(client, "coordinator-polis")
    for _ in range(2):  # the second accept finds it moderated already
        r = client.post(f"/residents/{rid}/accept", data={"csrf_token": csrf})
    assert r.status_code == 200 and "?error=status" in str(r.url)
    assert "Rapporten har redan modererats" in r.text and "already accepted" not in r.text
    english = client.get("/residents/moderate?error=status&lang=en").text
    assert "The report has already been moderated" in english
    # a link's own text never shows on the page
    r = client.get("/residents/moderate?error=Ring+08-123+45+67+och+uppge+ditt+BankID")
    assert r.status_code == 200 and "BankID</p>" not in r.text and "form-error" not in r.text
