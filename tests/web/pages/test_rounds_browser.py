"""The mapping round in Chromium: draw a polygon by clicks, see its hectares, save it and find
it in `lagesbild places`; copy last round's extent; a stale save is refused; a restricted
extent stays invisible to another organisation. The server runs on a store of its own (the
demo), since these tests add extents to the 2024 round."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from pyproj import Geod

from .conftest import Server, _run, login, serving

pytestmark = pytest.mark.browser
YEAR = 2024  # the demo's rounds are 2022 and 2023


@pytest.fixture(scope="module")
def rounds_server(tmp_path_factory):
    db = tmp_path_factory.mktemp("rounds") / "demo.sqlite"
    db_url = f"sqlite:///{db}"
    env = {**os.environ, "LAGESBILD_DB": db_url}
    env.pop("LAGESBILD_TILES", None)
    _run(["init"], env)
    _run(["demo"], env)
    with serving(env) as url:
        yield Server(url, db, db_url)


def _place(server: Server, name: str) -> int:
    return server.query("SELECT id FROM places WHERE name = ?", name)[0][0]


def _places_cli(server: Server) -> str:
    env = {**os.environ, "LAGESBILD_DB": server.db_url, "COLUMNS": "250"}
    r = subprocess.run(
        [sys.executable, "-m", "lagesbild", "places"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def _cli_ha(out: str, place: str, year_index: int) -> float:
    """The hectares `lagesbild places` prints for `place` in its `year_index`th round column."""
    line = next(ln for ln in out.splitlines() if place in ln)
    cells = [c.strip() for c in re.split(r"[│|]", line) if c.strip()]
    found = [c for c in cells if c.endswith(("listad", "avförd", "bevakas"))]
    return float(found[year_index].split(" ha")[0].replace(",", ".").replace("\u00a0", ""))


def _stored(server: Server, columns: str, place_id: int) -> list[tuple]:
    """`columns` of the place's extent of the round, as stored."""
    return server.query(
        f"SELECT {columns} FROM extents e JOIN mapping_rounds r ON r.id = e.round_id "
        "WHERE e.place_id = ? AND r.year = ?",
        place_id,
        YEAR,
    )


def _area(page) -> float:
    page.wait_for_function(
        "() => { const o = document.querySelector('[data-testid=area-ha]');"
        " return o.dataset.ha !== '' && !o.dataset.pending; }",
        timeout=15_000,
    )
    return float(page.get_attribute("[data-testid=area-ha]", "data-ha"))


def _editor(page, server: Server, place_id: int, year: int = YEAR) -> None:
    page.goto(f"{server.url}/rounds/{year}/{place_id}")
    page.wait_for_selector("[data-testid=round-editor][data-ready='1']", timeout=15_000)


def test_draw_a_polygon_by_clicks_see_hectares_save_and_find_it_in_places(rounds_server, context):
    server = rounds_server
    pid = _place(server, "Sergels torg")
    page = context.new_page()
    login(page, server.url, "samordnare", f"/rounds/{YEAR}/{pid}")
    page.wait_for_selector("[data-testid=round-editor][data-ready='1']")
    assert page.text_content("[data-testid=area-ha]").strip() == "–"
    editor = page.locator("[data-testid=round-editor]")
    editor.locator(".leaflet-pm-icon-polygon").click()
    box = editor.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(-120, -80), (110, -90), (130, 70), (-100, 90)]
    for dx, dy in corners:
        page.mouse.click(cx + dx, cy + dy)
    page.mouse.click(cx + corners[0][0], cy + corners[0][1])  # back on the first: closed
    ha = _area(page)
    assert ha > 0.1
    shown = page.text_content("[data-testid=area-ha]")
    assert shown == f"{ha:.2f} ha".replace(".", ",")  # Swedish decimal comma
    page.check("input[name=criteria][value=open_use]")
    page.fill("#motivation", "Ritad i webbläsaren")
    page.click("[data-testid=save-round]")
    page.wait_for_url(f"{server.url}/rounds/{YEAR}")
    assert "Sergels torg" in page.text_content("main table")
    # `lagesbild places` prints the same hectares (its only round column for this place)
    out = _places_cli(server)
    assert _cli_ha(out, "Sergels torg ", 0) == pytest.approx(round(ha, 2), abs=0.005)
    row = _stored(server, "e.criteria, e.motivation, e.version", pid)
    assert row == [("open_use", "Ritad i webbläsaren", 1)]


