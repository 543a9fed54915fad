"""Reading a user's file into canonical records: `(line, record, geometry)` triples that
`ingest.writer.write_records` stores.

Formats: CSV (delimiter `,` `;` or tab and encoding UTF-8, with or without BOM, or cp1252, both
detected), GeoJSON, GeoPackage and zipped shapefiles (read with pyogrio, reprojected from the
file's CRS to WGS84). Column names are matched case-insensitively; `mapping` renames a source's
columns to canonical ones (canonical -> source).

Everything that makes a file unusable as a whole (cannot be read, wrong format, a required
column missing, no or an unknown CRS) raises `FileProblem` before a single row is read, naming
the file and what was expected. Problems of single rows travel with the row (`REJECT` key) to
the writer, which reports them with the others.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from lagesbild.domain.values import unguard
from lagesbild.errors import LagesbildError
from lagesbild.geo.crs import WGS84, parse_crs
from lagesbild.geo.crs import transformer as crs_transformer
from lagesbild.ingest.layers import LayerSpec, layer_spec
from lagesbild.ingest.rejects import REJECT

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
GIS_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip"}
LOCATION_COLUMNS = ("lat", "lon", "x", "y")
CHUNK = 50_000
DBF_NAME_LENGTH = 10  # a shapefile's field names are cut to this length
FIELD_LIMIT = 64 << 20  # characters in one CSV field; the csv module's default is 128 KB


class FileProblem(LagesbildError):
    """A file that cannot be imported at all: nothing is stored."""


@dataclass(frozen=True)
class ReadOptions:
    mapping: Mapping[str, str] = field(default_factory=dict)  # canonical -> source column
    crs: str | None = None  # CRS of x/y columns, or of a GIS file that has none
    encoding: str | None = None  # forced encoding of a CSV (else detected)


def canonical_columns(spec: LayerSpec) -> tuple[str, ...]:
    """Every column name a file of this layer may carry."""
    extra = LOCATION_COLUMNS if spec.geometry in ("point", "point?") else ()
    if spec.name == "crimes":
        extra = (*extra, "offence_code")
    return tuple(dict.fromkeys((*spec.columns, *extra)))


@dataclass
class Source:
    """An opened, checked file. `records()` streams its rows."""

    path: Path
    layer: str
    kind: str  # "csv" or "gis"
    columns: list[str]  # the file's own column names
    index: dict[str, int]  # canonical name -> position in `columns`
    crs: str | None  # CRS of x/y (CSV) or of the geometries (GIS)
    count: int | None  # number of rows when known cheaply (GIS), else None
    ignored: list[str]
    _csv: tuple[str, str] | None = None  # (encoding, delimiter)
    _gis: tuple[str, str | None] | None = None  # (OGR path, layer name)

    @property
    def describe(self) -> str:
        if self._csv:
            enc, delim = self._csv
            name = {"\t": "tab", ",": "comma", ";": "semicolon"}[delim]
            return f"CSV, {enc.replace('utf-8-sig', 'UTF-8')}, {name}-separated"
        return f"GIS file, CRS {self.crs}"

    def records(self) -> Iterator[tuple[int, dict[str, Any], BaseGeometry | None]]:
        if self.kind == "csv":
            return self._csv_records()
        return self._gis_records()

    # ------------------------------------------------------------------ CSV
    def _csv_records(self) -> Iterator[tuple[int, dict[str, Any], None]]:
        assert self._csv is not None
        encoding, delimiter = self._csv
        wanted = list(self.index.items())
        width = len(self.columns)
        with open(self.path, encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            try:
                yield from self._csv_rows(reader, wanted, width)
            except csv.Error as exc:  # e.g. an unclosed quote swallowing the rest of the file
                raise FileProblem(
                    f"{self.path}: line {reader.line_num}: {exc}",
                    'check the quotes (") in the file',
                ) from None

    @staticmethod
    def _csv_rows(reader, wanted: list[tuple[str, int]], width: int):
        csv.field_size_limit(FIELD_LIMIT)
        next(reader, None)
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank lines are not rows
            line = reader.line_num
            if len(row) != width:
                yield line, wrong_width(row, width, wanted), None
                continue
            yield line, {name: unguard(row[i]) for name, i in wanted}, None

    # ------------------------------------------------------------------ GIS
    def _gis_records(self) -> Iterator[tuple[int, dict[str, Any], BaseGeometry | None]]:
        import pyogrio.raw

        assert self._gis is not None
        ogr_path, layer = self._gis
        transformer = None
        crs = parse_crs(self.crs) if self.crs else None
        if crs is not None and crs != parse_crs(WGS84):
            transformer = crs_transformer(crs.to_string(), WGS84)
        wanted = [(name, i) for name, i in self.index.items()]
        start = 0
        while True:
            try:
                with warnings.catch_warnings():
                    # GDAL's own warnings (an unclosed ring, time zones) would print beside the
                    # progress; such a feature is rejected with its reason (`_geometries`)
                    warnings.simplefilter("ignore", RuntimeWarning)
                    meta, _fids, wkb, fields = pyogrio.raw.read(
                        ogr_path,
                        layer=layer,
                        skip_features=start,
                        max_features=CHUNK,
                        datetime_as_string=True,
                    )
            except Exception as exc:  # noqa: BLE001 - GDAL's message is what the user needs
                raise FileProblem(f"{self.path}: cannot read features: {exc}") from None
            n = len(wkb) if wkb is not None else (len(fields[0]) if fields else 0)
            if n == 0:
                return
            geoms, broken = _geometries(wkb, n)
            # a multi-geometry of one part is that part: GeoPackages (ours included) store
            # polygons as MultiPolygon, and the same place must not read as changed
            single = np.isin(shapely.get_type_id(geoms), (4, 5, 6)) & (
                shapely.get_num_geometries(geoms) == 1
            )
            geoms[single] = shapely.get_geometry(geoms[single], 0)
            if transformer is not None:
                geoms = shapely.transform(
                    geoms, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1]))
                )
            dtypes = meta.get("dtypes")
            columns = [
                (name, _plain(fields[i], None if dtypes is None else str(dtypes[i])))
                for name, i in wanted
            ]
            for k in range(n):
                geom = geoms[k]
                rec = {name: values[k] for name, values in columns}
                if k in broken:
                    rec[REJECT] = f"geometry: {broken[k]}"
                yield start + k + 1, rec, (None if geom is None or geom.is_empty else geom)
            if n < CHUNK:
                return
            start += n


def _geometries(wkb: np.ndarray | None, n: int) -> tuple[np.ndarray, dict[int, str]]:
    """The features' geometries, and the reason of each one GEOS cannot read (a line of one
    point, a ring that is not closed): those rows are rejected, not the file."""
    if wkb is None:
        return np.full(n, None, dtype=object), {}
    try:
        return shapely.from_wkb(wkb), {}
    except shapely.errors.GEOSException:
        pass
    geoms, broken = np.full(n, None, dtype=object), {}
    for k, one in enumerate(wkb):
        try:
            geoms[k] = None if one is None else shapely.from_wkb(one)
        except shapely.errors.GEOSException as exc:
            reason = str(exc).strip().removeprefix("IllegalArgumentException: ")
            broken[k] = f"not a valid geometry ({reason})"
    return geoms, broken


def wrong_width(row: list[str], width: int, wanted) -> dict[str, Any]:
    """The record of a CSV row that has not the header's number of fields: a reject, which
    keeps the fields it has under their columns' names for the report of rejected rows."""
    reason = f"row has {len(row)} fields; the header has {width}"
    return {REJECT: reason, **{name: row[i] for name, i in wanted if i < len(row)}}


