"""The one suppression rule: primary (1-4 as "<5"), complementary (no "<5" can be worked out
from totals, parts, overlapping areas or windows), zero vs no data. The attacks are checked by
brute force (every integer assignment consistent with what is published), not by the rule's own
linear programming."""

from __future__ import annotations

import itertools
import random

import pytest

from lagesbild.services.disclosure import (
    MASKED,
    SUPPRESSED,
    WITHHELD,
    Table,
    shown,
    suppress,
)


def _ranges(out: dict, table: Table, cap: int = 20) -> dict:
    """What an attacker can still believe of each non-shown cell: every integer assignment of
    the unknown cells (withheld ones 5..cap, hidden ones 0..cap) that satisfies every relation,
    projected on each cell."""
    unknown = [k for k in table.cells if k in table.hidden or isinstance(out.get(k), str)]
    known = {k: (v or 0) for k, v in out.items() if not isinstance(v, str)}

    def dom(k):
        if k in table.hidden:
            return [0] if not table.cells[k] else range(cap + 1)
        return {SUPPRESSED: range(1, 5), WITHHELD: range(5, cap + 1), MASKED: range(cap + 1)}[
            out[k]
        ]

    seen = {k: set() for k in unknown}
    for values in itertools.product(*(dom(k) for k in unknown)):
        v = {**known, **dict(zip(unknown, values, strict=True))}
        if all(v[t] == sum(v[p] for p in ps) for t, ps in table.relations):
            for k, x in zip(unknown, values, strict=True):
                seen[k].add(x)
    return seen


def _assert_safe(table: Table, out: dict, cap: int = 20) -> None:
    for k in table.cells:
        if k not in table.hidden:
            assert not (isinstance(out[k], int) and 0 < out[k] < 5), (k, out[k])
    seen = _ranges(out, table, cap)
    for k, v in table.cells.items():
        if v is not None and 0 < v < 5:
            assert v in seen[k]  # the truth is among what the attacker may believe
            assert len(seen[k]) > 1, f"{k}={v} recovered from the published figures"


def test_primary_zero_and_no_data():
    t = Table()
    for k, v in {"a": 0, "b": 3, "c": 5, "d": None, "e": 4, "f": 1}.items():
        t.add(k, v)
    assert suppress(t) == {
        "a": 0,
        "b": SUPPRESSED,
        "c": 5,
        "d": None,
        "e": SUPPRESSED,
        "f": SUPPRESSED,
    }
    assert [shown(v) for v in (0, 1, 4, 5, None)] == [0, SUPPRESSED, SUPPRESSED, 5, None]


def test_total_minus_parts_is_blocked():
    t = Table()
    for k, v in {"total": 20, "x": 3, "y": 9, "z": 8}.items():
        t.add(k, v)
    t.relate("total", ["x", "y", "z"])
    out = suppress(t)
    assert out["x"] == SUPPRESSED
    assert out["z"] == WITHHELD  # the smallest count of 5 or more goes with it
    assert out["total"] == 20 and out["y"] == 9
    _assert_safe(t, out)


def test_two_fours_under_a_shown_total_are_not_left_pinned():
    t = Table()
    for k, v in {"total": 8, "x": 4, "y": 4}.items():
        t.add(k, v)
    t.relate("total", ["x", "y"])
    out = suppress(t)
    assert out["total"] == WITHHELD
    _assert_safe(t, out)


def test_a_small_total_of_many_small_parts_is_masked():
    t = Table()
    for k, v in {"total": 4, "a": 1, "b": 1, "c": 1, "d": 1}.items():
        t.add(k, v)
    t.relate("total", ["a", "b", "c", "d"])
    out = suppress(t)
    assert set(out.values()) == {MASKED}
    _assert_safe(t, out, cap=8)


def test_overlapping_areas_place_inside_a_place():
    """Sergels torg lies inside Klara: Klara minus Sergels torg is the rest of Klara."""
    t = Table()
    t.add("klara", 12)
    t.add("sergel", 9)
    t.add(("only", "klara"), 3, hidden=True)
    t.add(("only", "sergel"), 0, hidden=True)
    t.add("both", 9, hidden=True)
    t.relate("klara", [("only", "klara"), "both"])
    t.relate("sergel", [("only", "sergel"), "both"])
    out = suppress(t)
    assert WITHHELD in (out["klara"], out["sergel"])
    assert set(out) == {"klara", "sergel"}  # hidden cells are never published
    _assert_safe(t, out)


def test_moving_windows():
    """12-month sums that move by one month: two windows differ by one month in and one out."""
    months = [0, 0, 6, 7, 3, 8, 9, 6, 5, 7, 6, 8, 0]
    t = Table()
    for i, v in enumerate(months):
        t.add(("m", i), v, hidden=True)
    for end in (11, 12):
        t.add(("w", end), sum(months[end - 11 : end + 1]))
        t.relate(("w", end), [("m", i) for i in range(end - 11, end + 1)])
    # window 12 minus window 11 = month 12 - month 0 = 0 - 0: nothing small to learn here
    out = suppress(t)
    assert out[("w", 11)] == 65 and out[("w", 12)] == 65
    # now a month of 3 enters and a zero leaves: the difference would be 3
    months[12] = 3
    t2 = Table()
    for i, v in enumerate(months):
        t2.add(("m", i), v, hidden=True)
    for end in (11, 12):
        t2.add(("w", end), sum(months[end - 11 : end + 1]))
        t2.relate(("w", end), [("m", i) for i in range(end - 11, end + 1)])
    out2 = suppress(t2)
    assert WITHHELD in (out2[("w", 11)], out2[("w", 12)])
    # the attacker's difference of the two windows is no longer possible
    assert not all(isinstance(out2[("w", e)], int) for e in (11, 12))


@pytest.mark.parametrize("seed", range(25))
def test_generated_hierarchies_never_give_a_small_count_away(seed):
    """Random two-level tables (a city total, districts, places in them) with many small
    counts: the brute-force attacker recovers no count of 1-4."""
    rng = random.Random(seed)
    t = Table()
    districts = []
    for d in range(2):
        parts = []
        for p in range(rng.randint(2, 3)):
            key = ("place", d, p)
            t.add(key, rng.choice([0, 1, 2, 3, 4, 5, 6, 9]))
            parts.append(key)
        t.add(("district", d), sum(t.cells[k] for k in parts))
        t.relate(("district", d), parts)
        districts.append(("district", d))
    t.add("city", sum(t.cells[k] for k in districts))
    t.relate("city", districts)
    out = suppress(t)
    _assert_safe(t, out)