def test_copy_last_rounds_extent_then_a_stale_save_is_refused(rounds_server, context):
    server = rounds_server
    pid = _place(server, "Sergels torg/Klara")
    page = context.new_page()
    login(page, server.url, "samordnare", f"/rounds/{YEAR}/{pid}")
    page.wait_for_selector("[data-testid=round-editor][data-ready='1']")
    page.click("[data-testid=copy-previous]")
    ha = _area(page)
    assert page.text_content("[data-testid=area-ha]") == "6,57 ha"  # 2023's extent
    assert page.is_visible("[data-testid=compare]")
    assert page.text_content("#cmp-change") in ("0,00 ha", "+0,00 ha", "−0,00 ha", "-0,00 ha")
    page.click("[data-testid=save-round]")
    page.wait_for_url(f"{server.url}/rounds/{YEAR}")
    stored = _stored(server, "e.version", pid)
    assert stored == [(1,)]
    assert _cli_ha(_places_cli(server), "Sergels torg/Klara", 2) == pytest.approx(
        round(ha, 2), abs=0.005
    )
    # two editors open version 1; the first saves, the second is refused and sees the newer
    first, second = context.new_page(), context.new_page()
    for p in (first, second):
        _editor(p, server, pid)
        assert p.get_attribute("input[name=version]", "value") == "1"
    first.check("input[name=status][value=watch]")
    first.click("[data-testid=save-round]")
    first.wait_for_url(f"{server.url}/rounds/{YEAR}")
    second.check("input[name=status][value=delisted]")
    second.fill("#motivation", "Kriterierna uppfylls inte längre")
    second.click("[data-testid=save-round]")
    second.wait_for_selector("#version-error")
    text = second.text_content("#version-error")
    assert "version 1" in text and "version 2" in text and "bevakas" in text
    status = _stored(server, "e.status, e.version", pid)
    assert status == [("watch", 2)]


def test_a_restricted_extent_stays_invisible_to_another_organisation(rounds_server, browser):
    server = rounds_server
    pid = _place(server, "Odenplan/Observatorielunden")
    police = browser.new_context(viewport={"width": 1280, "height": 900})
    page = police.new_page()
    login(page, server.url, "analytiker", f"/rounds/{YEAR}/{pid}")
    page.wait_for_selector("[data-testid=round-editor][data-ready='1']")
    page.click("[data-testid=copy-previous]")
    _area(page)
    page.select_option("#sensitivity", "restricted")
    page.click("[data-testid=save-round]")
    page.wait_for_url(f"{server.url}/rounds/{YEAR}")
    assert "Odenplan" in page.text_content("main table")
    police.close()
    district = browser.new_context(viewport={"width": 1280, "height": 900})
    other = district.new_page()
    login(other, server.url, "samordnare", f"/rounds/{YEAR}")
    extents_table = other.locator("main table").first
    assert "Odenplan" not in (extents_table.text_content() if extents_table.count() else "")
    features = json.loads(other.text_content("#lb-config"))["features"]
    on_map = {(f["properties"]["place"], f["properties"]["year"]) for f in features}
    assert ("Sergels torg/Klara", YEAR) in on_map  # the district sees the shared ones
    assert ("Odenplan/Observatorielunden", YEAR) not in on_map  # nor on the round's map
    assert ("Odenplan/Observatorielunden", YEAR - 1) in on_map  # last year's is public
    other.goto(f"{server.url}/rounds")
    assert f"/rounds/{YEAR}/{pid}" not in other.content()
    _editor(other, server, pid)
    assert other.get_attribute("input[name=version]", "value") == "0"
    assert other.text_content("[data-testid=area-ha]").strip() == "–"
    eid = server.query("SELECT id FROM extents WHERE sensitivity = 'restricted'")[0][0]
    r = other.request.get(f"{server.url}/api/v1/extents/{eid}/history")
    assert r.status == 404
    district.close()


def test_draw_a_rectangle_cut_a_hole_and_delete(rounds_server, context):
    """The editing toolbar works on the form's geometry: a hole cut in the drawn rectangle
    is a second ring and takes its area off; deleting the polygon empties the field."""
    server = rounds_server
    page = context.new_page()
    pid = _place(server, "Medborgarplatsen")
    login(page, server.url, "analytiker", f"/rounds/{YEAR}/{pid}")
    page.wait_for_selector("[data-testid=round-editor][data-ready='1']")
    editor = page.locator("[data-testid=round-editor]")
    box = editor.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    editor.locator(".leaflet-pm-icon-rectangle").click()
    page.mouse.click(cx - 150, cy - 120)
    page.mouse.click(cx + 150, cy + 120)
    whole = _area(page)
    assert json.loads(page.input_value("#geometry"))["type"] == "Polygon"
    editor.locator(".leaflet-pm-icon-cut").click()
    for dx, dy in [(-40, -40), (40, -40), (40, 40), (-40, 40), (-40, -40)]:
        page.mouse.click(cx + dx, cy + dy)
    page.wait_for_function(
        "() => JSON.parse(document.getElementById('geometry').value).coordinates.length === 2"
    )
    cut = _area(page)
    # the hole is 80 x 80 pixels of the 300 x 240 rectangle: its share of the area
    assert cut == pytest.approx(whole * (1 - 80 * 80 / (300 * 240)), rel=0.03)
    editor.locator(".leaflet-pm-icon-delete").click()
    page.mouse.click(cx - 140, cy - 110)
    page.wait_for_function(
        "() => document.getElementById('geometry').value === ''"
        " && document.getElementById('area-ha').textContent === '–'"
    )


