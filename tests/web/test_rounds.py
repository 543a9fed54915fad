"""The mapping round's workspace through the app (TestClient): saving an extent as versions,
the stale-version refusal, each refused input named by its field, who may save, the access
rule on extents and their history, the live hectares against the store's own projection, and
criteria as codes through imports and exports."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import box, mapping

from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import write_records
from lagesbild.services import rounds
from lagesbild.store.schema import audit_log, extent_versions, extents
from lagesbild.web.app import create_app

from .conftest import fill, login

# Inside Klara (the fixture's place): a 0.003 x 0.002 degree box, about 3.8 ha.
SQUARE = box(18.058, 59.330, 18.061, 59.332)
BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[18.058, 59.330], [18.061, 59.332], [18.061, 59.330], [18.058, 59.332], [18.058, 59.330]]
    ],
}
NEXT = date.today().year


@pytest.fixture
def client(sqlite_store):
    fill(sqlite_store)
    with TestClient(create_app(sqlite_store.url), base_url="https://testserver") as c:
        c.store = sqlite_store
        yield c


def _place_id(client) -> int:
    with client.store.read() as conn:
        return conn.exec_driver_sql("SELECT id FROM places WHERE name = 'Klara'").scalar_one()


def _form(csrf: str, geometry, version: int | str = 0, **extra) -> dict:
    return {
        "csrf_token": csrf,
        "geometry": json.dumps(mapping(geometry))
        if not isinstance(geometry, (str, dict))
        else geometry
        if isinstance(geometry, str)
        else json.dumps(geometry),
        "status": "listed",
        "criteria": ["open_selling", "visible"],
        "motivation": "",
        "assessed_on": f"{NEXT}-03-01",
        "version": str(version),
        **extra,
    }


def _save(client, csrf, year, pid, geometry, version=0, **extra):
    return client.post(
        f"/rounds/{year}/{pid}",
        data=_form(csrf, geometry, version, **extra),
        follow_redirects=False,
    )


def test_a_save_is_a_version_and_redirects_to_the_round(client):
    csrf = login(client, "coordinator-polis")
    pid = _place_id(client)
    r = _save(client, csrf, NEXT, pid, SQUARE)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/rounds/{NEXT}"
    with client.store.read() as conn:
        row = (
            conn.execute(extents.select().where(extents.c.place_id == pid, extents.c.version == 1))
            .mappings()
            .one()
        )
    assert row["criteria"] == "open_selling;visible"
    assert row["assessed_at"] == date(NEXT, 3, 1)
    # a second save on version 1 makes version 2, with what changed
    r = _save(client, csrf, NEXT, pid, SQUARE, 1, status="watch")
    assert r.status_code == 303, r.text
    hist = client.get(f"/api/v1/extents/{row['id']}/history").json()["versions"]
    assert [v["version"] for v in hist] == [2, 1]
    assert hist[0]["change"] == "status" and hist[0]["saved_by"] == "coordinator-polis"
    assert hist[1]["change"] == "created" and hist[1]["status"] == "listed"
    with client.store.read() as conn:
        audit = conn.execute(
            audit_log.select().where(
                audit_log.c.layer == "extents", audit_log.c.record_id == row["id"]
            )
        ).all()
    assert [a.action for a in audit] == ["create", "update"]


def test_a_stale_version_is_refused_and_nothing_is_overwritten(client):
    csrf = login(client, "coordinator-polis")
    pid = _place_id(client)
    assert _save(client, csrf, NEXT, pid, SQUARE).status_code == 303
    assert _save(client, csrf, NEXT, pid, SQUARE, 1, status="watch").status_code == 303
    # a second editor opened the form on version 1 and saves after the first one
    r = _save(client, csrf, NEXT, pid, box(18.058, 59.330, 18.060, 59.331), 1)
    assert r.status_code == 409
    assert 'id="version-error"' in r.text and "version 2" in r.text.lower()
    with client.store.read() as conn:
        row = (
            conn.execute(
                extents.select().where(extents.c.place_id == pid, extents.c.version.is_not(None))
            )
            .mappings()
            .one()
        )
        n = conn.execute(extent_versions.select()).all()
    assert row["status"] == "watch" and row["version"] == 2 and len(n) == 2
    assert row["geom"].equals(SQUARE.normalize()) or row["geom"].equals(SQUARE)


def test_imported_extent_keeps_its_first_version(client):
    """The fixture's 2023 extent of Klara was imported; the first save keeps it as version 1."""
    csrf = login(client, "admin-polis")
    pid = _place_id(client)
    with client.store.write() as conn:  # the imported extent becomes the admin's organisation's
        polis = conn.exec_driver_sql("SELECT id FROM organisations WHERE code = 'polis'").scalar()
        # (every UPDATE bumps the version: the fixture keeps the imported state, NULL)
        conn.execute(extents.update().values(owner_org_id=polis, version=None))
    page = client.get(f"/rounds/2023/{pid}")
    assert 'name="version" value="1"' in page.text
    r = _save(client, csrf, 2023, pid, SQUARE, 1, motivation="smaller")
    assert r.status_code == 303, r.text
    with client.store.read() as conn:
        eid = conn.execute(extents.select().where(extents.c.place_id == pid)).first().id
    hist = client.get(f"/api/v1/extents/{eid}/history").json()["versions"]
    assert [v["change"] for v in hist] == ["geometry;criteria;motivation;assessed_on", "imported"]
    assert hist[1]["geometry"]["type"] == "Polygon"
    # viewing version 1 loads its geometry into the form: saving it restores it as version 3
    old = client.get(f"/rounds/2023/{pid}?from_version=1")
    assert "version 1" in old.text.lower() or "version 1" in old.text
    assert 'name="version" value="2"' in old.text


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"geometry": BOWTIE}, "geometry", "korsar sig själv"),
        ({"geometry": mapping(box(5.0, 40.0, 5.01, 40.01))}, "geometry", "utanför"),
        (
            {"geometry": mapping(box(18.0600000, 59.3300000, 18.0600050, 59.3300050))},
            "geometry",
            "1 m²",
        ),
        ({"geometry": ""}, "geometry", "rita"),
        ({"status": "delisted", "motivation": " "}, "motivation", "avlista"),
        ({"status": "gone"}, "status", "Status"),
        ({"criteria": ["open_selling", "nonsense"]}, "criteria", "Kriterier"),
        ({"assessed_on": "31/12/2024"}, "assessed_on", "ÅÅÅÅ-MM-DD"),
    ],
)
def test_bad_input_gets_the_form_back_naming_the_field(client, change, field, words):
    csrf = login(client, "coordinator-polis")
    pid = _place_id(client)
    geometry = change.pop("geometry", mapping(SQUARE))
    r = _save(client, csrf, NEXT, pid, geometry, **change)
    assert r.status_code == 422, r.text
    assert words in r.text
    assert 'data-testid="round-editor"' in r.text
    with client.store.read() as conn:
        assert conn.execute(extent_versions.select()).first() is None


