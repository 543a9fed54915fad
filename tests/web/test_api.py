"""The JSON API: accounts, sessions and CSRF, tokens, layers with filters, the access matrix,
idempotent field reports, change rules, audit, and 4xx for bad input."""

from __future__ import annotations

from datetime import UTC

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lagesbild.store.schema import api_tokens, audit_log
from lagesbild.web.app import create_app

from .conftest import ORGS, PASSWORD, POINTS, ROLES, login, may_see


def _ids(fc: dict) -> set[str]:
    return {f["properties"]["source_id"] for f in fc["features"]}


def test_openapi_document_lists_every_layer(client):
    doc = client.get("/api/v1/openapi.json").json()
    for layer in (
        "crimes",
        "observations",
        "places",
        "extents",
        "cameras",
        "guard_areas",
        "streets",
        "activation_events",
        "survey_results",
        "measurements",
        "organisations",
        "roster",
    ):
        assert f"/api/v1/{layer}" in doc["paths"]
        assert f"/api/v1/{layer}/{{record_id}}" in doc["paths"]


def test_login_sets_a_safe_cookie_and_logout_ends_it(client):
    r = client.post("/api/v1/login", json={"username": "analyst-polis", "password": PASSWORD})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie
    assert client.get("/api/v1/me").json()["username"] == "analyst-polis"
    csrf = r.json()["csrf_token"]
    client.post("/api/v1/logout", headers={"X-CSRF-Token": csrf})
    assert client.get("/api/v1/me").json() == {"signed_in": False}


def test_wrong_password_then_throttled(client):
    for _ in range(5):
        r = client.post("/api/v1/login", json={"username": "viewer-soc", "password": "nope"})
        assert r.status_code == 401 and "wrong user name or password" in r.json()["detail"]
    r = client.post("/api/v1/login", json={"username": "viewer-soc", "password": PASSWORD})
    assert r.status_code == 429  # even the right password waits after 5 failures


