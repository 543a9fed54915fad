"""The map's analyst views without a browser: the data-bound default period, the basemap and its
Content-Security-Policy, HEAD on every page, the table and downloads under the access rule and
audit, a cluster's incidents, the time profile (checked against plain Python), a record's page."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient

from lagesbild.domain.model import PUBLIC_VIEWER
from lagesbild.services import pages as svc
from lagesbild.web import pages_map
from lagesbild.web.app import create_app
from tests.web.conftest import ORGS, POINTS, login, may_see

PERIOD = {"from": "2023-01-01", "to": "2023-12-31"}


def _expected(layer: str, org: str | None) -> list[str]:
    return sorted(
        rid for lay, rid, rorg, sens, _, _ in POINTS if lay == layer and may_see(org, rorg, sens)
    )


def _source_ids(client, layer: str, ids: list[int]) -> list[str]:
    out = []
    for i in ids:
        r = client.get(f"/api/v1/{layer}/{i}")
        out.append(r.json()["properties"]["source_id"])
    return sorted(out)


# ------------------------------------------------------------------ default period


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        ("2024-12-31T20:11:00+00:00", ("2024-01-01", "2024-12-31")),
        ("2024-11-15T10:00:00+00:00", ("2023-12-01", "2024-11-30")),
        ("2024-02-29T23:30:00+00:00", ("2023-04-01", "2024-03-31")),  # local time: 1 March
    ],
)
def test_default_period_is_the_12_months_up_to_the_latest_crimes_month(
    sqlite_store, monkeypatch, latest, expected
):
    monkeypatch.setattr(svc, "latest_crime", lambda store, viewer: datetime.fromisoformat(latest))
    assert svc.default_window(sqlite_store, PUBLIC_VIEWER) == expected


def test_default_period_follows_crimes_not_reports_or_the_clock(client, app_store):
    page = client.get("/?lang=en").text
    assert '"from": "2022-06-01"' in page and '"to": "2023-05-31"' in page  # anonymous
    login(client, "analyst-polis")
    page = client.get("/").text
    assert '"from": "2022-06-01"' in page and '"to": "2023-05-31"' in page
    # a field report filed today moves nothing
    client.post("/api/v1/logout")
    csrf = login(client, "field_reporter-polis")
    now = datetime.now(app_store.tz).strftime("%Y-%m-%d %H:%M")
    feature = {
        "type": "Feature",
        "properties": {"occurred_at": now, "category": "drug_use", "count": 1},
        "geometry": {"type": "Point", "coordinates": [18.064, 59.332]},
    }
    r = client.post("/api/v1/observations", json=feature, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    page = client.get("/").text
    assert '"from": "2022-06-01"' in page and '"to": "2023-05-31"' in page


# ------------------------------------------------------------------ basemap and CSP


def _csp_and_tiles(url: str) -> tuple[str, str | None, str]:
    with TestClient(create_app(url), base_url="https://testserver") as c:
        r = c.get("/")
        import json
        import re

        cfg = json.loads(re.search(r'id="lb-config">(.*?)</script>', r.text, re.S).group(1))
        img = next(p for p in r.headers["content-security-policy"].split(";") if "img-src" in p)
        return img.strip(), cfg["tiles"], cfg["attribution"]


def test_basemap_is_osm_by_default_and_the_csp_allows_exactly_its_host(sqlite_store, monkeypatch):
    monkeypatch.delenv("LAGESBILD_TILES", raising=False)
    monkeypatch.delenv("LAGESBILD_TILES_ATTRIBUTION", raising=False)
    img, tiles, attribution = _csp_and_tiles(sqlite_store.url)
    assert tiles == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in attribution
    assert img == "img-src 'self' data: blob: https://tile.openstreetmap.org"

    monkeypatch.setenv("LAGESBILD_TILES", "none")
    img, tiles, _ = _csp_and_tiles(sqlite_store.url)
    assert tiles is None and img == "img-src 'self' data: blob:"

    monkeypatch.setenv("LAGESBILD_TILES", "https://{s}.kartor.example.se/topo/{z}/{y}/{x}.png")
    monkeypatch.setenv("LAGESBILD_TILES_ATTRIBUTION", "© Lantmäteriet")
    img, tiles, attribution = _csp_and_tiles(sqlite_store.url)
    assert tiles.startswith("https://{s}.kartor.example.se/")
    assert img == "img-src 'self' data: blob: https://*.kartor.example.se"
    assert attribution == "© Lantmäteriet"


# ------------------------------------------------------------------ HEAD


def test_head_answers_on_every_page(client):
    login(client, "admin-polis")
    routes = []
    for r in client.app.routes:
        routes += r.original_router.routes if hasattr(r, "original_router") else [r]
    paths = [
        route.path
        for route in routes
        if "GET" in (getattr(route, "methods", None) or ()) and "{" not in route.path
    ]
    assert "/" in paths and "/map/time.json" in paths
    for path in ("/", "/places/1", "/records/crimes/1", *paths):
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code, (path, head.status_code, get.status_code)
        assert head.content == b""
        if get.status_code == 200:
            assert head.headers.get("content-type") == get.headers.get("content-type")


# ------------------------------------------------------------------ table and downloads


@pytest.mark.parametrize("who", [None, "analyst-polis", "analyst-soc"])
def test_table_and_downloads_follow_the_access_rule(client, app_store, who):
    org = who.split("-")[1] if who else None
    if who:
        login(client, who)
    want = _expected("crimes", org)
    r = client.get("/map/table.json", params={**PERIOD, "layer": "crimes", "sort": "id"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["numberMatched"] == len(want)
    ids = [row["id"] for row in body["rows"]]
    assert ids == sorted(ids)
    owners = {row["owner"] for row in body["rows"]}
    assert owners <= set(ORGS.values())

    text = client.get("/map/table.csv", params={**PERIOD, "layer": "crimes"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(int(r["id"]) for r in rows) == sorted(ids)
    fc = client.get("/map/table.geojson", params={**PERIOD, "layer": "crimes"}).json()
    assert sorted(f["id"] for f in fc["features"]) == sorted(ids)
    assert fc["numberMatched"] == len(want)

    with app_store.read() as conn:
        from sqlalchemy import select

        from lagesbild.store.schema import audit_log

        entries = conn.execute(select(audit_log)).mappings().all()
    exports = [e for e in entries if e["action"] == "export" and e["layer"] == "crimes"]
    opened = [e for e in entries if e["action"] == "open" and e["layer"] == "crimes"]
    if who:  # the two downloads are exports; restricted rows listed are openings
        assert len(exports) == 2 and all(e["username"] == who for e in exports)
        assert opened and all(e["username"] == who for e in opened)
    else:
        assert not opened


def test_table_sorts_and_names_a_bad_sort(client):
    login(client, "analyst-polis")
    up = client.get("/map/table.json", params={**PERIOD, "sort": "id"}).json()["rows"]
    down = client.get("/map/table.json", params={**PERIOD, "sort": "-id"}).json()["rows"]
    assert [r["id"] for r in up] == [r["id"] for r in down][::-1]
    page = client.get("/map/table.json", params={**PERIOD, "sort": "id", "limit": 2, "offset": 2})
    assert [r["id"] for r in page.json()["rows"]] == [r["id"] for r in up][2:4]
    bad = client.get("/map/table.json", params={**PERIOD, "sort": "geom"})
    assert bad.status_code == 422 and bad.json()["field"] == "sort"
    bad = client.get("/map/table.csv", params={**PERIOD, "layer": "places"})
    assert bad.status_code == 422 and bad.json()["field"] == "layer"


def test_a_clusters_incidents_are_only_those_the_viewer_may_see(client, app_store):
    from sqlalchemy import select

    from lagesbild.store.schema import crimes

    with app_store.read() as conn:
        all_ids = conn.execute(select(crimes.c.id)).scalars().all()
    assert len(all_ids) == 6
    login(client, "analyst-soc")
    ids = ",".join(map(str, all_ids))
    got = client.get("/map/incidents.json", params={"layer": "crimes", "ids": ids}).json()
    got = got["incidents"]
    assert _source_ids(client, "crimes", [r["id"] for r in got]) == _expected("crimes", "soc")
    assert all(r["href"] == f"/records/crimes/{r['id']}" for r in got)
    assert {"occurred_at", "category_label", "source", "owner", "id"} <= set(got[0])
    bad = client.get("/map/incidents.json", params={"layer": "crimes", "ids": "1,x"})
    assert bad.status_code == 422 and bad.json()["field"] == "ids"


def test_a_records_page_shows_who_may_see_it_and_hides_what_the_viewer_may_not(client):
    login(client, "analyst-polis")
    rows = client.get("/map/table.json", params={**PERIOD, "sort": "id"}).json()["rows"]
    restricted = next(r for r in rows if r["sensitivity"] == "restricted")
    page = client.get(f"/records/crimes/{restricted['id']}?lang=en")
    assert page.status_code == 200
    assert "only users of Polisen may see this record" in page.text
    client.post("/api/v1/logout")
    login(client, "analyst-soc")
    assert client.get(f"/records/crimes/{restricted['id']}").status_code == 404


# ------------------------------------------------------------------ time


def test_time_profile_agrees_with_plain_python():
    tz = ZoneInfo("Europe/Stockholm")
    rng = random.Random(7)
    # instants in UTC (aware arithmetic in a zone would be wall-clock arithmetic), over both
    # changes of daylight saving time
    start = datetime(2022, 12, 31, 23, tzinfo=UTC)
    times = [start + timedelta(seconds=rng.randrange(0, 365 * 86400)) for _ in range(3000)]
    arr = np.array([t.astimezone(UTC).replace(tzinfo=None) for t in times], dtype="datetime64[s]")
    for first, last, unit in [
        (date(2023, 1, 1), date(2023, 12, 31), "week"),
        (date(2023, 3, 1), date(2023, 4, 30), "day"),
        (date(2022, 1, 1), date(2023, 12, 31), "month"),
    ]:
        out = pages_map.time_profile(arr, tz, first, last)
        assert out["unit"] == unit
        local = [t.astimezone(tz) for t in times]
        grid = Counter((t.weekday(), t.hour) for t in local)
        assert out["hour_weekday"] == [[grid[(d, h)] for h in range(24)] for d in range(7)]

        def key(d: date, unit: str = unit) -> str:
            if unit == "day":
                return d.isoformat()
            if unit == "week":
                return (d - timedelta(days=d.weekday())).isoformat()
            return d.replace(day=1).isoformat()

        bins = Counter(key(t.date()) for t in local if first <= t.date() <= last)
        assert {b["start"]: b["count"] for b in out["bins"] if b["count"]} == dict(bins)
        assert out["bins"][0]["start"] == key(first)


def test_the_time_answer_counts_the_points_of_the_view(client):
    login(client, "analyst-polis")
    bbox = "18.0595,59.3305,18.0605,59.3325"  # the polis column of the grid
    q = {**PERIOD, "layer": "crimes", "bbox": bbox}
    t = client.get("/map/time.json", params=q).json()
    pts = client.get("/map/points.geojson", params={**q, "zoom": 16}).json()
    assert t["total"] == pts["numberMatched"] == 3
    assert sum(b["count"] for b in t["bins"]) == 3
    # 2023-05-01 21:30 local is a Monday
    assert t["hour_weekday"][0][21] == 3
    assert pts["numberTotal"] == len(_expected("crimes", "polis"))
