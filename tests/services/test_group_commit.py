"""The group commit's leader/follower scheme (`services.group_commit`): every caller gets its
own answer exactly once, callers that wait together are written together, and one caller's
failure stays that caller's."""

from __future__ import annotations

import threading
import time

import pytest

from lagesbild.services.group_commit import GroupCommit


class Recorder:
    """A write that doubles its items, remembers its groups and holds the first group until
    released, so that the others queue behind it deterministically."""

    def __init__(self, fail_on: set[int] | None = None, raise_with: set[int] | None = None):
        self.groups: list[list[int]] = []
        self.release = threading.Event()
        self.fail_on, self.raise_with = fail_on or set(), raise_with or set()

    def __call__(self, items: list[int]) -> list:
        if not self.groups:
            self.release.wait(10)
        self.groups.append(list(items))
        if self.raise_with & set(items):
            raise RuntimeError(f"group with {sorted(self.raise_with & set(items))}")
        return [ValueError(f"bad {i}") if i in self.fail_on else 2 * i for i in items]


def _submit_all(group: GroupCommit, rec: Recorder, items: list[int]) -> dict[int, object]:
    answers: dict[int, object] = {}

    def call(i: int) -> None:
        try:
            answers[i] = group.submit(i)
        except Exception as exc:  # noqa: BLE001 - the answer under test
            answers[i] = exc

    first = threading.Thread(target=call, args=(items[0],))
    first.start()
    while not rec.groups and group._leader.locked() is False:
        time.sleep(0.001)
    others = [threading.Thread(target=call, args=(i,)) for i in items[1:]]
    for t in others:
        t.start()
    deadline = time.monotonic() + 10
    while len(group._pending) < len(others) and time.monotonic() < deadline:
        time.sleep(0.001)  # every other caller waits behind the held first group
    rec.release.set()
    for t in [first, *others]:
        t.join(10)
    return answers


def test_callers_waiting_together_are_written_together_each_answered_once():
    rec = Recorder()
    group = GroupCommit(rec)
    items = list(range(30))
    answers = _submit_all(group, rec, items)
    assert answers == {i: 2 * i for i in items}
    written = [i for g in rec.groups for i in g]
    assert sorted(written) == items  # each exactly once
    assert rec.groups[0] == [0] and rec.groups[1] == items[1:]  # the 29 waiting: one group


def test_the_group_size_is_bounded():
    rec = Recorder()
    group = GroupCommit(rec, limit=5)
    answers = _submit_all(group, rec, list(range(13)))
    assert answers == {i: 2 * i for i in range(13)}
    assert max(len(g) for g in rec.groups) <= 5
    assert sorted(i for g in rec.groups for i in g) == list(range(13))


def test_an_answer_that_is_an_error_is_raised_to_its_caller_alone():
    rec = Recorder(fail_on={7})
    answers = _submit_all(GroupCommit(rec), rec, list(range(10)))
    assert isinstance(answers[7], ValueError) and str(answers[7]) == "bad 7"
    assert all(answers[i] == 2 * i for i in range(10) if i != 7)


def test_a_group_that_fails_is_written_again_one_caller_at_a_time():
    rec = Recorder(raise_with={4})
    answers = _submit_all(GroupCommit(rec), rec, list(range(8)))
    assert isinstance(answers[4], RuntimeError)
    assert all(answers[i] == 2 * i for i in range(8) if i != 4)
    alone = [g for g in rec.groups if len(g) == 1]
    assert [4] in alone and len(alone) >= 7  # the failed group's callers, one by one


def test_run_together_answers_in_order():
    group = GroupCommit(lambda items: [i + 1 for i in items])
    assert group.run_together([1, 2, 3]) == [2, 3, 4]
    with pytest.raises(ZeroDivisionError):
        GroupCommit(lambda items: [1 / 0]).submit(1)


def test_concurrent_field_reports_are_stored_once_with_one_audit_entry_each(store):
    """40 threads file reports at once through `create_record` (a third of them twice with the
    same key, as a phone's retry): every key is stored once, both calls of a key get the same
    id, and each stored report has exactly one audit entry."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from lagesbild.domain.model import Role, Viewer
    from lagesbild.services.records import create_record
    from lagesbild.store.schema import audit_log, observations, store_settings

    with store.read() as conn:
        org = int(
            conn.execute(
                select(store_settings.c.value).where(store_settings.c.key == "default_organisation")
            ).scalar_one()
        )
    reporter = Viewer(user_id=None, organisation_id=org, role=Role.FIELD_REPORTER, username="f")
    calls = [f"k{n}" for n in range(40)] + [f"k{n}" for n in range(0, 40, 3)]

    def report(key: str) -> tuple[str, int, bool]:
        rid, created = create_record(
            store,
            "observations",
            reporter,
            {"occurred_at": "2024-11-26 21:00", "category": "drug_use", "count": 1},
            {"type": "Point", "coordinates": [18.0649, 59.3326]},
            idempotency_key=key,
            organisation_name=None,
        )
        return key, rid, created

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(report, calls))
    ids: dict[str, set[int]] = {}
    for key, rid, _ in results:
        ids.setdefault(key, set()).add(rid)
    assert all(len(v) == 1 for v in ids.values()) and len(ids) == 40
    assert sum(created for *_, created in results) == 40  # the retries were not created
    with store.read() as conn:
        stored = conn.execute(select(func.count()).select_from(observations)).scalar_one()
        audited = conn.execute(
            select(func.count()).where(
                audit_log.c.action == "create", audit_log.c.layer == "observations"
            )
        ).scalar_one()
    assert stored == 40 and audited == 40
