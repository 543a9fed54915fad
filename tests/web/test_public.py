"""The public page (web/public.py): the reader's language, labels instead of codes, counts in the
local form, a table that scrolls on a phone."""

from __future__ import annotations

import re

from lagesbild.ingest.writer import write_records


def test_public_page_follows_the_language_cookie(client):
    assert "Öppen lägesbild" in client.get("/public").text
    client.cookies.set("lang", "en")
    english = client.get("/public")
    assert "Public situational picture" in english.text and 'lang="en"' in english.text
    assert 'lang="sv"' in client.get("/public?lang=sv").text  # the query still decides


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
