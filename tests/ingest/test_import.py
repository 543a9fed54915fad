"""Importing real-shaped files on SQLite and PostGIS: mapping, encodings, CRS, GIS formats,
idempotence, updates, rollback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pyproj import Transformer
from sqlalchemy import func, select

from lagesbild.domain.model import SYSTEM
from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.ingest import bulk, columns
from lagesbild.ingest.bulk import overlap, pipeline, sink
from lagesbild.ingest.columns import CsvColumns
from lagesbild.ingest.service import ImportOptions, import_file
from lagesbild.ingest.writer import StrictRejection, write_records
from lagesbild.services.records import RecordFilter, list_records
from lagesbild.store.schema import assignments, crimes, extents, places

from .conftest import POLICE_MAP, POLICE_ROWS, write_police_csv, write_shapefile_zip


def count(store, table) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_police_csv_cp1252_semicolon_decimal_comma(store, police_csv, places_geojson):
    import_file(store, "places", places_geojson)
    result = import_file(store, "crimes", police_csv, ImportOptions(mapping=POLICE_MAP))
    assert "cp1252" in result.source and "semicolon" in result.source
    s = result.summary
    assert (s.read, s.stored, s.rejected_count) == (4, 4, 0)
    with store.read() as conn:
        rows = {r.source_id: r for r in conn.execute(select(crimes))}
        n_assigned = conn.execute(select(func.count()).select_from(assignments)).scalar_one()
    assert rows["K1"].category == "drug_offence"
    assert rows["K2"].category == "violent_crime" and rows["K3"].category == "violent_crime"
    assert rows["K3"].place_text == "Odenplan, Vasastan"
    assert rows["K2"].place_text == "Plattan vid Kulturhuset"
    assert rows["K1"].geom.x == pytest.approx(18.06491)
    # 21:30 local summer time is 19:30 UTC
    assert rows["K1"].occurred_at.hour == 19
    assert n_assigned == 3  # K1, K2 in Klara, K3 in Odenplan; K4 in neither
    assert result.report is None


def test_sweref_xy_with_crs(store, tmp_path):
    tr = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
    x, y = tr.transform(18.0649, 59.3326)
    path = tmp_path / "xy.csv"
    path.write_text(
        f"id,occurred_at,category,x,y\n1,2023-05-01 21:30,theft,{x:.2f},{y:.2f}\n"
        f"2,2023-05-01 21:30,theft,{y:.2f},{x:.2f}\n"
    )
    result = import_file(store, "crimes", path, ImportOptions(crs="EPSG:3006"))
    assert result.summary.stored == 1 and result.summary.rejected_count == 1
    with store.read() as conn:
        geom = conn.execute(select(crimes.c.geom)).scalar_one()
    assert geom.x == pytest.approx(18.0649, abs=1e-6) and geom.y == pytest.approx(59.3326, abs=1e-6)
    report = (tmp_path / "xy.csv.rejected.csv").read_text("utf-8-sig")
    assert report.startswith("line,reason") and "\n3," in report


def test_shapefile_zip_in_sweref(store, tmp_path):
    path = write_shapefile_zip(tmp_path / "platser.zip")
    result = import_file(
        store, "places", path, ImportOptions(mapping={"name": "NAMN", "kind": "TYP"})
    )
    assert result.summary.stored == 2, result.summary.rejected
    with store.read() as conn:
        geom = conn.execute(select(places.c.geom).where(places.c.name == "Klara")).scalar_one()
    assert geom.centroid.x == pytest.approx(18.0649, abs=1e-5)


def test_geopackage_places_with_extent_round(store, tmp_path, places_geojson):
    import pyogrio.raw
    import shapely

    from .conftest import SERGEL, square

    path = tmp_path / "extents.gpkg"
    pyogrio.raw.write(
        str(path),
        geometry=shapely.to_wkb([square(*SERGEL, half=0.001)]),
        field_data=[
            __import__("numpy").asarray(x, dtype=object)
            for x in (["Klara"], ["scene"], ["2023"], ["listed"])
        ],
        fields=["Name", "KIND", "round", "status"],
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    import_file(store, "places", places_geojson)
    result = import_file(store, "places", path)
    assert result.summary.rejected_count == 0
    assert count(store, extents) == 1 and count(store, places) == 2


def test_reimport_is_idempotent_and_updates(store, tmp_path, police_csv):
    opts = ImportOptions(mapping=POLICE_MAP)
    import_file(store, "crimes", police_csv, opts)
    again = import_file(store, "crimes", police_csv, opts).summary
    assert (again.stored, again.updated, again.duplicates) == (0, 0, 4)
    changed = list(POLICE_ROWS)
    changed[0] = ("K1", "2023-05-01 21:45", *changed[0][2:])
    changed.append(("K5", "2023-08-01 10:00", "Klotter", "59,3", "18,0", "Kungsträdgården"))
    path = write_police_csv(tmp_path / "polisen_overlap.csv", changed)
    s = import_file(store, "crimes", path, opts).summary
    assert (s.stored, s.updated, s.duplicates) == (1, 1, 3)
    assert count(store, crimes) == 5


def test_content_hash_key_without_id(store, tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text(
        "occurred_at,category,lat,lon,count\n2023-05-01 21:00,drug_sale,59.33,18.06,3\n"
        "2023-05-01 21:00,drug_sale,59.33,18.06,3\n"
    )
    s = import_file(store, "observations", path).summary
    assert (s.stored, s.duplicates) == (1, 1)
    assert import_file(store, "observations", path).summary.duplicates == 2


def test_strict_stores_nothing(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "occurred_at,category,lat,lon\n2023-05-01,theft,59.33,18.06\nyesterday,theft,59.33,18.06\n"
    )
    with pytest.raises(StrictRejection, match="line 3"):
        import_file(store, "crimes", path, ImportOptions(strict=True))
    assert count(store, crimes) == 0
    assert (tmp_path / "c.csv.rejected.csv").exists()


EXPECTED_INDEXES = {
    "sqlite": {"ix_crimes_bbox", "ix_crimes_occurred_at", "ix_crimes_category"},
    "postgis": {"ix_crimes_geom", "ix_crimes_occurred_at", "ix_crimes_category"},
}


def _crime_indexes(store) -> set[str]:
    with store.read() as conn:
        sql = (
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='crimes'"
            if store.backend == "sqlite"
            else "SELECT indexname FROM pg_indexes WHERE tablename='crimes'"
        )
        return set(conn.exec_driver_sql(sql).scalars().all())


def test_big_import_rebuilds_the_indexes_it_dropped(store, police_csv, monkeypatch):
    """An import larger than the layer drops its secondary indexes and builds them again."""
    dropped = []
    real = sink.Sink.defer_indexes

    def spy(self, expected_rows):
        real(self, expected_rows)
        dropped.extend(name for name, _ in self._deferred)

    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    monkeypatch.setattr(sink.Sink, "defer_indexes", spy)
    import_file(store, "crimes", police_csv, ImportOptions(mapping=POLICE_MAP))
    assert EXPECTED_INDEXES[store.backend] <= set(dropped)
    assert _crime_indexes(store) >= EXPECTED_INDEXES[store.backend]
    # the assignments held no link: their index by record was built after the insert too
    assert "ix_assignments_record" in dropped and "ix_assignments_record" in _indexes_of(
        store, "assignments"
    )
    total = count(store, crimes)
    assert list_records(store, "crimes", SYSTEM, RecordFilter(bbox=(17, 59, 19, 60)))[1] == total
    assert list_records(store, "crimes", SYSTEM, RecordFilter(bbox=(10, 55, 11, 56)))[1] == 0


def _indexes_of(store, table: str) -> set[str]:
    with store.read() as conn:
        sql = (
            f"SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='{table}'"
            if store.backend == "sqlite"
            else f"SELECT indexname FROM pg_indexes WHERE tablename='{table}'"
        )
        return set(conn.exec_driver_sql(sql).scalars().all())


def test_the_links_index_is_rebuilt_only_when_the_links_are_few(store, places_geojson):
    """`_links_rebuild_pays`: the assignments' index is dropped for an import that brings at
    least twice as many rows as there are links, counted up to that bound."""
    import_file(store, "places", places_geojson)
    with store.write() as conn:
        place = conn.execute(select(func.min(places.c.id))).scalar_one()
        conn.execute(
            assignments.insert(),
            [{"layer": "observations", "place_id": place, "round_id": 0, "record_id": i}
             for i in range(1, 101)],
        )  # fmt: skip
    with store.read() as conn:
        cur = conn.connection.driver_connection.cursor()
        assert sink._links_rebuild_pays(cur, 200) and sink._links_rebuild_pays(cur, 10_000)
        assert not sink._links_rebuild_pays(cur, 199) and not sink._links_rebuild_pays(cur, 50)


def _foreign_keys(store) -> set[tuple[str, str]]:
    """(table, referenced table) of the foreign keys of crimes and assignments."""
    with store.read() as conn:
        if store.backend == "sqlite":
            return {
                (t, row[2])
                for t in ("crimes", "assignments")
                for row in conn.exec_driver_sql(f"PRAGMA foreign_key_list({t})")
            }
        rows = conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid IN ('crimes'::regclass, 'assignments'::regclass)"
        )
        return {tuple(r) for r in rows}


def test_big_import_keeps_foreign_keys_and_numbering(store, police_csv, monkeypatch):
    """On PostgreSQL a big import drops the foreign keys and numbers rows itself: the keys are
    back afterwards, and later rows numbered by the table's sequence do not collide."""
    keys = _foreign_keys(store)
    assert ("crimes", "organisations") in keys and ("assignments", "places") in keys
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    import_file(store, "crimes", police_csv, ImportOptions(mapping=POLICE_MAP))
    assert _foreign_keys(store) == keys
    with store.read() as conn:
        top = conn.execute(select(func.max(crimes.c.id))).scalar_one()
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 10**9)  # a small import: the sequence
    row = {"id": "NEW", "occurred_at": "2023-05-02 20:00", "category": "theft"}
    s = write_records(store, "crimes", [(2, {**row, "lat": "59.33", "lon": "18.06"}, None)])
    assert s.stored == 1
    with store.read() as conn:
        new = conn.execute(select(crimes.c.id).where(crimes.c.source_id == "NEW")).scalar_one()
    assert new > top


