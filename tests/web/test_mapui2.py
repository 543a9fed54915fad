"""Issue 17 follow-up: the place page and its analysis link each other; a map download larger
than the cap says so (in the file, in headers and on the page)."""

from __future__ import annotations

import csv
import io

from lagesbild.web import pages_map
from tests.web.conftest import login

PERIOD = {"from": "2023-01-01", "to": "2023-12-31"}


def test_place_page_and_its_analysis_link_each_other(client):
    place = client.get("/places/1?lang=en").text
    assert 'href="/places/1/analysis"' in place and "Analyse this place" in place
    login(client, "analyst-polis")  # the analysis is for signed-in staff
    analysis = client.get("/places/1/analysis?lang=en")
    assert analysis.status_code == 200
    assert 'href="/places/1" data-testid="back-to-place"' in analysis.text
    front = client.get("/?lang=sv").text
    assert 'href="/places/1/analysis"' in front  # the places table offers the analysis


def test_a_capped_download_says_it_is_truncated(client, monkeypatch):
    login(client, "analyst-polis")
    total = client.get("/map/table.json", params={**PERIOD, "layer": "crimes"}).json()
    n = total["numberMatched"]
    assert n > 2
    whole = client.get("/map/table.csv", params={**PERIOD, "layer": "crimes"})
    assert whole.headers["X-Truncated"] == "false" and whole.headers["X-Total-Count"] == str(n)
    assert not whole.text.startswith("#")
    assert len(list(csv.DictReader(io.StringIO(whole.text)))) == n

    monkeypatch.setattr(pages_map, "DOWNLOAD_MAX", 2)
    cut = client.get("/map/table.csv", params={**PERIOD, "layer": "crimes", "sort": "id"})
    assert cut.headers["X-Truncated"] == "true" and cut.headers["X-Total-Count"] == str(n)
    first, rest = cut.text.split("\n", 1)
    assert first == f"# truncated: the first 2 of {n} rows (id)"
    rows = list(csv.DictReader(io.StringIO(rest)))
    assert len(rows) == 2
    fc = client.get("/map/table.geojson", params={**PERIOD, "layer": "crimes"})
    assert fc.headers["X-Truncated"] == "true"
    body = fc.json()
    assert body["truncated"] is True and body["numberReturned"] == 2 and body["numberMatched"] == n


def test_the_map_page_states_the_download_cap(client):
    page = client.get("/?lang=en").text
    assert 'id="download-cap"' in page and 'data-max="10000"' in page
    assert "A download holds at most 10,000 rows." in page or "at most 10" in page


def test_the_menu_is_grouped_and_marks_the_pages_item(client):
    from lagesbild.web.pages import nav_current

    items = [("/", "m"), ("/#places", "p"), ("/rounds", "r"), ("/residents", "x")]
    items.append(("/residents/moderate", "y"))
    assert nav_current(items, "/") == "/"
    assert nav_current(items, "/places/4/analysis") == "/#places"
    assert nav_current(items, "/rounds/2023/4") == "/rounds"
    assert nav_current(items, "/residents/moderate") == "/residents/moderate"
    assert nav_current(items, "/residents") == "/residents"
    assert nav_current(items, "/roundsx") is None
    login(client, "analyst-polis")
    page = client.get("/rounds?lang=en").text
    assert page.count('aria-current="page"') == 1 and 'href="/rounds" aria-current="page"' in page
    for label in ("Map and reports", "Coordination", "Registers and data", "The public"):
        assert label in page
    client.cookies.clear()
    anon = client.get("/?lang=en").text
    assert "Coordination" not in anon and 'data-testid="sign-in-short"' in anon


def test_the_clusters_cells_agree_with_numpys_unique():
    import numpy as np

    from lagesbild.services.pages import _cells_of

    rng = np.random.default_rng(3)
    for size in (1, 10, 3000, 10**8):  # the last takes the sort
        key = rng.integers(0, size, 20_000)
        inverse, counts = _cells_of(key)
        _, want_inverse, want_counts = np.unique(key, return_inverse=True, return_counts=True)
        assert (inverse == want_inverse.ravel()).all() and (counts == want_counts).all()