def test_place_a_camera_by_click_set_its_view_and_save(rounds_server, context):
    """A camera is placed by a click on the map, its cone follows bearing, angle and range,
    and the saved camera is in the list and the API at the clicked spot."""
    server = rounds_server
    page = context.new_page()
    login(page, server.url, "samordnare", "/cameras")
    page.click("a[href='/cameras/new']")
    editor = page.locator("[data-testid=camera-editor]")
    page.wait_for_selector("[data-testid=camera-editor][data-ready='1']")
    assert editor.get_attribute("data-cone") == "0"  # no position yet: no cone
    box = editor.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2 - 30)
    lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
    assert 59.0 < lat < 60.0 and 17.5 < lon < 18.5  # the demo's cameras are in Stockholm
    page.fill("#operator", "Testoperatören")
    page.fill("#bearing", "135")
    page.fill("#angle", "70")
    page.fill("#range", "45")
    # the cone: the apex and one vertex per degree of the 70 degree arc
    assert editor.get_attribute("data-cone") == "72"
    # drawn where the camera looks: the arc 45 m (geodesic) from the apex, its middle at 135°
    cone = json.loads(editor.get_attribute("data-cone-latlngs"))
    geod = Geod(ellps="WGS84")
    apex = cone[0]
    assert apex == [pytest.approx(lat, abs=1e-7), pytest.approx(lon, abs=1e-7)]
    az, _back, dist = geod.inv(
        [apex[1]] * 71, [apex[0]] * 71, [c[1] for c in cone[1:]], [c[0] for c in cone[1:]]
    )
    assert max(abs(d - 45.0) for d in dist) < 0.3
    assert az[35] % 360 == pytest.approx(135.0, abs=0.5)
    assert (az[0] % 360, az[-1] % 360) == (
        pytest.approx(100.0, abs=0.5),
        pytest.approx(170.0, abs=0.5),
    )
    page.fill("#angle", "360")  # all round: no apex, a ring of 360 vertices (as the server's)
    assert editor.get_attribute("data-cone") == "360"
    page.fill("#angle", "70")
    page.click("[data-testid=save-camera]")
    page.wait_for_url(f"{server.url}/cameras")
    assert "Testoperatören" in page.text_content("#records")
    stored = server.query(
        "SELECT id, bearing, angle, range_m, minx, miny FROM cameras WHERE operator = ?",
        "Testoperatören",
    )
    assert len(stored) == 1
    cid, bearing, angle, reach, x, y = stored[0]
    assert (bearing, angle, reach) == (135.0, 70.0, 45.0)
    assert (x, y) == (pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6))
    api = page.request.get(f"{server.url}/api/v1/cameras?limit=1000").json()
    features = api.get("features", api.get("records", api)) if isinstance(api, dict) else api
    found = [f for f in features if f.get("id") == cid]
    assert found, api if not features else features[:1]
    props = found[0].get("properties", found[0])
    assert props["operator"] == "Testoperatören" and float(props["bearing"]) == 135.0
    # back on the map: the stored camera is shown with its cone, and a change is saved
    page.click(f"a[href='/cameras/{cid}/edit']")
    page.wait_for_selector("[data-testid=camera-editor][data-ready='1']")
    assert editor.get_attribute("data-cone") == "72"
    page.fill("#bearing", "200")
    page.click("[data-testid=save-camera]")
    page.wait_for_url(f"{server.url}/cameras")
    assert server.query("SELECT bearing FROM cameras WHERE id = ?", cid) == [(200.0,)]


@pytest.mark.parametrize("user", ["samordnare", "admin"])
def test_the_demo_opens_2024_for_the_district_and_keeps_the_regional_list(
    rounds_server, context, user
):
    """The demo's 2022/2023 extents are Länsstyrelsen's (the regional list): the district's
    coordinator and admin read them, the save is not offered and a POST is refused; the
    2024 round is open on /rounds, and what they save in it is the district's own."""
    server = rounds_server
    pid = _place(server, "Sergels torg/Klara")
    page = context.new_page()
    login(page, server.url, user, "/rounds")
    assert page.locator(f"#round-{YEAR} a[href='/rounds/{YEAR}']").count() == 1
    page.goto(f"{server.url}/rounds/2023/{pid}")
    page.wait_for_selector("[data-testid=round-editor][data-ready='1']")
    assert page.locator("[data-testid=save-round]").count() == 0
    assert "Länsstyrelsen" in page.text_content("main .note")
    csrf = page.get_attribute("meta[name=csrf-token]", "content")
    r = page.request.post(
        f"{server.url}/rounds/2023/{pid}",
        form={
            "csrf_token": csrf,
            "geometry": json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[18.058, 59.330], [18.061, 59.330], [18.061, 59.332], [18.058, 59.330]]
                    ],
                }
            ),
            "status": "listed",
            "assessed_on": "2023-03-14",
            "version": "1",
        },
        max_redirects=0,
    )
    assert r.status == 403
    owners = server.query(
        "SELECT DISTINCT o.code FROM extents e JOIN organisations o ON o.id = e.owner_org_id "
        "JOIN mapping_rounds r ON r.id = e.round_id WHERE r.year < ?",
        YEAR,
    )
    assert owners == [("lst",)]