def test_interrupted_import_leaves_store_unchanged(store, police_csv, monkeypatch):
    import_file(store, "crimes", police_csv, ImportOptions(mapping=POLICE_MAP))
    monkeypatch.setattr(pipeline, "CHUNK", 10)  # the first chunks are written before the interrupt
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 10)  # and the indexes dropped for the import

    def records():
        for i in range(35):
            yield (
                i + 2,
                {
                    "id": f"X{i}",
                    "occurred_at": "2023-05-01 20:00",
                    "category": "theft",
                    "lat": "59.3326",
                    "lon": "18.0649",
                },
                None,
            )
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_records(store, "crimes", records())
    assert count(store, crimes) == 4
    assert _crime_indexes(store) >= EXPECTED_INDEXES[store.backend]  # dropped, and back
    assert ("crimes", "organisations") in _foreign_keys(store)
    # and a later import still works
    s = write_records(
        store,
        "crimes",
        [
            (
                2,
                {
                    "id": "Y",
                    "occurred_at": "2023-05-01",
                    "category": "theft",
                    "lat": "59.3",
                    "lon": "18.0",
                },
                None,
            )
        ],
    )
    assert s.stored == 1


def _empty_crimes(store) -> None:
    with store.write() as conn:
        conn.execute(assignments.delete())
        conn.execute(crimes.delete())


def _compare_paths(store, path, monkeypatch, options=None, arrow=True):
    """Import `path` by the row-by-row path and by the fast one (Arrow's CSV reader and the
    column-wise checks): same summary, same rejects with the same lines, same rows. `arrow`:
    whether Arrow reads the file (else the fast path leaves it to the row-by-row reader); None
    when a forked reading process reads it, out of this process's sight."""

    def snapshot():
        with store.read() as conn:
            rows = [
                tuple(
                    v for k, v in r._mapping.items() if k not in ("id", "created_at", "updated_at")
                )
                for r in conn.execute(select(crimes).order_by(crimes.c.source_key))
            ]
            n = conn.execute(select(func.count()).select_from(assignments)).scalar_one()
        return rows, n

    def run():
        result = import_file(store, "crimes", path, options)
        return result.summary, [(r.line, r.reason) for r in result.summary.rejected], snapshot()

    monkeypatch.setattr(bulk, "ENABLED", False)
    slow = run()
    _empty_crimes(store)
    monkeypatch.setattr(bulk, "ENABLED", True)
    used = []
    chunks = CsvColumns.chunks
    monkeypatch.setattr(CsvColumns, "chunks", lambda self: used.append(1) or chunks(self))
    fast = run()
    if arrow is not None:
        assert bool(used) == arrow  # Arrow read the file, or stepped aside
    assert fast[0].as_dict() == slow[0].as_dict()
    assert fast[1] == slow[1]
    assert fast[2] == slow[2]
    return fast