def test_the_self_intersecting_polygon_comes_back_repaired(client):
    csrf = login(client, "coordinator-polis")
    r = _save(client, csrf, NEXT, _place_id(client), BOWTIE)
    cfg = json.loads(re.search(r'id="lb-config">(.*?)</script>', r.text, re.S).group(1))
    assert cfg["repaired"]["type"] == "MultiPolygon"  # the two triangles of the bow-tie
    assert "use-repaired" in r.text


def test_a_year_more_than_one_ahead_is_refused(client):
    csrf = login(client, "coordinator-polis")
    r = _save(client, csrf, NEXT + 2, _place_id(client), SQUARE)
    assert r.status_code == 422 and f"{NEXT + 2}" in r.text


@pytest.mark.parametrize("role", ["viewer", "field_reporter"])
def test_viewers_and_field_reporters_may_look_not_save(client, role):
    csrf = login(client, f"{role}-polis")
    pid = _place_id(client)
    page = client.get(f"/rounds/2023/{pid}")
    assert page.status_code == 200 and 'data-testid="save-round"' not in page.text
    assert _save(client, csrf, NEXT, pid, SQUARE).status_code == 403
    with client.store.read() as conn:
        assert conn.execute(extent_versions.select()).first() is None


def test_a_restricted_extent_stays_invisible_to_another_organisation(client):
    csrf = login(client, "coordinator-polis")
    pid = _place_id(client)
    r = _save(client, csrf, NEXT, pid, SQUARE, sensitivity="restricted")
    assert r.status_code == 303
    with client.store.read() as conn:
        eid = conn.execute(extents.select().where(extents.c.version == 1)).first().id
    assert "Klara" in client.get(f"/rounds/{NEXT}").text
    client.cookies.clear()
    csrf = login(client, "coordinator-soc")
    assert client.get(f"/api/v1/extents/{eid}/history").status_code == 404
    year_page = client.get(f"/rounds/{NEXT}").text
    assert f'/rounds/{NEXT}/{pid}">Klara</a></td>' not in year_page
    overview = client.get("/rounds").text
    assert f"/rounds/{NEXT}/{pid}" not in overview
    editor = client.get(f"/rounds/{NEXT}/{pid}").text
    assert 'name="version" value="0"' in editor  # nothing of theirs shows
    assert _save(client, csrf, NEXT, pid, SQUARE).status_code == 403


