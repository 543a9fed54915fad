"""OGC API - Features Part 1 Core: landing page, conformance, collections, items with bbox,
datetime, limit and paging links, single items, OGC exception bodies; and GDAL's OAPIF driver
reading the layers from a running server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest
from shapely.geometry import Polygon

from lagesbild.ingest.writer import write_records

from .conftest import POINTS, login, may_see


def test_landing_conformance_collections(client):
    landing = client.get("/ogc").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    cols = client.get("/ogc/collections").json()["collections"]
    ids = {c["id"] for c in cols}
    assert {
        "places",
        "extents",
        "crimes",
        "observations",
        "cameras",
        "guard_areas",
        "streets",
    } <= ids
    crimes = client.get("/ogc/collections/crimes").json()
    assert any(link["rel"] == "items" for link in crimes["links"])
    assert len(crimes["extent"]["spatial"]["bbox"][0]) == 4


def test_items_paging_follows_next_links_to_every_visible_item(client):

    login(client, "analyst-polis")
    expected = {
        rid
        for lay, rid, org, sens, _, _ in POINTS
        if lay == "crimes" and may_see("polis", org, sens)
    }
    url, seen, pages = "/ogc/collections/crimes/items?limit=2", [], 0
    while url:
        r = client.get(url)
        assert r.headers["content-type"].startswith("application/geo+json")
        page = r.json()
        assert page["numberMatched"] == len(expected) and page["numberReturned"] == len(
            page["features"]
        )
        seen += [f["properties"]["source_id"] for f in page["features"]]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        url = nxt[0].replace("https://testserver", "") if nxt else None
        pages += 1
    assert sorted(seen) == sorted(expected) and pages == 3


def test_items_bbox_and_datetime(client):
    # public crimes: one per organisation, at lon 18.060 and 18.061
    all_public = client.get("/ogc/collections/crimes/items").json()
    assert all_public["numberMatched"] == 2
    west = client.get("/ogc/collections/crimes/items?bbox=18.0595,59.33,18.0605,59.34").json()
    assert [f["geometry"]["coordinates"][0] for f in west["features"]] == [pytest.approx(18.060)]
    # the records are at 2023-05-01 21:30 Stockholm = 19:30Z
    hit = client.get("/ogc/collections/crimes/items?datetime=2023-05-01T19:30:00Z").json()
    miss = client.get("/ogc/collections/crimes/items?datetime=2023-05-02T00:00:00Z/..").json()
    span = client.get(
        "/ogc/collections/crimes/items?datetime=2023-05-01T00:00:00Z/2023-05-01T23:59:59Z"
    ).json()
    assert (hit["numberMatched"], miss["numberMatched"], span["numberMatched"]) == (2, 0, 2)


def test_single_item_and_ogc_errors(client):
    fc = client.get("/ogc/collections/crimes/items").json()
    fid = fc["features"][0]["id"]
    one = client.get(f"/ogc/collections/crimes/items/{fid}")
    assert one.status_code == 200 and one.json()["id"] == fid
    for path, status in [
        ("/ogc/collections/nope", 404),
        ("/ogc/collections/nope/items", 404),
        ("/ogc/collections/crimes/items/999999", 404),
        ("/ogc/collections/crimes/items/abc", 404),
        ("/ogc/collections/crimes/items?limit=abc", 400),
        ("/ogc/collections/crimes/items?bbox=1,2", 400),
        ("/ogc/collections/crimes/items?datetime=yesterday", 400),
        ("/ogc/collections/crimes/items?colour=red", 400),
    ]:
        r = client.get(path)
        assert r.status_code == status, path
        assert set(r.json()) == {"code", "description"}, path


def test_restricted_items_are_404_to_the_public(client):

    login(client, "analyst-polis")
    fc = client.get("/ogc/collections/crimes/items").json()
    restricted = next(
        f["id"] for f in fc["features"] if f["properties"]["sensitivity"] == "restricted"
    )
    client.cookies.clear()
    assert client.get(f"/ogc/collections/crimes/items/{restricted}").status_code == 404


@pytest.mark.skipif(
    shutil.which("ogrinfo") is None and os.environ.get("CI") != "true",
    reason="GDAL's ogrinfo is not installed (scripts/system-deps gdal-bin)",
)
def test_gdal_oapif_driver_reads_the_layers(app_store):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "LAGESBILD_DB": app_store.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lagesbild", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        base = f"OAPIF:http://127.0.0.1:{port}/ogc"
        layers = subprocess.run(
            ["ogrinfo", "-ro", "-q", base], capture_output=True, text=True, timeout=60
        )
        assert layers.returncode == 0, layers.stderr
        assert "crimes" in layers.stdout and "extents" in layers.stdout
        crimes = subprocess.run(
            ["ogrinfo", "-ro", "-so", base, "crimes"], capture_output=True, text=True, timeout=60
        )
        assert crimes.returncode == 0, crimes.stderr
        assert "Feature Count: 2" in crimes.stdout  # the public ones only
        assert "Point" in crimes.stdout
        feats = subprocess.run(
            ["ogrinfo", "-ro", "-al", "-q", base, "places"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "Klara" in feats.stdout and "POLYGON" in feats.stdout.upper()
    finally:
        proc.terminate()
        proc.wait(10)


def test_datetime_dates_are_whole_local_days_as_in_the_api(client):
    """A date means the whole day and a time without offset a local time, in the store's zone,
    as the API's `period` does; a date as the end of an interval includes that day. The records
    are at 2023-05-01 21:30 Stockholm (19:30Z)."""

    def matched(value: str) -> int:
        r = client.get("/ogc/collections/crimes/items", params={"datetime": value})
        assert r.status_code == 200, r.text
        return r.json()["numberMatched"]

    assert matched("2023-05-01") == 2
    assert matched("2023-04-01/2023-05-01") == 2  # was 0: the end date's midnight, in UTC
    assert matched("2023-05-02/..") == 0
    assert matched("2023-05-01T21:30:00") == 2  # local time; was read as 21:30Z
    assert matched("2023-05-01T21:30:00 02:00") == 2  # an unencoded '+' arrives as a space
    assert matched("2023-05-01T19:30:00Z") == 2
    api = client.get("/api/v1/crimes", params={"period": "2023-04-01..2023-05-01"}).json()
    assert api["numberMatched"] == matched("2023-04-01/2023-05-01")
    bad = client.get("/ogc/collections/crimes/items", params={"datetime": "2023-05-02/2023-05-01"})
    assert bad.status_code == 400 and bad.json()["code"] == "InvalidParameterValue"


def test_api_definition_declares_the_items_parameters(client):
    """QGIS and GDAL (3.8+) read limit's maximum from the API definition to size their pages;
    the items' parameters were missing from it."""
    service_desc = next(
        link["href"] for link in client.get("/ogc").json()["links"] if link["rel"] == "service-desc"
    )
    api = client.get(service_desc.replace("https://testserver", "")).json()
    params = {
        p["name"]: p for p in api["paths"]["/ogc/collections/{cid}/items"]["get"]["parameters"]
    }
    assert {"limit", "offset", "bbox", "datetime", "bbox-crs"} <= set(params)
    assert params["limit"]["schema"]["maximum"] == 10_000
    over = client.get("/ogc/collections/crimes/items?limit=20000")
    assert over.status_code == 200  # a larger limit is capped, as the standard allows