def test_bulk_path_equals_row_by_row(store, tmp_path, monkeypatch):
    """The column-wise fast path stores exactly what the layer's own build stores."""
    rows = [
        "id,occurred_at,category,offence_code,lat,lon,reported_at,place_text,sensitivity",
        "1,2023-03-26 02:30,theft,,59.33,18.06,,A,",  # a local time in the DST gap
        "2,2023-10-29 02:30,,rån,59.33,18.06,2023-10-30 08:00,B,restricted",  # ambiguous
        '3,2023-05-01T21:30:00+02:00,THEFT,,"59,33","18,06",,,public',
        "4,2023-05-01 21:30:00.250000,other,,59.33,18.06,,,",
        "5,2023-05-01,vandalism,,18.06,59.33,,,",  # swapped: rejected
        "6,2023-05-01,weapons_offence,,,,,,",
    ]  # no location: rejected
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(rows) + "\n")
    _compare_paths(store, path, monkeypatch)


def test_a_key_met_again_in_the_file_compares_with_the_row_before(store, tmp_path, monkeypatch):
    # an extract with one case on several rows: the last row wins on both paths (the fast
    # one kept the middle row, counting the last as a duplicate of the first)
    rows = [
        "id,occurred_at,category,lat,lon",
        "A,2023-05-01 21:30,theft,59.33,18.06",
        "A,2023-05-02 21:30,theft,59.33,18.06",
        "A,2023-05-01 21:30,theft,59.33,18.06",
        "B,2023-05-01 21:30,theft,59.33,18.06",
    ]
    path = tmp_path / "one_case_three_rows.csv"
    path.write_text("\n".join(rows) + "\n")
    summary, _, (stored, _) = _compare_paths(store, path, monkeypatch)
    assert (summary.stored, summary.updated, summary.duplicates) == (2, 2, 0)
    again = import_file(store, "crimes", path).summary
    assert (again.stored, again.updated, again.duplicates) == (0, 2, 2)
    with store.read() as conn:
        when = conn.execute(select(crimes.c.occurred_at).where(crimes.c.source_id == "A"))
        assert when.scalar_one().date().isoformat() == "2023-05-01"


def _spy_straight(monkeypatch) -> list[bool]:
    """Whether each chunk of a locked PostgreSQL import went straight into the table."""
    seen: list[bool] = []
    real = sink.Sink.settle

    def spy(self, sent):
        done = real(self, sent)
        if sent.ids is not None:  # a straight COPY, not a re-import's check
            seen.append(done)
        return done

    monkeypatch.setattr(sink.Sink, "settle", spy)
    return seen


CASES = [
    "id,occurred_at,category,lat,lon,place_text",
    "A,2023-05-01 21:30,theft,59.33,18.06,Klara",
    "B,2023-05-02 21:30,drug_offence,59.34,18.07,",
]


@pytest.mark.parametrize(
    ("extra", "straight"),
    [([], [True]), (["A,2023-05-03 21:30,theft,59.33,18.06,again"], [False])],
    ids=["keys unique", "a key twice"],
)
def test_a_locked_import_copied_straight_stores_as_row_by_row(
    store, tmp_path, monkeypatch, extra, straight
):
    """A big import on PostgreSQL holds the table and COPYs each chunk straight into it; a key
    twice in the chunk fails that COPY, which is taken back, and the chunk goes the staged
    way. Either way the store ends as the row-by-row path leaves it."""
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    seen = _spy_straight(monkeypatch)
    path = tmp_path / "cases.csv"
    path.write_text("\n".join(CASES + extra) + "\n")
    summary, _, (stored, _) = _compare_paths(store, path, monkeypatch)
    assert (summary.stored, summary.updated) == (2, len(extra))
    assert len(stored) == 2
    assert seen == (straight if store.backend != "sqlite" else [])


def _both_paths_twice(store, monkeypatch, first, second, *columns):
    """`first` then `second` imported by the row-by-row path, and again, on an emptied table,
    by the fast one: for each, (stored, updated, duplicates) of the second import, the rows'
    `columns` ordered by the first, and the count of assignments."""

    def run():
        import_file(store, "crimes", first)
        summary = import_file(store, "crimes", second).summary
        with store.read() as conn:
            rows = conn.execute(select(*columns).order_by(columns[0])).all()
            n = conn.execute(select(func.count()).select_from(assignments)).scalar_one()
        return (summary.stored, summary.updated, summary.duplicates), rows, n

    monkeypatch.setattr(bulk, "ENABLED", False)
    slow = run()
    _empty_crimes(store)
    monkeypatch.setattr(bulk, "ENABLED", True)
    return slow, run()


def test_a_locked_import_meeting_a_stored_key_is_staged(
    store, tmp_path, monkeypatch, places_geojson
):
    """The table holds one case when a bigger file comes with that case changed: the straight
    COPY meets the stored key, is taken back, and the rows are staged: the changed case is
    updated, the others stored, as row by row."""
    import_file(store, "places", places_geojson)
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("\n".join(CASES[:2]) + "\n")
    changed = [
        "C,2023-05-04 01:00,theft,59.3326,18.0649,",
        "D,2023-05-04 02:00,theft,59.3430,18.0498,",
    ]
    second.write_text("\n".join([CASES[0], CASES[1].replace("theft", "vandalism"), *changed]))

    seen = _spy_straight(monkeypatch)
    slow, fast = _both_paths_twice(
        store, monkeypatch, first, second, crimes.c.id, crimes.c.source_id, crimes.c.category
    )
    assert fast[0] == slow[0] == (2, 1, 0)
    assert [r[1:] for r in fast[1]] == [r[1:] for r in slow[1]]
    assert [r.category for r in fast[1]] == ["vandalism", "theft", "theft"]
    # the ids the taken-back COPY held were handed out again (without that: 1, 6, 7); the
    # staged way numbers every row of its chunk, the one met again too, hence no 2
    ids = [r.id for r in fast[1]]
    assert ids == ([1, 3, 4] if store.backend == "postgis" else [1, 2, 3])
    assert fast[2] == slow[2] > 0
    assert seen == ([True, False] if store.backend != "sqlite" else [])


