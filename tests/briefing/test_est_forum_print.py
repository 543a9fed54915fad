"""EST weekly picture, priorities, ranking and feedback; the forum's dashboard; the printout and
the web routes, on the demo scenario."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lagesbild.briefing import est, forum, render, service
from lagesbild.domain.model import SHARED_AUDIENCE, SYSTEM
from lagesbild.store.schema import observations, organisations
from tests.services import asked as svc

TZ = ZoneInfo("Europe/Stockholm")


def test_weekly_picture_ranks_by_score_and_priorities_reach_the_briefing(demo_store):
    w = est.weekly_picture(demo_store, SYSTEM, "Norra innerstaden", "2024-W48")
    scores = [p["score"] for p in w["places"]]
    assert scores == sorted(scores, reverse=True) and w["places"][0]["rank"] == 1
    est.set_priority(demo_store, SYSTEM, "2025-W11", "Sergels torg", "mov", "Trappan kvällstid")
    again = est.set_priority(demo_store, SYSTEM, "2025-03-12", "Sergels torg", "mov")
    assert again == est.priorities_on(demo_store, SYSTEM, date(2025, 3, 10))[0]["id"]
    bid = service.new_briefing(demo_store, SYSTEM, "Klara", datetime(2025, 3, 11, 18, tzinfo=TZ))
    pri = service.get_briefing(demo_store, SYSTEM, bid)["picture"]["priorities"]
    assert [(p["place"], p["organisation"]) for p in pri] == [
        ("Sergels torg", "Stadens mobila ordningsvakter")
    ]
    assert pri[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_ranking_by_need_uses_the_engines_figures(demo_store):
    from lagesbild import analysis as an

    r = est.ranking(demo_store, SYSTEM, "Norra innerstaden", date(2024, 12, 31), 4)
    needs = [a["need"] for a in r["areas"]]
    assert needs == sorted(needs, reverse=True)
    for a in r["areas"]:
        pi = an.poisson_interval(a["count_now"], a["area_ha"])
        assert a["per_ha"] == pytest.approx(pi.rate)
        assert a["per_ha_low"] == pytest.approx(pi.ci_low)


def test_feedback_counts_the_organisations_reports(demo_store):
    fb = est.feedback(demo_store, SYSTEM, "mov", date(2024, 10, 1), date(2024, 12, 31))
    with demo_store.read() as conn:
        mov = conn.execute(select(organisations.c.id).where(organisations.c.code == "mov")).scalar()
        n = conn.execute(
            select(func.count()).where(
                observations.c.owner_org_id == mov,
                observations.c.occurred_at >= datetime(2024, 10, 1, tzinfo=TZ),
                observations.c.occurred_at < datetime(2025, 1, 1, tzinfo=TZ),
            )
        ).scalar()
    assert fb["reports"] == n > 0
    klara = next(p for p in fb["places"] if p["place"] == "Klara")
    assert klara["briefings"] >= 22 and klara["decisions"] >= 5


def test_goal_dashboard_matches_indicators(demo_store):
    d = forum.dashboard(demo_store, SYSTEM, "2024-12")
    g = next(g for g in d["goals"] if g["indicator"] == "crimes:violent_crime")
    # a goal's figures are the same for all who see it: of the records every partner sees
    ind = svc.indicators(
        demo_store, SHARED_AUDIENCE, "Klara", "2022", "2024-01-01..2024-12-31", "violent_crime"
    )
    row = next(r for r in ind.rows if r["scope"] == "place: Klara")
    assert (g["baseline_count"], g["current_count"]) == (row["count_a"], row["count_b"])
    assert g["rate_ratio"] == pytest.approx(row["rate_ratio"])
    assert g["ci_high"] == pytest.approx(row["ci_high"])
    assert len(g["trend"]["counts"]) == 24 and 0 <= g["trend"]["p_value"] <= 1
    status = {x["place"]: x["status"] for x in d["goals"] if x["indicator"] == "status"}
    assert status == {"Sergels torg/Klara": "not yet", "Odenplan/Observatorielunden": "met"}
    gid = forum.add_goal(
        demo_store,
        SYSTEM,
        "Färre narkotikabrott",
        "Klara",
        "crimes:drug-related",
        baseline_period="2023",
        target_change=-0.1,
        deadline=date(2026, 1, 1),
    )
    mine = next(
        x for x in forum.dashboard(demo_store, SYSTEM, "2024-12")["goals"] if x["id"] == gid
    )
    assert mine["baseline_count"] == mine["baseline_value"] > 0


def test_print_html_and_one_page_pdf(demo_store, tmp_path):
    b = service.get_briefing(demo_store, SYSTEM, 21)
    html = render.briefing_html(demo_store, b, "en")
    assert "Operational briefing: Klara" in html and "@page" in html
    assert "Samverkansuppställning" in render.briefing_html(demo_store, b, "sv")
    pdf = render.write_document(html, tmp_path / "b.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert "Pages:           1" in info


def test_web_routes(demo_store):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from lagesbild.accounts import authenticate, create_token
    from lagesbild.web.app import create_app
    from lagesbild.web.briefing_routes import router

    app: FastAPI = create_app(demo_store.url)
    app.include_router(router)
    user = authenticate(demo_store, "samordnare", "demo")
    _, token = create_token(demo_store, user, "test")
    auth = {"Authorization": f"Bearer {token}"}
    # the briefing before the one made below (not left to another test to have made it)
    service.new_briefing(demo_store, SYSTEM, "Klara", datetime(2025, 3, 18, 18, tzinfo=TZ))
    with TestClient(app) as client:
        assert client.get("/api/v1/briefings/21").status_code == 404  # the public
        r = client.post(
            "/api/v1/briefings", json={"place": "Klara", "at": "2025-04-01T18:00:00"}, headers=auth
        )
        assert r.status_code == 201, r.text
        bid = r.json()["id"]
        assert r.json()["period_from"].startswith("2025-03-1")  # since the previous one
        assert (
            client.post(
                f"/api/v1/briefings/{bid}/decisions", json={"text": "Beslut"}, headers=auth
            ).status_code
            == 201
        )
        assert client.post(f"/api/v1/briefings/{bid}/lock", headers=auth).status_code == 200
        locked = client.post(
            f"/api/v1/briefings/{bid}/decisions", json={"text": "sent"}, headers=auth
        )
        assert locked.status_code == 409
        page = client.get(f"/briefings/{bid}/print?lang=en", headers=auth)
        assert page.status_code == 200 and "Operational briefing" in page.text
        # a weekly (EST) meeting and a forum have minutes through the API as well
        r = client.post(
            "/api/v1/briefings",
            json={"place": "Klara", "at": "2025-04-02T10:00:00", "kind": "weekly"},
            headers=auth,
        )
        assert r.status_code == 201 and r.json()["kind"] == "weekly", r.text
        r = client.post(
            "/api/v1/briefings",
            json={"place": "Klara", "at": "2025-04-02T11:00:00", "kind": "monthly"},
            headers=auth,
        )
        assert r.status_code == 422 and "kind" in r.text
        assert client.get("/api/v1/goals?month=2024-12", headers=auth).json()["goals"]


def test_ranking_compares_the_months_before_and_ranks_nothing_after_the_data(demo_store):
    """Four months to 2024-12-31 are compared with May-August (the four months before, as the
    docstring says), not with the 122 days from 2 May; after the last crime nothing is ranked."""
    r = est.ranking(demo_store, SYSTEM, "Norra innerstaden", date(2024, 12, 31), 4)
    assert str(r["period"]["from"])[:10] == "2024-09-01"
    assert str(r["previous"]["from"])[:10] == "2024-05-01"
    assert str(r["previous"]["to"])[:10] == "2024-09-01"
    late = est.ranking(demo_store, SYSTEM, "Norra innerstaden", date(2026, 6, 30), 4)
    assert late["no_data"] and late["areas"] == []
    assert str(late["data_ends"]).startswith("2024-12")


def test_weekly_and_forum_meetings_have_minutes(demo_store, tmp_path):
    """`briefing new --kind weekly|forum`: the EST meeting and the strategic forum get their
    own picture and minutes, titled as such when printed; an unknown kind names the choices."""
    from lagesbild.errors import ValidationError

    at = datetime(2024, 12, 18, 9, tzinfo=TZ)
    fid = service.new_briefing(demo_store, SYSTEM, "Norra innerstaden", at, kind="forum")
    b = service.get_briefing(demo_store, SYSTEM, fid)
    assert b["kind"] == "forum"
    assert b["picture"]["period"]["days"] == pytest.approx(30)  # the first forum: a month
    service.decide(demo_store, SYSTEM, fid, "Bjud in Länsstyrelsen i februari")
    html = render.briefing_html(demo_store, service.get_briefing(demo_store, SYSTEM, fid), "sv")
    assert "Strategiskt samverkansforum" in html and "Samverkansuppställning" not in html
    wid = service.new_briefing(demo_store, SYSTEM, "Norra innerstaden", at, kind="weekly")
    assert wid != fid  # a weekly meeting at the same time as the forum is not a clash
    listed = service.list_briefings(demo_store, SYSTEM, kind="weekly")
    assert wid in {x["id"] for x in listed}  # (other tests of the module may add their own)
    assert {x["kind"] for x in listed} == {"weekly"} and fid not in {x["id"] for x in listed}
    with pytest.raises(ValidationError) as info:
        service.new_briefing(demo_store, SYSTEM, "Klara", at, kind="monthly")
    assert info.value.field == "kind" and "operational, weekly, forum" in str(info.value)


def test_briefing_show_refuses_an_unknown_language(demo_store):
    """`briefing show --lang xx` said nothing and showed English: now one line naming the
    accepted values, and exit code 2 as for every user mistake."""
    import subprocess
    import sys

    bid = service.list_briefings(demo_store, SYSTEM)[0]["id"]
    cmd = [sys.executable, "-m", "lagesbild", "--db", demo_store.url, "briefing", "show", str(bid)]
    bad = subprocess.run([*cmd, "--lang", "xx"], capture_output=True, text=True)
    assert bad.returncode == 2 and "expected sv or en" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr
    ok = subprocess.run([*cmd, "--lang", "en"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
