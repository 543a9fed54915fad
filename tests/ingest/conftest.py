"""Fixture files for the import/export tests, made by code in a temporary folder."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer

SERGEL = (18.0649, 59.3326)
ODENPLAN = (18.0498, 59.3430)


def square(lon: float, lat: float, half: float = 0.002) -> shapely.Polygon:
    return shapely.box(lon - half, lat - half * 0.5, lon + half, lat + half * 0.5)


def write_places_geojson(path: Path) -> Path:
    feats = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(square(*SERGEL)),
            "properties": {"name": "Klara", "kind": "scene", "code": "KLA"},
        },
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(square(*ODENPLAN)),
            "properties": {"name": "Odenplan", "kind": "priority_place"},
        },
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def write_shapefile_zip(path: Path, crs: str | None = "EPSG:3006") -> Path:
    """Places in SWEREF 99 TM as a zipped shapefile, with .prj unless crs is None."""
    import numpy as np
    import pyogrio.raw

    folder = path.parent / (path.stem + "_shp")
    folder.mkdir()
    tr = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
    geoms = [
        shapely.transform(square(*p), lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
        for p in (SERGEL, ODENPLAN)
    ]
    shp = folder / "platser.shp"
    pyogrio.raw.write(
        str(shp),
        geometry=shapely.to_wkb(np.asarray(geoms, dtype=object)),
        field_data=[
            np.asarray(["Klara", "Odenplan"], dtype=object),
            np.asarray(["scene", "priority_place"], dtype=object),
        ],
        fields=["NAMN", "TYP"],
        driver="ESRI Shapefile",
        geometry_type="Polygon",
        crs="EPSG:3006",
        encoding="UTF-8",
    )
    with zipfile.ZipFile(path, "w") as zf:
        for part in folder.iterdir():
            if crs is None and part.suffix == ".prj":
                continue
            zf.write(part, part.name)
    return path


POLICE_ROWS = [
    # Ärende, Brottsdatum, Brottskategori, lat, lon, Plats
    ("K1", "2023-05-01 21:30", "Narkotikabrott", "59,33261", "18,06491", "Sergels torg"),
    ("K2", "2023-05-02 22:00", "Misshandel", "59,33250", "18,06480", "Plattan vid Kulturhuset"),
    ("K3", "2023-06-11 01:15", "Rån", "59,34300", "18,04980", "Odenplan, Vasastan"),
    ("K4", "2023-07-01 12:00", "Stöld", "59,35000", "18,10000", "Östermalm"),
]


def write_police_csv(path: Path, rows=POLICE_ROWS, encoding: str = "cp1252") -> Path:
    lines = ["Ärende;Brottsdatum;Brottskategori;Lat;Lon;Plats"]
    lines += [";".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


POLICE_MAP = {
    "id": "Ärende",
    "occurred_at": "Brottsdatum",
    "offence_code": "Brottskategori",
    "place_text": "Plats",
}


@pytest.fixture
def police_csv(tmp_path) -> Path:
    return write_police_csv(tmp_path / "polisen_2023.csv")


@pytest.fixture
def places_geojson(tmp_path) -> Path:
    return write_places_geojson(tmp_path / "places.geojson")
