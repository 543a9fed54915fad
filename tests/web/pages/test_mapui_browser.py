"""The map and place pages in a browser (issue 17): superseded answers dropped (the race made by
holding the first answer back), counts in view beside the filter's, the data-bound default
period, the basemap, the phone's header and chart text, the drill-down from a cluster to its
incidents and their records, the table and its CSV, the time histogram as a brush and the
hour-by-weekday chart."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.web.pages.conftest import login, wait_map

pytestmark = pytest.mark.browser
TZ = ZoneInfo("Europe/Stockholm")


def _numbers(text: str) -> list[int]:
    found = re.findall(r"\d(?:[\d\u00a0\u202f ,]*\d)?", text)
    return [int(re.sub(r"[^\d]", "", n)) for n in found]


def _expected_default(server, username: str | None) -> tuple[str, str]:
    """12 months up to the end of the month of the latest crime the viewer may see (for the
    public with none of its own: the latest that every partner may see), in SQL."""
    if username is None:
        where = "sensitivity IN ('public', 'shared')"
        args: tuple = ()
    else:
        (org,) = server.query("SELECT organisation_id FROM users WHERE username = ?", username)[0]
        where = "sensitivity IN ('public', 'shared') OR owner_org_id = ?"
        args = (org,)
    (latest,) = server.query(f"SELECT max(occurred_at) FROM crimes WHERE {where}", *args)[0]
    local = datetime.fromisoformat(latest).replace(tzinfo=ZoneInfo("UTC")).astimezone(TZ).date()
    end = date(local.year + (local.month == 12), local.month % 12 + 1, 1)
    return date(end.year - 1, end.month, 1).isoformat(), (end - timedelta(days=1)).isoformat()


def _wait_time(page) -> None:
    page.wait_for_selector("#time-histogram[data-ready='1']", timeout=20_000)


def _wait_table(page) -> None:
    page.wait_for_selector("#incident-table[data-ready='1']", timeout=20_000)


# ------------------------------------------------------------------ 1. correct state


@pytest.mark.parametrize("username", [None, "analytiker"])
def test_default_period_is_bound_to_the_latest_crime(server, context, username):
    page = context.new_page()
    if username:
        login(page, server.url, username)
    else:
        page.goto(server.url + "/")
    wait_map(page)
    want = _expected_default(server, username)
    assert (page.input_value("input[name=from]"), page.input_value("input[name=to]")) == want
    if username:  # the signed-in analyst sees crimes in it, not an empty map
        assert _numbers(page.text_content("#n-crimes"))[0] > 0


def test_a_slow_superseded_answer_never_overwrites_the_current_one(server, context):
    page = context.new_page()
    login(page, server.url, "analytiker")
    wait_map(page)
    held = []

    def hold_first(route):
        if not held:
            held.append(route)  # answered only after the newer request's answer is shown
        else:
            route.continue_()

    page.route(re.compile(r".*/map/hotspots\.geojson.*"), hold_first)
    page.check("#l-hotspots")  # the first request (default period): held back
    page.wait_for_timeout(300)
    assert held
    page.fill("input[name=from]", "2024-06-01")
    page.fill("input[name=to]", "2024-08-31")
    page.select_option("#f-cat", "drug_offence")
    page.click("#filters button[type=submit]")
    wait_map(page)
    page.unroute(re.compile(r".*/map/hotspots\.geojson.*"))
    for route in held:  # now the stale answer arrives: it must be dropped
        try:
            route.continue_()
        except Exception:  # noqa: BLE001 - the browser aborted it as superseded: also fine
            pass
    page.wait_for_timeout(1500)
    wait_map(page)
    want = page.request.get(
        server.url + "/map/hotspots.geojson?from=2024-06-01&to=2024-08-31"
        "&category=drug_offence&cell=100"
    ).json()
    shown = page.evaluate("LB.data.hotspots.features.length")
    assert shown == len(want["features"])
    assert _numbers(page.text_content("#n-hotspots")) == [len(want["features"])]


def test_point_layers_drop_a_superseded_answer_too(server, context):
    page = context.new_page()
    login(page, server.url, "analytiker")
    wait_map(page)
    held = []

    def hold_first(route):
        if not held and "layer=crimes" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    pattern = re.compile(r".*/map/points\.geojson.*")
    page.route(pattern, hold_first)
    page.fill("input[name=from]", "2024-01-01")
    page.fill("input[name=to]", "2024-12-31")
    page.click("#filters button[type=submit]")  # held: the whole year
    page.fill("input[name=from]", "2024-12-01")
    page.click("#filters button[type=submit]")  # December only
    page.wait_for_function(
        "() => LB.data.crimes && LB.data.crimes.numberTotal !== undefined"
        " && document.getElementById('n-crimes').textContent.length > 0"
    )
    page.unroute(pattern)
    for route in held:
        try:
            route.continue_()
        except Exception:  # noqa: BLE001
            pass
    page.wait_for_timeout(1500)
    wait_map(page)
    (december,) = server.query(
        "SELECT count(*) FROM crimes WHERE occurred_at >= '2024-11-30 23:00' AND "
        "occurred_at < '2024-12-31 23:00' AND (sensitivity IN ('public', 'shared') OR "
        "owner_org_id = (SELECT organisation_id FROM users WHERE username = 'analytiker'))"
    )[0]
    assert page.evaluate("LB.data.crimes.numberTotal") == december


def _settle(page) -> None:
    """Until the legend's count has stayed the same for a second (a busy machine answers the
    view's requests late)."""
    page.wait_for_function(
        """() => {
          const t = document.getElementById('n-crimes').textContent;
          if (window.__lastCount === t) return ++window.__sameCount >= 5;
          window.__lastCount = t; window.__sameCount = 0; return false;
        }""",
        polling=200,
        timeout=30_000,
    )


