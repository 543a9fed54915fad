"""How a record of canonical values becomes a row of the store, one builder per canonical
layer (what the layers are, their names and columns, is `domain.layers`). Used by every way data
comes in: files, the demo scenario, the API, so that the rules are written once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from lagesbild.domain.layers import LAYERS, Layer, layer_named
from lagesbild.domain.model import (
    ExtentStatus,
    PlaceKind,
    Sensitivity,
    parse_criteria,
    parse_enum,
)
from lagesbild.domain.taxonomy import Taxonomy
from lagesbild.domain.values import (
    blank,
    parse_date,
    parse_datetime,
    parse_float,
    parse_int,
    parse_share,
    parse_text,
)
from lagesbild.errors import GeometryError, ValidationError
from lagesbild.geo.crs import transform_from
from lagesbild.geo.region import Region
from lagesbild.geo.validate import check_point, clean_line, clean_polygon
from lagesbild.store.resolve import Resolver

Record = dict[str, Any]
# `lagesbild export` writes the key of a record without a source id as `id` = "h:<sha1>"
_HASH_ID = re.compile(r"^h:[0-9a-f]{40}$")


@dataclass
class RowContext:
    """What building a row needs: the store's rules and the lookups of this transaction."""

    tz: ZoneInfo
    region: Region
    taxonomy: Taxonomy
    resolver: Resolver
    crs: str | None = None  # CRS of x/y columns, when a file gives them
    user_id: int | None = None
    # offence code -> category (ingest.offences); None: the default table shipped with lagesbild
    offences: Mapping[str, str] | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # A user's write: the organisation that owns every row, and the only one whose stored
    # records the write may change. None: the operator (terminal, administrator).
    writer_org: int | None = None


# ---------------------------------------------------------------- shared pieces


def _text(rec: Record, name: str, required: bool = False, max_len: int = 5000) -> str | None:
    value = parse_text(rec.get(name), name, max_len)
    if value is None and required:
        raise ValidationError(name, "is required")
    return value


def _when(ctx: RowContext, rec: Record, name: str, required: bool = False) -> datetime | None:
    value = parse_datetime(rec.get(name), name, ctx.tz)
    if value is None and required:
        raise ValidationError(name, "is required (a date-time, e.g. 2023-05-01 21:30)")
    return value


def parse_sensitivity(value: object) -> str:
    """A record's sensitivity; blank means shared."""
    return (
        Sensitivity.SHARED.value
        if blank(value)
        else parse_enum(Sensitivity, value, "sensitivity").value
    )


def _owned(ctx: RowContext, rec: Record) -> dict[str, Any]:
    return {
        "owner_org_id": (
            ctx.writer_org
            if ctx.writer_org is not None
            else ctx.resolver.organisation(_text(rec, "organisation"))
        ),
        "sensitivity": parse_sensitivity(rec.get("sensitivity")),
        "created_at": ctx.now,
        "updated_at": ctx.now,
        "created_by": ctx.user_id,
    }