def _many_chunks(path, n: int, again_at: int | None = None):
    """A CSV of `n` crimes in many chunks of Arrow's reader; row `again_at` repeats the first
    row's key with another category."""
    lines = ["id,occurred_at,category,lat,lon,place_text"]
    for i in range(n):
        lat, lon = 59.3326 + (i % 7) * 0.0004, 18.0649 + (i % 5) * 0.0004
        key, category = ("K0", "vandalism") if i == again_at else (f"K{i}", "theft")
        lines.append(f"{key},2023-{1 + i % 12:02d}-11 0{i % 10}:15,{category},{lat},{lon},x")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("again_at", [None, 2500], ids=["keys unique", "a key again later"])
def test_a_locked_import_sent_chunk_by_chunk_behind_the_reading_stores_as_row_by_row(
    store, tmp_path, monkeypatch, places_geojson, again_at
):
    """On PostgreSQL each chunk of a big import is COPYed while the next is read. A key met
    again in a later chunk fails that chunk's COPY: it and the chunks after it are staged, its
    ids are handed out again, and the store ends as the row-by-row path leaves it."""
    import_file(store, "places", places_geojson)
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)  # ~350 rows a chunk
    seen = _spy_straight(monkeypatch)
    staged, insert = [0], sink.Sink.insert
    monkeypatch.setattr(
        sink.Sink,
        "insert",
        lambda self, rows, arrow=None: staged.append(staged[-1] + 1) or insert(self, rows, arrow),
    )
    path = _many_chunks(tmp_path / "many.csv", 3000, again_at)
    summary, _, (stored, n) = _compare_paths(store, path, monkeypatch)
    assert summary.stored == len(stored) == 3000 - (again_at is not None)
    assert n > 0
    with store.read() as conn:
        ids = conn.execute(select(crimes.c.id).order_by(crimes.c.id)).scalars().all()
    if store.backend == "sqlite":
        assert seen == []
    elif again_at is None:
        assert len(seen) > 5 and all(seen)
        assert ids == list(range(1, 3001))
    else:
        # straight until the chunk with the key again, staged from there on
        assert len(seen) > 5 and all(seen[:-1]) and seen[-1] is False
        assert staged[-1] >= 2  # that chunk, and at least one after it
        # handed out again: the staged way numbers the row met again too, hence one gap;
        # without it the failed chunk's ~350 ids would be skipped
        assert ids[-1] == 3000


def test_a_postgis_chunk_whose_columns_arrow_refuses_goes_as_rows(
    store, tmp_path, monkeypatch, places_geojson
):
    """When Arrow refuses a checked chunk's columns (`Sink.arrow_columns` gives None, e.g. a
    value beyond the column's type), the chunk goes to the writer as row tuples, and the store
    ends as the row-by-row path leaves it; neither the rows nor the columns go missing."""
    if store.backend != "postgis":
        pytest.skip("COPY data is PostgreSQL's")
    import_file(store, "places", places_geojson)
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)  # ~350 rows a chunk
    monkeypatch.setattr(sink.Sink, "arrow_columns", lambda self, values: None)
    path = _many_chunks(tmp_path / "many.csv", 1200)
    summary, _, (stored, _) = _compare_paths(store, path, monkeypatch)
    assert summary.stored == len(stored) == 1200


@pytest.mark.parametrize("forked", [False, True], ids=["one process", "read by a second"])
@pytest.mark.parametrize("dirty", [False, True], ids=["every row checked by column", "one built"])
def test_postgis_chunks_go_to_the_writer_as_arrow_columns_and_store_as_row_by_row(
    store, tmp_path, monkeypatch, places_geojson, dirty, forked
):
    """On PostgreSQL a chunk whose rows all passed the column-wise checks reaches the writer
    as the Arrow columns its COPY data is made of, without row tuples (made, and pickled, by
    the reading process when there is one); a chunk with a row built by the layer's own build
    goes as rows. The store ends as the row-by-row path leaves it, on a first import
    (straight COPY) and a re-import (the keys checked)."""
    if store.backend != "postgis":
        pytest.skip("COPY data is PostgreSQL's")
    import_file(store, "places", places_geojson)
    children = []
    if forked:
        monkeypatch.setattr(overlap, "PARALLEL_FROM_BYTES", 0)
        monkeypatch.setattr(overlap, "available", lambda: True)
        real_child = overlap.prepared_in_child
        monkeypatch.setattr(
            overlap, "prepared_in_child", lambda *a: children.append(1) or real_child(*a)
        )
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)  # ~350 rows a chunk
    path = _many_chunks(tmp_path / "many.csv", 3000)
    if dirty:  # a local time with its offset: the column-wise check leaves it to `build`
        lines = path.read_text().splitlines()
        lines[1500] = lines[1500].replace(" 0", "T0", 1).replace(",theft", "+02:00,theft", 1)
        path.write_text("\n".join(lines) + "\n")
    given: list[tuple[bool, bool]] = []  # per chunk: (rows given, Arrow columns given)
    real = sink.Sink._columns
    monkeypatch.setattr(
        sink.Sink,
        "_columns",
        lambda self, rows, arrow=None: (
            given.append((rows is not None, arrow is not None)) or real(self, rows, arrow)
        ),
    )
    summary, _, (stored, _) = _compare_paths(
        store, path, monkeypatch, arrow=None if forked else True
    )
    assert summary.stored == len(stored) == 3000
    first = list(given)
    given.clear()
    again = import_file(store, "crimes", path).summary
    assert (again.stored, again.updated, again.duplicates) == (0, 0, 3000)
    assert bool(children) == forked
    for calls in (first, given):
        assert len(calls) > 5
        if dirty:  # the chunk with the built row, and it alone, goes as rows
            assert calls.count((True, False)) == 1
        assert calls.count((False, True)) == len(calls) - dirty


