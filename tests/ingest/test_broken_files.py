"""A corpus of files that cannot be imported at all: each stores nothing and says why, naming
the file and what was expected."""

from __future__ import annotations

import zipfile

import pytest
from sqlalchemy import func, select

from lagesbild.errors import LagesbildError
from lagesbild.ingest.service import ImportOptions, import_file
from lagesbild.store.schema import crimes, places

from .conftest import write_shapefile_zip

GOOD = "id,occurred_at,category,lat,lon\n1,2023-05-01,theft,59.33,18.06\n"


def _bytes(data: bytes):
    return lambda p: p.write_bytes(data)


def _text(data: str):
    return lambda p: p.write_text(data, encoding="utf-8")


def _zip_without_prj(p):
    src = write_shapefile_zip(p.parent / "src.zip", crs=None)
    p.write_bytes(src.read_bytes())


def _zip_two_shapefiles(p):
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("a.shp", b""), zf.writestr("b.shp", b"")


CORPUS = [
    # (name, layer, writer, options, expected part of the message)
    ("missing.csv", "crimes", None, {}, "no such file"),
    ("empty.csv", "crimes", _bytes(b""), {}, "is empty; expected a header row"),
    ("blank.csv", "crimes", _text("\n\n"), {}, "no header row"),
    ("binary.csv", "crimes", _bytes(b"PK\x03\x04\x00\x00binary"), {}, "is not a text file"),
    ("utf16.csv", "crimes", _bytes(GOOD.encode("utf-16")), {}, "is not a text file"),
    ("data.xlsx", "crimes", _bytes(b"x"), {}, "unknown format '.xlsx'"),
    (
        "nocat.csv",
        "crimes",
        _text("occurred_at,lat,lon\n2023-05-01,59.3,18.0\n"),
        {},
        "missing required column(s) for layer crimes: category (or offence_code)",
    ),
    (
        "noloc.csv",
        "crimes",
        _text("occurred_at,category\n2023-05-01,theft\n"),
        {},
        "lat and lon (or x and y with --crs)",
    ),
    (
        "xy.csv",
        "crimes",
        _text("occurred_at,category,x,y\n2023-05-01,theft,674000,6580000\n"),
        {},
        "columns x/y need their CRS",
    ),
    (
        "xybad.csv",
        "crimes",
        _text("occurred_at,category,x,y\n2023-05-01,theft,1,2\n"),
        {"crs": "EPSG:99999"},
        "unknown CRS 'EPSG:99999'",
    ),
    (
        "mapped.csv",
        "crimes",
        _text(GOOD),
        {"mapping": {"occurred_at": "Brottsdatum"}},
        "has no column 'Brottsdatum'",
    ),
    (
        "badmap.csv",
        "crimes",
        _text(GOOD),
        {"mapping": {"when": "occurred_at"}},
        "'when' is not a column of layer crimes",
    ),
    (
        "places.csv",
        "places",
        _text("name,kind\nKlara,scene\n"),
        {},
        "needs polygon geometries, which a CSV cannot hold",
    ),
    (
        "broken.geojson",
        "places",
        _text('{"type": "FeatureCollection", "features": [}'),
        {},
        "cannot be read as GeoJSON",
    ),
    ("notzip.zip", "places", _bytes(b"not a zip"), {}, "is not a valid zip file"),
    ("two.zip", "places", _zip_two_shapefiles, {}, "expected exactly one shapefile"),
    (
        "noprj.zip",
        "places",
        _zip_without_prj,
        {"mapping": {"name": "NAMN", "kind": "TYP"}},
        "has no CRS (a shapefile needs its .prj file)",
    ),
    ("json.csv", "crimes", _text('{"type": "FeatureCollection"}\n'), {}, "does not look like CSV"),
    (
        "twice.csv",
        "crimes",
        _text("id,occurred_at,category,lat,lon,LAT\n1,2023-05-01,theft,59.33,18.06,59.0\n"),
        {},
        "columns 'lat' and 'LAT' have the same name",
    ),
    (
        "unknown_crs.geojson",
        "observations",
        _text(
            '{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
            '{"name": "urn:ogc:def:crs:EPSG::99999"}}, "features": [{"type": "Feature", '
            '"geometry": {"type": "Point", "coordinates": [18.06, 59.33]}, "properties": '
            '{"occurred_at": "2023-05-01", "category": "drug_sale"}}]}'
        ),
        {},
        "unknown CRS 'urn:ogc:def:crs:EPSG::99999' in its crs member",
    ),
]


@pytest.mark.parametrize(
    ("name", "layer", "make", "options", "expected"), CORPUS, ids=[c[0] for c in CORPUS]
)
def test_broken_file_stores_nothing(sqlite_store, tmp_path, name, layer, make, options, expected):
    path = tmp_path / name
    if make:
        make(path)
    with pytest.raises(LagesbildError) as info:
        import_file(sqlite_store, layer, path, ImportOptions(**options))
    message = str(info.value)
    assert expected in message
    assert name in message or "is not a column" in message or "CRS" in message
    with sqlite_store.read() as conn:
        for table in (crimes, places):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_broken_file_on_postgis(store, tmp_path):
    path = tmp_path / "nocat.csv"
    path.write_text("occurred_at,lat,lon\n2023-05-01,59.3,18.0\n")
    with pytest.raises(LagesbildError, match="missing required column"):
        import_file(store, "crimes", path)


def test_row_with_wrong_field_count_is_rejected_not_fatal(sqlite_store, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(GOOD + "2,2023-05-01,theft,59.33\n")
    s = import_file(sqlite_store, "crimes", path).summary
    assert s.stored == 1 and s.rejected[0].line == 3
    assert "row has 4 fields; the header has 5" in s.rejected[0].reason
