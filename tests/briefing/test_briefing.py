"""Operational briefings on the demo scenario, on SQLite and PostGIS: the picture lists exactly
the events of its period (checked against direct SQL), action items are carried over until
done, a locked briefing cannot change, tonight's roster is the evening's roster entries."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import and_, func, select

from lagesbild.briefing import service
from lagesbild.briefing.service import BriefingLocked
from lagesbild.domain.model import PUBLIC_VIEWER, SYSTEM, Role, Viewer
from lagesbild.domain.taxonomy import DEFAULT_TAXONOMY
from lagesbild.errors import AccessDenied, NotFound
from lagesbild.store.schema import (
    assignments,
    audit_log,
    briefings,
    crimes,
    observations,
    organisations,
    places,
    roster_entries,
)

TZ = ZoneInfo("Europe/Stockholm")
KLARA = "Klara"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def _place_id(store, name: str) -> int:
    with store.read() as conn:
        return conn.execute(select(places.c.id).where(places.c.name == name)).scalar_one()


def _sql_records(
    store, table, layer, place_id, start, end, sensitivities=("public", "shared")
) -> list[tuple[int, str]]:
    """(id, category) of the layer's records assigned to the place in [start, end), of these
    sensitivities (a shared briefing's picture holds what every partner may see)."""
    with store.read() as conn:
        return conn.execute(
            select(table.c.id, table.c.category)
            .join(
                assignments,
                and_(assignments.c.record_id == table.c.id, assignments.c.layer == layer),
            )
            .where(
                assignments.c.place_id == place_id,
                assignments.c.round_id == 0,
                table.c.occurred_at >= start,
                table.c.occurred_at < end,
                table.c.sensitivity.in_(sensitivities),
            )
        ).all()


def test_picture_lists_exactly_the_events_of_its_period(demo_store):
    store = demo_store
    bid = service.new_briefing(store, SYSTEM, KLARA, at("2024-12-17T18:00"))
    b = service.get_briefing(store, SYSTEM, bid)
    p = b["picture"]
    start, end = at("2024-12-12T18:00"), at("2024-12-17T18:00")
    # the period runs from the previous briefing of the place (demo: Thursday 12 Dec, 18:00)
    assert datetime.fromisoformat(p["period"]["from"]) == start
    assert datetime.fromisoformat(p["period"]["to"]) == end
    before = (start - (end - start), start)
    klara = _place_id(store, KLARA)
    expected_notable = set()
    for layer, table in (("crimes", crimes), ("observations", observations)):
        now = _sql_records(store, table, layer, klara, start, end)
        prev = _sql_records(store, table, layer, klara, *before)
        counts_now, counts_prev = {}, {}
        for _, c in now:
            counts_now[c] = counts_now.get(c, 0) + 1
        for _, c in prev:
            counts_prev[c] = counts_prev.get(c, 0) + 1
        got = {r["category"]: r["count_b"] for r in p["counts"][layer] if r["count_b"]}
        assert got == counts_now
        got_prev = {r["category"]: r["count_a"] for r in p["counts"][layer] if r["count_a"]}
        assert got_prev == counts_prev
        assert p["totals"][layer]["now"] == len(now)
        for rid, cat in now:
            severe = DEFAULT_TAXONOMY.get(layer, cat).severity >= 3
            if severe or counts_prev.get(cat, 0) == 0:
                expected_notable.add((layer, rid))
    assert {(e["layer"], e["id"]) for e in p["notable"]} == expected_notable
    assert expected_notable  # the demo's period has some
    for e in p["notable"]:
        t = datetime.fromisoformat(e["occurred_at"])
        assert start <= t < end


def test_picture_holds_what_its_readers_may_see_not_its_authors_access(demo_store):
    """A shared briefing made by the police holds no restricted records, the police's own
    included: every partner reads it. A restricted police briefing holds the police's."""
    store = demo_store
    with store.read() as conn:
        police = conn.execute(
            select(organisations.c.id).where(organisations.c.code == "polis")
        ).scalar_one()
        restricted_ids = {
            (layer, r)
            for layer, t in (("crimes", crimes), ("observations", observations))
            for r in conn.execute(
                select(t.c.id).where(t.c.sensitivity == "restricted", t.c.owner_org_id == police)
            ).scalars()
        }
    assert restricted_ids
    officer = Viewer(1, police, Role.ANALYST, "polis")
    when = at("2024-12-17T16:00")  # the demo store is shared: a time no other test uses
    start = at("2024-11-01T00:00")
    shared = service.new_briefing(store, officer, KLARA, when, period_from=start)
    own = service.new_briefing(
        store, officer, KLARA, at("2024-12-17T16:30"), period_from=start, sensitivity="restricted"
    )
    for bid, expect_restricted in ((shared, False), (own, True)):
        service.refresh(store, officer, bid)  # refreshing keeps the readers' access too
        service.lock(store, officer, bid)
        pic = service.get_briefing(store, officer, bid)["picture"]
        notable = {(e["layer"], e["id"]) for e in pic["notable"]}
        assert bool(notable & restricted_ids) is expect_restricted, bid
    klara = _place_id(store, KLARA)
    pic = service.get_briefing(store, officer, shared)["picture"]
    shared_crimes = _sql_records(store, crimes, "crimes", klara, start, when)
    assert pic["totals"]["crimes"]["now"] == len(shared_crimes)


def test_counts_carry_the_engines_rate_ratio(demo_store):
    from lagesbild import analysis as an

    b = service.get_briefing(demo_store, SYSTEM, 21)
    for r in b["picture"]["counts"]["crimes"]:
        rr = an.rate_ratio(r["count_a"], r["area_a_ha"] * 2, r["count_b"], r["area_b_ha"] * 2)
        if r["count_a"]:
            assert r["rate_ratio"] == pytest.approx(rr.ratio)
            assert r["ci_low"] == pytest.approx(rr.ci_low)


def test_roster_is_tonights_roster(demo_store):
    store = demo_store
    b = service.get_briefing(store, SYSTEM, 21)  # demo: open, Tuesday 10 Dec 2024 18:00
    roster = b["picture"]["roster"]
    with store.read() as conn:
        rows = conn.execute(
            select(roster_entries.c.id, roster_entries.c.headcount).where(
                roster_entries.c.source_id.like("demo-bemanning-20241210-%")
            )
        ).all()
    assert {r["id"] for r in roster["entries"]} == {r.id for r in rows}
    assert roster["headcount"] == sum(r.headcount for r in rows)
    assert any(r["organisation"].startswith("Polisen") for r in roster["entries"])
    # the police presence of other evenings is not tonight's roster
    assert all(
        datetime.fromisoformat(r["starts_at"]).astimezone(TZ).date() == date(2024, 12, 10)
        for r in roster["entries"]
    )


def test_action_item_is_carried_over_until_done(demo_store):
    store = demo_store
    b1 = service.new_briefing(store, SYSTEM, KLARA, at("2025-01-07T18:00"))
    item = service.add_action(
        store, SYSTEM, b1, "Laga belysningen i trappan", "tk", date(2025, 1, 10)
    )
    first = service.get_briefing(store, SYSTEM, b1)
    assert item in {a["id"] for a in first["minutes"]["new_actions"]}
    b2 = service.new_briefing(store, SYSTEM, KLARA, at("2025-01-09T18:00"))
    open2 = {a["id"]: a for a in service.get_briefing(store, SYSTEM, b2)["picture"]["actions"]}
    assert item in open2 and open2[item]["responsible"] == "Trafikkontoret"
    assert open2[item]["due_date"] == "2025-01-10"
    service.set_action_status(store, SYSTEM, item, "done", at("2025-01-10T12:00"))
    b3 = service.new_briefing(store, SYSTEM, KLARA, at("2025-01-14T18:00"))
    assert item not in {
        a["id"] for a in service.get_briefing(store, SYSTEM, b3)["picture"]["actions"]
    }
    # the picture stored with b2 still shows the item as it was then
    assert item in {a["id"] for a in service.get_briefing(store, SYSTEM, b2)["picture"]["actions"]}


def test_action_item_due_before_its_briefing_or_for_an_unknown_organisation(demo_store):
    from lagesbild.errors import ValidationError

    store = demo_store
    bid = service.new_briefing(store, SYSTEM, KLARA, at("2025-01-23T18:00"))
    with pytest.raises(ValidationError) as e:
        service.add_action(store, SYSTEM, bid, "Laga belysningen", "tk", date(2025, 1, 22))
    assert e.value.field == "due" and "2025-01-23" in str(e.value)
    # due on the day of the briefing is fine
    service.add_action(store, SYSTEM, bid, "Laga belysningen", "tk", date(2025, 1, 23))
    with pytest.raises(NotFound) as e:
        service.add_action(store, SYSTEM, bid, "Städa", "Polisen i Norrmalm", None)
    assert "Trafikkontoret" in str(e.value)  # the organisations one may give are named


def test_locked_briefing_cannot_change(demo_store):
    store = demo_store
    bid = service.new_briefing(store, SYSTEM, KLARA, at("2025-02-04T18:00"))
    service.attend(store, SYSTEM, bid, ["polis", "mov"])
    service.decide(store, SYSTEM, bid, "Gemensam närvaro vid Plattan kl. 21")
    service.add_action(store, SYSTEM, bid, "Städa trappan", "tk", None)
    before = service.get_briefing(store, SYSTEM, bid)
    service.lock(store, SYSTEM, bid)
    with pytest.raises(BriefingLocked):
        service.decide(store, SYSTEM, bid, "för sent")
    with pytest.raises(BriefingLocked):
        service.attend(store, SYSTEM, bid, ["sl"])
    with pytest.raises(BriefingLocked):
        service.add_action(store, SYSTEM, bid, "för sent", "tk", None)
    with pytest.raises(BriefingLocked):
        service.refresh(store, SYSTEM, bid)
    with pytest.raises(BriefingLocked):
        service.lock(store, SYSTEM, bid)
    after = service.get_briefing(store, SYSTEM, bid)
    assert after["status"] == "locked" and after["locked_at"]
    assert after["minutes"]["attendance"] == before["minutes"]["attendance"]
    assert [d["text"] for d in after["minutes"]["decisions"]] == [
        "Gemensam närvaro vid Plattan kl. 21"
    ]
    kept = {k: v for k, v in after["picture"].items() if k != "minutes"}
    assert kept == before["picture"]
    with store.read() as conn:
        stored = conn.execute(select(briefings.c.picture).where(briefings.c.id == bid)).scalar()
        n_lock = conn.execute(
            select(func.count()).where(audit_log.c.action == "lock", audit_log.c.record_id == bid)
        ).scalar()
    assert stored["minutes"]["decisions"][0]["text"].startswith("Gemensam")
    assert n_lock == 1


def test_access_rule_applies(demo_store):
    with pytest.raises(NotFound):
        service.get_briefing(demo_store, PUBLIC_VIEWER, 21)  # shared: not for the public
    with demo_store.read() as conn:
        from lagesbild.store.schema import organisations

        mov = conn.execute(
            select(organisations.c.id).where(organisations.c.code == "mov")
        ).scalar_one()
    reporter = Viewer(999, mov, Role.FIELD_REPORTER, "falt")
    assert service.get_briefing(demo_store, reporter, 21)["id"] == 21
    with pytest.raises(AccessDenied):
        service.decide(demo_store, reporter, 21, "nej")


def test_demo_briefing_without_stored_picture_is_generated_on_view(demo_store):
    """The demo's open briefings are stored without a picture (its locked ones keep theirs,
    see test_goals_and_locks): one is generated when they are opened."""
    with demo_store.read() as conn:
        bid = conn.execute(
            select(func.min(briefings.c.id)).where(
                briefings.c.status == "open", briefings.c.picture.is_(None)
            )
        ).scalar_one()
    b = service.get_briefing(demo_store, SYSTEM, bid)
    assert b["picture"]["generated_on_view"] is True
    assert b["status"] == "open"