def test_a_reimport_checked_behind_the_reading_counts_and_updates_as_row_by_row(
    store, tmp_path, monkeypatch, places_geojson
):
    """A re-import on PostgreSQL looks each chunk's keys up while the next chunk is read. The
    chunks met whole and equal count as duplicates; the chunk with a changed row, and the one
    with a new row, are stored as any other: the same summary and rows as the row-by-row path."""
    checks: list[bool] = []
    settle = sink.Sink.settle

    def spy(self, sent):
        done = settle(self, sent)
        if sent.ids is None:
            checks.append(done)
        return done

    monkeypatch.setattr(sink.Sink, "settle", spy)
    slow, fast = _again_with_a_change_and_a_new_row(store, tmp_path, monkeypatch, places_geojson)
    assert fast[2] == slow[2] > 0
    if store.backend == "sqlite":
        assert checks == []
    else:
        # every chunk checked behind; two not whole: the one with the changed row and the
        # last one, with the new row, which ends the checks
        assert len(checks) > 5 and checks.count(False) == 2 and checks[-1] is False


def _again_with_a_change_and_a_new_row(store, tmp_path, monkeypatch, places_geojson):
    """3,000 crimes in many chunks, then the same file with one row changed (in a later chunk)
    and a new row at its end, by both paths (`_both_paths_twice`): the same summary, (1 stored,
    1 updated, 2,999 duplicates), and the same rows."""
    import_file(store, "places", places_geojson)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)  # ~350 rows a chunk
    first = _many_chunks(tmp_path / "first.csv", 3000)
    lines = first.read_text().splitlines()
    lines[2001] = lines[2001].replace("theft", "vandalism")
    second = tmp_path / "second.csv"
    second.write_text("\n".join([*lines, "NEW,2023-05-01 10:00,theft,59.3326,18.0649,x"]) + "\n")
    slow, fast = _both_paths_twice(
        store, monkeypatch, first, second, crimes.c.source_key, crimes.c.category
    )
    assert fast[0] == slow[0] == (1, 1, 2999)
    assert fast[1] == slow[1]
    return slow, fast


_NOT_COMPARED = ("id", "created_at", "updated_at")


def _observations(path, n: int, changed_at: int | None = None, new: bool = False):
    lines = ["id,occurred_at,category,lat,lon,count,text"]
    for i in range(n):
        lat, lon = 59.3326 + (i % 7) * 0.0004, 18.0649 + (i % 5) * 0.0004
        text = ["", 'a "q", b', "plain", "ÅÄÖ"][i % 4]
        count = "" if i % 3 == 0 else str(i)
        category = "drug_sale" if i == changed_at else "drug_use"
        when = f"2023-{1 + i % 12:02d}-11 0{i % 10}:15:{i % 60:02d}"
        lines.append(f'O{i},{when},{category},{lat},{lon},{count},"{text}"')
    if new:
        lines.append("NEW,2023-05-01 10:00,drug_use,59.3326,18.0649,1,x")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_count_beyond_the_column_is_a_rejected_row_on_both_paths(store, tmp_path, monkeypatch):
    """A count of three thousand million does not fit PostgreSQL's integer column: that row
    is rejected with the field and the bound, the others stored, on the column-wise path as
    on the row-by-row one (it was the server's error for the whole import on PostgreSQL)."""
    from lagesbild.store.schema import observations

    lines = ["id,occurred_at,category,lat,lon,count"]
    lines += [f"O{i},2023-05-01 10:{i:02d},drug_use,59.3326,18.0649,{i}" for i in range(30)]
    lines[6] = lines[6].replace(",5", ",3000000000")
    path = tmp_path / "counts.csv"
    path.write_text("\n".join(lines) + "\n")

    def run():
        summary = import_file(store, "observations", path).summary
        with store.read() as conn:
            query = select(observations.c.source_id, observations.c.count)
            rows = conn.execute(query.order_by(observations.c.count)).all()
        with store.write() as conn:
            conn.execute(assignments.delete())
            conn.execute(observations.delete())
        return summary.stored, [(r.line, r.reason) for r in summary.rejected], rows

    monkeypatch.setattr(bulk, "ENABLED", False)
    slow = run()
    monkeypatch.setattr(bulk, "ENABLED", True)
    fast = run()
    assert fast == slow
    stored, rejects, rows = fast
    assert stored == 29 and rows == [(f"O{i}", i) for i in range(30) if i != 5]
    assert [line for line, _ in rejects] == [7]
    assert "count" in rejects[0][1] and "2147483647" in rejects[0][1]


@pytest.mark.parametrize("locked", [True, False], ids=["straight", "staged"])
def test_observations_first_and_again_store_as_row_by_row(
    store, tmp_path, monkeypatch, places_geojson, locked
):
    """Observations (counts, free text with quotes and letters beyond ASCII) through the
    binary COPY, straight or staged, and again with a changed row and a new one: the same
    summaries and rows as the row-by-row path."""
    from lagesbild.store.schema import observations

    import_file(store, "places", places_geojson)
    if locked:
        monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)
    first = _observations(tmp_path / "first.csv", 2000)
    second = _observations(tmp_path / "second.csv", 2000, changed_at=1500, new=True)

    def run():
        out = []
        for path in (first, second):
            summary = import_file(store, "observations", path).summary.as_dict()
            with store.read() as conn:
                rows = [
                    tuple(v for k, v in r._mapping.items() if k not in _NOT_COMPARED)
                    for r in conn.execute(select(observations).order_by(observations.c.source_key))
                ]
                n = conn.execute(select(func.count()).select_from(assignments)).scalar_one()
            out.append((summary, rows, n))
        return out

    monkeypatch.setattr(bulk, "ENABLED", False)
    slow = run()
    with store.write() as conn:
        conn.execute(assignments.delete())
        conn.execute(observations.delete())
    monkeypatch.setattr(bulk, "ENABLED", True)
    fast = run()
    assert fast == slow
    assert (slow[1][0]["stored"], slow[1][0]["updated"]) == (1, 1)