def test_the_live_hectares_are_the_stores_own(client):
    """`measure` equals the store's projected area (what `lagesbild places` prints), and
    agrees with the geodesic area on the ellipsoid to 0.1 %."""
    csrf = login(client, "analyst-polis")
    pid = _place_id(client)
    r = client.post(
        f"/rounds/{NEXT}/{pid}/measure",
        json={"geometry": mapping(SQUARE)},
        headers={"X-CSRF-Token": csrf},
    )
    out = r.json()
    assert out["area_ha"] == pytest.approx(client.store.projector.area_ha(SQUARE), abs=1e-9)
    geodesic = abs(Geod(ellps="GRS80").geometry_area_perimeter(SQUARE)[0]) / 1e4
    assert out["area_ha"] == pytest.approx(geodesic, rel=1e-3)
    # against the fixture's 2023 extent of Klara (a box that holds the square): only lost area
    cmp = out["compare"]
    assert cmp["year"] == 2023 and cmp["gained_ha"] == pytest.approx(0, abs=1e-6)
    klara = client.store.projector.area_ha(box(18.055, 59.329, 18.070, 59.336))
    assert cmp["change_ha"] == pytest.approx(out["area_ha"] - klara)
    assert cmp["lost_ha"] == pytest.approx(klara - out["area_ha"])


def test_criteria_are_codes_in_imports_and_exports(sqlite_store, tmp_path):
    fill(sqlite_store)
    rec = {
        "place": "Klara",
        "round": 2022,
        "status": "listed",
        "organisation": "polis",
        "criteria": "visible; open_use",
        "motivation": "seen daily",
    }
    s = write_records(sqlite_store, "extents", [(1, rec, SQUARE)])
    assert s.stored == 1, s.rejected
    bad = write_records(
        sqlite_store, "extents", [(1, {**rec, "round": 2021, "criteria": "daily"}, SQUARE)]
    )
    assert bad.rejected and "criteria" in bad.rejected[0].reason
    from lagesbild.ingest.export import export_layer

    out = tmp_path / "extents.geojson"
    export_layer(sqlite_store, "extents", "geojson", out, viewer=SYSTEM)
    feats = [f["properties"] for f in json.loads(out.read_text())["features"]]
    got = next(p for p in feats if p["round"] == 2022)
    assert got["criteria"] == "open_use;visible" and got["motivation"] == "seen daily"
    # and back again: the exported file imports as the same codes
    back = write_records(sqlite_store, "extents", [(1, got, SQUARE)])
    assert not back.rejected


def test_the_editor_library_is_served_from_node_modules(client):
    r = client.get("/vendor/geoman/leaflet-geoman.min.js")
    assert (
        r.status_code == 200
        and "L.PM" in r.text
        and r.headers["content-type"].startswith("text/javascript")
    )
    assert client.get("/vendor/geoman/leaflet-geoman.css").status_code == 200
    assert client.get("/vendor/geoman/..%2Fpackage.json").status_code == 404
    assert client.get("/vendor/geoman/package.json").status_code == 404


def test_rounds_service_overview_change(sqlite_store):
    fill(sqlite_store)
    write_records(
        sqlite_store,
        "extents",
        [
            (
                1,
                {"place": "Klara", "round": 2022, "status": "listed", "organisation": "polis"},
                SQUARE,
            )
        ],
    )
    ov = rounds.overview(sqlite_store, SYSTEM)
    row23 = ov[2023][0]
    assert row23.previous_year == 2022
    assert row23.change_ha == pytest.approx(row23.extent.area_ha - ov[2022][0].extent.area_ha)


