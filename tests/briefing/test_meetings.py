"""Issue 18's figures behind the meeting pages: the goals' default month and their honesty past
the data and on small counts, priorities drawn on the map, the weekly change against the four
weeks before, hot spots named by the nearest street, the print's wording and open items, the
agendas of the three kinds of meeting, and the live briefing's arrivals with access."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import shapely
from scipy import stats

from lagesbild.briefing import agenda, est, forum, live, maps, picture, render, service
from lagesbild.briefing.counts import TOO_FEW, ratio_text, too_few
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.services import data


def test_goals_default_to_the_latest_month_with_data(demo_store):
    assert forum.latest_month(demo_store, SYSTEM) == date(2024, 12, 31)
    d = forum.dashboard(demo_store, SYSTEM)
    assert d["month"] == "2024-12"
    g = next(x for x in d["goals"] if x["indicator"] == "crimes:violent_crime")
    assert g["status"] != "no data" and g["rate_ratio"] is not None and not g["past_data"]


def test_a_goal_past_the_data_shows_no_ratio_interval_or_p(demo_store):
    d = forum.dashboard(demo_store, SYSTEM, "2025-03")  # the data end in December 2024
    g = next(x for x in d["goals"] if x["indicator"] == "crimes:violent_crime")
    assert g["past_data"] and g["status"] == "no data"
    assert g["data_ends"] == "2024-12-31"
    assert all(g[k] is None for k in ("rate_ratio", "ci_low", "ci_high", "p_value", "progress"))


def test_small_counts_are_too_few_to_compare(demo_store):
    assert too_few(9, 0) and not too_few(10, 3) and not too_few("<5", 2)
    row = {"count_a": 3, "count_b": 9, "rate_ratio": 3.0, "ci_low": 0.7, "ci_high": 17.0}
    assert ratio_text(row, "en") == "too few to compare"
    assert ratio_text({**row, "count_b": TOO_FEW}, "en").startswith("3.00")
    # a goal on a rare category in a small place: counts, no ratio
    gid = forum.add_goal(
        demo_store,
        SYSTEM,
        "Färre vapenbrott",
        "Odenplan",
        "crimes:weapons_offence",
        baseline_period="2022",
        target_change=-0.5,
    )
    g = next(x for x in forum.dashboard(demo_store, SYSTEM, "2024-12")["goals"] if x["id"] == gid)
    assert g["baseline_count"] < TOO_FEW and g["current_count"] < TOO_FEW
    assert g["too_few"] and g["status"] == "too few" and g["rate_ratio"] is None


def test_goals_are_edited_and_retired(demo_store):
    gid = forum.add_goal(
        demo_store,
        SYSTEM,
        "Tillfälligt mål",
        "Klara",
        "crimes:theft",
        baseline_period="2022",
        target_change=-0.1,
    )
    base = next(g for g in forum.list_goals(demo_store, SYSTEM) if g["id"] == gid)
    forum.update_goal(demo_store, SYSTEM, gid, title="Nytt namn", target_change=-0.25)
    g = next(g for g in forum.list_goals(demo_store, SYSTEM) if g["id"] == gid)
    assert g["title"] == "Nytt namn"
    assert g["target_value"] == round(base["baseline_value"] * 0.75)
    with pytest.raises(ValidationError):
        forum.update_goal(demo_store, SYSTEM, gid, title=" ")
    forum.retire_goal(demo_store, SYSTEM, gid)
    assert gid not in {g["id"] for g in forum.list_goals(demo_store, SYSTEM)}
    assert gid in {g["id"] for g in forum.list_goals(demo_store, SYSTEM, retired=True)}
    assert gid not in {g["id"] for g in forum.dashboard(demo_store, SYSTEM)["goals"]}


def test_a_priority_drawn_as_a_point_shows_on_the_shared_layer(demo_store):
    klara = data.find_place(demo_store, SYSTEM, "Klara")
    c = klara.geom_wgs84.representative_point()
    week = date(2026, 3, 2)
    pid = est.set_priority(
        demo_store,
        SYSTEM,
        week,
        "Klara",
        "polis",
        "trappan",
        geometry={"type": "Point", "coordinates": [c.x, c.y]},
    )
    again = est.set_priority(  # a second spot of the same organisation is its own priority
        demo_store,
        SYSTEM,
        week,
        "Klara",
        "polis",
        "plattan",
        geometry={"type": "Point", "coordinates": [c.x + 0.0003, c.y]},
    )
    assert again != pid
    rows = {r["id"]: r for r in est.priorities_on(demo_store, SYSTEM, week)}
    assert rows[pid]["drawn"]["type"] == "Point"
    layer = maps.priorities_layer(demo_store, SYSTEM, week - timedelta(days=3))  # week before
    feats = [f for f in layer["features"] if "trappan" in f["properties"]["notes"]]
    assert len(feats) == 1 and feats[0]["properties"]["label"] == "Klara (2026-W10)"
    area = demo_store.projector.to_projected(shapely.geometry.shape(feats[0]["geometry"])).area
    assert area == pytest.approx(3.14159 * maps.POINT_AREA_M**2, rel=0.05)  # a 30 m circle
    far = {"type": "Point", "coordinates": [18.2, 59.4]}
    with pytest.raises(ValidationError, match="outside"):
        est.set_priority(demo_store, SYSTEM, week, "Klara", "polis", geometry=far)
    big = shapely.geometry.mapping(
        demo_store.projector.to_wgs84(demo_store.projector.to_projected(c).buffer(300))
    )
    with pytest.raises(ValidationError, match="ha"):
        est.set_priority(demo_store, SYSTEM, week, "Klara", "polis", geometry=big)


def test_the_week_is_compared_with_the_four_weeks_before(demo_store):
    pic = est.weekly_picture(demo_store, SYSTEM, "Norra innerstaden", "2024-W50")
    r = next(x for x in pic["places"] if x["place"] == "Klara")
    w = r["weeks_before"]
    b = r["crimes_now"] + r["observations_now"]
    # exact conditional test: b | a+b ~ Binomial(a+b, 7 / (7 + 28)) under equal rates
    p = stats.binomtest(b, b + w["count"], 7 / 35).pvalue
    assert w["rate_ratio"] == pytest.approx((b / 7) / (w["count"] / 28))
    assert w["p_value"] == pytest.approx(p, rel=1e-6)
    assert w["mean_per_week"] == pytest.approx(w["count"] / 4)


def test_hot_spots_are_named_by_the_nearest_street(demo_store):
    b = service.get_briefing(demo_store, SYSTEM, 21)
    cells = [
        c for layer in ("crimes", "observations") for c in b["picture"]["hotspots"][layer]["cells"]
    ]
    assert cells and all(c["count"] > 0 for c in cells)  # cells with nothing in them dropped
    named = picture.name_cells(demo_store, SYSTEM, [dict(c) for c in cells])
    streets = {
        name
        for name, _ in data.streets_near(
            demo_store, SYSTEM, data.find_place(demo_store, SYSTEM, "Klara").geom.buffer(500)
        )
    }
    assert all(c["street"] in streets for c in named)
    # the nearest one: no street is closer to the cell than the one named
    c = named[0]
    pt = demo_store.projector.to_projected(shapely.Point(c["lon"], c["lat"]))
    near = data.streets_near(demo_store, SYSTEM, pt.buffer(picture.STREET_WITHIN_M))
    assert c["street"] == min(near, key=lambda s: s[1].distance(pt))[0]


def test_print_says_one_report_and_counts_the_items_just_added(demo_store):
    rows = service.list_briefings(demo_store, SYSTEM, "Klara")
    bid = next(r["id"] for r in rows if r["status"] == "open" and r["kind"] == "operational")
    service.add_action(demo_store, SYSTEM, bid, "Ny åtgärd från mötet", "polis", None)
    b = service.get_briefing(demo_store, SYSTEM, bid)
    html = render.briefing_html(demo_store, b, "sv")
    n = len(render.open_actions(b))
    assert f"Öppna åtgärder ({n})" in html and "Ny åtgärd från mötet" in html
    assert n == len({a["id"] for a in b["picture"]["actions"] + b["minutes"]["new_actions"]})
    assert " 1 rapporter" not in html and " 0 antal" not in html
    assert "personer" in html or "person" in html


def test_three_kinds_three_agendas(demo_store):
    at = datetime(2024, 12, 16, 9, tzinfo=UTC)
    wid = service.new_briefing(demo_store, SYSTEM, "Klara", at, kind="weekly")
    fid = service.new_briefing(demo_store, SYSTEM, "Klara", at + timedelta(days=2), kind="forum")
    w = agenda.agenda(demo_store, SYSTEM, service.get_briefing(demo_store, SYSTEM, wid))
    assert w["week"] == "2024-W50" and w["ranking"] and w["feedback"]
    assert all(f["reports"] > 0 for f in w["feedback"])
    f = agenda.agenda(demo_store, SYSTEM, service.get_briefing(demo_store, SYSTEM, fid))
    assert f["month"] == "2024-11" and f["goals"] and f["actions_by_organisation"]
    assert agenda.agenda(demo_store, SYSTEM, service.get_briefing(demo_store, SYSTEM, 21)) is None
    en = render.briefing_html(demo_store, service.get_briefing(demo_store, SYSTEM, fid), "en")
    assert "Goals (2024-11)" in en and "Action items per organisation" in en
    sv = render.briefing_html(demo_store, service.get_briefing(demo_store, SYSTEM, wid), "sv")
    assert "Veckans bild 2024-W50" in sv and "Återkoppling" in sv


def test_live_arrivals_since_an_instant_with_access(demo_store):
    from lagesbild.domain.model import Role, Viewer
    from lagesbild.services import records
    from lagesbild.store.schema import organisations

    b = service.get_briefing(demo_store, SYSTEM, 21)
    since = datetime.now(UTC) - timedelta(seconds=1)
    assert live.arrivals(demo_store, SYSTEM, b, since) == []
    klara = data.find_place(demo_store, SYSTEM, "Klara").geom_wgs84.representative_point()
    props = {
        "occurred_at": "2024-12-10 18:20",
        "category": "drug_sale",
        "count": 1,
        "text": "ny rapport",
        "organisation": "polis",
        "sensitivity": "restricted",
    }
    rid, _ = records.create_record(
        demo_store,
        "observations",
        SYSTEM,
        props,
        {"type": "Point", "coordinates": [klara.x, klara.y]},
    )
    got = live.arrivals(demo_store, SYSTEM, b, since)
    assert [e["id"] for e in got] == [f"observations-{rid}"] and got[0]["text"] == "ny rapport"
    with demo_store.read() as conn:
        other = (
            conn.execute(organisations.select().where(organisations.c.code == "cis"))
            .mappings()
            .first()
        )
    viewer = Viewer(user_id=None, organisation_id=other["id"], role=Role.VIEWER)
    assert live.arrivals(demo_store, viewer, b, since) == []  # restricted to the police


def test_cli_goals_dashboard_defaults_to_the_data_and_says_past_it(demo_store):
    from typer.testing import CliRunner

    from lagesbild.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["goals", "dashboard", "--db", demo_store.url], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "Goals, 2024-12" in res.output and "ratio 0.9" in res.output
    past = runner.invoke(
        app,
        ["goals", "dashboard", "--month", "2026-10", "--db", demo_store.url],
        terminal_width=200,
    )
    assert past.exit_code == 0, past.output
    assert "no data" in past.output and "2024-12-31" in past.output
    # the goals' part (the partnership's metrics below it name their own months)
    goals_part = past.output.split("The partnership's metrics")[0]
    assert "ratio" not in goals_part and " p " not in goals_part


def test_a_field_report_filed_today_does_not_move_the_meetings_defaults(demo_store):
    """The goals' month, the agendas and the EST week default to the latest crime, as the map
    does: one observation filed now (the demo's crimes end in 2024) must not move them to a
    month or week with no crimes yet."""
    from datetime import datetime

    from lagesbild.services import data, records
    from lagesbild.store.schema import observations
    from lagesbild.web.pages_week import defaults

    klara = data.find_place(demo_store, SYSTEM, "Klara").geom_wgs84.representative_point()
    now = datetime.now(demo_store.tz)
    rid, _ = records.create_record(
        demo_store,
        "observations",
        SYSTEM,
        {
            "occurred_at": now.strftime("%Y-%m-%d %H:%M"),
            "category": "drug_sale",
            "count": 1,
            "organisation": "polis",
            "sensitivity": "shared",
        },
        {"type": "Point", "coordinates": [klara.x, klara.y]},
    )
    try:
        assert data.latest(demo_store, SYSTEM, "observations").year == now.year  # it is there
        assert forum.latest_month(demo_store, SYSTEM) == date(2024, 12, 31)
        assert forum.dashboard(demo_store, SYSTEM)["month"] == "2024-12"
        week = defaults(demo_store, SYSTEM, now.date())
        assert week["week"] == "2024-W52" and week["to"].startswith("2024-12")
    finally:
        with demo_store.write() as conn:
            conn.execute(observations.delete().where(observations.c.id == rid))