def _box(points: list[tuple[float, float]]) -> list[float]:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return [min(xs), min(ys), max(xs), max(ys)]


def test_collection_extent_is_that_of_the_records_the_caller_may_see(client):
    """The extent was the store's region (all of Sweden), so QGIS zoomed to the country; now it
    is the box and time span of the caller's records, which tells nothing of the others."""

    def crimes_extent() -> dict:
        return client.get("/ogc/collections/crimes").json()["extent"]

    def crimes_seen_by(org: str | None) -> list[tuple[float, float]]:
        return [(x, y) for lay, _, o, s, x, y in POINTS if lay == "crimes" and may_see(org, o, s)]

    assert crimes_extent()["spatial"]["bbox"][0] == pytest.approx(_box(crimes_seen_by(None)))
    login(client, "analyst-polis")
    ext = crimes_extent()
    assert ext["spatial"]["bbox"][0] == pytest.approx(_box(crimes_seen_by("polis")))
    assert ext["temporal"]["interval"] == [["2023-05-01T19:30:00Z", "2023-05-01T19:30:00Z"]]
    listed = client.get("/ogc/collections").json()["collections"]
    assert next(c for c in listed if c["id"] == "crimes")["extent"] == ext


def test_bbox_number_matched_counts_the_geometries_not_their_boxes(client, app_store):
    triangle = Polygon([(18.10, 59.30), (18.12, 59.30), (18.10, 59.32)])
    s = write_records(
        app_store,
        "places",
        [(1, {"name": "Triangeln", "kind": "comparison_area", "sensitivity": "public"}, triangle)],
    )
    assert s.stored == 1, s.rejected
    corner = "18.115,59.315,18.119,59.319"  # in the triangle's box, outside the triangle
    for path in ("/ogc/collections/places/items", "/api/v1/places"):
        fc = client.get(path, params={"bbox": corner}).json()
        assert (fc["numberMatched"], fc["numberReturned"]) == (0, 0), path
    both = "18.05,59.30,18.119,59.319"  # Klara, and the triangle's empty corner
    fc = client.get("/ogc/collections/places/items", params={"bbox": both, "limit": 1}).json()
    assert (fc["numberMatched"], fc["numberReturned"]) == (1, 1)
    assert not any(link["rel"] == "next" for link in fc["links"])


def test_conformance_and_service_desc_agree_with_the_openapi_document(client):
    version = client.get("/api/v1/openapi.json").json()["openapi"]
    conf = client.get("/ogc/conformance").json()["conformsTo"]
    oas30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
    assert (oas30 in conf) == version.startswith("3.0.")
    desc = next(x for x in client.get("/ogc").json()["links"] if x["rel"] == "service-desc")
    assert desc["type"].endswith("version=" + ".".join(version.split(".")[:2]))


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "nan,59,18.1,59.4"},
        {"bbox": "18,59,inf,59.4"},
        {"datetime": "/"},
        {"datetime": "../.."},
        {"datetime": ""},
    ],
)
def test_ogc_refuses_non_finite_boxes_and_intervals_open_at_both_ends(client, params):
    r = client.get("/ogc/collections/crimes/items", params=params)
    assert r.status_code == 400 and r.json()["code"] == "InvalidParameterValue", r.text