def _bbox(geom: BaseGeometry | None) -> dict[str, Any]:
    if geom is None:
        return {"geom": None, "minx": None, "miny": None, "maxx": None, "maxy": None}
    minx, miny, maxx, maxy = geom.bounds
    return {"geom": geom, "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}


def record_key(layer: str, rec: Record, geom: BaseGeometry | None = None) -> tuple[str, str | None]:
    """The stable key of a record: its source id, else a hash of its content, the geometry of
    a GIS feature included (two features that differ only in where they are are two records)."""
    source_id = parse_text(rec.get("id"), "id", 200)
    if source_id is not None and _HASH_ID.match(source_id):
        return f"{layer}:{source_id}", None  # an exported content-hash key comes back as it was
    if source_id is not None:
        return f"{layer}:id:{source_id}", source_id
    content = {k: str(v) for k, v in sorted(rec.items()) if not blank(v)}
    if geom is not None:
        content = {"__geometry__": geom.wkb_hex, **content}
    canon = json.dumps(content, ensure_ascii=False)
    return f"{layer}:h:{hashlib.sha1(canon.encode()).hexdigest()}", None


def _keyed(layer: str, rec: Record, geom: BaseGeometry | None = None) -> dict[str, Any]:
    key, source_id = record_key(layer, rec, geom)
    return {"source_key": key, "source_id": source_id}


def point_of(
    ctx: RowContext, rec: Record, geom: BaseGeometry | None, required: bool
) -> Point | None:
    """The record's point: a GIS geometry, `lat`/`lon` (WGS84) or `x`/`y` in `ctx.crs`."""
    if geom is None:
        lat, lon = parse_float(rec.get("lat"), "lat"), parse_float(rec.get("lon"), "lon")
        x, y = parse_float(rec.get("x"), "x"), parse_float(rec.get("y"), "y")
        if lat is not None and lon is not None:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValidationError("lat/lon", f"({lat}, {lon}) are not WGS84 degrees")
            geom = Point(lon, lat)
        elif x is not None and y is not None:
            if ctx.crs is None:
                raise ValidationError("x/y", "coordinates x/y need --crs EPSG:NNNN")
            geom = transform_from(ctx.crs, Point(x, y))
            if not ctx.region.contains_bounds(geom.bounds):
                swapped = transform_from(ctx.crs, Point(y, x))
                if ctx.region.contains_bounds(swapped.bounds):
                    raise GeometryError(
                        f"location x={x}, y={y} in {ctx.crs} lies outside the store's region",
                        "x and y look swapped: x is the easting, y the northing",
                    )
        elif required:
            raise ValidationError(
                "location", "is required: lat and lon, x and y with --crs, or a point geometry"
            )
        else:
            return None
    return check_point(geom, ctx.region, "location")


def _polygon(ctx: RowContext, geom: BaseGeometry | None, what: str) -> BaseGeometry:
    if geom is None:
        raise ValidationError("geometry", f"a {what} needs a polygon geometry")
    return clean_polygon(geom, ctx.region, what)


# ---------------------------------------------------------------- one builder per layer


def _organisation(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    parent = _text(rec, "parent")
    return {
        "name": _text(rec, "name", True, 200),
        "code": _text(rec, "code", max_len=64),
        "kind": _text(rec, "kind", max_len=64),
        "parent_id": ctx.resolver.organisation(parent, "parent") if parent else None,
        "created_at": ctx.now,
    }


def _place(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    parent = _text(rec, "parent")
    return {
        "name": _text(rec, "name", True, 200),
        "code": _text(rec, "code", max_len=64),
        "kind": parse_enum(PlaceKind, rec.get("kind"), "kind").value,
        "parent_id": ctx.resolver.place(parent, "parent") if parent else None,
        **_bbox(_polygon(ctx, geom, "place boundary")),
        **_owned(ctx, rec),
    }


def _extent(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    year = parse_int(rec.get("round"), "round", minimum=1900)
    if year is None:
        raise ValidationError("round", "is required (the mapping round's year, e.g. 2023)")
    # a round is assessed in its year's first quarter: next year's at the latest is planned
    if year > date.today().year + 1:
        raise ValidationError(
            "round", f"{year} is not a mapping round's year (at most {date.today().year + 1})"
        )
    return {
        "place_id": ctx.resolver.place(_text(rec, "place") or _text(rec, "name"), "place"),
        "round_id": ctx.resolver.mapping_round(year),
        "status": parse_enum(ExtentStatus, rec.get("status"), "status").value,
        # the checklist as `;`-separated codes (docs: "The mapping round's criteria")
        "criteria": ";".join(parse_criteria(rec.get("criteria"))) or None,
        "assessed_at": parse_date(rec.get("assessed_at"), "assessed_at"),
        "assessed_by": _text(rec, "assessed_by", max_len=200),
        "motivation": _text(rec, "motivation"),
        **_bbox(_polygon(ctx, geom, "extent")),
        **_owned(ctx, rec),
    }


def _category(ctx: RowContext, layer: str, rec: Record) -> str:
    category, code = rec.get("category"), rec.get("offence_code")
    if layer == "crimes" and blank(category) and not blank(code):
        return offence_category(ctx, code)
    if blank(category):
        need = "a category (or an offence_code)" if layer == "crimes" else "a category"
        raise ValidationError("category", f"is empty; each row needs {need}")
    return ctx.taxonomy.validate(layer, category)


def offence_category(ctx: RowContext, code: object) -> str:
    """The category of a source's offence code, from the offence table."""
    from lagesbild.ingest.offences import category_for, default_table

    found = category_for(ctx.offences if ctx.offences is not None else default_table(), code)
    if found is None:
        raise ValidationError(
            "offence_code",
            f"{str(code).strip()!r} is not in the offence table",
            "add it to a table given with --offence-table, or give a category column",
        )
    return ctx.taxonomy.validate("crimes", found)


def _crime(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    point = point_of(ctx, rec, geom, required=False)
    area = _text(rec, "place")
    if point is None and area is None:
        raise ValidationError("location", "is required: lat/lon, x/y, or the place it is known to")
    return {
        **_keyed("crimes", rec, geom),
        "offence_code": _text(rec, "offence_code", max_len=32),
        "category": _category(ctx, "crimes", rec),
        "occurred_at": _when(ctx, rec, "occurred_at", True),
        "reported_at": _when(ctx, rec, "reported_at"),
        "place_text": _text(rec, "place_text", max_len=300),
        "area_place_id": ctx.resolver.place(area) if point is None else None,
        **_bbox(point),
        **_owned(ctx, rec),
    }


def _observation(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    return {
        **_keyed("observations", rec, geom),
        "category": _category(ctx, "observations", rec),
        "occurred_at": _when(ctx, rec, "occurred_at", True),
        "count": parse_int(rec.get("count"), "count", minimum=0),
        "text": _text(rec, "text", max_len=2000),
        **_bbox(point_of(ctx, rec, geom, required=True)),
        **_owned(ctx, rec),
    }


def _measurement(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    value = parse_float(rec.get("value"), "value")
    if value is None:
        raise ValidationError("value", "is required")
    return {
        **_keyed("measurements", rec, geom),
        "place_id": ctx.resolver.place(_text(rec, "place")),
        "measured_at": _when(ctx, rec, "measured_at", True),
        "metric": _text(rec, "metric", True, 64),
        "group": _text(rec, "group", max_len=64),
        "value": value,
        "unit": _text(rec, "unit", max_len=32),
        "method": _text(rec, "method", max_len=200),
        **_owned(ctx, rec),
    }


def _camera(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    bearing = parse_float(rec.get("bearing"), "bearing")
    angle = parse_float(rec.get("angle"), "angle")
    reach = parse_float(rec.get("range"), "range")
    if bearing is None or angle is None or reach is None:
        raise ValidationError("bearing/angle/range", "are required (degrees, degrees, metres)")
    if not 0 <= bearing <= 360:
        raise ValidationError("bearing", f"{bearing} is not a compass bearing in [0, 360] degrees")
    if not 0 < angle <= 360:
        raise ValidationError("angle", f"{angle} is not a field-of-view angle in (0, 360] degrees")
    if not 0 < reach <= 2000:
        raise ValidationError("range", f"{reach} is not a range in metres (0-2000)")
    active_from = parse_date(rec.get("active_from"), "active_from")
    active_to = parse_date(rec.get("active_to"), "active_to")
    if active_from is not None and active_to is not None and active_to < active_from:
        raise ValidationError("active_to", f"{active_to} is before active_from {active_from}")
    return {
        **_keyed("cameras", rec, geom),
        "operator": _text(rec, "operator", True, 200),
        "bearing": bearing % 360.0,
        "angle": angle,
        "range_m": reach,
        "legal_basis": _text(rec, "legal_basis", max_len=300),
        "active_from": active_from,
        "active_to": active_to,
        **_bbox(point_of(ctx, rec, geom, required=True)),
        **_owned(ctx, rec),
    }


def _guard_area(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    valid_from = parse_date(rec.get("valid_from"), "valid_from")
    if valid_from is None:
        raise ValidationError("valid_from", "is required (YYYY-MM-DD)")
    valid_to = parse_date(rec.get("valid_to"), "valid_to")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError("valid_to", f"{valid_to} is before valid_from {valid_from}")
    return {
        **_keyed("guard_areas", rec, geom),
        "name": _text(rec, "name", True, 200),
        "decision": _text(rec, "decision", max_len=200),
        "valid_from": valid_from,
        "valid_to": valid_to,
        **_bbox(_polygon(ctx, geom, "guard area")),
        **_owned(ctx, rec),
    }


def _street(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    if geom is None:
        raise ValidationError("geometry", "a street needs a line geometry")
    return {
        **_keyed("streets", rec, geom),
        "name": _text(rec, "name", True, 200),
        **_bbox(clean_line(geom, ctx.region, "street")),
        **_owned(ctx, rec),
    }


def _activation_event(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    starts, ends = _when(ctx, rec, "starts_at", True), _when(ctx, rec, "ends_at", True)
    if ends < starts:
        raise ValidationError("ends_at", f"{ends.isoformat()} is before starts_at")
    place = _text(rec, "place")
    location = None
    if geom is not None and geom.geom_type != "Point":
        location = clean_polygon(geom, ctx.region, "event area")
    else:
        location = point_of(ctx, rec, geom, required=place is None)
    return {
        **_keyed("activation_events", rec, geom),
        "title": _text(rec, "title", True, 300),
        "kind": _text(rec, "kind", max_len=64),
        "starts_at": starts,
        "ends_at": ends,
        "place_id": ctx.resolver.place(place) if place else None,
        **_bbox(location),
        **_owned(ctx, rec),
    }


def _survey_result(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    area = _text(rec, "area", True, 200)
    year = parse_int(rec.get("year"), "year", minimum=1900)
    share = parse_share(rec.get("share"), "share")
    n = parse_int(rec.get("n"), "n", minimum=1)
    if year is None or share is None or n is None:
        raise ValidationError("year/share/n", "are required")
    ci_low = parse_share(rec.get("ci_low"), "ci_low")
    ci_high = parse_share(rec.get("ci_high"), "ci_high")
    # an interval that does not hold its share is a column mix-up, not a result
    if ci_low is not None and ci_low > share:
        raise ValidationError("ci_low", f"{ci_low:g} is above the share {share:g}")
    if ci_high is not None and ci_high < share:
        raise ValidationError("ci_high", f"{ci_high:g} is below the share {share:g}")
    is_city = area.lower() in ("city", "staden", "stockholms stad")
    return {
        **_keyed("survey_results", rec, geom),
        "survey": _text(rec, "survey", True, 200),
        "year": year,
        "area": "city" if is_city else area,
        "place_id": None if is_city else ctx.resolver.place(area, "area"),
        "question": _text(rec, "question", True, 500),
        "share": share,
        "n": n,
        "ci_low": ci_low,
        "ci_high": ci_high,
        **_owned(ctx, rec),
    }


def _roster(ctx: RowContext, rec: Record, geom: BaseGeometry | None) -> dict[str, Any]:
    starts, ends = _when(ctx, rec, "starts_at", True), _when(ctx, rec, "ends_at", True)
    if ends < starts:
        raise ValidationError("ends_at", f"{ends.isoformat()} is before starts_at")
    headcount = parse_int(rec.get("headcount"), "headcount", minimum=0)
    if headcount is None:
        raise ValidationError("headcount", "is required")
    org = _text(rec, "organisation", True)
    place = _text(rec, "place")
    row = {
        **_keyed("roster", rec, geom),
        "organisation_id": ctx.resolver.organisation(org),
        "role": _text(rec, "role", max_len=200),
        "headcount": headcount,
        "starts_at": starts,
        "ends_at": ends,
        "place_id": ctx.resolver.place(place) if place else None,
        "briefing_id": ctx.resolver.briefing(parse_int(rec.get("briefing"), "briefing")),
        **_owned(ctx, rec),
    }
    return row


@dataclass(frozen=True)
class LayerSpec(Layer):
    """A canonical layer (`domain.layers`) with what makes a store row of one of its records."""

    build: Callable[[RowContext, Record, BaseGeometry | None], dict[str, Any]]


_BUILDERS = {
    "organisations": _organisation,
    "places": _place,
    "extents": _extent,
    "crimes": _crime,
    "observations": _observation,
    "measurements": _measurement,
    "cameras": _camera,
    "guard_areas": _guard_area,
    "streets": _street,
    "activation_events": _activation_event,
    "survey_results": _survey_result,
    "roster": _roster,
}
_SPECS: dict[str, LayerSpec] = {
    name: LayerSpec(
        layer.name, layer.table, layer.required, layer.optional, layer.geometry, _BUILDERS[name]
    )
    for name, layer in LAYERS.items()
}


def layer_spec(name: str) -> LayerSpec:
    """The layer of a name as users write it, with its builder."""
    return _SPECS[layer_named(name).name]
