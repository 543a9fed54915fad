"""What the security review of the web app found, each checked against the real app: log-in
throttling by one user-name normalisation, no Host header in cached answers, tokens of a
disabled user gone for good, 4xx (never 500) for numbers and dates out of range, OGC counts and
conformance, from where in the audit log, the public page's language and a favicon."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon
from sqlalchemy import select

from lagesbild import accounts
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.ingest.writer import write_records
from lagesbild.store.schema import audit_log

from .conftest import PASSWORD, login

KELVIN = "analyti\u212aer"  # KELVIN SIGN: Python's lower() and casefold() make it 'k'


# ------------------------------------------------------------------ A. log-in throttle


def test_a_look_alike_user_name_is_throttled_with_the_user(client, app_store):
    accounts.add_user(app_store, "analytiker", PASSWORD, "analyst", "polis")
    for _ in range(accounts.MAX_FAILURES):
        r = client.post("/api/v1/login", json={"username": KELVIN, "password": "wrong-pass"})
        assert r.status_code == 401
    # the failures count for the user the name finds, however it was written
    for name in (KELVIN, "analytiker", "ANALYTIKER"):
        r = client.post("/api/v1/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 429, name


def test_non_ascii_user_names_log_in_in_any_case(client, app_store):
    accounts.add_user(app_store, "Åsa", PASSWORD, "viewer", "soc")
    for name in ("Åsa", "åsa", "ÅSA"):
        r = client.post("/api/v1/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, (name, r.text)
        assert r.json()["username"] == "Åsa"
    with pytest.raises(ValidationError, match="taken"):  # a look-alike is the same name
        accounts.add_user(app_store, "åsa", PASSWORD, "viewer", "soc")


# ------------------------------------------------------------------ B. Host header


def test_a_forged_host_never_reaches_another_clients_cached_answer(client):
    url = "/api/v1/crimes?limit=1"
    forged = client.get(url, headers={"Host": "attacker.example"}).json()
    assert "attacker.example" in forged["links"][0]["href"]  # its own answer: its own host
    honest = client.get(url).json()
    assert [link["href"] for link in honest["links"]] == [
        "https://testserver/api/v1/crimes?limit=1&offset=1"
    ]


# ------------------------------------------------------------------ C. tokens


def test_disabling_a_user_revokes_their_tokens_for_good(client, app_store):
    csrf = login(client, "analyst-soc")
    token = client.post(
        "/api/v1/tokens", json={"name": "QGIS"}, headers={"X-CSRF-Token": csrf}
    ).json()["token"]
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).json()["signed_in"] is True
    accounts.set_active(app_store, "analyst-soc", False, SYSTEM)
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    accounts.set_active(app_store, "analyst-soc", True, SYSTEM)
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    user = next(u for u in accounts.list_users(app_store) if u.username == "analyst-soc")
    assert all(t["revoked_at"] is not None for t in accounts.list_tokens(app_store, user))


# ------------------------------------------------------------------ D. no 500 for big values

HUGE = "99999999999999999999999"
FEATURE = {
    "type": "Feature",
    "properties": {"category": "drug_sale", "occurred_at": "2024-05-01T20:00:00"},
    "geometry": {"type": "Point", "coordinates": [18.064, 59.332]},
}
GETS = [
    "/ogc/collections/crimes/items?offset=9223372036854775808",
    "/ogc/collections/crimes/items?datetime=9999-12-31T23:59:59.999999Z",
    "/ogc/collections/crimes/items?datetime=0001-01-01T00:00:00%2B01:00",
    "/ogc/collections/crimes/items/%C2%B2",
    f"/ogc/collections/crimes/items/{HUGE}",
    f"/ogc/collections/crimes/items/{'9' * 5000}",
    f"/api/v1/crimes/{HUGE}",
    f"/api/v1/crimes?offset={HUGE}",
    f"/api/v1/crimes?place={HUGE}",
    "/api/v1/crimes?place=%C2%B2",
    f"/places/{HUGE}/map.geojson",
    f"/organisations?offset={HUGE}",
    f"/api/v1/briefings/{HUGE}",
    f"/briefings/{HUGE}",
    "/map/cameras.geojson?from=9999-12-31",
    "/api/v1/week/picture?district=Klara&week=9999-W52",
    "/api/v1/week/ranking?district=Klara&to=9999-12-31",
    "/api/v1/week/ranking?district=Klara&to=0001-01-01",
    "/api/v1/analyse/coverage?place=Klara&date=9999-12-31",
    "/api/v1/analyse/effect?place=Klara&intervention=0001-01-01",
    "/api/v1/crimes?period=9999",
]


def _obs(**props) -> dict:
    return {**FEATURE, "properties": {**FEATURE["properties"], **props}}


WRITES = [
    ("post", "/api/v1/observations", _obs(count=1e30)),
    ("post", "/api/v1/observations", _obs(count=10**30)),
    ("post", "/api/v1/observations", _obs(occurred_at="9999-12-31T23:59:59")),
    ("post", "/api/v1/observations", _obs(occurred_at="0001-01-01T00:00:00")),
    ("patch", f"/api/v1/observations/{HUGE}", {"text": "a"}),
    ("delete", f"/api/v1/observations/{HUGE}", None),
    ("delete", f"/api/v1/tokens/{HUGE}", None),
    ("post", "/api/v1/briefings", {"place": "Klara", "at": "9999-12-31T23:00:00"}),
    ("post", "/api/v1/briefings", {"place": "Klara", "at": "0001-01-01T00:00:00"}),
    ("post", f"/api/v1/briefings/actions/{HUGE}/status", {"status": "done"}),
    ("post", f"/api/v1/resident-reports/{HUGE}/accept", None),
]


@pytest.mark.parametrize("path", GETS)
def test_values_out_of_range_in_queries_and_paths_are_4xx(client, path):
    login(client, "coordinator-polis")
    r = client.get(path)  # a 500 would raise here (TestClient re-raises server errors)
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
    assert "Traceback" not in r.text


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_values_out_of_range_in_writes_are_4xx(client, method, path, body):
    csrf = login(client, "coordinator-polis")
    kw = {"json": body} if body is not None else {}
    r = client.request(method.upper(), path, headers={"X-CSRF-Token": csrf}, **kw)
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text)


def test_the_safety_net_names_the_parameter_that_overflowed(client):
    # no check reads an ISO week's year: the week after 9999-W52 overflows in the service
    r = client.get("/api/v1/week/picture", params={"district": "Klara", "week": "9999-W52"})
    assert r.status_code == 400
    assert r.json()["field"] == "week" and "out of range" in r.json()["detail"]


# ------------------------------------------------------------------ E. OGC API


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


# ------------------------------------------------------------------ F. audit


def _open_entries(store) -> list:
    with store.read() as conn:
        return conn.execute(
            select(audit_log.c.record_id, audit_log.c.detail, audit_log.c.remote).where(
                audit_log.c.action == "open"
            )
        ).all()


def test_listings_and_ogc_opens_say_from_where_in_the_audit_log(client, app_store):
    login(client, "analyst-polis")
    client.get("/api/v1/crimes")  # lists a restricted crime
    client.get("/api/v1/crimes")  # the same answer again, from the cache
    fc = client.get("/ogc/collections/crimes/items").json()
    rid = next(f["id"] for f in fc["features"] if f["properties"]["sensitivity"] == "restricted")
    assert client.get(f"/ogc/collections/crimes/items/{rid}").status_code == 200
    entries = _open_entries(app_store)
    assert any(e.record_id == rid for e in entries)
    assert sum(1 for e in entries if (e.detail or "").startswith("listed")) == 3
    assert all(e.remote == "testclient" for e in entries), entries


# ------------------------------------------------------------------ H. public page, favicon


def test_public_page_follows_the_language_cookie(client):
    assert "Öppen lägesbild" in client.get("/public").text
    client.cookies.set("lang", "en")
    english = client.get("/public")
    assert "Public situational picture" in english.text and 'lang="en"' in english.text
    assert 'lang="sv"' in client.get("/public?lang=sv").text  # the query still decides


def test_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    assert r.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