def _plain(values: np.ndarray, declared: str | None = None) -> list[Any]:
    """Numpy field values as plain Python, NaN (OGR's null for reals) as None. An integer
    field with nulls comes as floats: its values are integers again, or an id 10 would be
    the key "10.0" here and "10" in a file of the same source without a null."""
    out = values.tolist()
    if values.dtype.kind == "f":
        whole = declared is not None and declared.startswith(("int", "uint"))
        return [None if (v is None or math.isnan(v)) else (int(v) if whole else v) for v in out]
    return out


# ---------------------------------------------------------------------- opening
def open_source(path: str | Path, layer: str, options: ReadOptions | None = None) -> Source:
    """Open and check a file for a layer; raises `FileProblem` if it cannot be imported."""
    options = options or ReadOptions()
    spec = layer_spec(layer)
    p = Path(path)
    if not p.exists():
        raise FileProblem(f"{p}: no such file")
    if p.is_dir():
        raise FileProblem(
            f"{p} is a folder; expected a CSV, GeoJSON, GeoPackage or zipped shapefile"
        )
    suffix = p.suffix.lower()
    if suffix in CSV_SUFFIXES:
        source = _open_csv(p, spec, options)
    elif suffix in GIS_SUFFIXES:
        source = _open_gis(p, spec, options)
    else:
        raise FileProblem(
            f"{p}: unknown format {suffix or '(no extension)'!r}",
            "expected .csv (or .txt/.tsv), .geojson, .gpkg or a .zip holding a shapefile",
        )
    _check_columns(source, spec, options)
    return source


