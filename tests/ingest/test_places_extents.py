"""Importing places that carry their extent of a mapping round: a rejected row leaves nothing
behind (no place, no round, no count) and does not spoil the rows after it; a round year that
cannot be a mapping round and a polygon with no area are rejected rows naming the field."""

from __future__ import annotations

import csv
import json
from datetime import date

from sqlalchemy import func, select

from lagesbild.ingest.service import import_file
from lagesbild.store.schema import extents, mapping_rounds, places

BOX = [[18.063, 59.332], [18.067, 59.332], [18.067, 59.334], [18.063, 59.334], [18.063, 59.332]]
SMALL = [[18.064, 59.332], [18.066, 59.332], [18.066, 59.333], [18.064, 59.333], [18.064, 59.332]]


def _file(tmp_path, features) -> object:
    path = tmp_path / "places.geojson"
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": p,
                "geometry": {"type": "Polygon", "coordinates": [c]},
            }
            for p, c in features
        ],
    }
    path.write_text(json.dumps(fc), encoding="utf-8")
    return path


def _rejects(path) -> dict[str, str]:
    with open(path.with_name(path.name + ".rejected.csv"), encoding="utf-8-sig") as fh:
        return {r["line"]: r["reason"] for r in csv.DictReader(fh)}


def test_a_rejected_extent_row_leaves_nothing_and_spoils_no_later_row(store, tmp_path):
    path = _file(
        tmp_path,
        [
            ({"name": "Plattan", "kind": "scene", "round": 2023, "status": "Listad"}, BOX),
            ({"name": "Klara", "kind": "scene", "round": 2023, "status": "listed"}, SMALL),
        ],
    )
    s = import_file(store, "places", path).summary
    assert (s.read, s.stored, s.rejected_count) == (2, 1, 1)
    reasons = _rejects(path)
    assert list(reasons) == ["1"] and reasons["1"].startswith("status:")
    with store.read() as conn:
        assert list(conn.execute(select(places.c.name))) == [("Klara",)]
        assert conn.execute(select(func.count()).select_from(extents)).scalar() == 1
        assert list(conn.execute(select(mapping_rounds.c.year))) == [(2023,)]


def test_a_round_that_cannot_be_a_mapping_round_is_refused(store, tmp_path):
    path = _file(
        tmp_path,
        [
            ({"name": "Plattan", "kind": "scene", "round": 3023, "status": "listed"}, BOX),
            (
                {"name": "Plattan", "kind": "scene", "round": date.today().year, "status": "watch"},
                BOX,
            ),
        ],
    )
    s = import_file(store, "places", path).summary
    assert (s.stored, s.rejected_count) == (1, 1)
    assert _rejects(path)["1"].startswith("round: 3023")


def test_a_polygon_with_no_area_is_refused(store, tmp_path):
    # three points on one line, up to rounding: GEOS calls it valid, with 3.6e-18 square degrees
    line = [[18.06, 59.33], [18.061, 59.331], [18.062, 59.332], [18.06, 59.33]]
    path = _file(
        tmp_path, [({"name": "Linje", "kind": "scene", "round": 2023, "status": "listed"}, line)]
    )
    s = import_file(store, "places", path).summary
    assert (s.stored, s.rejected_count) == (0, 1)
    assert "no area" in _rejects(path)["1"]


def test_a_changed_extent_in_a_places_file_counts_and_moves_its_points(store, tmp_path):
    # re-importing a places file whose row carries a changed extent: the row was counted as
    # nothing (read 1, all else 0) and the points kept their assignment to the old polygon
    from lagesbild.store.schema import assignments

    place = {"name": "Klara", "kind": "scene", "round": 2023, "status": "listed"}
    import_file(store, "places", _file(tmp_path, [(place, BOX)]))
    crime = tmp_path / "crimes.csv"
    crime.write_text("id,occurred_at,category,lat,lon\nK1,2023-05-01,theft,59.3335,18.0645\n")
    import_file(store, "crimes", crime)

    def in_extent() -> int:
        with store.read() as conn:
            return conn.execute(
                select(func.count()).select_from(assignments).where(assignments.c.round_id != 0)
            ).scalar_one()

    assert in_extent() == 1
    s = import_file(store, "places", _file(tmp_path, [(place, BOX)])).summary
    assert (s.read, s.stored, s.updated, s.duplicates) == (1, 0, 0, 1)
    s = import_file(store, "places", _file(tmp_path, [(place, SMALL)])).summary
    assert (s.read, s.stored, s.updated, s.duplicates) == (1, 0, 1, 0)
    assert in_extent() == 0  # the point lies outside the smaller extent