@pytest.mark.parametrize("where", ["a straight COPY", "a re-import's look-up"])
def test_an_error_in_the_copy_thread_leaves_the_store_as_it_was(
    store, tmp_path, monkeypatch, places_geojson, where
):
    """A failure in the COPY thread other than a key met again (here a DataError in the
    fourth COPY) reaches the caller; the import is rolled back whole, the thread is gone, and
    the store takes the next import."""
    if store.backend != "postgis":
        pytest.skip("the COPY thread is PostgreSQL's")
    import threading

    import psycopg

    import_file(store, "places", places_geojson)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)
    path = _many_chunks(tmp_path / "many.csv", 3000)
    if where == "a straight COPY":
        monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    else:
        import_file(store, "crimes", path)
    real, sent = sink._send, []

    def failing(cur, table, data):
        if threading.current_thread().name.startswith("lagesbild-copy"):
            sent.append(table)
            if len(sent) == 4:
                raise psycopg.errors.DataError("broken on purpose")
        return real(cur, table, data)

    monkeypatch.setattr(sink, "_send", failing)
    with store.read() as conn:
        before = conn.execute(select(func.count()).select_from(crimes)).scalar_one()
    with pytest.raises(psycopg.errors.DataError):
        import_file(store, "crimes", path)
    assert not [t for t in threading.enumerate() if t.name.startswith("lagesbild-copy")]
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(crimes)).scalar_one() == before
    monkeypatch.setattr(sink, "_send", real)
    summary = import_file(store, "crimes", path).summary
    assert summary.stored + summary.duplicates == 3000


def test_an_error_while_a_chunk_is_sent_leaves_the_store_as_it_was(
    store, tmp_path, monkeypatch, places_geojson
):
    """An error in reading a chunk while the one before is being COPYed: the COPY is waited
    for, the import is rolled back whole, its thread is gone, and the store takes the next
    import."""
    import threading

    import_file(store, "places", places_geojson)
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 1)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)
    path = _many_chunks(tmp_path / "many.csv", 3000)
    real, calls = pipeline._prepare, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ValidationError("row", "broken on purpose")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_prepare", failing)
    with pytest.raises(LagesbildError, match="broken on purpose"):
        import_file(store, "crimes", path)
    assert not [t for t in threading.enumerate() if t.name.startswith("lagesbild-copy")]
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(crimes)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(assignments)).scalar_one() == 0
    monkeypatch.setattr(pipeline, "_prepare", real)
    assert import_file(store, "crimes", path).summary.stored == 3000


@pytest.mark.parametrize(
    ("ending", "gap"),
    [
        ("\n", "\n\n"),
        ("\r\n", "\r\n\r\n"),
        ("\r\n", "\r\n\n"),
        ("\r", "\r\r"),
        ("\n", None),
        ("\r\n", None),
    ],
)
def test_a_blank_line_before_the_end_keeps_the_file_from_arrow(tmp_path, ending, gap):
    """Arrow skips a blank line without counting it, so the line numbers after it would be
    wrong: such a file is read by the csv module (`open` is None), whatever the lines end
    with; blank lines at the very end do not count."""
    from lagesbild.ingest.sources import open_source

    rows = [f"K{i},2023-05-01 21:{i:02d},theft,59.3326,18.0649" for i in range(40)]
    head = "id,occurred_at,category,lat,lon" + ending + ending.join(rows[:20])
    tail = ending.join(rows[20:]) + ending * 3
    path = tmp_path / "crimes.csv"
    path.write_bytes((head + (gap or ending) + tail).encode())
    opened = CsvColumns.open(open_source(path, "crimes"))
    assert (opened is None) == (gap is not None)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_arrow_csv_reads_as_the_csv_module(store, tmp_path, monkeypatch, encoding):
    """Quoted fields with new lines and delimiters, rows with too few or too many fields, a
    line of spaces, hash keys, a mapped header, decimal commas: lines and values as before."""
    lines = [
        "Id;Brottsdatum;Kategori;Lat;Lon;Plats;Organisation",
        'A1;2023-05-01 21:30;theft;59,3326;18,0649;"Sergels torg;\nplattan";',
        "A2;2023-05-01;drug_offence;59.3326;18.0649;;Polisen",
        "A3;2023-05-01 21:30",  # too few fields
        '"A4";"2023-05-01T22:00";"violent_crime";"59.3330";"18.0650";"Klara\nkyrka";',
        "   ",  # a line of spaces: blank, not a row
        ";2023-05-02 01:00;vandalism;59.3331;18.0651;Drottninggatan;",  # no id: a hash key
        "A6;2023-05-02 01:00;theft;59.3331;18.0651;x;;extra",  # too many fields
        "A7;2023-05-02 25:00;theft;59.3331;18.0651;;",  # no such hour
        "A8;2023-05-03 10:00;Stöld;59.3331;18.0651;Åhléns;",  # unknown category
        "A9;2023-05-03 10:00;theft;18.0651;59.3331;;",  # swapped
        "A1;2023-05-01 21:30;theft;59,3326;18,0649;;",  # the same id again, changed
        "A10;2023-05-03 10:00:00;other;59.3331;18.0651;;Nobody",  # unknown organisation
    ]
    write_records(store, "organisations", [(2, {"name": "Polisen", "code": "POL"}, None)])
    path = tmp_path / "extract.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    options = ImportOptions(
        mapping={
            "occurred_at": "Brottsdatum",
            "category": "Kategori",
            "place_text": "Plats",
        }
    )
    summary, rejects, _ = _compare_paths(store, path, monkeypatch, options)
    assert summary.stored == 4 and summary.updated == 1 and summary.read == 11
    assert [line for line, _ in rejects] == [5, 10, 11, 12, 13, 15]


def test_arrow_csv_owner_and_offence_codes(store, tmp_path, monkeypatch):
    write_records(store, "organisations", [(2, {"name": "Polisen", "code": "POL"}, None)])
    path = tmp_path / "codes.csv"
    path.write_text(
        "occurred_at,offence_code,lat,lon\n"
        "2023-05-01 21:30,rån,59.3326,18.0649\n"
        "2023-05-01 21:30,9999,59.3326,18.0649\n"  # not in the offence table
        "2023-05-01 21:31,,59.3326,18.0649\n",  # neither code nor category
        encoding="utf-8",
    )
    summary, rejects, _ = _compare_paths(
        store, path, monkeypatch, ImportOptions(organisation="Polisen")
    )
    assert summary.stored == 1 and [line for line, _ in rejects] == [3, 4]