def detect_encoding(p: Path) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8, else cp1252 if it decodes as
    that; scanned in blocks so a large file is never held in memory."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(p, "rb") as fh:
                first = True
                while block := fh.read(1 << 20):
                    if first and b"\x00" in block[:4096]:
                        raise FileProblem(
                            f"{p} is not a text file (it holds NUL bytes)",
                            "expected a CSV file; GIS files need .geojson, .gpkg or .zip",
                        )
                    first = False
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileProblem(
        f"{p}: the text is neither UTF-8 nor cp1252 (Windows-1252)", "save the file as UTF-8"
    )


def _sniff_delimiter(header: str) -> str:
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_csv(p: Path, spec: LayerSpec, options: ReadOptions) -> Source:
    if p.stat().st_size == 0:
        raise FileProblem(f"{p} is empty; expected a header row with the columns of {spec.name}")
    encoding = options.encoding or detect_encoding(p)
    with open(p, encoding=encoding, newline="") as fh:
        header_line = ""
        for header_line in fh:
            if header_line.strip():
                break
        if not header_line.strip():
            raise FileProblem(f"{p} has no header row; expected the columns of {spec.name}")
    delimiter = _sniff_delimiter(header_line)
    columns = next(csv.reader([header_line], delimiter=delimiter))
    columns = [c.strip() for c in columns]
    if any(c.startswith("{") or c.startswith("<") for c in columns[:1]):
        raise FileProblem(
            f"{p} does not look like CSV (it starts with {columns[0][:20]!r})",
            "GeoJSON files need the .geojson extension",
        )
    index, ignored = _map_columns(p, columns, spec, options.mapping)
    return Source(
        p, spec.name, "csv", columns, index, options.crs, None, ignored, _csv=(encoding, delimiter)
    )


def _ogr_path(p: Path) -> tuple[str, str | None]:
    """The path GDAL opens, and the layer to read (None: the only or the first one)."""
    if p.suffix.lower() != ".zip":
        return str(p), None
    try:
        with zipfile.ZipFile(p) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile:
        raise FileProblem(
            f"{p} is not a valid zip file", "expected a zipped shapefile (.shp, .shx, .dbf, .prj)"
        ) from None
    shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    if len(shps) != 1:
        found = ", ".join(shps) if shps else "none"
        raise FileProblem(f"{p}: expected exactly one shapefile (.shp) in the zip; found {found}")
    stem = shps[0][:-4]
    missing = [
        ext for ext in (".shx", ".dbf") if not any(n.lower() == (stem + ext).lower() for n in names)
    ]
    if missing:
        raise FileProblem(f"{p}: the shapefile {shps[0]} lacks its {' and '.join(missing)} part")
    return f"/vsizip/{p.resolve()}/{shps[0]}", None


def _open_gis(p: Path, spec: LayerSpec, options: ReadOptions) -> Source:
    import pyogrio

    ogr_path, layer = _ogr_path(p)
    try:
        layers = pyogrio.list_layers(ogr_path)
        if layer is None and len(layers) > 1:
            names = [str(row[0]) for row in layers]
            wanted = [n for n in names if n.lower() == spec.name]
            if not wanted:
                raise FileProblem(
                    f"{p} holds several layers ({', '.join(names)}); name one "
                    f"{spec.name!r} or give a file with one layer"
                )
            layer = wanted[0]
        info = pyogrio.read_info(ogr_path, layer=layer)
    except FileProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - GDAL's reason is the useful part
        kind = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage"}.get(
            p.suffix.lower(), "a shapefile"
        )
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileProblem(f"{p} cannot be read as {kind}: {reason}") from None
    columns = [str(c) for c in info["fields"]]
    crs = info.get("crs")
    named = _geojson_crs_member(p)
    if named is not None:  # GDAL reads a crs member it does not know as WGS84, silently
        try:
            parse_crs(named)
        except LagesbildError:
            raise FileProblem(
                f"{p}: unknown CRS {named!r} in its crs member",
                "give a known one (e.g. EPSG:3006), or leave the member out for WGS84",
            ) from None
    has_geometry = info.get("geometry_type") not in (None, "Unknown") or spec.geometry is not None
    if has_geometry and info.get("geometry_type") is not None and crs is None:
        if options.crs is None:
            why = " (a shapefile needs its .prj file)" if p.suffix.lower() == ".zip" else ""
            raise FileProblem(f"{p} has no CRS{why}", "give the CRS with --crs EPSG:NNNN")
        crs = options.crs
    if crs is not None:
        try:
            crs = parse_crs(crs).to_string()
        except LagesbildError as exc:
            raise FileProblem(f"{p}: {exc}") from None
    shapefile = p.suffix.lower() in (".zip", ".shp")
    index, ignored = _map_columns(p, columns, spec, options.mapping, dbf_names=shapefile)
    return Source(
        p,
        spec.name,
        "gis",
        columns,
        index,
        crs,
        features if (features := int(info.get("features", -1))) >= 0 else None,  # -1: unknown
        ignored,
        _gis=(ogr_path, layer),
    )