def test_legend_counts_say_in_view_beside_the_filters_total(server, context):
    page = context.new_page()
    login(page, server.url, "analytiker", "/?lang=en")
    wait_map(page)
    _settle(page)
    text = page.text_content("#n-crimes")
    assert "in view of" in text
    view, total = _numbers(text)
    assert view <= total
    assert total == page.evaluate("LB.data.crimes.numberTotal")
    zoom = page.evaluate("() => Number(new URLSearchParams(location.hash.slice(1)).get('z'))")
    page.click(".leaflet-control-zoom-in")
    page.click(".leaflet-control-zoom-in")
    page.wait_for_function(
        "(z) => Number(new URLSearchParams(location.hash.slice(1)).get('z')) > z",
        arg=zoom,
        timeout=20_000,
    )
    wait_map(page)
    _settle(page)
    view2, total2 = _numbers(page.text_content("#n-crimes"))
    assert total2 == total and view2 < view


# ------------------------------------------------------------------ 2. basemap


def test_basemap_is_on_by_default_with_its_attribution(server, context):
    page = context.new_page()
    page.goto(server.url + "/")
    wait_map(page)
    srcs = page.eval_on_selector_all(".leaflet-tile-pane img", "els => els.map(e => e.src)")
    # a tile Leaflet gave up on (a pan or zoom meanwhile) keeps its blank data: image
    fetched = [s for s in srcs if not s.startswith("data:")]
    assert fetched and all(s.startswith("https://tile.openstreetmap.org/") for s in fetched)
    assert "OpenStreetMap" in page.text_content(".leaflet-control-attribution")
    # without the network the layers still show
    assert int(page.get_attribute("#map", "data-features")) > 0


# ------------------------------------------------------------------ 3. phone, HEAD


PHONE_PAGES = ["/", "/report", "/survey", "/cameras", "/residents"]