def test_observation_geojson_points(store, tmp_path):
    path = tmp_path / "obs.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [18.0649, 59.3326]},
                        "properties": {
                            "OCCURRED_AT": "2023-05-01 22:00",
                            "Category": "drug_use",
                            "count": 2,
                        },
                    },
                ],
            }
        )
    )
    s = import_file(store, "observations", path).summary
    assert s.stored == 1, s.rejected


def test_unclosed_quote_and_huge_field_read_alike(store, tmp_path, monkeypatch):
    """An unclosed quote swallows the rest of the file into one field: both paths reject the
    row, at the same line. A field of 6 MB is longer than a chunk of Arrow's reader, which
    would refuse the file: the fast path leaves it to the row-by-row reader, which rejects the
    row alone."""
    ok = "2023-05-01 21:30,theft,59.33,18.06,ok"
    lines = ["id,occurred_at,category,lat,lon,place_text"] + [f"K{i},{ok}" for i in range(5)]
    lines += ['K5,2023-05-01 21:30,theft,59.33,18.06,"no closing quote']
    lines += [f"K{i},{ok}" for i in range(6, 20)]
    path = tmp_path / "open_quote.csv"
    path.write_text("\n".join(lines) + "\n")
    summary, rejects, _ = _compare_paths(store, path, monkeypatch)
    assert summary.stored == 5 and rejects[0][0] == 21  # the file's last line

    path = tmp_path / "huge.csv"
    path.write_text(
        lines[0] + '\nK1,2023-05-01 21:30,theft,59.33,18.06,"' + "x" * (6 << 20) + '"\n'
    )
    with store.write() as conn:
        conn.execute(crimes.delete())
    summary, rejects, _ = _compare_paths(store, path, monkeypatch, arrow=False)
    assert rejects[0][0] == 2 and "at most 300" in rejects[0][1]
    path.write_text(path.read_text() + "K2,2023-05-01 21:30,theft,59.33,18.06,ok\n")
    with store.write() as conn:
        conn.execute(crimes.delete())
    summary, rejects, _ = _compare_paths(store, path, monkeypatch, arrow=False)
    assert summary.stored == 1 and [r[0] for r in rejects] == [2]


def test_a_row_of_many_lines_longer_than_a_chunk_is_a_file_problem(store, tmp_path, monkeypatch):
    """A quoted value of many short lines makes a row longer than a chunk of Arrow's reader,
    which refuses it when it reads its first chunk: one message naming the file, nothing
    stored (not Arrow's own exception)."""
    from lagesbild.ingest.sources import FileProblem

    monkeypatch.setattr(columns, "BLOCK", 16 << 10)
    text = "\n".join(["line of a long note"] * 2000)  # 40 KB over 2,000 short lines
    path = tmp_path / "notes.csv"
    path.write_text(
        "id,occurred_at,category,lat,lon,place_text\n"
        f'K1,2023-05-01 21:30,theft,59.33,18.06,"{text}"\n'
        "K2,2023-05-01 21:30,theft,59.33,18.06,ok\n"
    )
    with pytest.raises(FileProblem, match="notes.csv: .*straddl"):
        import_file(store, "crimes", path)
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(crimes)).scalar_one() == 0


def test_csv_module_error_is_a_file_problem(store, tmp_path, monkeypatch):
    from lagesbild.ingest import sources

    monkeypatch.setattr(sources, "FIELD_LIMIT", 100)
    monkeypatch.setattr(bulk, "ENABLED", False)
    path = tmp_path / "long.csv"
    path.write_text(
        "id,occurred_at,category,lat,lon,place_text\n"
        + f"K1,2023-05-01,theft,59.33,18.06,{'x' * 200}\n"
    )
    with pytest.raises(sources.FileProblem, match=r"long\.csv: line 2: field larger"):
        import_file(store, "crimes", path)
    assert count(store, crimes) == 0


