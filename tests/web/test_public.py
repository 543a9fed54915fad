"""The public page (web/public.py) in the site's layout: areas, category filter, "no data"
before a layer's first year, the CSV of exactly the public aggregates, and no total that gives a
suppressed category away."""

from __future__ import annotations

import csv
import io
import random
import re

import pytest

from lagesbild.ingest.writer import write_records
from lagesbild.services.public import public_counts, public_figures, public_totals


def _crimes(store, n: int, year: int, category: str, start: int = 0, lat: float = 59.3315):
    rows = [
        (
            start + i,
            {
                "id": f"c{year}-{category}-{start + i}",
                "occurred_at": f"{year}-07-01 12:00",
                "category": category,
                "lat": lat,
                "lon": 18.062,
                "sensitivity": "public",
            },
            None,
        )
        for i in range(n)
    ]
    write_records(store, "crimes", rows)


def test_public_page_in_the_sites_layout_with_areas_and_a_category_filter(client):
    html = client.get("/public").text
    assert re.search(r"<header[^>]*>.*<nav[^>]*>.*</nav>.*</header>", html, re.S)
    assert 'href="/public" aria-current="page"' in html  # the site's menu, this page marked
    assert re.search(r'<select id="category" name="category">', html)
    # Klara (the fixture's one public place) with crimes and with observations
    assert html.count('data-testid="public-area"') == 2
    assert "Öppen lägesbild" in html
    english = client.get("/public?lang=en").text
    assert "Public situational picture" in english and 'lang="en"' in english
    assert client.head("/public").status_code == 200


def test_category_filter_shows_one_category_and_ignores_unknown_ones(client, app_store):
    _crimes(app_store, 1200, 2024, "vandalism")  # 2023 has 4 thefts: its other cells withheld
    html = client.get("/public?category=crimes:vandalism").text
    assert '<option value="crimes:vandalism" selected>' in html
    assert html.count('data-testid="public-area"') == 1  # one layer's category only
    assert re.search(r'class="pub-now">1\u00a02\d\d<', html), "the count in Swedish form"
    assert "1,2" in client.get("/public?category=crimes:vandalism&lang=en").text
    bad = client.get("/public?category=crimes:<script>")
    assert bad.status_code == 200 and "<script>" not in bad.text
    assert '<option value="crimes" selected>' in bad.text  # the layer's categories, all
    assert client.get("/public?category=nolayer:x").text.count('data-testid="public-area"') == 2


def test_years_before_a_layer_had_data_say_no_data_not_zero(client, app_store):
    _crimes(app_store, 7, 2021, "theft")  # crimes from 2021, observations only in 2023
    html = client.get("/public?lang=en").text
    cards = html.split('data-testid="public-area"')[1:]
    obs = next(c for c in cards if "Field observations" in c)
    crimes = next(c for c in cards if "Reported crimes" in c)
    assert re.search(r"<span>2021</span> <span class=\"v none\">no data</span>", obs)
    assert re.search(r"<span>2022</span> <span class=\"v num\">0</span>", crimes)
    assert re.search(r"<span>2021</span> <span class=\"v num\">7</span>", crimes)


def test_csv_is_exactly_the_public_aggregates(client, app_store):
    _crimes(app_store, 9, 2023, "vandalism")
    r = client.get("/api/v1/public/counts.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    got = list(csv.DictReader(io.StringIO(r.text)))
    want = public_counts(app_store) + public_totals(app_store)
    assert sorted(
        (g["place"], int(g["year"]), g["layer"], g["category"], g["count"]) for g in got
    ) == sorted((w.place, w.year, w.layer, w.category, str(w.count)) for w in want)
    for g in got:  # never a small number as such
        assert not re.fullmatch("[1-4]", g["count"]), g


@pytest.mark.parametrize("seed", [3, 11])
def test_a_total_minus_its_shown_categories_never_gives_a_small_count(store, seed):
    """The per-area total beside its categories: where exactly one category is not a number
    and the total is, the difference would be that category's count."""
    from shapely.geometry import box

    write_records(
        store,
        "places",
        [
            (
                1,
                {"name": "Plattan", "kind": "priority_place", "sensitivity": "public"},
                box(18.06, 59.33, 18.07, 59.34),
            )
        ],
    )
    rng = random.Random(seed)
    cats = ["theft", "vandalism", "drug_offence", "public_order", "violence"]
    start = 0
    for year in (2022, 2023, 2024):
        for cat in cats:
            n = rng.choice([0, 1, 2, 3, 6, 9, 14])
            _crimes(store, n, year, cat, start, lat=59.335)
            start += n
    figures = public_figures(store)
    totals = [k for k in figures if k[0] == "total"]
    assert totals
    small_seen = False
    for _, place, year, layer in totals:
        parts = [
            v for k, v in figures.items() if k[0] == "count" and k[1:4] == (place, year, layer)
        ]
        hidden = [v for v in parts if not isinstance(v, int)]
        small_seen |= "<5" in hidden
        if isinstance(figures[("total", place, year, layer)], int):
            assert len(hidden) != 1, (place, year, parts)
    assert small_seen, "the generated data should have small counts to protect"


def test_year_chooses_the_year_compared(client, app_store):
    _crimes(app_store, 12, 2024, "theft", start=5000)
    assert "Per area: 2024 compared" in client.get("/public?lang=en").text
    assert "Per area: 2023 compared" in client.get("/public?lang=en&year=2023").text
    assert "Per area: 2024 compared" in client.get("/public?lang=en&year=1999").text


def test_the_page_says_when_the_figures_were_updated(client, app_store):
    from lagesbild.services.public import solved_at

    html = client.get("/public?lang=en").text
    when = solved_at(client.app.state.store)
    assert when is not None
    m = re.search(r'data-testid="public-updated">([^<]*)<', html)
    assert m and f"updated at {when:%H:%M}" in m.group(1)
    sv = client.get("/public?lang=sv").text
    assert f"uppdaterades {when:%H:%M}" in sv