def test_csrf_needed_for_cookie_writes(client):
    csrf = login(client, "field_reporter-soc")
    feature = {
        "type": "Feature",
        "properties": {"occurred_at": "2023-06-01 22:00", "category": "drug_use", "count": 2},
        "geometry": {"type": "Point", "coordinates": [18.064, 59.332]},
    }
    assert client.post("/api/v1/observations", json=feature).status_code == 403
    r = client.post("/api/v1/observations", json=feature, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text


def test_tokens_are_shown_once_stored_hashed_and_revocable(client, app_store):
    csrf = login(client, "analyst-polis")
    r = client.post("/api/v1/tokens", json={"name": "QGIS"}, headers={"X-CSRF-Token": csrf})
    token, tid = r.json()["token"], r.json()["id"]
    with app_store.read() as conn:
        stored = conn.execute(select(api_tokens.c.token_hash)).scalars().all()
    assert token not in stored and len(stored) == 1
    anon = TestClient(client.app, base_url="https://testserver")
    seen = anon.get("/api/v1/crimes", headers={"Authorization": f"Bearer {token}"}).json()
    assert "cri-polis-restricted" in _ids(seen)
    client.delete(f"/api/v1/tokens/{tid}", headers={"X-CSRF-Token": csrf})
    r = anon.get("/api/v1/crimes", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


@pytest.mark.parametrize("layer", ["crimes", "observations"])
def test_access_matrix_list_get_bbox_and_ogc(app_store, layer):
    app = create_app(app_store.url)
    with TestClient(app, base_url="https://testserver") as c:
        all_ids = {}
        everyone = [(None, None)] + [(f"{role}-{org}", org) for org in ORGS for role in ROLES]
        for username, org in everyone:
            c.cookies.clear()
            if username:
                login(c, username)
            expected = {
                rid
                for lay, rid, rorg, sens, _, _ in POINTS
                if lay == layer and may_see(org, rorg, sens)
            }
            listed = c.get(f"/api/v1/{layer}?limit=1000").json()
            assert _ids(listed) == expected, username
            in_box = c.get(f"/api/v1/{layer}", params={"bbox": "18.0,59.0,18.2,59.5"}).json()
            assert _ids(in_box) == expected
            ogc = c.get(f"/ogc/collections/{layer}/items?limit=1000").json()
            assert {f["properties"]["source_id"] for f in ogc["features"]} == expected
            if username is None:  # learn every id once, as the terminal would
                continue
            for f in listed["features"]:
                all_ids[f["properties"]["source_id"]] = f["id"]
        # by id: every record that is not visible answers 404, exactly like a missing one
        for username, org in everyone:
            c.cookies.clear()
            if username:
                login(c, username)
            for lay, rid, rorg, sens, _, _ in POINTS:
                if lay != layer or rid not in all_ids:
                    continue
                status = c.get(f"/api/v1/{layer}/{all_ids[rid]}").status_code
                assert status == (200 if may_see(org, rorg, sens) else 404), (username, rid)


def test_opening_restricted_records_is_audited_and_admins_read_the_log(client, app_store):
    login(client, "analyst-polis")
    fc = client.get("/api/v1/crimes").json()
    rid = next(f["id"] for f in fc["features"] if f["properties"]["sensitivity"] == "restricted")
    client.get(f"/api/v1/crimes/{rid}")
    with app_store.read() as conn:
        rows = conn.execute(
            select(audit_log.c.username, audit_log.c.action, audit_log.c.record_id).where(
                audit_log.c.action == "open"
            )
        ).all()
    assert ("analyst-polis", "open", rid) in rows
    assert client.get("/api/v1/audit").status_code == 403
    client.cookies.clear()
    login(client, "admin-polis")
    entries = client.get("/api/v1/audit?action=open").json()
    assert any(e["record_id"] == rid and e["username"] == "analyst-polis" for e in entries)


def test_field_report_with_idempotency_key_is_stored_once(client):
    csrf = login(client, "field_reporter-polis")
    feature = {
        "type": "Feature",
        "properties": {
            "occurred_at": "2023-06-01 22:00",
            "category": "drug_sale",
            "count": 3,
            "text": "Försäljning vid trappan",
        },
        "geometry": {"type": "Point", "coordinates": [18.0645, 59.3325]},
    }
    headers = {"X-CSRF-Token": csrf, "Idempotency-Key": "phone-42-0001"}
    first = client.post("/api/v1/observations", json=feature, headers=headers)
    again = client.post("/api/v1/observations", json=feature, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    mine = client.get("/api/v1/observations", params={"limit": 1000}).json()
    assert (
        sum(1 for f in mine["features"] if f["properties"]["source_id"].endswith(":phone-42-0001"))
        == 1
    )


def test_no_organisation_takes_over_anothers_records(client):
    """Keys are one per layer: a write meeting another organisation's record by its source id
    or idempotency key is refused (or is a record of its own), never an update of theirs."""
    polis = login(client, "field_reporter-polis")
    report = {
        "type": "Feature",
        "properties": {"occurred_at": "2023-06-01 22:00", "category": "drug_sale", "text": "A"},
        "geometry": {"type": "Point", "coordinates": [18.0645, 59.3325]},
    }
    key = {"Idempotency-Key": "review-key-1"}
    first = client.post("/api/v1/observations", json=report, headers={"X-CSRF-Token": polis, **key})
    assert first.status_code == 201
    client.post("/api/v1/logout", headers={"X-CSRF-Token": polis})
    soc = login(client, "analyst-soc")
    other = {**report, "properties": {**report["properties"], "text": "B"}}
    second = client.post("/api/v1/observations", json=other, headers={"X-CSRF-Token": soc, **key})
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]
    # a police crime's source id, restricted and invisible to soc: refused, and unchanged
    crime = {
        "type": "Feature",
        "properties": {
            "id": "cri-polis-restricted",
            "occurred_at": "2023-05-01 21:30",
            "category": "theft",
            "sensitivity": "shared",
        },
        "geometry": {"type": "Point", "coordinates": [18.0645, 59.3325]},
    }
    taken = client.post("/api/v1/crimes", json=crime, headers={"X-CSRF-Token": soc})
    assert taken.status_code == 422 and "another organisation" in taken.text
    csv_text = (
        "id,occurred_at,category,lat,lon\ncri-polis-shared,2023-05-02 21:30,theft,59.33,18.06\n"
    )
    imported = client.post(
        "/api/v1/imports/crimes",
        files={"file": ("t.csv", csv_text.encode(), "text/csv")},
        headers={"X-CSRF-Token": soc},
    )
    assert imported.status_code == 200 and imported.json()["updated"] == 0
    assert imported.json()["rejected"] == 1
    client.post("/api/v1/logout", headers={"X-CSRF-Token": soc})
    login(client, "analyst-polis")
    mine = client.get("/api/v1/crimes", params={"limit": 1000}).json()["features"]
    by_id = {f["properties"]["source_id"]: f["properties"] for f in mine}
    assert by_id["cri-polis-restricted"]["sensitivity"] == "restricted"
    assert by_id["cri-polis-shared"]["occurred_at"].startswith("2023-05-01")
    first_now = client.get(f"/api/v1/observations/{first.json()['id']}").json()
    assert first_now["properties"]["text"] == "A"


def test_two_reports_alike_but_for_their_place_are_two_records(client):
    csrf = login(client, "field_reporter-polis")
    ids = []
    for lon in (18.0645, 18.0700):
        feature = {
            "type": "Feature",
            "properties": {"occurred_at": "2023-06-02 22:00", "category": "drug_use"},
            "geometry": {"type": "Point", "coordinates": [lon, 59.3325]},
        }
        r = client.post("/api/v1/observations", json=feature, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201
        ids.append(r.json()["id"])
    assert ids[0] != ids[1]


def test_roles_and_owners_decide_changes(client):
    login(client, "viewer-polis")
    feature = {
        "type": "Feature",
        "properties": {"occurred_at": "2023-06-01", "category": "theft"},
        "geometry": {"type": "Point", "coordinates": [18.06, 59.33]},
    }
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    assert (
        client.post("/api/v1/crimes", json=feature, headers={"X-CSRF-Token": csrf}).status_code
        == 403
    )
    client.cookies.clear()
    csrf = login(client, "coordinator-soc")
    fc = client.get("/api/v1/crimes").json()
    police_shared = next(
        f["id"] for f in fc["features"] if f["properties"]["source_id"] == "cri-polis-shared"
    )
    own = next(f["id"] for f in fc["features"] if f["properties"]["source_id"] == "cri-soc-shared")
    h = {"X-CSRF-Token": csrf}
    assert client.delete(f"/api/v1/crimes/{police_shared}", headers=h).status_code == 403
    assert (
        client.patch(
            f"/api/v1/crimes/{own}", json={"sensitivity": "restricted"}, headers=h
        ).status_code
        == 200
    )
    assert client.delete(f"/api/v1/crimes/{own}", headers=h).status_code == 200
    assert client.get(f"/api/v1/crimes/{own}").status_code == 404


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/crimes?bbox=1,2,3", "bbox"),
        ("/api/v1/crimes?period=2023-13", "period"),
        ("/api/v1/crimes?limit=0", "limit"),
        ("/api/v1/crimes?category=burglary", "category"),
        ("/api/v1/streets?category=theft", "category"),
    ],
)
def test_bad_query_parameters_name_the_field(client, path, field):
    r = client.get(path)
    assert r.status_code in (400, 422)
    body = r.json()
    named = body.get("field") or ",".join(e["field"] for e in body.get("errors", []))
    assert field in named


def test_bad_bodies_name_the_field(client):
    csrf = login(client, "analyst-polis")
    h = {"X-CSRF-Token": csrf}
    r = client.post(
        "/api/v1/crimes",
        json={
            "type": "Feature",
            "properties": {
                "occurred_at": "yesterday",
                "category": "theft",
                "lat": 59.33,
                "lon": 18.06,
            },
        },
        headers=h,
    )
    assert r.status_code == 422 and r.json()["field"] == "occurred_at"
    r = client.post("/api/v1/crimes", json={"properties": "x"}, headers=h)
    assert r.status_code == 422 and "properties" in r.json()["errors"][0]["field"]
    r = client.post(
        "/api/v1/crimes",
        json={
            "type": "Feature",
            "properties": {
                "occurred_at": "2023-01-01",
                "category": "theft",
                "lat": 18.06,
                "lon": 59.33,
            },
        },
        headers=h,
    )
    assert r.status_code == 422 and "swapped" in r.json()["detail"]


def test_unknown_things_are_404(client):
    assert client.get("/api/v1/crimes/999999").status_code == 404
    assert client.get("/api/v1/burglaries").status_code == 404


def test_import_a_file_through_the_api_with_the_validation_report(client, app_store):
    csrf = login(client, "analyst-soc")
    csv_text = (
        "id;Brottsdatum;kategori;lat;lon\n"
        "w1;2023-05-01 21:30;theft;59,3326;18,0649\n"
        "w2;inte ett datum;theft;59,3326;18,0649\n"
        "w3;2023-05-02 22:00;theft;18,0649;59,3326\n"
    )
    r = client.post(
        "/api/v1/imports/crimes",
        headers={"X-CSRF-Token": csrf},
        files={"file": ("polis.csv", csv_text.encode("cp1252"), "text/csv")},
        data={"mapping": "occurred_at=Brottsdatum,category=kategori"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["read"], body["stored"], body["rejected"]) == (3, 1, 2)
    assert [x["line"] for x in body["rejected_rows"]] == [3, 4]
    assert "occurred_at" in body["rejected_rows"][0]["reason"]
    assert "swapped" in body["rejected_rows"][1]["reason"]
    mine = client.get("/api/v1/crimes", params={"limit": 1000}).json()
    w1 = next(f for f in mine["features"] if f["properties"]["source_id"] == "w1")
    assert w1["properties"]["owner_org_id"] != None  # noqa: E711 - owned by the importer's org
    client.cookies.clear()
    csrf = login(client, "viewer-soc")
    r = client.post(
        "/api/v1/imports/crimes",
        headers={"X-CSRF-Token": csrf},
        files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert r.status_code == 403


def test_security_headers(client):
    r = client.get("/api/v1/me")
    h = r.headers
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "script-src 'self'" in h["content-security-policy"]
    assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
    assert h["strict-transport-security"].startswith("max-age=")  # the client speaks https
    assert h["cache-control"] == "no-store"


def test_public_view_suppresses_small_counts_and_shows_no_points(client, app_store):
    """Public counts are of public and shared records (restricted ones would be learnt by
    subtraction), and a count of 1-4 shows as "fewer than 5"."""
    from lagesbild.ingest.writer import write_records

    write_records(
        app_store,
        "crimes",
        [
            (
                i,
                {
                    "id": f"v{i}",
                    "occurred_at": "2023-07-01 23:00",
                    "category": "vandalism",
                    "lat": 59.3315,
                    "lon": 18.062,
                    "sensitivity": "restricted" if i < 3 else "shared",
                },
                None,
            )
            for i in range(8)
        ],
    )
    body = client.get("/api/v1/public/counts").json()
    got = {(c["layer"], c["category"]): c for c in body["counts"] if c["place"] == "Klara"}
    # five shared vandalism records counted, the three restricted ones not: 5 + 4 thefts is
    # Klara's total of 9, published too, so vandalism's 5 is withheld (else 9 - 5 gives 4)
    assert got[("crimes", "vandalism")]["count"] == ">=5"
    totals = {(c["place"], c["layer"], c["year"]): c["count"] for c in body["totals"]}
    assert totals[("Klara", "crimes", 2023)] == 9
    # of the six thefts (two organisations, three sensitivities) four are public or shared:
    # only "fewer than 5" leaves
    assert got[("crimes", "theft")]["count"] == "<5"
    assert got[("crimes", "theft")]["suppressed"] is True
    page = client.get("/public?lang=en").text
    assert "fewer than 5" in page and "18.062" not in page and "59.3315" not in page
    extents = client.get("/api/v1/public/extents").json()
    assert {f["geometry"]["type"] for f in extents["features"]} == {"Polygon"}


@pytest.mark.parametrize("fmt", ["geojson", "csv"])
def test_exports_carry_only_what_the_caller_may_see(client, fmt):
    login(client, "analyst-soc")
    r = client.get(f"/api/v1/exports/crimes?format={fmt}")
    assert r.status_code == 200, r.text
    body = r.text
    expected = {
        rid for lay, rid, org, sens, _, _ in POINTS if lay == "crimes" and may_see("soc", org, sens)
    }
    hidden = {rid for lay, rid, _, _, _, _ in POINTS if lay == "crimes"} - expected
    assert all(rid in body for rid in expected) and not any(rid in body for rid in hidden)
    client.cookies.clear()
    assert client.get(f"/api/v1/exports/crimes?format={fmt}").status_code == 401


def test_analyses_count_only_what_the_caller_may_see(client):
    """An analysis must not leak restricted records through its numbers."""
    for username, org in [("analyst-polis", "polis"), ("analyst-soc", "soc"), (None, None)]:
        client.cookies.clear()
        if username:
            login(client, username)
        r = client.get(
            "/api/v1/analyse/indicators",
            params={"place": "Klara", "period": ["2022", "2023"], "category": "theft"},
        )
        assert r.status_code == 200, r.text
        place_row = next(x for x in r.json()["rows"] if x["scope"].startswith("place"))
        expected = sum(
            1
            for lay, rid, rorg, sens, _, _ in POINTS
            if lay == "crimes" and may_see(org, rorg, sens)
        )
        assert place_row["count_b"] == expected, username
        hot = client.get(
            "/api/v1/analyse/hotspots",
            params={"place": "Klara", "from": "2023", "to": "2023", "cell": 100},
        ).json()
        assert sum(f["properties"]["count"] for f in hot["features"]) == expected
        lisa = client.get(
            "/api/v1/analyse/lisa",
            params={"place": "Klara", "from": "2023", "to": "2023", "cell": 100},
        ).json()
        assert sum(f["properties"]["count"] for f in lisa["features"]) == expected


def test_password_change_and_expiry_end_sessions(client, app_store):
    from datetime import datetime, timedelta

    from sqlalchemy import update

    from lagesbild.accounts import set_password
    from lagesbild.domain.model import SYSTEM
    from lagesbild.store.schema import web_sessions

    login(client, "viewer-polis")
    assert client.get("/api/v1/me").json()["signed_in"]
    set_password(app_store, "viewer-polis", "a-new-password-9", SYSTEM)
    assert client.get("/api/v1/me").json() == {"signed_in": False}
    r = client.post(
        "/api/v1/login", json={"username": "viewer-polis", "password": "a-new-password-9"}
    )
    assert r.status_code == 200 and client.get("/api/v1/me").json()["signed_in"]
    with app_store.write() as conn:  # the session's 12 hours have passed
        conn.execute(
            update(web_sessions).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert client.get("/api/v1/me").json() == {"signed_in": False}


def test_deployment_categories_are_accepted(client, app_store, tmp_path):
    import subprocess
    import sys

    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "lagesbild",
            "category",
            "add",
            "observations",
            "begging",
            "--sv",
            "tiggeri",
            "--en",
            "begging",
            "--db",
            app_store.url,
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    from lagesbild.web.app import create_app

    with TestClient(create_app(app_store.url), base_url="https://testserver") as c:
        csrf = login(c, "field_reporter-soc")
        f = {
            "type": "Feature",
            "properties": {"occurred_at": "2023-06-01 22:00", "category": "begging"},
            "geometry": {"type": "Point", "coordinates": [18.064, 59.332]},
        }
        assert (
            c.post("/api/v1/observations", json=f, headers={"X-CSRF-Token": csrf}).status_code
            == 201
        )
        f["properties"]["category"] = "juggling"
        assert (
            c.post("/api/v1/observations", json=f, headers={"X-CSRF-Token": csrf}).status_code
            == 422
        )


def test_map_layers_revalidate_with_etag_and_see_changes_at_once(client):
    csrf = login(client, "analyst-polis")
    first = client.get("/api/v1/crimes?limit=1000")
    etag = first.headers["etag"]
    again = client.get("/api/v1/crimes?limit=1000", headers={"If-None-Match": etag})
    assert again.status_code == 304
    f = {
        "type": "Feature",
        "properties": {"occurred_at": "2023-06-01", "category": "theft"},
        "geometry": {"type": "Point", "coordinates": [18.061, 59.331]},
    }
    assert client.post("/api/v1/crimes", json=f, headers={"X-CSRF-Token": csrf}).status_code == 201
    changed = client.get("/api/v1/crimes?limit=1000", headers={"If-None-Match": etag})
    assert (
        changed.status_code == 200
        and changed.json()["numberMatched"] == first.json()["numberMatched"] + 1
    )
    # another organisation never gets the first one's cached answer
    client.cookies.clear()
    login(client, "analyst-soc")
    other = client.get(
        "/api/v1/crimes?limit=1000", headers={"If-None-Match": changed.headers["etag"]}
    )
    assert other.status_code == 200 and "cri-polis-restricted" not in other.text


def test_priority_places_of_the_week_are_on_the_map(client, app_store):
    from datetime import date

    from lagesbild.briefing import est
    from lagesbild.domain.model import SYSTEM

    monday = est.week_start(date(2024, 12, 2))
    for org in ("polis", "soc"):
        est.set_priority(app_store, SYSTEM, monday, "Klara", org, "kvällar")
    assert client.get("/map/priorities.geojson?day=2024-12-04").json()["features"] == []  # public
    login(client, "field_reporter-soc")
    fc = client.get("/map/priorities.geojson?day=2024-12-04").json()
    assert [f["properties"]["place"] for f in fc["features"]] == ["Klara"]
    assert fc["features"][0]["properties"]["week"] == "2024-W49"  # told apart from next week's
    assert sorted(fc["features"][0]["properties"]["organisations"]) == ["Polisen", "Socialtjänsten"]
    assert fc["features"][0]["geometry"]["type"] == "Polygon"
    assert client.get("/map/priorities.geojson?day=2024-12-10").json()["features"] == []
    assert client.get("/map/priorities.geojson?day=igår").status_code == 422


@pytest.mark.parametrize(
    "path, params",
    [
        ("indicators", {"place": "Klara", "period": ["2022", "2023"]}),
        ("hotspots", {"place": "Klara", "from": "2023", "to": "2023"}),
        ("hotspots", {"from": "1990", "to": "1990"}),
        ("hotspots", {"place": "Klara", "from": "2023", "to": "2023", "method": "kde"}),
        ("emerging", {"from": "1990-01", "to": "1990-12"}),
        ("emerging", {"place": "Klara", "from": "2022-01", "to": "2023-12"}),
        ("extent", {"place": "Klara", "from": "2023", "to": "2023"}),
        ("extent", {"place": "Klara", "compare": ["2023", "1999"]}),
        ("coverage", {"place": "Klara"}),
        ("coverage", {"place": "Klara", "round": "1999"}),
        (
            "displacement",
            {
                "place": "Klara",
                "buffer": 100,
                "control": "Klara",
                "before": "2022",
                "after": "2023",
            },
        ),
        ("effect", {"place": "Klara", "intervention": "2023-01-01"}),
        ("effect", {"place": "Klara", "intervention": "1990-01-01"}),
        ("survey", {"area": "Nowhere"}),
        ("lisa", {"place": "Klara", "from": "2023", "to": "2023"}),
        ("lisa", {"place": "Klara", "from": "1990", "to": "1990", "permutations": 99}),
        (
            "nearrepeat",
            {"place": "Klara", "from": "2023", "to": "2023", "distance": 100, "days": 7},
        ),
        ("nearrepeat", {"place": "Klara", "from": "2023", "to": "2023", "distance": 0, "days": 7}),
        ("pattern", {"place": "Klara", "from": "2023", "to": "2023", "simulations": 19}),
        ("pattern", {"place": "Klara", "from": "1990", "to": "1990"}),
        ("pai", {"place": "Klara", "train": "2022", "test": "2023"}),
        ("pai", {"place": "Klara", "train": "2023", "test": "2022"}),
    ],
)
def test_analyses_on_little_or_nothing_answer_without_5xx(client, path, params):
    """The public sees no crimes in the fixture: every analysis must still answer 2xx or 4xx."""
    r = client.get(f"/api/v1/analyse/{path}", params=params)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.json().get("detail")


def test_an_extent_is_created_through_the_api(client):
    """Extents have no source key nor name: the new one is found by place and round."""
    csrf = login(client, "coordinator-polis")
    feature = {
        "type": "Feature",
        "properties": {"place": "Klara", "round": 2024, "status": "watch"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [18.058, 59.330],
                    [18.066, 59.330],
                    [18.066, 59.334],
                    [18.058, 59.334],
                    [18.058, 59.330],
                ]
            ],
        },
    }
    r = client.post("/api/v1/extents", json=feature, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    got = client.get(f"/api/v1/extents/{r.json()['id']}").json()
    assert got["properties"]["status"] == "watch"


def test_coverage_without_a_date_is_todays_also_after_midnight(client, monkeypatch):
    """Without a date the answer is today's; a cached answer of yesterday is not served."""
    from datetime import datetime as real

    import lagesbild.web.api_analyse as api_analyse

    class Clock(real):
        day = real(2024, 6, 1, 23, 59)

        @classmethod
        def now(cls, tz=None):
            return cls.day.replace(tzinfo=tz)

    monkeypatch.setattr(api_analyse, "datetime", Clock)
    url = "/api/v1/analyse/coverage?place=Klara"
    first = client.get(url)
    assert first.status_code == 200, first.text
    assert first.json()["summary"]["date"] == "2024-06-01"
    Clock.day = real(2024, 6, 2, 0, 1)
    assert client.get(url).json()["summary"]["date"] == "2024-06-02"