def test_features_differing_only_in_place_are_two_records(store, tmp_path):
    """Without ids, the content key of a GIS feature includes its geometry: two reports of the
    same kind at the same minute in two places are two records, and a re-import adds none."""

    def feature(lon, lat):
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"occurred_at": "2023-05-01 22:00", "category": "drug_use"},
        }

    path = tmp_path / "obs.geojson"
    features = [feature(18.0649, 59.3326), feature(18.0700, 59.3350)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert import_file(store, "observations", path).summary.stored == 2
    again = import_file(store, "observations", path).summary
    assert (again.stored, again.duplicates, again.updated) == (0, 2, 0)


def test_a_file_of_stored_keys_with_one_row_changed_updates_that_row(store, tmp_path):
    """Every key of the file is stored and one row differs: on PostgreSQL the join that finds
    the keys also compares the rows, and must not take the file for a plain re-import."""
    path = tmp_path / "cases.csv"
    path.write_text("\n".join(CASES) + "\n")
    assert import_file(store, "crimes", path).summary.stored == 2
    again = import_file(store, "crimes", path).summary
    assert (again.stored, again.updated, again.duplicates) == (0, 0, 2)
    path.write_text("\n".join([*CASES[:2], CASES[2].replace("drug_offence", "theft")]) + "\n")
    changed = import_file(store, "crimes", path).summary
    assert (changed.stored, changed.updated, changed.duplicates) == (0, 1, 1)
    with store.read() as conn:
        got = conn.execute(select(crimes.c.category).where(crimes.c.source_id == "B"))
        assert got.scalar_one() == "theft"


def test_a_sqlite_reimport_settles_a_chunk_met_again_whole_by_one_comparison(
    store, tmp_path, monkeypatch, places_geojson
):
    """On SQLite a chunk's stored rows are read back in the chunk's order: a chunk met again
    whole and as stored is settled by comparing the two lists, with no row looked up by its
    key. The chunk with a changed row and the one with a new row go row by row as before, and
    the summary and the rows are those of the row-by-row path."""
    if store.backend != "sqlite":
        pytest.skip("SQLite's re-import")
    seen: list[tuple[bool, int]] = []  # per chunk of the re-import: (whole, rows looked up)
    insert = sink.Sink.insert

    def spy(self, rows, arrow=None):
        out = insert(self, rows, arrow)
        if self._had_rows:  # the fast path's second import (its first met an empty table)
            seen.append((self._all_same, len(self._known)))
        return out

    monkeypatch.setattr(sink.Sink, "insert", spy)
    _again_with_a_change_and_a_new_row(store, tmp_path, monkeypatch, places_geojson)
    assert len(seen) > 5
    assert [whole for whole, _ in seen].count(False) == 2  # the changed row's, the last
    assert all(looked == 0 for whole, looked in seen if whole)
    assert all(looked > 0 for whole, looked in seen if not whole)


@pytest.mark.parametrize("edited", ["sensitivity", "place_text", "occurred_at"])
def test_a_sqlite_reimport_compares_the_columns_of_one_value_in_sql(
    sqlite_store, tmp_path, monkeypatch, places_geojson, edited
):
    """Columns of one value in a whole chunk (here the category, the owner, the sensitivity,
    the place text and those the file lacks) are compared in SQL, the others read back: a
    chunk met again whole is settled so, and a stored row changed since, in such a column or
    another, is found and set back as the file has it (1 updated, 2,999 duplicates), its
    chunk compared row by row."""
    store = sqlite_store
    import_file(store, "places", places_geojson)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)  # ~350 rows a chunk
    path = _many_chunks(tmp_path / "crimes.csv", 3000)
    assert import_file(store, "crimes", path).summary.stored == 3000
    value = {
        "sensitivity": "restricted",
        "place_text": "y",
        "occurred_at": datetime(2020, 1, 1, tzinfo=UTC),
    }[edited]
    k2001 = crimes.c.source_id == "K2001"
    with store.write() as conn:
        before = conn.execute(select(crimes).where(k2001)).one()._asdict()
        conn.execute(crimes.update().where(k2001).values({edited: value}))
    settled: list[bool] = []  # per chunk: settled by the comparison in SQL
    constants: list[set[str]] = []
    stored_rows = sink.Sink._stored_rows

    def spy(self, cur, rows):
        out = stored_rows(self, cur, rows)
        settled.append(out is rows)
        constants.append({self.row_columns[k] for k, _ in rows.fixed})
        return out

    monkeypatch.setattr(sink.Sink, "_stored_rows", spy)
    summary = import_file(store, "crimes", path).summary
    assert (summary.stored, summary.updated, summary.duplicates) == (0, 1, 2999)
    assert len(settled) > 5 and settled.count(False) == 1
    one_value = {"category", "sensitivity", "place_text", "owner_org_id", "offence_code"}
    assert all(one_value <= c and not c & {"occurred_at", "source_id"} for c in constants)
    with store.read() as conn:
        after = conn.execute(select(crimes).where(k2001)).one()._asdict()
    assert {**after, "updated_at": None} == {**before, "updated_at": None}


def test_a_bulk_import_numbers_its_rows_in_file_order_and_links_each_to_its_places(
    sqlite_store, tmp_path, monkeypatch, places_geojson
):
    """SQLite: the reading process packs each chunk's rows (`Packed`) and each multi-row
    statement binds only its first id, numbering its rows from it. Over many chunks, each
    ending in a shorter statement, the ids follow the file's order without a gap, and each
    crime's links to places are those the row-by-row path gives the same crime (a link to
    the wrong id would show here)."""
    store = sqlite_store
    import_file(store, "places", places_geojson)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)  # ~350 rows a chunk
    n = 2345
    path = _many_chunks(tmp_path / "crimes.csv", n)

    def links() -> list:
        on = (assignments.c.record_id == crimes.c.id) & (assignments.c.layer == "crimes")
        query = select(crimes.c.source_key, assignments.c.place_id, assignments.c.round_id)
        with store.read() as conn:
            return sorted(conn.execute(query.join(assignments, on)).all())

    monkeypatch.setattr(bulk, "ENABLED", False)
    import_file(store, "crimes", path)
    slow = links()
    _empty_crimes(store)
    monkeypatch.setattr(bulk, "ENABLED", True)
    packed: list[int] = []  # rows per chunk inserted from packed rows
    real = sink.Sink._insert_sqlite
    monkeypatch.setattr(
        sink.Sink,
        "_insert_sqlite",
        lambda self, cur, rows: packed.append(len(rows)) or real(self, cur, rows),
    )
    assert import_file(store, "crimes", path).summary.stored == n
    assert len(packed) > 5 and sum(packed) == n and any(k % 100 for k in packed)
    with store.read() as conn:
        ids = conn.execute(select(crimes.c.id, crimes.c.source_id).order_by(crimes.c.id)).all()
    first = ids[0][0]
    assert [i for i, _ in ids] == list(range(first, first + n))
    assert [k for _, k in ids] == [f"K{i}" for i in range(n)]
    assert 500 < len(slow) < n and links() == slow  # some crimes in a place, not all


@pytest.mark.parametrize("twice", [False, True], ids=["keys once", "a key twice in a chunk"])
def test_a_chunk_met_again_whole_counts_its_duplicates_as_row_by_row(
    store, tmp_path, monkeypatch, places_geojson, twice
):
    """A re-import's chunk met again whole and equal is counted as duplicates at once
    (`Sink.met_whole`), unless a key is twice in it: that chunk goes the long way. Either way
    the summary and the rows are those of the row-by-row path."""
    import_file(store, "places", places_geojson)
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)  # ~350 rows a chunk
    path = _many_chunks(tmp_path / "crimes.csv", 1500)
    if twice:  # the same row twice, next to itself
        lines = path.read_text().splitlines()
        path.write_text("\n".join([*lines[:700], lines[700], *lines[700:]]) + "\n")
    shortcuts: list[bool] = []  # per chunk of the fast path's re-import
    real = sink.Sink.met_whole

    def spy(self):
        if self._had_rows:  # SQLite's re-import (PostgreSQL's goes by the COPY thread)
            shortcuts.append(real.fget(self))
        return real.fget(self)

    monkeypatch.setattr(sink.Sink, "met_whole", property(spy))
    slow, fast = _both_paths_twice(store, monkeypatch, path, path, crimes.c.source_key)
    assert fast == slow
    assert fast[0] == (0, 0, 1500 + twice)
    if store.backend == "sqlite":  # every chunk was met whole, the one with a key twice too
        assert len(shortcuts) > 3 and all(shortcuts)
