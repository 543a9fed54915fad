"""Field reports written together (group commit, issue 20): `write_together` must store, refuse
and answer exactly as writing each caller's records alone does. The reference is the one-by-one
writer (`write_records`) on a second store fed the same records, and `reassign_all` for the
place assignments."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, insert, select

from lagesbild.ingest.writer import Submission, WriteSummary, write_records, write_together
from lagesbild.store import assign
from lagesbild.store.lifecycle import init_store
from lagesbild.store.schema import assignments, observations

from .conftest import ODENPLAN, SERGEL, square

COLUMNS = ("source_key", "category", "occurred_at", "count", "text", "owner_org_id", "minx")


def _report(key: str | None, lon: float, lat: float, **extra) -> tuple[int, dict, object]:
    import shapely

    rec = {"occurred_at": "2024-11-26 21:00", "category": "drug_use", "count": 2, **extra}
    if key is not None:
        rec["id"] = key
    return (1, rec, shapely.Point(lon, lat))


def _with_places(store):
    write_records(
        store,
        "places",
        [
            (1, {"name": "Klara", "kind": "scene"}, square(*SERGEL)),
            (2, {"name": "Odenplan", "kind": "priority_place"}, square(*ODENPLAN)),
        ],
    )
    return store


def _rows(store) -> list[tuple]:
    with store.read() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*(observations.c[c] for c in COLUMNS))))


def _assignments(store) -> list[tuple]:
    with store.read() as conn:
        return _assigned(conn)


def _assigned(conn) -> list[tuple]:
    return sorted(
        tuple(r)
        for r in conn.execute(
            select(observations.c.source_key, assignments.c.place_id).join(
                assignments, assignments.c.record_id == observations.c.id
            )
        )
    )


def test_a_group_stores_refuses_and_answers_as_one_by_one_does(store_url, tmp_path):
    store = _with_places(init_store(store_url))
    reference = _with_places(init_store(f"sqlite:///{tmp_path / 'reference.sqlite'}"))
    first = [_report("r-stored", *SERGEL)]
    group = [
        [_report("r-new-inside", SERGEL[0] + 0.0005, SERGEL[1])],
        [_report("r-new-outside", 18.2, 59.4)],
        [_report("r-stored", *SERGEL)],  # a retry of a stored report: a duplicate
        [_report("r-twice", *ODENPLAN)],
        [_report("r-twice", *ODENPLAN)],  # the same key twice in one group
        [_report("r-bad", *SERGEL, category="not-a-category")],
        [_report("r-changed", *SERGEL, count=7)],
        [_report(None, *ODENPLAN, text="utan nyckel")],  # keyed by its content
        [_report("r-many-1", *SERGEL), _report("r-many-2", *ODENPLAN)],  # several rows
    ]
    changed_before = [_report("r-changed", *SERGEL, count=3)]
    for s in (store, reference):
        write_records(s, "observations", first + changed_before)

    answers = write_together(store, "observations", [Submission(recs) for recs in group])
    alone = [write_records(reference, "observations", recs) for recs in group]

    assert len(answers) == len(group)
    for got, want in zip(answers, alone, strict=True):
        assert isinstance(got, WriteSummary)
        assert (got.read, got.stored, got.updated, got.duplicates) == (
            want.read,
            want.stored,
            want.updated,
            want.duplicates,
        )
        assert [r.reason for r in got.rejected] == [r.reason for r in want.rejected]
    assert "category" in answers[5].rejected[0].reason
    assert answers[2].duplicates == 1 and answers[4].duplicates == 1
    assert _rows(store) == _rows(reference)
    assert _assignments(store) == _assignments(reference)
    assert any("r-new-inside" in k for k, _ in _assignments(store))
    # the ids handed back are the stored rows' ids
    with store.read() as conn:
        new_id = conn.execute(
            select(observations.c.id).where(observations.c.source_key.like("%r-new-inside%"))
        ).scalar_one()
        before = _assigned(conn)
        assign.reassign_all(conn)  # the full recompute agrees with the group's assignments
        recomputed = _assigned(conn)  # read in the same transaction, before it is rolled back
        conn.rollback()
    assert answers[0].ids == [new_id]
    assert recomputed == before
    store.dispose(), reference.dispose()


def test_each_callers_then_runs_in_the_shared_transaction(store):
    seen: list[tuple[int, int]] = []

    def then_of(n: int):
        def then(conn, summary):
            total = conn.execute(select(func.count()).select_from(observations)).scalar_one()
            seen.append((n, summary.stored))
            assert total >= 1  # the group's rows are visible to it

        return then

    subs = [Submission([_report(f"t-{n}", *SERGEL)], then=then_of(n)) for n in range(5)]
    answers = write_together(store, "observations", subs)
    assert [a.stored for a in answers] == [1] * 5
    assert sorted(seen) == [(n, 1) for n in range(5)]


def test_a_failing_then_takes_back_only_its_callers_rows(store):
    """A `then` that fails after the fresh rows went in together takes the whole group back;
    the group commit then writes each caller alone, so only that caller gets the error."""
    from lagesbild.errors import ValidationError
    from lagesbild.services.group_commit import GroupCommit

    def refuse(conn, summary):
        raise ValidationError("record", "refused after writing")

    subs = [
        Submission([_report("ok-1", *SERGEL)]),
        Submission([_report("refused", 18.2, 59.4)], then=refuse),
        Submission([_report("ok-2", *ODENPLAN)]),
    ]
    with pytest.raises(ValidationError):
        write_together(store, "observations", subs)
    assert _rows(store) == []  # nothing half-written
    group = GroupCommit(lambda items: write_together(store, "observations", items))
    answers = []
    for slot in group.run_together(subs):
        answers.append(slot)
    assert isinstance(answers[1], ValidationError)
    assert answers[0].stored == 1 and answers[2].stored == 1
    keys = " ".join(r[0] for r in _rows(store))
    assert "ok-1" in keys and "ok-2" in keys and "refused" not in keys


def test_a_key_stored_by_another_writer_meanwhile_is_met_not_stored_twice(pg_url):
    """PostgreSQL, two writers: the other's row is uncommitted when the group looks its keys
    up, so the group's multi-row insert waits on the unique key and is refused when the other
    commits; the group then writes one by one, meets the committed row and stores it once."""
    store = init_store(pg_url)
    write_records(store, "observations", [_report("warm", *SERGEL)])
    with store.read() as conn:
        template = dict(
            conn.execute(select(observations).where(observations.c.source_key.like("%warm%")))
            .mappings()
            .one()
        )
    # the row the group will build for key "race", written by a raw transaction first
    built = {}

    def grab(conn, summary):
        built["key"] = conn.execute(
            select(observations.c.source_key).where(observations.c.source_key.like("%race%"))
        ).scalar_one()
        raise RuntimeError("only looking")

    with pytest.raises(RuntimeError):
        write_together(store, "observations", [Submission([_report("race", *SERGEL)], then=grab)])
    other = store.engine.connect()
    tx = other.begin()
    row = {k: v for k, v in template.items() if k != "id"}
    row["source_key"], row["source_id"] = built["key"], "race"
    other.execute(insert(observations).values(**row))
    timer = threading.Timer(0.5, tx.commit)
    timer.start()
    t0 = time.monotonic()
    answers = write_together(
        store,
        "observations",
        [Submission([_report("race", *SERGEL)]), Submission([_report("calm", *ODENPLAN)])],
    )
    timer.join()
    other.close()
    assert time.monotonic() - t0 >= 0.4  # it did wait for the other writer
    assert answers[0].stored == 0 and answers[0].read == 1 and not answers[0].rejected
    assert answers[1].stored == 1
    with store.read() as conn:
        n = conn.execute(
            select(func.count()).where(observations.c.source_key == built["key"])
        ).scalar_one()
        assert n == 1
    store.dispose()