def test_phone_header_is_short_and_the_menu_folds_out(server, phone):
    page = phone.new_page()
    login(page, server.url, "admin")
    for path in PHONE_PAGES:
        page.goto(server.url + path)
        height = page.evaluate(
            "document.querySelector('header.top').getBoundingClientRect().height"
        )
        assert height <= 100, (path, height)
        assert not page.is_visible("nav.menu a[href='/survey']")
    page.goto(server.url + "/")
    wait_map(page)
    assert page.evaluate("document.getElementById('map').getBoundingClientRect().top") < 120
    assert page.evaluate("document.getElementById('f-from').getBoundingClientRect().bottom") < 844
    page.click("header .menu-toggle")
    assert page.get_attribute("header .menu-toggle", "aria-expanded") == "true"
    assert page.is_visible("nav.menu a[href='/report']")  # the map and reports group is open
    assert not page.is_visible("nav.menu a[href='/survey']")  # other groups open by their label
    page.click("nav.menu .group:has(a[href='/survey']) > button.group-label")
    assert page.is_visible("nav.menu a[href='/survey']")
    page.click("nav.menu a[href='/survey']")
    page.wait_for_url("**/survey")
    page.goto(server.url + "/report")
    assert page.evaluate("document.getElementById('category').getBoundingClientRect().top") < 844


def _smallest_text(page, selector: str) -> float:
    return page.evaluate(
        """sel => Math.min(...[...document.querySelectorAll(sel + ' text')]
            .filter(t => t.textContent.trim()).map(t => t.getBoundingClientRect().height))""",
        selector,
    )


def test_chart_text_is_readable_on_a_phone(server, phone):
    page = phone.new_page()
    login(page, server.url, "analytiker")
    wait_map(page)
    _wait_time(page)
    for sel in ("#time-histogram", "#hour-weekday"):
        assert _smallest_text(page, sel) >= 11, sel
    (place_id,) = server.query("SELECT id FROM places WHERE name = 'Sergels torg/Klara'")[0]
    page.goto(f"{server.url}/places/{place_id}")
    for sel in ("#chart-per-ha", "#chart-ratio", "[data-testid=monthly-trend] svg"):
        if page.locator(sel).count():
            assert _smallest_text(page, sel) >= 11, sel
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_head_answers_on_the_pages(server, context):
    page = context.new_page()
    login(page, server.url, "admin")
    (place_id,) = server.query("SELECT id FROM places WHERE name = 'Sergels torg/Klara'")[0]
    for path in ["/", f"/places/{place_id}", "/survey", "/cameras", "/report", "/audit", "/public"]:
        r = page.request.head(server.url + path)
        assert r.status == 200, (path, r.status)


# ------------------------------------------------------------------ 4. drill-down