def test_save_versions_and_stale_refusal_on_each_backend(store):
    """The service itself on SQLite and PostGIS: versions count up in one statement, and a
    save on a stale version changes nothing."""
    fill(store)
    with store.read() as conn:
        pid = conn.exec_driver_sql("SELECT id FROM places WHERE name = 'Klara'").scalar_one()
        polis = conn.exec_driver_sql("SELECT id FROM organisations WHERE code = 'polis'").scalar()
    from lagesbild.domain.model import Role, Viewer

    viewer = Viewer(None, polis, Role.COORDINATOR, "tester")
    form = rounds.parse_assessment(
        store,
        NEXT,
        geometry=mapping(SQUARE),
        status="listed",
        criteria=["visible"],
        motivation=None,
        assessed_on=None,
        version=0,
    )
    first = rounds.save(store, viewer, NEXT, pid, form)
    assert first.version == 1 and first.criteria == ("visible",)
    second = rounds.save(
        store,
        viewer,
        NEXT,
        pid,
        rounds.Assessment(**{**form.__dict__, "version": 1, "status": "watch"}),
    )
    assert second.version == 2
    with pytest.raises(rounds.StaleVersion) as exc:
        rounds.save(store, viewer, NEXT, pid, rounds.Assessment(**{**form.__dict__, "version": 1}))
    assert exc.value.newer.version == 2 and exc.value.newer.status == "watch"
    assert [v.version for v in rounds.history(store, viewer, first.id)] == [2, 1]
    assert rounds.current(store, viewer, NEXT, pid).status == "watch"


@pytest.mark.parametrize("target", [2e4, 5e3])
def test_the_proposals_band_edges_have_the_intervals_areas(target):
    """A square of 1 ha buffered out or in to an area: closed form (100 + 2d)² = target."""
    square = box(0, 0, 100, 100)
    got = rounds._to_area(square, target)
    assert got.area == pytest.approx(target, abs=1.0)
    d = (target**0.5 - 100) / 2
    assert got.bounds == pytest.approx((-d, -d, 100 + d, 100 + d), abs=1e-3)


def test_a_save_on_a_deleted_extent_is_refused_naming_the_version(client):
    csrf = login(client, "coordinator-polis")
    r = _save(client, csrf, NEXT, _place_id(client), SQUARE, 3)
    assert r.status_code == 422 and 'id="version-error"' in r.text
    with client.store.read() as conn:
        assert conn.execute(extents.select().where(extents.c.version.is_not(None))).first() is None


def test_a_save_assigns_the_points_as_a_full_reassignment_would(sqlite_store):
    """Only the saved extent's assignments are replaced; they equal what recomputing every
    assignment (`store.assign.reassign_all`, the import's way) gives."""
    from lagesbild.domain.model import Role, Viewer
    from lagesbild.store import assign
    from lagesbild.store.schema import assignments

    fill(sqlite_store)
    with sqlite_store.read() as conn:
        pid = conn.exec_driver_sql("SELECT id FROM places WHERE name = 'Klara'").scalar_one()
        polis = conn.exec_driver_sql("SELECT id FROM organisations WHERE code = 'polis'").scalar()
    viewer = Viewer(None, polis, Role.ANALYST, "tester")
    # the fixture's points lie at 18.060-18.061 E, 59.331-59.332 N: this box holds some
    geom = box(18.0595, 59.3305, 18.0605, 59.3322)
    form = rounds.parse_assessment(
        sqlite_store,
        NEXT,
        geometry=mapping(geom),
        status="listed",
        criteria=[],
        motivation=None,
        assessed_on=None,
        version=0,
    )
    rounds.save(sqlite_store, viewer, NEXT, pid, form)

    def pairs(conn):
        return sorted(tuple(r) for r in conn.execute(assignments.select()).all())

    with sqlite_store.write() as conn:
        saved = pairs(conn)
        assign.reassign_all(conn)
        full = pairs(conn)
    assert saved == full
    with sqlite_store.read() as conn:
        round_id = conn.exec_driver_sql(
            f"SELECT id FROM mapping_rounds WHERE year = {NEXT}"
        ).scalar_one()
    assert len([p for p in saved if p[2] == round_id]) > 0  # the box holds points


