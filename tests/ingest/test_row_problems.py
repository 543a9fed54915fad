"""Row problems that the database, GEOS or Python would otherwise meet first: each is a rejected
row with its reason (never a traceback), and the good rows of the file are stored. Also the
forms that must read as the user meant them: Swedish clock times, exported formula guards and
single-part multi-geometries."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

from lagesbild.domain.model import SYSTEM
from lagesbild.errors import LagesbildError
from lagesbild.ingest.export import export_layer
from lagesbild.ingest.service import import_file
from lagesbild.store.schema import cameras, crimes, organisations

from .conftest import SERGEL


def _rejects(path) -> list[dict[str, str]]:
    with open(path.with_name(path.name + ".rejected.csv"), encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _import_text(store, layer, path, text):
    """Import `text` written to `path`: the summary and the reason of each rejected row."""
    path.write_text(text, encoding="utf-8")
    summary = import_file(store, layer, path).summary
    return summary, [r["reason"] for r in _rejects(path)] if summary.rejected_count else []


def test_taken_code_and_twin_rows_are_rejected(store, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(
        "name,code,kind\nPolisen,polis,police\nNy org,polis,police\nA,a,x\nA2,a,x\n",
        encoding="utf-8",
    )
    s = import_file(store, "organisations", path).summary
    assert (s.read, s.stored, s.rejected_count) == (4, 2, 2)
    lines = {r["line"]: r["reason"] for r in _rejects(path)}
    assert set(lines) == {"3", "5"}
    assert lines["3"].startswith("code: 'polis' is already used by another record")
    with store.read() as conn:
        names = set(conn.execute(select(organisations.c.name)).scalars())
    assert {"Polisen", "A"} <= names and not {"Ny org", "A2"} & names


def test_roster_briefing_must_be_in_the_store(store, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(
        "organisation,starts_at,ends_at,headcount,briefing\n"
        "Stadsdelsförvaltningen,2024-10-01 18:00,2024-10-02 01:00,5,\n"
        "Stadsdelsförvaltningen,2024-10-01 18:00,2024-10-02 01:00,5,999\n",
        encoding="utf-8",
    )
    s = import_file(store, "roster", path).summary
    assert (s.stored, s.rejected_count) == (1, 1)
    (reject,) = _rejects(path)
    assert reject["line"] == "3" and "there is no briefing 999 in this store" in reject["reason"]


def test_unreadable_geometry_rejects_its_feature_only(store, tmp_path):
    lon, lat = SERGEL
    feats = [
        {"type": "LineString", "coordinates": [[lon, lat]]},  # one point: not a line
        {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.001, lat]]},
    ]
    path = tmp_path / "streets.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": g, "properties": {"name": f"Gata {i}"}}
                    for i, g in enumerate(feats)
                ],
            }
        )
    )
    s = import_file(store, "streets", path).summary
    assert (s.read, s.stored, s.rejected_count) == (2, 1, 1)
    (reject,) = _rejects(path)
    assert reject["name"] == "Gata 0" and reject["reason"].startswith("geometry: not a valid")


def test_swedish_clock_times(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "id,occurred_at,category,lat,lon\n"
        "A,2023-05-01 22.15,theft,59.3326,18.0649\n"
        "B,2023-05-01 9.05,theft,59.3326,18.0649\n"
        "C,2023-05-01 22.5,theft,59.3326,18.0649\n"  # not 22:00:00.5: rejected
        "D,2023-05-01t19:30:00z,theft,59.3326,18.0649\n",  # RFC 3339 in lowercase
        encoding="utf-8",
    )
    s = import_file(store, "crimes", path).summary
    assert (s.stored, s.rejected_count) == (3, 1)
    with store.read() as conn:
        got = dict(conn.execute(select(crimes.c.source_id, crimes.c.occurred_at)).all())
    # CEST is UTC+2
    assert got["A"].isoformat().startswith("2023-05-01T20:15:00")
    assert got["B"].isoformat().startswith("2023-05-01T07:05:00")
    assert got["D"].isoformat().startswith("2023-05-01T19:30:00")
    assert _rejects(path)[0]["line"] == "4"


def test_empty_category_says_it_is_empty(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("occurred_at,category,lat,lon\n2023-05-01,,59.33,18.06\n", encoding="utf-8")
    import_file(store, "crimes", path)
    (reject,) = _rejects(path)
    assert reject["reason"].startswith("category: is empty; each row needs a category")


def test_camera_bearing_and_dates_are_checked(store, tmp_path):
    head = "operator,bearing,angle,range,lat,lon,active_from,active_to\n"
    s, reasons = _import_text(
        store,
        "cameras",
        tmp_path / "cams.csv",
        head + "Polisen,400,90,50,59.3326,18.0649,,\n"
        "Polisen,90,90,50,59.3326,18.0649,2024-05-01,2024-01-01\n"
        "Polisen,360,90,50,59.3326,18.0649,2024-01-01,2024-05-01\n",
    )
    assert (s.stored, s.rejected_count) == (1, 2)
    assert reasons[0].startswith("bearing: 400.0 is not a compass bearing")
    assert reasons[1].startswith("active_to: 2024-01-01 is before active_from")
    with store.read() as conn:
        assert conn.execute(select(cameras.c.bearing)).scalar_one() == 0.0


def test_csv_export_with_formula_guards_imports_as_the_same_records(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "id,occurred_at,category,lat,lon,place_text\n"
        "=X1,2023-05-01 22:15,theft,59.3326,18.0649,-2 personer\n"
        'X2,2023-05-01 22:15,theft,59.3326,18.0649,"=HYPERLINK(""x"")"\n',
        encoding="utf-8",
    )
    import_file(store, "crimes", path)
    out = tmp_path / "out.csv"
    export_layer(store, "crimes", "csv", out, viewer=SYSTEM)
    text = out.read_text(encoding="utf-8-sig")
    assert "'=X1" in text and "'-2 personer" in text  # guarded for spreadsheets
    s = import_file(store, "crimes", out).summary
    assert (s.stored, s.updated, s.duplicates) == (0, 0, 2)
    with store.read() as conn:
        got = dict(conn.execute(select(crimes.c.source_id, crimes.c.place_text)).all())
    assert got == {"=X1": "-2 personer", "X2": '=HYPERLINK("x")'}


def test_gpkg_export_of_polygons_imports_as_unchanged(store, tmp_path, places_geojson):
    import_file(store, "places", places_geojson)
    out = tmp_path / "places.gpkg"
    export_layer(store, "places", "gpkg", out, viewer=SYSTEM)  # written as MultiPolygon
    s = import_file(store, "places", out).summary
    assert (s.read, s.updated, s.duplicates) == (2, 0, 2)


def test_export_to_a_folder_says_so(store, tmp_path):
    with pytest.raises(LagesbildError, match="it is a folder"):
        export_layer(store, "crimes", "csv", tmp_path, viewer=SYSTEM)


def test_parent_later_in_the_file(store, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(
        "name,code,kind,parent\n"
        "Närpolis City,npc,police,Polisen Stockholm\n"  # its parent is on the next line
        "Polisen Stockholm,pst,police,\n"
        "Orphan,orp,x,Nobody\n",
        encoding="utf-8",
    )
    s = import_file(store, "organisations", path).summary
    assert (s.read, s.stored, s.rejected_count) == (3, 2, 1)
    (reject,) = _rejects(path)
    assert reject["line"] == "4" and "unknown organisation 'Nobody'" in reject["reason"]
    with store.read() as conn:
        rows = {r.name: r for r in conn.execute(select(organisations))}
    assert rows["Närpolis City"].parent_id == rows["Polisen Stockholm"].id


def test_swapped_x_y_get_a_hint(store, tmp_path):
    path = tmp_path / "xy.csv"
    path.write_text("occurred_at,category,x,y\n2023-05-01,theft,6580000,674000\n", encoding="utf-8")
    from lagesbild.ingest.service import ImportOptions

    import_file(store, "crimes", path, ImportOptions(crs="EPSG:3006"))
    (reject,) = _rejects(path)
    assert "x and y look swapped" in reject["reason"]


def test_wrong_width_rows_keep_their_values_in_the_report(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,occurred_at,category,lat,lon\nA,2023-05-01,theft,59.33\n", encoding="utf-8")
    import_file(store, "crimes", path)
    (reject,) = _rejects(path)
    assert reject["reason"] == "row has 4 fields; the header has 5"
    assert (reject["id"], reject["category"], reject["lat"], reject["lon"]) == (
        "A",
        "theft",
        "59.33",
        "",
    )


def test_empty_feature_collection_reads_no_rows(store, tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    s = import_file(store, "places", path).summary
    assert (s.read, s.stored, s.rejected_count) == (0, 0, 0)


def test_survey_interval_must_hold_its_share(store, tmp_path):
    from shapely.geometry import box

    from lagesbild.ingest.writer import write_records

    klara = box(18.06, 59.331, 18.07, 59.335)
    write_records(store, "places", [(1, {"name": "Klara", "kind": "scene"}, klara)])
    s, reasons = _import_text(
        store,
        "survey_results",
        tmp_path / "s.csv",
        "survey,year,area,question,share,n,ci_low,ci_high\n"
        "T,2023,Klara,Otrygg,0.12,400,0.09,0.16\n"
        "T,2022,Klara,Otrygg,0.12,400,0.13,0.16\n"  # the low end above the share
        "T,2021,Klara,Otrygg,25 %,400,21 %,24 %\n",  # the high end below it
    )
    assert (s.stored, s.rejected_count) == (1, 2)
    assert reasons[0].startswith("ci_low: 0.13 is above the share 0.12")
    assert reasons[1].startswith("ci_high: 0.24 is below the share 0.25")
