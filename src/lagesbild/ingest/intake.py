"""A first look at an uploaded file, before anything is mapped: what the web import wizard shows
(encoding, delimiter, CRS, the first rows) and the column mapping it proposes.

The proposal is the CLI's own matching (a column named like a canonical one, case-insensitive,
`ingest.sources`) and, for columns named otherwise, the names of the sources met so far (the
police's extracts: `Händelsenr`, `Brottsdatum`, `Brottskod`, `X_SWEREF`, `Y_SWEREF`, ...). A
saved profile's mapping wins over both.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from lagesbild.ingest.layers import layer_spec
from lagesbild.ingest.sources import (
    CSV_SUFFIXES,
    GIS_SUFFIXES,
    FileProblem,
    _ogr_path,
    _sniff_delimiter,
    canonical_columns,
    detect_encoding,
)

PREVIEW_ROWS = 5

# canonical -> other sources' names for it (lower case), first match wins
KNOWN_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("händelsenr", "handelsenr", "händelsenummer", "ärendenr", "diarienr", "ref"),
    "occurred_at": ("brottsdatum", "händelsedatum", "datum", "tidpunkt", "date", "time"),
    "reported_at": ("anmälningsdatum", "anmäld", "registreringsdatum"),
    "offence_code": ("brottskod", "brottsbalkskod", "kod"),
    "category": ("kategori", "brottstyp", "typ"),
    "place_text": ("plats", "adress", "brottsplats", "address"),
    "x": ("x_sweref", "x_sweref99", "easting", "e", "östlig", "ostlig"),
    "y": ("y_sweref", "y_sweref99", "northing", "n", "nordlig"),
    "lat": ("latitud", "latitude", "breddgrad"),
    "lon": ("longitud", "longitude", "lng", "längdgrad"),
    "name": ("namn",),
    "count": ("antal",),
    "text": ("beskrivning", "kommentar", "description"),
    "organisation": ("organisation", "myndighet", "aktör"),
}

# a SWEREF 99 TM (EPSG:3006) coordinate in Sweden: easting, northing (metres)
SWEREF_X = (180_000.0, 1_000_000.0)
SWEREF_Y = (6_100_000.0, 7_700_000.0)


@dataclass
class FileLook:
    kind: str  # "csv" or "gis"
    columns: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    crs: str | None = None  # of the GIS file, or guessed from a CSV's x/y values
    preview: list[list[str]] = field(default_factory=list)


def look_at(path: Path, layer: str) -> FileLook:
    """Columns, encoding, delimiter and the first rows of a CSV; columns and CRS of a GIS file.
    Raises `FileProblem` (naming `path`) for a file that cannot be read at all."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        if path.stat().st_size == 0:
            raise FileProblem(f"{path} is empty; expected a header row with the columns of {layer}")
        encoding = detect_encoding(path)
        with open(path, encoding=encoding, newline="") as fh:
            first = next((line for line in fh if line.strip()), "")
            delimiter = _sniff_delimiter(first)
            fh.seek(0)
            rows = [
                r
                for r in itertools.islice(csv.reader(fh, delimiter=delimiter), PREVIEW_ROWS + 20)
                if r and any(c.strip() for c in r)
            ][: PREVIEW_ROWS + 1]
        columns = [c.strip() for c in rows[0]] if rows else []
        return FileLook("csv", columns, encoding, delimiter, None, rows[1:])
    if suffix in GIS_SUFFIXES:
        import pyogrio

        ogr_path, layer = _ogr_path(path)
        try:
            info = pyogrio.read_info(ogr_path, layer=layer)
        except Exception as exc:  # noqa: BLE001 - GDAL's reason is the useful part
            raise FileProblem(f"{path}: {str(exc).strip().splitlines()[0]}") from None
        return FileLook("gis", [str(c) for c in info["fields"]], crs=info.get("crs"))
    raise FileProblem(f"{path}: unknown format {suffix or '(no extension)'!r}")


def propose_mapping(layer: str, columns: list[str]) -> dict[str, str]:
    """canonical -> the file's column, for every canonical column a column is found for."""
    spec = layer_spec(layer)
    by_lower = {c.strip().lower(): c for c in reversed(columns)}
    out: dict[str, str] = {}
    for name in canonical_columns(spec):
        found = by_lower.get(name)
        if found is None:
            found = next((by_lower[k] for k in KNOWN_NAMES.get(name, ()) if k in by_lower), None)
        if found is not None and found not in out.values():
            out[name] = found
    return out


def guess_crs(look: FileLook, mapping: dict[str, str]) -> str | None:
    """The CRS of x/y when the preview's values all lie where SWEREF 99 TM has Sweden."""
    if look.kind != "csv" or "x" not in mapping or "y" not in mapping:
        return look.crs
    ix, iy = look.columns.index(mapping["x"]), look.columns.index(mapping["y"])
    seen = 0
    for row in look.preview:
        try:
            x = float(row[ix].replace(",", ".").replace(" ", ""))
            y = float(row[iy].replace(",", ".").replace(" ", ""))
        except (ValueError, IndexError):
            continue
        if not (SWEREF_X[0] <= x <= SWEREF_X[1] and SWEREF_Y[0] <= y <= SWEREF_Y[1]):
            return None
        seen += 1
    return "EPSG:3006" if seen else None
