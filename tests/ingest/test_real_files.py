"""Files shaped as real users' files arrive, made from the formats doc alone: shapefiles with
dBASE's 10-character field names, and others that an earlier review did not cover."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely
from pyproj import Transformer
from sqlalchemy import select

from lagesbild.ingest.service import import_file
from lagesbild.store.schema import crimes, guard_areas, organisations

from .conftest import SERGEL, square


def _zipped_shapefile(path: Path, geoms: list, fields: dict[str, list], kind: str) -> Path:
    """A zipped shapefile in SWEREF 99 TM with its .prj and .cpg, written by GDAL, which cuts
    the field names to 10 characters as every shapefile writer must."""
    folder = path.parent / (path.stem + "_shp")
    folder.mkdir()
    tr = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
    geoms = [
        shapely.transform(g, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
        for g in geoms
    ]
    with warnings.catch_warnings():  # GDAL says it cuts the names: that is the point here
        warnings.simplefilter("ignore", RuntimeWarning)
        _write_shapefile(folder / "data.shp", geoms, fields, kind)
    with zipfile.ZipFile(path, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    return path


def _write_shapefile(shp: Path, geoms: list, fields: dict[str, list], kind: str) -> None:
    pyogrio.raw.write(
        str(shp),
        geometry=shapely.to_wkb(np.asarray(geoms, dtype=object)),
        field_data=[np.asarray(v, dtype=object) for v in fields.values()],
        fields=list(fields),
        driver="ESRI Shapefile",
        geometry_type=kind,
        crs="EPSG:3006",
        encoding="cp1252",
    )


def test_shapefile_field_names_cut_to_ten_characters(store, tmp_path):
    # a police shapefile: owner and sensitivity arrive as `organisati` and `sensitivit`;
    # ignoring them made a restricted area shared and the district's
    import_file(store, "organisations", _csv(tmp_path / "o.csv", "name,code\nPolisen,POL\n"))
    path = _zipped_shapefile(
        tmp_path / "forordnande.zip",
        [square(*SERGEL)],
        {
            "id": ["GA1"],
            "name": ["Plattan"],
            "valid_from": ["2023-01-01"],
            "organisation": ["POL"],
            "sensitivity": ["restricted"],
        },
        "Polygon",
    )
    result = import_file(store, "guard_areas", path)
    assert result.summary.stored == 1, result.summary.rejected
    with store.read() as conn:
        row = conn.execute(
            select(organisations.c.name, guard_areas.c.sensitivity).join(
                organisations, organisations.c.id == guard_areas.c.owner_org_id
            )
        ).one()
    assert tuple(row) == ("Polisen", "restricted")

    path = _zipped_shapefile(
        tmp_path / "brott.zip",
        [shapely.Point(*SERGEL)],
        {
            "id": ["B1"],
            "occurred_at": ["2023-05-01 21:30"],
            "reported_at": ["2023-05-02 08:00"],
            "offence_code": ["narkotikabrott"],
            "place_text": ["Sergels torg, åäö"],
        },
        "Point",
    )
    result = import_file(store, "crimes", path)
    assert result.summary.stored == 1, result.summary.rejected
    assert result.ignored_columns == ()
    with store.read() as conn:
        row = conn.execute(
            select(crimes.c.category, crimes.c.reported_at, crimes.c.place_text)
        ).one()
    assert row.category == "drug_offence"
    assert row.reported_at is not None
    assert row.place_text == "Sergels torg, åäö"


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _point_features(rows: list[dict]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": list(SERGEL)},
            }
            for props in rows
        ],
    }


def test_numeric_id_next_to_a_null_keeps_its_key(store, tmp_path):
    # GDAL gives an integer field with a null as floats: the id 7 became the key "7.0", and
    # the same source's next extract, without a null, stored the record a second time
    row = {"id": 7, "occurred_at": "2023-05-01 21:30", "category": "theft"}
    other = {"id": None, "occurred_at": "2023-05-02 21:30", "category": "theft"}
    first = tmp_path / "brott_maj.geojson"
    first.write_text(json.dumps(_point_features([row, other])))
    second = tmp_path / "brott_maj_igen.geojson"
    second.write_text(json.dumps(_point_features([row])))
    assert import_file(store, "crimes", first).summary.stored == 2
    s = import_file(store, "crimes", second).summary
    assert (s.stored, s.updated, s.duplicates) == (0, 0, 1)
    with store.read() as conn:
        ids = set(conn.execute(select(crimes.c.source_id)).scalars())
    assert "7" in ids and "7.0" not in ids