def test_cluster_click_zooms_and_a_small_cluster_lists_its_incidents(server, context):
    page = context.new_page()
    login(page, server.url, "analytiker")
    wait_map(page)
    # crimes alone: with the suite's other data, observation clusters lay on top of every large
    # crime cluster in the default view (two full-suite runs; that both layers stay clickable
    # is the next test's), so the user would click an observation cluster
    if page.is_checked("#l-observations"):
        page.uncheck("#l-observations")
        wait_map(page)
    _settle(page)
    zoom = page.evaluate("Number(new URLSearchParams(location.hash.slice(1)).get('z'))")
    # a large crime cluster, clicked where the user would: its centre, inside the map, where
    # nothing else lies on top (`.first` with force clicked a cluster under another one, or one
    # the layer was redrawing: no zoom followed)
    for _attempt in range(3):
        spot = page.evaluate(
            """() => {
            const m = document.getElementById('map').getBoundingClientRect();
            for (const span of document.querySelectorAll("#map .cl-crime span[data-ids='']")) {
              const icon = span.parentElement, r = icon.getBoundingClientRect();
              const x = r.left + r.width / 2, y = r.top + r.height / 2;
              const inside = x > m.left + 50 && x < m.right - 10
                && y > m.top + 90 && y < m.bottom - 30;
              const hit = inside && document.elementFromPoint(x, y);
              if (hit && (hit === icon || icon.contains(hit))) return { x, y };
            }
            return null;
          }"""
        )
        assert spot, page.evaluate(
            """() => [...document.querySelectorAll('#map .cl-crime span')].map(s => {
              const r = s.parentElement.getBoundingClientRect();
              const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
              return [s.dataset.ids === '' ? 'large' : 'small', Math.round(r.left),
                      Math.round(r.top), hit ? hit.className : null];
            })"""
        )  # what was there instead: for the next failure's reader
        page.mouse.click(spot["x"], spot["y"])
        # the zoom animates and then writes the hash: wait for it (slow on a busy machine)
        try:
            page.wait_for_function(
                "(z) => Number(new URLSearchParams(location.hash.slice(1)).get('z')) > z",
                arg=zoom,
                timeout=10_000,
            )
            break
        except PlaywrightTimeout:  # the click met a redraw: find the cluster again
            wait_map(page)
    wait_map(page)
    zoom2 = page.evaluate("Number(new URLSearchParams(location.hash.slice(1)).get('z'))")
    assert zoom2 > zoom
    # a small crime cluster that a user can click (its centre in the map, on top there)
    target = page.evaluate(
        """() => {
        const m = document.getElementById('map').getBoundingClientRect();
        for (const span of document.querySelectorAll('#map .cl-crime span[data-ids]')) {
          const ids = span.dataset.ids.split(' ').filter(Boolean);
          if (ids.length < 1 || ids.length > 10) continue;
          const icon = span.parentElement, r = icon.getBoundingClientRect();
          const x = r.left + r.width / 2, y = r.top + r.height / 2;
          if (x < m.left + 50 || x > m.right - 10 || y < m.top + 90 || y > m.bottom - 30) continue;
          const hit = document.elementFromPoint(x, y);
          if (hit && (hit === icon || icon.contains(hit))) return { x, y, ids };
        }
        return null;
      }"""
    )
    assert target, "no small crime cluster in view"
    ids = target["ids"]
    page.mouse.click(target["x"], target["y"])
    page.wait_for_selector("#incidents[data-ready='1']")
    rows = page.locator("#incident-list tbody tr")
    assert rows.count() == len(ids)
    assert sorted(rows.nth(i).get_attribute("data-id") for i in range(rows.count())) == sorted(ids)
    href = rows.first.locator("a").get_attribute("href")
    assert re.fullmatch(r"/records/crimes/\d+", href)
    rows.first.locator("a").click()
    page.wait_for_url("**/records/crimes/*")
    assert page.locator("[data-testid=record]").count() == 1
    assert page.is_visible("[data-testid=who-may-see]")


def test_crime_and_observation_clusters_can_both_be_clicked(server, context):
    page = context.new_page()
    login(page, server.url, "analytiker")
    wait_map(page)
    _settle(page)  # both layers drawn for the same view (a redraw meanwhile covers clusters)
    hits = page.evaluate(
        """() => {
        const out = { crimes: [0, 0], observations: [0, 0] };
        const m = document.getElementById('map').getBoundingClientRect();
        document.querySelectorAll('#map .cluster').forEach(icon => {
          const r = icon.getBoundingClientRect();
          const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
          if (cx < m.left + 50 || cx > m.right - 10) return;
          if (cy < m.top + 90 || cy > m.bottom - 30) return;
          const layer = icon.querySelector('span').dataset.layer;
          out[layer][1]++;
          // some part of the cluster (of a 5 x 5 grid over it) takes a click
          for (let i = 1; i <= 5; i++) for (let j = 1; j <= 5; j++) {
            const x = r.left + r.width * i / 6, y = r.top + r.height * j / 6;
            const hit = document.elementFromPoint(x, y);
            if (hit && (hit === icon || icon.contains(hit))) { out[layer][0]++; return; }
          }
        });
        return out;
      }"""
    )
    for layer, (hit, n) in hits.items():
        assert n > 5 and hit == n, (layer, hit, n)