def test_guard_areas_are_drawn_and_changed_on_a_map(client):
    """A guard area drawn on the map is stored as the caller's organisation's, changed by
    that organisation only, and a bad date is named; the list page links to both."""
    from lagesbild.store.schema import guard_areas

    csrf = login(client, "analyst-polis")
    assert 'href="/guard-areas/new"' in client.get("/guard-areas").text
    form = {
        "csrf_token": csrf,
        "geometry": json.dumps(mapping(SQUARE)),
        "name": "Plattan",
        "decision": "LST 123-2024",
        "valid_from": "2024-01-01",
        "valid_to": "2023-12-31",
        "sensitivity": "shared",
    }
    bad = client.post("/guard-areas/new", data=form, follow_redirects=False)
    assert bad.status_code == 422 and "Gäller till" in bad.text
    r = client.post("/guard-areas/new", data={**form, "valid_to": ""}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/guard-areas"
    with client.store.read() as conn:
        row = conn.execute(guard_areas.select()).mappings().one()
    assert row["name"] == "Plattan" and row["valid_to"] is None
    assert f'href="/guard-areas/{row["id"]}/edit"' in client.get("/guard-areas").text
    smaller = box(18.058, 59.330, 18.0595, 59.331)
    r = client.post(
        f"/guard-areas/{row['id']}/edit",
        data={**form, "valid_to": "2024-12-31", "geometry": json.dumps(mapping(smaller))},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with client.store.read() as conn:
        changed = conn.execute(guard_areas.select()).mappings().one()
    assert changed["valid_to"] == date(2024, 12, 31)
    assert client.store.projector.area_ha(changed["geom"]) == pytest.approx(
        client.store.projector.area_ha(smaller)
    )
    client.cookies.clear()
    other = login(client, "coordinator-soc")
    assert client.get(f"/guard-areas/{row['id']}/edit").status_code == 403
    r = client.post(f"/guard-areas/{row['id']}/edit", data={**form, "csrf_token": other})
    assert r.status_code == 403


def _own_klara_2023(client) -> tuple[int, int]:
    """(place id, extent id) of the fixture's imported 2023 Klara extent, made polis's."""
    pid = _place_id(client)
    with client.store.write() as conn:
        polis = conn.exec_driver_sql("SELECT id FROM organisations WHERE code = 'polis'").scalar()
        conn.execute(extents.update().values(owner_org_id=polis, version=None))
        eid = conn.execute(extents.select().where(extents.c.place_id == pid)).first().id
    return pid, eid


def test_an_api_patch_bumps_the_version_so_an_older_form_is_stale(client):
    """A PATCH through the API changes the extent: a browser form opened before it (version 1)
    is refused as stale, and the PATCHed state is kept as a version of the history."""
    csrf = login(client, "admin-polis")
    pid, eid = _own_klara_2023(client)
    assert 'name="version" value="1"' in client.get(f"/rounds/2023/{pid}").text
    r = client.patch(
        f"/api/v1/extents/{eid}", json={"status": "watch"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 200, r.text
    with client.store.read() as conn:
        row = conn.execute(extents.select().where(extents.c.id == eid)).mappings().one()
    assert row["version"] == 2 and row["status"] == "watch"
    stale = _save(client, csrf, 2023, pid, SQUARE, 1, motivation="smaller")
    assert stale.status_code == 409 and 'id="version-error"' in stale.text
    with client.store.read() as conn:
        kept = conn.execute(extents.select().where(extents.c.id == eid)).mappings().one()
    assert kept["motivation"] is None and kept["version"] == 2
    # the form opened now carries version 2; its save keeps the PATCHed state as version 2
    assert 'name="version" value="2"' in client.get(f"/rounds/2023/{pid}").text
    assert _save(client, csrf, 2023, pid, SQUARE, 2, motivation="smaller").status_code == 303
    hist = client.get(f"/api/v1/extents/{eid}/history").json()["versions"]
    assert [v["version"] for v in hist] == [3, 2]
    assert hist[1]["status"] == "watch" and "API" in hist[1]["change"]


def test_an_import_that_changes_an_extent_bumps_its_version(client):
    pid, eid = _own_klara_2023(client)
    with client.store.read() as conn:
        before = conn.execute(extents.select().where(extents.c.id == eid)).mappings().one()
        place = conn.exec_driver_sql("SELECT name FROM places WHERE id = ?", (pid,)).scalar()
    rec = {"place": place, "round": "2023", "status": "delisted", "criteria": "visible"}
    again = write_records(client.store, "extents", [(1, rec, before["geom"])])
    assert again.updated == 1
    with client.store.read() as conn:
        after = conn.execute(extents.select().where(extents.c.id == eid)).mappings().one()
    assert after["version"] == 2 and after["status"] == "delisted"
    # the same rows again change nothing: no new version
    write_records(client.store, "extents", [(1, rec, before["geom"])])
    with client.store.read() as conn:
        same = conn.execute(extents.select().where(extents.c.id == eid)).mappings().one()
    assert same["version"] == 2


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"criteria": "lots of dealing"}, "criteria", "open_selling"),
        ({"criteria": ["visible", "nope"]}, "criteria", "'nope'"),
        ({"status": "gone"}, "status", "listed"),
    ],
)
def test_an_api_patch_of_criteria_is_checked_as_an_import(client, changes, field, words):
    csrf = login(client, "admin-polis")
    _pid, eid = _own_klara_2023(client)
    r = client.patch(f"/api/v1/extents/{eid}", json=changes, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422, r.text
    assert field in r.text and words in r.text
    with client.store.read() as conn:
        row = conn.execute(extents.select().where(extents.c.id == eid)).mappings().one()
    assert row["version"] is None  # nothing written


def test_an_api_patch_of_criteria_stores_the_codes_in_checklist_order(client):
    csrf = login(client, "admin-polis")
    _pid, eid = _own_klara_2023(client)
    r = client.patch(
        f"/api/v1/extents/{eid}",
        json={"criteria": "visible; open_selling"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    with client.store.read() as conn:
        row = conn.execute(extents.select().where(extents.c.id == eid)).mappings().one()
    assert row["criteria"] == "open_selling;visible"


def test_cameras_are_placed_and_changed_on_a_map(client):
    """A camera placed on the map is stored as the caller's organisation's with the import's
    checks (a bad range is named), changed by that organisation only, and audited."""
    from lagesbild.store.schema import cameras

    csrf = login(client, "analyst-polis")
    assert 'href="/cameras/new"' in client.get("/cameras").text
    page = client.get("/cameras/new")
    assert page.status_code == 200 and 'data-testid="camera-editor"' in page.text
    form = {
        "csrf_token": csrf,
        "lat": "59.3315",
        "lon": "18.0595",
        "operator": "Polisen",
        "bearing": "120",
        "angle": "60",
        "range": "3000",
        "active_from": "2024-01-01",
        "sensitivity": "shared",
    }
    bad = client.post("/cameras/new", data=form, follow_redirects=False)
    assert bad.status_code == 422 and "Räckvidd" in bad.text and "2000" in bad.text
    nowhere = client.post("/cameras/new", data={**form, "lat": "", "range": "40"})
    assert nowhere.status_code == 422 and "Plats" in nowhere.text
    outside = client.post("/cameras/new", data={**form, "lat": "40.0", "lon": "5.0", "range": "40"})
    assert outside.status_code == 422 and "Plats" in outside.text
    with client.store.read() as conn:
        assert conn.execute(cameras.select()).all() == []  # nothing half-written
    r = client.post("/cameras/new", data={**form, "range": "40"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cameras"
    with client.store.read() as conn:
        row = conn.execute(cameras.select()).mappings().one()
    assert (row["bearing"], row["angle"], row["range_m"]) == (120.0, 60.0, 40.0)
    assert row["geom"].x == pytest.approx(18.0595) and row["geom"].y == pytest.approx(59.3315)
    listed = client.get("/cameras").text
    assert f'href="/cameras/{row["id"]}/edit"' in listed
    edit = client.get(f"/cameras/{row['id']}/edit").text
    assert 'value="59.3315000"' in edit and 'id="bearing" name="bearing" type="number"' in edit
    r = client.post(
        f"/cameras/{row['id']}/edit",
        data={**form, "range": "25", "bearing": "400"},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "Riktning" in r.text
    r = client.post(
        f"/cameras/{row['id']}/edit",
        data={**form, "range": "25", "bearing": "300", "lon": "18.0600"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with client.store.read() as conn:
        changed = conn.execute(cameras.select()).mappings().one()
        actions = [
            a.action for a in conn.execute(audit_log.select().where(audit_log.c.layer == "cameras"))
        ]
    assert (changed["bearing"], changed["range_m"]) == (300.0, 25.0)
    assert changed["geom"].x == pytest.approx(18.06) and changed["minx"] == pytest.approx(18.06)
    assert actions == ["create", "update"]
    client.cookies.clear()
    other = login(client, "coordinator-soc")
    assert f"/cameras/{row['id']}/edit" not in client.get("/cameras").text
    assert client.get(f"/cameras/{row['id']}/edit").status_code == 403
    r = client.post(f"/cameras/{row['id']}/edit", data={**form, "csrf_token": other})
    assert r.status_code == 403
    client.cookies.clear()
    login(client, "viewer-polis")
    assert client.get("/cameras/new").status_code == 403
