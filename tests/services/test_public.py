"""Public counts: per place, local calendar year and category; small counts suppressed."""

from __future__ import annotations

from shapely.geometry import box

from lagesbild.ingest.writer import write_records
from lagesbild.services.public import public_counts, public_totals


def test_counts_by_local_year_with_small_numbers_suppressed(store):
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
    # 00:30 on New Year's Day in Stockholm is still the old year in UTC
    times = ["2023-12-31 23:30"] * 5 + ["2024-01-01 00:30"] * 6 + ["2024-06-01 12:00"] * 2
    rows = [
        (
            i,
            {
                "id": f"N{i}",
                "occurred_at": t,
                "category": "theft",
                "lat": "59.335",
                "lon": "18.065",
            },
            None,
        )
        for i, t in enumerate(times)
    ]
    rows.append(
        (
            99,
            {
                "id": "V",
                "occurred_at": "2024-03-01 10:00",
                "category": "vandalism",
                "lat": "59.335",
                "lon": "18.065",
            },
            None,
        )
    )
    write_records(store, "crimes", rows)
    got = {(c.year, c.category): c.count for c in public_counts(store) if c.layer == "crimes"}
    # 2024's total (9) is published too (the public page's area summary): with theft's 8 shown
    # beside it, vandalism's 1 would be 9 - 8, so theft is withheld
    assert got == {(2023, "theft"): 5, (2024, "theft"): ">=5", (2024, "vandalism"): "<5"}
    totals = {(c.year, c.layer): c.count for c in public_totals(store)}
    assert totals == {(2023, "crimes"): 5, (2024, "crimes"): 9}
    assert [c.year for c in public_counts(store, year=2023) if c.layer == "crimes"] == [2023]


def test_restricted_records_are_not_counted(store):
    """A signed-in user could take what they see away from a count that held restricted
    records and learn how many there are: public counts hold public and shared ones only."""
    write_records(
        store,
        "places",
        [
            (
                1,
                {"name": "Plattan", "kind": "scene", "sensitivity": "public"},
                box(18.06, 59.33, 18.07, 59.34),
            )
        ],
    )
    rows = [
        (
            i,
            {
                "id": f"R{i}",
                "occurred_at": "2024-05-01 22:00",
                "category": "violent_crime",
                "lat": "59.335",
                "lon": "18.065",
                "sensitivity": "restricted" if i < 3 else "shared",
            },
            None,
        )
        for i in range(10)
    ]
    write_records(store, "crimes", rows)
    got = {(c.year, c.category): c.count for c in public_counts(store) if c.layer == "crimes"}
    assert got == {(2024, "violent_crime"): 7}