def test_table_of_the_filter_sorts_pages_and_downloads_its_rows(server, context):
    page = context.new_page()
    login(page, server.url, "analytiker")
    wait_map(page)
    _wait_table(page)
    total = int(page.get_attribute("[data-testid=incident-table]", "data-total"))
    assert total == page.evaluate("LB.data.crimes.numberTotal") > 25
    times = page.locator("#incident-table tbody tr td:first-child").all_text_contents()
    assert len(times) == 25 and times == sorted(times, reverse=True)
    page.click("#incident-table button[data-sort=occurred_at]")  # now oldest first
    page.wait_for_function(
        "() => !!document.querySelector('#incident-table th[aria-sort=ascending]')"
    )
    _wait_table(page)
    asc = page.locator("#incident-table tbody tr td:first-child").all_text_contents()
    assert asc == sorted(asc) and asc[0] <= times[-1]
    page.click("#t-next")
    page.wait_for_function("() => document.getElementById('t-range').textContent.startsWith('26')")
    href = page.get_attribute("[data-testid=download-csv]", "href")
    body = page.request.get(server.url + href).text()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == total
    f, t = page.input_value("input[name=from]"), page.input_value("input[name=to]")
    assert all(f <= r["occurred_at"][:10] <= t for r in rows)
    (exports,) = server.query(
        "SELECT count(*) FROM audit_log WHERE action = 'export' AND username = 'analytiker'"
        " AND detail LIKE 'map table csv:%'"
    )[0]
    assert exports >= 1


# ------------------------------------------------------------------ 5. time


def test_time_charts_follow_the_view_and_the_histogram_brushes_the_period(server, context):
    page = context.new_page()
    login(page, server.url, "analytiker")
    wait_map(page)
    _wait_time(page)
    in_view = page.evaluate("LB.data.crimes.numberMatched + LB.data.observations.numberMatched")
    hist = page.locator("[data-testid=time-histogram]")
    assert int(hist.get_attribute("data-total")) == in_view
    assert hist.get_attribute("data-unit") == "week"
    assert int(page.get_attribute("[data-testid=hour-weekday]", "data-total")) == in_view
    bins = int(hist.get_attribute("data-bins"))
    assert 52 <= bins <= 54
    # drag from the 10th to the 20th bin
    hist.scroll_into_view_if_needed()
    box = hist.bounding_box()
    vb = page.evaluate("document.getElementById('time-histogram').viewBox.baseVal.width")
    scale = box["width"] / vb
    left, width = 40 * scale, (vb - 48) * scale / bins
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + left + width * 9.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + left + width * 14.5, y, steps=4)
    page.mouse.move(box["x"] + left + width * 19.5, y, steps=4)
    page.mouse.up()
    page.wait_for_timeout(300)
    wait_map(page)
    _wait_time(page)
    new_from = page.input_value("input[name=from]")
    new_to = page.input_value("input[name=to]")
    d0 = date.fromisoformat(new_from)
    assert d0.weekday() == 0 and (date.fromisoformat(new_to) - d0).days == 76
    assert f"from={new_from}" in page.url
    assert page.get_attribute("[data-testid=time-histogram]", "data-unit") == "day"
    assert page.is_visible("#brush-reset")
    page.click("#brush-reset")
    page.wait_for_timeout(300)
    assert page.input_value("input[name=from]") != new_from


# ------------------------------------------------------------------ 6. place page


