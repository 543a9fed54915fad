"""Records through the one write path on both backends: geometry round trip in WGS84,
idempotence, updates, assignment to places and extents, rejected rows that leave no trace."""

import pytest
from shapely.geometry import Point, box
from sqlalchemy import func, select

from lagesbild.ingest.writer import StrictRejection, write_records
from lagesbild.store.schema import assignments, crimes, extents, mapping_rounds, places

KLARA = box(18.058, 59.330, 18.070, 59.336)
KLARA_2023 = box(18.060, 59.331, 18.066, 59.334)


def _places(store):
    s = write_records(
        store,
        "places",
        [
            (2, {"name": "Klara", "kind": "scene", "round": 2022, "status": "listed"}, KLARA),
            (3, {"name": "Klara", "kind": "scene", "round": 2023, "status": "listed"}, KLARA_2023),
        ],
    )
    assert s.rejected == []


def test_geometry_round_trip_and_bbox(store):
    _places(store)
    with store.read() as conn:
        geom, minx, maxy = conn.execute(select(places.c.geom, places.c.minx, places.c.maxy)).one()
        n_ext = conn.execute(select(func.count()).select_from(extents)).scalar()
    # the place was created by its first row and kept; each round has its extent
    assert geom.equals(KLARA) and minx == pytest.approx(18.058) and maxy == pytest.approx(59.336)
    assert n_ext == 2


def test_points_assigned_to_places_and_extents(store):
    _places(store)
    rows = [
        (
            2,
            {
                "id": "in-both",
                "occurred_at": "2023-03-01 20:00",
                "category": "violent_crime",
                "lat": 59.3325,
                "lon": 18.063,
            },
            None,
        ),
        (
            3,
            {
                "id": "only-2022",
                "occurred_at": "2023-03-01 20:00",
                "category": "violent_crime",
                "lat": 59.3355,
                "lon": 18.059,
            },
            None,
        ),
        (
            4,
            {
                "id": "outside",
                "occurred_at": "2023-03-01 20:00",
                "category": "violent_crime",
                "lat": 59.34,
                "lon": 18.05,
            },
            None,
        ),
    ]
    write_records(store, "crimes", rows)
    with store.read() as conn:
        got = conn.execute(
            select(crimes.c.source_id, mapping_rounds.c.year)
            .join(
                assignments,
                (assignments.c.record_id == crimes.c.id) & (assignments.c.layer == "crimes"),
            )
            .outerjoin(mapping_rounds, mapping_rounds.c.id == assignments.c.round_id)
        ).all()
    # independent check: Shapely's own containment on the same coordinates
    expected = set()
    for _, rec, _ in rows:
        pt = Point(rec["lon"], rec["lat"])
        if KLARA.contains(pt):  # the place's boundary is that of its first row
            expected.add((rec["id"], None))
        for year, poly in ((2022, KLARA), (2023, KLARA_2023)):
            if poly.contains(pt):
                expected.add((rec["id"], year))
    assert set(got) == expected
    assert ("only-2022", 2022) in expected and ("in-both", 2023) in expected


def test_reimport_is_idempotent_and_updates_changed_rows(store):
    rec = {
        "id": "A1",
        "occurred_at": "2023-05-01 21:30",
        "category": "theft",
        "lat": 59.3326,
        "lon": 18.0649,
    }
    assert write_records(store, "crimes", [(2, rec, None)]).stored == 1
    again = write_records(store, "crimes", [(2, rec, None)])
    assert (again.stored, again.duplicates, again.updated) == (0, 1, 0)
    changed = write_records(store, "crimes", [(2, {**rec, "category": "violent_crime"}, None)])
    assert changed.updated == 1
    with store.read() as conn:
        assert conn.execute(select(crimes.c.category)).scalars().all() == ["violent_crime"]


def test_rejected_rows_leave_no_trace_and_strict_stores_nothing(store):
    good = {"occurred_at": "2023-05-01", "category": "theft", "lat": 59.33, "lon": 18.06}
    bad_round = {"name": "X", "kind": "scene", "round": 2024, "status": "bogus"}
    s = write_records(store, "places", [(2, bad_round, box(18.0, 59.3, 18.01, 59.31))])
    assert s.rejected and "status" in s.rejected[0].reason
    with store.read() as conn:  # the round the bad row would have created is not there
        assert conn.execute(select(func.count()).select_from(mapping_rounds)).scalar() == 0
    with pytest.raises(StrictRejection, match="line 3"):
        write_records(
            store, "crimes", [(2, good, None), (3, {**good, "category": "x"}, None)], strict=True
        )
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(crimes)).scalar() == 0


def test_interrupted_write_leaves_store_as_before(store):
    def rows():
        yield (
            2,
            {"occurred_at": "2023-05-01", "category": "theft", "lat": 59.33, "lon": 18.06},
            None,
        )
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_records(store, "crimes", rows())
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(crimes)).scalar() == 0


def test_an_organisation_can_be_updated(store):
    write_records(store, "organisations", [(1, {"name": "Polisen"}, None)])
    s = write_records(store, "organisations", [(1, {"name": "Polisen", "code": "polis"}, None)])
    assert s.updated == 1 and not s.rejected
