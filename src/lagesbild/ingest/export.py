"""Exporting the records of a layer to GeoJSON, GeoPackage or CSV, with the canonical columns of
docs/import-formats.md, so that an export imports again as the same records.

Every export reads through `store.access.visible(table, viewer)`: the CLI passes `SYSTEM`, the
web app the signed-in user. Each export is written to the audit log.

- GeoJSON follows RFC 7946: a FeatureCollection in WGS84, coordinates lon, lat, no `crs` member.
- GeoPackage: one layer named like the lagesbild layer, CRS EPSG:4326.
- CSV: UTF-8 with BOM (spreadsheets then read å, ä, ö right), comma-separated, points as `lat`
  and `lon`; text that a spreadsheet would run as a formula gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from sqlalchemy import Table, or_, select
from sqlalchemy.engine import Connection

from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import parse_period
from lagesbild.domain.values import safe_cell
from lagesbild.errors import LagesbildError, NotFound, ValidationError
from lagesbild.ingest.layers import layer_spec
from lagesbild.store import audit
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.names import find_id
from lagesbild.store.schema import (
    assignments,
    mapping_rounds,
    metadata,
    organisations,
    places,
)

FORMATS = ("geojson", "gpkg", "csv")
BATCH = 20_000

# canonical column -> stored column (the rest are the same name)
_RENAME = {"range": "range_m", "briefing": "briefing_id"}
_OWNED = ("organisation", "sensitivity")
COLUMNS: dict[str, tuple[str, ...]] = {
    "organisations": ("name", "code", "kind", "parent"),
    "places": ("name", "kind", "code", "parent", *_OWNED),
    "extents": (
        "place",
        "round",
        "status",
        "assessed_at",
        "assessed_by",
        "criteria",
        "motivation",
        *_OWNED,
    ),
    "crimes": (
        "id",
        "occurred_at",
        "reported_at",
        "category",
        "offence_code",
        "place_text",
        "place",
        *_OWNED,
    ),
    "observations": ("id", "occurred_at", "category", "count", "text", *_OWNED),
    "measurements": (
        "id",
        "place",
        "measured_at",
        "metric",
        "group",
        "value",
        "unit",
        "method",
        *_OWNED,
    ),
    "cameras": (
        "id",
        "operator",
        "bearing",
        "angle",
        "range",
        "legal_basis",
        "active_from",
        "active_to",
        *_OWNED,
    ),
    "guard_areas": ("id", "name", "valid_from", "valid_to", "decision", *_OWNED),
    "streets": ("id", "name", *_OWNED),
    "activation_events": ("id", "title", "kind", "starts_at", "ends_at", "place", *_OWNED),
    "survey_results": (
        "id",
        "survey",
        "year",
        "area",
        "question",
        "share",
        "n",
        "ci_low",
        "ci_high",
        *_OWNED,
    ),
    "roster": (
        "id",
        "organisation",
        "role",
        "headcount",
        "starts_at",
        "ends_at",
        "place",
        "briefing",
        "sensitivity",
    ),
}
_TIME_COLUMN = {
    "crimes": "occurred_at",
    "observations": "occurred_at",
    "measurements": "measured_at",
    "activation_events": "starts_at",
    "roster": "starts_at",
}


@dataclass(frozen=True)
class ExportFilter:
    place: str | None = None
    period: str | None = None  # 2023 | 2023-05 | 2023-01-01..2023-06-30
    category: str | None = None  # a category code or a group (drug-related)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    layer: str
    format: str
    count: int


def export_layer(
    store: Store,
    layer: str,
    fmt: str,
    out: str | Path,
    *,
    viewer: Viewer,
    filters: ExportFilter | None = None,
    on_progress: Callable[[int], None] | None = None,
    remote: str | None = None,
) -> ExportResult:
    """Write the records of `layer` that `viewer` may see and that pass `filters` to `out`;
    `remote` is where a web request came from, for the audit entry."""
    spec = layer_spec(layer)
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise ValidationError("format", f"{fmt!r} is not one of: {', '.join(FORMATS)}")
    if fmt == "csv" and spec.geometry in ("polygon", "line"):
        raise ValidationError(
            "format",
            f"the {spec.name} layer has {spec.geometry} geometries, which CSV cannot hold",
            "export it with --format geojson or gpkg",
        )
    filters = filters or ExportFilter()
    out = Path(out)
    if not out.parent.is_dir():
        raise LagesbildError(f"cannot write {out}: folder {out.parent} does not exist")
    if out.is_dir():
        raise LagesbildError(
            f"cannot write {out}: it is a folder", f"give a file name, e.g. {out / layer}.{fmt}"
        )
    table = metadata.tables[spec.table]
    with store.read() as conn:
        names = _Names(conn)
        stmt, shape = _query(store, conn, spec.name, table, viewer, filters)
        rows = _records(store, spec.name, names, conn, stmt, shape)
        writer = {"geojson": _write_geojson, "gpkg": _write_gpkg, "csv": _write_csv}[fmt]
        count = writer(out, spec.name, spec.geometry, rows, on_progress)
    detail = {
        "format": fmt,
        "count": count,
        "place": filters.place,
        "period": filters.period,
        "category": filters.category,
    }
    with store.write() as conn:
        audit.record(conn, viewer, "export", spec.name, None, json.dumps(detail), remote)
    return ExportResult(out, spec.name, fmt, count)


# ---------------------------------------------------------------------- query
class _Names:
    """Names of the organisations, places and rounds that records refer to by id."""

    def __init__(self, conn: Connection) -> None:
        self.orgs = dict(conn.execute(select(organisations.c.id, organisations.c.name)).all())
        self.places = dict(conn.execute(select(places.c.id, places.c.name)).all())
        self.rounds = dict(conn.execute(select(mapping_rounds.c.id, mapping_rounds.c.year)).all())


def _place_row(conn: Connection, name: str, viewer: Viewer):
    found = find_id(conn, places, name, visible(places, viewer))
    row = None
    if found is not None:
        row = conn.execute(select(places.c.id, places.c.geom).where(places.c.id == found)).first()
    if row is None:
        raise NotFound(f"unknown place {name!r}", "see the names with lagesbild places")
    return row


def _query(
    store: Store, conn: Connection, layer: str, table: Table, viewer: Viewer, filters: ExportFilter
):
    stmt = select(table).where(visible(table, viewer)).order_by(table.c.id)
    shape = None  # a polygon that spatial layers without a place column must intersect
    if filters.category:
        if layer not in ("crimes", "observations"):
            raise ValidationError("category", f"the {layer} layer has no categories")
        codes = store.taxonomy.expand(layer, filters.category)
        stmt = stmt.where(table.c.category.in_(codes))
    if filters.period:
        period = parse_period(filters.period, store.tz)
        lo, hi = period.start, period.end
        if layer in _TIME_COLUMN:
            col = table.c[_TIME_COLUMN[layer]]
            stmt = stmt.where(col >= lo, col < hi)
        elif layer == "survey_results":
            last_year = (period.end - timedelta(microseconds=1)).year
            stmt = stmt.where(table.c.year >= period.start.year, table.c.year <= last_year)
        elif layer == "extents":
            years = select(mapping_rounds.c.id).where(
                mapping_rounds.c.year >= period.start.year,
                mapping_rounds.c.year <= (period.end - timedelta(microseconds=1)).year,
            )
            stmt = stmt.where(table.c.round_id.in_(years))
        else:
            raise ValidationError("period", f"the {layer} layer has no time to filter by")
    if filters.place:
        if layer == "organisations":
            raise ValidationError("place", "organisations are not filtered by place")
        pid, geom = _place_row(conn, filters.place, viewer)
        if layer in ("crimes", "observations"):
            inside = select(assignments.c.record_id).where(
                assignments.c.layer == layer,
                assignments.c.place_id == pid,
                assignments.c.round_id == 0,
            )
            cond = table.c.id.in_(inside)
            if layer == "crimes":
                cond = or_(cond, table.c.area_place_id == pid)
            stmt = stmt.where(cond)
        elif layer == "places":
            stmt = stmt.where(or_(table.c.id == pid, table.c.parent_id == pid))
        elif "place_id" in table.c:
            stmt = stmt.where(table.c.place_id == pid)
        else:  # cameras, guard areas, streets: by their shape
            minx, miny, maxx, maxy = geom.bounds
            stmt = stmt.where(
                table.c.maxx >= minx,
                table.c.minx <= maxx,
                table.c.maxy >= miny,
                table.c.miny <= maxy,
            )
            shape = geom
    return stmt, shape


def _records(
    store: Store, layer: str, names: _Names, conn: Connection, stmt, shape
) -> Iterator[tuple[dict[str, Any], Any]]:
    """(canonical record, WGS84 geometry) of each selected row, streamed."""
    tz = store.tz
    columns = COLUMNS[layer]
    result = conn.execution_options(yield_per=BATCH).execute(stmt).mappings()
    for row in result:
        geom = row.get("geom")
        if shape is not None and (geom is None or not shape.intersects(geom)):
            continue
        rec: dict[str, Any] = {}
        for name in columns:
            rec[name] = _value(layer, name, row, names, tz)
        yield rec, geom


def _value(layer: str, name: str, row, names: _Names, tz) -> Any:
    if name == "id":
        if row["source_id"] is not None:
            return row["source_id"]
        return row["source_key"].split(":", 1)[1]  # "h:<sha1>", read back as the same key
    if name == "organisation":
        return names.orgs.get(row["organisation_id" if layer == "roster" else "owner_org_id"])
    if name == "parent":
        ref = row["parent_id"]
        return (names.orgs if layer == "organisations" else names.places).get(ref)
    if name == "place":
        ref = row["area_place_id"] if layer == "crimes" else row["place_id"]
        return names.places.get(ref)
    if name == "round":
        return names.rounds.get(row["round_id"])
    value = row[_RENAME.get(name, name)]
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------- writers
def _write_geojson(out: Path, layer: str, kind, rows, on_progress) -> int:
    n = 0
    with open(out, "w", encoding="utf-8") as fh:
        fh.write('{"type": "FeatureCollection", "name": ' + json.dumps(layer) + ', "features": [\n')
        for rec, geom in rows:
            feature = {
                "type": "Feature",
                "geometry": mapping(geom) if geom is not None else None,
                "properties": rec,
            }
            fh.write((",\n" if n else "") + json.dumps(feature, ensure_ascii=False))
            n += 1
            if on_progress and n % BATCH == 0:
                on_progress(n)
        fh.write("\n]}\n")
    if on_progress:
        on_progress(n)
    return n


def _write_csv(out: Path, layer: str, kind, rows, on_progress) -> int:
    columns = list(COLUMNS[layer])
    point = kind in ("point", "point?")
    n = 0
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns + (["lat", "lon"] if point else []))
        for rec, geom in rows:
            cells = [safe_cell("" if rec[c] is None else rec[c]) for c in columns]
            if point:
                ok = geom is not None and geom.geom_type == "Point"
                cells += [repr(geom.y), repr(geom.x)] if ok else ["", ""]
            writer.writerow(cells)
            n += 1
            if on_progress and n % BATCH == 0:
                on_progress(n)
    if on_progress:
        on_progress(n)
    return n


def _field_array(values: list[Any]) -> np.ndarray:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if len(present) == len(values) and all(isinstance(v, int) for v in present):
            return np.asarray(values, dtype=np.int64)
        return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    return np.asarray([None if v is None else str(v) for v in values], dtype=object)


def _write_gpkg(out: Path, layer: str, kind, rows, on_progress) -> int:
    import pyogrio.raw

    if out.exists():
        out.unlink()
    columns = list(COLUMNS[layer])
    geometry_type = {
        "point": "Point",
        "polygon": "MultiPolygon",
        "line": "MultiLineString",
        "point?": "Unknown" if layer == "activation_events" else "Point",
    }.get(kind)
    n, first = 0, True

    def flush(batch: list) -> None:
        nonlocal first
        geoms = np.asarray([g for _, g in batch], dtype=object)
        if geometry_type in ("MultiPolygon", "MultiLineString"):
            geoms = np.asarray([_multi(g) for g in geoms], dtype=object)
        wkb = shapely.to_wkb(geoms) if geometry_type else None
        pyogrio.raw.write(
            str(out),
            geometry=wkb,
            field_data=[_field_array([r[c] for r, _ in batch]) for c in columns],
            fields=columns,
            layer=layer,
            driver="GPKG",
            geometry_type=geometry_type,
            crs="EPSG:4326" if geometry_type else None,
            append=not first,
        )
        first = False

    batch: list = []
    for item in rows:
        batch.append(item)
        n += 1
        if len(batch) >= BATCH:
            flush(batch)
            batch = []
            if on_progress:
                on_progress(n)
    if batch or first:
        flush(batch)
    if on_progress:
        on_progress(n)
    return n


def _multi(geom):
    if geom is None:
        return None
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "LineString":
        return shapely.MultiLineString([geom])
    return geom
