"""Stale-while-revalidate of the public figures (`services.public.serve_stale`): after a write,
readers get the previous figures, complete and suppressed, while one background solve runs;
then the new figures replace them whole."""

from __future__ import annotations

import threading

from shapely.geometry import box

from lagesbild.ingest.writer import write_records
from lagesbild.services import public


def _crimes(store, start: int, n: int, category: str = "theft") -> None:
    rows = [
        (
            i,
            {
                "id": f"S{i}",
                "occurred_at": "2024-05-01 12:00",
                "category": category,
                "lat": "59.335",
                "lon": "18.065",
            },
            None,
        )
        for i in range(start, start + n)
    ]
    write_records(store, "crimes", rows)


def _place(store) -> None:
    write_records(
        store,
        "places",
        [
            (
                1,
                {"name": "Plattan", "kind": "priority_place", "sensitivity": "public"},
                box(18.06, 59.33, 18.07, 59.34),
            )
        ],
    )


def _figures(store) -> dict:
    return {(c.category, c.year): c.count for c in public.public_counts(store)}


def test_a_write_serves_the_previous_figures_until_the_new_are_solved(store, monkeypatch):
    _place(store)
    _crimes(store, 0, 6)
    _crimes(store, 100, 7, "vandalism")
    public.serve_stale(store)
    before = _figures(store)
    assert before == {("theft", 2024): 6, ("vandalism", 2024): 7}
    first_solved = public.solved_at(store)
    assert first_solved is not None

    release = threading.Event()
    started = threading.Event()
    real = public.suppress

    def slow(table):  # the background solve, held until the test has read
        started.set()
        assert release.wait(30)
        return real(table)

    monkeypatch.setattr(public, "suppress", slow)
    _crimes(store, 200, 2, "vandalism")  # vandalism 9, with theft 6 beside a total of 15
    during = _figures(store)
    assert started.wait(30)  # a solve runs in the background
    assert during == before  # the previous figures, whole: not the new 9, no mix
    assert public.solved_at(store) == first_solved
    assert _figures(store) == before  # a second reader does not start a second solve
    assert sum(t.name == "public-figures" and t.is_alive() for t in threading.enumerate()) == 1
    release.set()
    public._REFRESH[id(store)].join(30)
    after = _figures(store)
    assert after == {("theft", 2024): 6, ("vandalism", 2024): 9}
    assert public.solved_at(store) >= first_solved


def test_without_serve_stale_a_reader_waits_for_the_new_figures(store):
    _place(store)
    _crimes(store, 0, 6)
    assert _figures(store) == {("theft", 2024): 6}
    _crimes(store, 100, 3, "vandalism")
    # the new small count is suppressed with its complement, at once
    assert _figures(store) == {("theft", 2024): ">=5", ("vandalism", 2024): "<5"}