def test_place_page_has_a_monthly_trend_both_readings_and_a_hot_spot_map(server, context):
    page = context.new_page()
    login(page, server.url, "analytiker")
    (place_id,) = server.query("SELECT id FROM places WHERE name = 'Sergels torg/Klara'")[0]
    page.goto(f"{server.url}/places/{place_id}?lang=en")
    (org,) = server.query("SELECT organisation_id FROM users WHERE username = 'analytiker'")[0]
    visible = "(c.sensitivity IN ('public', 'shared') OR c.owner_org_id = ?)"

    def assigned(round_sql: str, start: str, end: str, category: str | None = None) -> int:
        sql = (
            "SELECT count(*) FROM crimes c JOIN assignments a ON a.record_id = c.id AND "
            f"a.layer = 'crimes' WHERE a.place_id = ? AND {round_sql} AND {visible} "
            "AND c.occurred_at >= ? AND c.occurred_at < ?"
        )
        args = [place_id, org, start, end]
        if category:
            sql += " AND c.category = ?"
            args.append(category)
        return server.query(sql, *args)[0][0]

    # the default periods are the two mapping rounds, 2022 and 2023: 24 months
    trend = page.locator("[data-testid=monthly-trend] svg")
    assert trend.get_attribute("data-months") == "24"
    in_place = assigned("a.round_id = 0", "2021-12-31 23:00", "2023-12-31 23:00")
    assert int(trend.get_attribute("data-total")) == in_place
    assert page.locator("[data-testid=monthly-trend] rect.month").count() == 24
    assert page.locator("[data-testid=monthly-trend] polyline").count() == 2  # place and city

    fixed = page.locator("[data-testid=indicators-fixed] tr[data-category=violent_crime] td")
    a, b = (int(x) for x in fixed.all_text_contents()[1:3])
    assert a == assigned("a.round_id = 0", "2021-12-31 23:00", "2022-12-31 23:00", "violent_crime")
    assert b == assigned("a.round_id = 0", "2022-12-31 23:00", "2023-12-31 23:00", "violent_crime")
    own = page.locator("[data-testid=indicators-extent] tr[data-category=violent_crime]")
    ratio = float(own.get_attribute("data-ratio"))
    (ra,) = server.query("SELECT id FROM mapping_rounds WHERE year = 2022")[0]
    (rb,) = server.query("SELECT id FROM mapping_rounds WHERE year = 2023")[0]
    ca = assigned(f"a.round_id = {ra}", "2021-12-31 23:00", "2022-12-31 23:00", "violent_crime")
    cb = assigned(f"a.round_id = {rb}", "2022-12-31 23:00", "2023-12-31 23:00", "violent_crime")
    rounds = page.locator("section[aria-labelledby=rounds-h] tbody tr")
    ha = {
        int(rounds.nth(i).locator("td").nth(0).text_content()): float(
            rounds.nth(i).locator("td").nth(2).text_content().split()[0]
        )
        for i in range(rounds.count())
    }
    assert ratio == pytest.approx((cb / ha[2023]) / (ca / ha[2022]), rel=0.02)
    if (b < a) != (ratio < 1):  # the two readings disagree: one sentence says so
        sentence = page.text_content("[data-testid=indicators-disagree]")
        assert "fixed area" in sentence and "own extent" in sentence
    page.wait_for_function("() => document.getElementById('placemap').dataset.hotspots !== '-1'")
    want = page.request.get(
        f"{server.url}/map/hotspots.geojson?place={place_id}&from=2023-01-01&to=2023-12-31"
        "&layer=crimes&cell=50"
    ).json()
    assert int(page.get_attribute("#placemap", "data-hotspots")) == len(want["features"]) > 0


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("/cameras", "/map/cameras.geojson"),
        ("/guard-areas", "/api/v1/guard_areas?limit=1000"),
    ],
)
def test_cameras_and_guard_areas_pages_have_a_map(server, phone, path, source):
    page = phone.new_page()
    login(page, server.url, "analytiker", path)
    page.wait_for_function("() => document.getElementById('listmap').dataset.features !== '-1'")
    want = len(page.request.get(server.url + source).json()["features"])
    assert int(page.get_attribute("#listmap", "data-features")) == want > 0
    assert page.locator("#listmap path.leaflet-interactive").count() == want
    assert page.evaluate("document.getElementById('listmap').getBoundingClientRect().top") < 844


def test_phone_header_keeps_sign_in_in_sight_and_the_pages_group_open(server, phone):
    page = phone.new_page()
    page.goto(server.url + "/places/4?lang=en")
    assert page.is_visible("[data-testid=sign-in-short]")  # not folded away with the menu
    box = page.locator("[data-testid=sign-in-short]").bounding_box()
    assert box["y"] + box["height"] <= 100
    header = "document.querySelector('header.top').getBoundingClientRect().height"
    assert page.evaluate(header) <= 100
    page.click("[data-testid=sign-in-short]")
    page.wait_for_url("**/login**")
    login(page, server.url, "samordnare")
    page.goto(server.url + "/rounds/2023/4")
    assert page.locator("header .who-short").inner_text() == "samordnare"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("header .menu-toggle")
    current = page.locator("nav.menu a[aria-current=page]")
    assert current.count() == 1 and current.get_attribute("href") == "/rounds"
    assert current.is_visible()  # the page's own group is open in the folded menu
