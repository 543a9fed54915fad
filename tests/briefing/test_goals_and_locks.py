"""A locked briefing stays as it was; goals say when there is no data, judge raising goals the
right way round, and refuse targets that cannot be; the report compares calendar years with
calendar years; mistakes in the CLI's dates are one-line errors."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from lagesbild.briefing import forum, service
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.ingest.writer import write_records
from lagesbild.report.place import periods


def test_a_locked_briefing_does_not_change_when_late_records_arrive(demo_store):
    locked = [b for b in service.list_briefings(demo_store, SYSTEM) if b["status"] == "locked"]
    b = service.get_briefing(demo_store, SYSTEM, locked[-1]["id"])
    assert not b["picture"].get("generated_on_view")  # kept at locking (the demo's, too)
    before = b["picture"]["totals"]["crimes"]["now"]
    start = b["period_from"]
    late = [
        (
            i,
            {
                "id": f"late-{locked[-1]['id']}-{i}",
                "occurred_at": str(start),  # the period's first instant: inside it
                "category": "theft",
                "lat": "59.3326",
                "lon": "18.0649",
            },
            None,
        )
        for i in range(3)
    ]
    assert write_records(demo_store, "crimes", late).stored == 3
    again = service.get_briefing(demo_store, SYSTEM, locked[-1]["id"])
    assert again["picture"]["totals"]["crimes"]["now"] == before


def test_goal_without_data_is_not_met(demo_store):
    d = forum.dashboard(demo_store, SYSTEM, "2026-10")  # the demo's records end in 2024
    counts = [g for g in d["goals"] if g["indicator"] != "status"]
    assert counts and all(g["status"] == "no data" for g in counts)


def test_a_goal_to_raise_is_met_by_a_rise_not_a_fall(demo_store):
    gid = forum.add_goal(
        demo_store,
        SYSTEM,
        "Fler rapporter",
        "Klara",
        "crimes:violent_crime",
        baseline_period="2022",
        target_change=0.5,
    )
    g = next(x for x in forum.dashboard(demo_store, SYSTEM, "2024-12")["goals"] if x["id"] == gid)
    assert g["rate_ratio"] < 1.5 and g["status"] == "not yet"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": " "}, "title"),
        ({"target_change": -1.5}, "change"),
        ({"target_change": -0.1, "target_value": 100}, "target"),
        ({"baseline_period": "2099"}, "baseline"),
    ],
)
def test_goals_that_cannot_be_are_refused(demo_store, kwargs, field):
    args = {"title": "Mål", "baseline_period": "2022", "target_change": -0.1, **kwargs}
    with pytest.raises(ValidationError) as info:
        forum.add_goal(
            demo_store, SYSTEM, args.pop("title"), "Klara", "crimes:violent_crime", **args
        )
    assert info.value.field == field


STOCKHOLM = ZoneInfo("Europe/Stockholm")


def test_report_compares_calendar_years_and_months():
    assert (
        periods(date(2024, 1, 1), date(2024, 12, 31), STOCKHOLM)[1].label
        == "2023-01-01..2023-12-31"
    )
    assert (
        periods(date(2024, 3, 1), date(2024, 3, 31), STOCKHOLM)[1].label == "2024-02-01..2024-02-29"
    )
    assert (
        periods(date(2024, 3, 5), date(2024, 3, 11), STOCKHOLM)[1].label == "2024-02-27..2024-03-04"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["briefing", "new", "--place", "Klara", "--at", ""],
        ["week", "ranking", "--district", "Norra innerstaden", "--to", ""],
        ["week", "feedback", "--org", "polis", "--from", "", "--to", "2024-01-01"],
        ["week", "feedback", "--org", "polis", "--from", "2024-02-01", "--to", "2024-01-01"],
    ],
)
def test_empty_or_reversed_dates_are_one_line_errors(tmp_path, args):
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    subprocess.run([sys.executable, "-m", "lagesbild", "--db", db, "init"], check=True)
    r = subprocess.run(
        [sys.executable, "-m", "lagesbild", "--db", db, *args], capture_output=True, text=True
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr


def test_an_item_is_closed_once_and_an_organisation_attends_once(demo_store):
    from sqlalchemy import func, select

    from lagesbild.store.schema import briefings

    with demo_store.read() as conn:
        bid = conn.execute(
            select(func.max(briefings.c.id)).where(briefings.c.status == "open")
        ).scalar_one()
    item = service.add_action(demo_store, SYSTEM, bid, "Belysning vid trappan", "polis")
    service.set_action_status(demo_store, SYSTEM, item, "done")
    with pytest.raises(ValidationError) as info:
        service.set_action_status(demo_store, SYSTEM, item, "done")
    assert info.value.field == "status"
    present = service.attend(demo_store, SYSTEM, bid, ["polis", "POLIS"])
    assert len(present) == len(set(present))


def test_the_demo_goal_keeps_the_baseline_its_readers_may_see(demo_store):
    """The demo's public violent-crime goal stored every generated crime of 2022 (restricted
    ones too) as its baseline: `goals list` showed 340 where the dashboard counts 320, and the
    difference was the restricted count. It is now counted as `add_goal` counts it."""
    goal = next(g for g in forum.list_goals(demo_store, SYSTEM) if g["indicator"] != "status")
    dash = forum.dashboard(demo_store, SYSTEM, "2024-12")
    shown = next(g for g in dash["goals"] if g["id"] == goal["id"])
    assert goal["baseline_value"] == shown["baseline_count"]
    assert goal["target_value"] == round(shown["baseline_count"] * 0.8)