_CRS_MEMBER = re.compile(rb'"crs"\s*:\s*\{[^{}]*"properties"\s*:\s*\{[^{}]*"name"\s*:\s*"([^"]*)"')


def _geojson_crs_member(p: Path) -> str | None:
    """The name in a GeoJSON's (2008) `crs` member, if it has one near its start."""
    if p.suffix.lower() not in (".geojson", ".json"):
        return None
    with open(p, "rb") as fh:
        head = fh.read(65536)
    found = _CRS_MEMBER.search(head)
    return found.group(1).decode("utf-8", "replace") if found else None


def _map_columns(
    p: Path,
    columns: list[str],
    spec: LayerSpec,
    mapping: Mapping[str, str],
    dbf_names: bool = False,
) -> tuple[dict[str, int], list[str]]:
    """Canonical name -> position of the file's column. `dbf_names`: a shapefile, whose field
    names dBASE cuts to 10 characters (`occurred_at` is `occurred_a`, `organisation` is
    `organisati`); the cut name reads as the canonical one when the full one is not there."""
    canon = canonical_columns(spec)
    by_lower: dict[str, int] = {}
    twins: dict[str, list[str]] = {}
    for i, c in enumerate(columns):
        by_lower.setdefault(c.strip().lower(), i)
        twins.setdefault(c.strip().lower(), []).append(c)

    def unique(key: str) -> None:  # a column read by name must not be there twice
        if len(twins.get(key, ())) > 1:
            raise FileProblem(
                f"{p}: columns {' and '.join(repr(c) for c in twins[key])} have the same name",
                "rename or remove one of them, so that it is clear which one to read",
            )

    index: dict[str, int] = {}
    for target, source in mapping.items():
        name = target.strip().lower()
        if name not in canon:
            raise FileProblem(
                f"--map {target}={source}: {target!r} is not a column of layer "
                f"{spec.name}; expected one of: {', '.join(canon)}"
            )
        pos = by_lower.get(source.strip().lower())
        unique(source.strip().lower())
        if pos is None:
            raise FileProblem(
                f"{p} has no column {source!r} (from --map {target}={source}); "
                f"its columns are: {', '.join(columns)}"
            )
        index[name] = pos
    taken = set(index.values())
    for name in canon:
        key = name
        if dbf_names and key not in by_lower:
            key = name[:DBF_NAME_LENGTH]
        pos = by_lower.get(key)
        if name not in index and pos is not None and pos not in taken:
            unique(key)
            index[name] = pos
            taken.add(pos)
    ignored = [c for i, c in enumerate(columns) if i not in taken]
    return index, ignored


def _check_columns(source: Source, spec: LayerSpec, options: ReadOptions) -> None:
    have = set(source.index)
    missing = [c for c in spec.required if c not in have]
    if spec.name == "crimes" and "category" in missing and "offence_code" in have:
        missing.remove("category")  # the offence table gives the category
    if spec.name == "crimes" and "category" in missing:
        missing[missing.index("category")] = "category (or offence_code)"
    if spec.name == "extents" and "place" in missing and "name" in have:
        missing.remove("place")
    if source.kind == "csv" and spec.geometry in ("polygon", "line"):
        raise FileProblem(
            f"{source.path}: the {spec.name} layer needs {spec.geometry} geometries, which a "
            "CSV cannot hold",
            "give a GeoJSON, GeoPackage or zipped shapefile",
        )
    if source.kind == "csv" and spec.geometry in ("point", "point?"):
        xy, latlon = {"x", "y"} <= have, {"lat", "lon"} <= have
        alt = spec.geometry == "point?" and "place" in have
        if not (xy or latlon or alt):
            missing.append(
                "lat and lon (or x and y with --crs)"
                + (", or place" if spec.geometry == "point?" else "")
            )
        if xy and not latlon and source.crs is None:
            raise FileProblem(
                f"{source.path}: columns x/y need their CRS",
                "give it with --crs EPSG:NNNN (e.g. EPSG:3006 for SWEREF 99 TM)",
            )
        if xy and source.crs is not None:
            try:
                source.crs = parse_crs(source.crs).to_string()
            except LagesbildError as exc:
                raise FileProblem(f"{source.path}: {exc}") from None
    if missing and not (source.kind == "gis" and source.count == 0):  # no features: no rows
        raise FileProblem(
            f"{source.path}: missing required column(s) for layer {spec.name}: "
            f"{', '.join(missing)}; the file's columns are: {', '.join(source.columns) or 'none'}",
            "rename them, or map them with --map CANONICAL=SOURCE",
        )
