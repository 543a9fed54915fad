"""Export with filters, safe CSV, RFC 7946 GeoJSON, GPKG with its CRS; round trips."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

from lagesbild.domain.model import PUBLIC_VIEWER, SYSTEM
from lagesbild.ingest.export import ExportFilter, export_layer
from lagesbild.ingest.service import ImportOptions, import_file
from lagesbild.store.lifecycle import init_store
from lagesbild.store.schema import crimes

from .conftest import POLICE_MAP


@pytest.fixture
def filled(store, police_csv, places_geojson):
    import_file(store, "places", places_geojson)
    import_file(store, "crimes", police_csv, ImportOptions(mapping=POLICE_MAP))
    return store


def test_filters(filled, tmp_path):
    out = tmp_path / "c.csv"
    assert export_layer(filled, "crimes", "csv", out, viewer=SYSTEM).count == 4
    assert (
        export_layer(
            filled, "crimes", "csv", out, viewer=SYSTEM, filters=ExportFilter(place="Klara")
        ).count
        == 2
    )
    assert (
        export_layer(
            filled, "crimes", "csv", out, viewer=SYSTEM, filters=ExportFilter(period="2023-05")
        ).count
        == 2
    )
    assert (
        export_layer(
            filled,
            "crimes",
            "csv",
            out,
            viewer=SYSTEM,
            filters=ExportFilter(period="2023-06-01..2023-07-01"),
        ).count
        == 2
    )
    assert (
        export_layer(
            filled,
            "crimes",
            "csv",
            out,
            viewer=SYSTEM,
            filters=ExportFilter(category="drug-related"),
        ).count
        == 1
    )
    # the public sees public records only; these are shared
    assert export_layer(filled, "crimes", "csv", out, viewer=PUBLIC_VIEWER).count == 0


def test_csv_is_formula_safe(sqlite_store, tmp_path):
    src = tmp_path / "evil.csv"
    src.write_text(
        "id,occurred_at,category,lat,lon,place_text\n"
        '1,2023-05-01,theft,59.33,18.06,"=HYPERLINK(""http://x"")"\n'
        "2,2023-05-01,theft,59.33,18.06,@SUM(A1)\n"
        "3,2023-05-01,theft,59.33,18.06,-2+3\n"
    )
    import_file(sqlite_store, "crimes", src)
    out = tmp_path / "out.csv"
    export_layer(sqlite_store, "crimes", "csv", out, viewer=SYSTEM)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        texts = [r["place_text"] for r in csv.DictReader(fh)]
    assert texts == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "'-2+3"]


def test_geojson_is_rfc7946(filled, tmp_path):
    out = tmp_path / "c.geojson"
    export_layer(filled, "crimes", "geojson", out, viewer=SYSTEM)
    doc = json.loads(out.read_text())
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 17 < lon < 19 and 59 < lat < 60


def test_gpkg_has_crs(filled, tmp_path):
    import pyogrio

    out = tmp_path / "p.gpkg"
    export_layer(filled, "places", "gpkg", out, viewer=SYSTEM)
    info = pyogrio.read_info(out)
    assert info["crs"] == "EPSG:4326" and info["features"] == 2


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_round_trip(filled, tmp_path, fmt):
    out = tmp_path / f"crimes.{fmt}"
    export_layer(filled, "crimes", fmt, out, viewer=SYSTEM)
    # into the same store: nothing new, nothing changed
    s = import_file(filled, "crimes", out).summary
    assert (s.stored, s.updated, s.duplicates, s.rejected_count) == (0, 0, 4, 0)
    # into a fresh store: the same records
    fresh = init_store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        s = import_file(fresh, "crimes", out).summary
        assert s.stored == 4, s.rejected

        def rows(st):
            with st.read() as conn:
                return sorted(
                    (
                        r.source_key,
                        r.category,
                        r.occurred_at,
                        r.place_text,
                        round(r.geom.x, 9),
                        round(r.geom.y, 9),
                    )
                    for r in conn.execute(select(crimes))
                )

        assert rows(fresh) == rows(filled)
    finally:
        fresh.dispose()


def test_places_round_trip_geojson(filled, tmp_path):
    out = tmp_path / "places.geojson"
    export_layer(filled, "places", "geojson", out, viewer=SYSTEM)
    s = import_file(filled, "places", out).summary
    assert (s.stored, s.updated, s.duplicates) == (0, 0, 2)


def test_bad_filters(filled, tmp_path):
    from lagesbild.errors import LagesbildError

    out = tmp_path / "x.csv"
    with pytest.raises(LagesbildError, match="not a period"):
        export_layer(
            filled, "crimes", "csv", out, viewer=SYSTEM, filters=ExportFilter(period="May")
        )
    with pytest.raises(LagesbildError, match="unknown place"):
        export_layer(
            filled, "crimes", "csv", out, viewer=SYSTEM, filters=ExportFilter(place="Atlantis")
        )
    with pytest.raises(LagesbildError, match="CSV cannot hold"):
        export_layer(filled, "places", "csv", out, viewer=SYSTEM)
