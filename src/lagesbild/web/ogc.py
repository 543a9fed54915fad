"""OGC API - Features, Part 1 Core with GeoJSON, rooted at /ogc, so that QGIS and GDAL (its
OAPIF driver) add lagesbild's layers as they are.

Like pygeoapi, the request handling is plain functions over the services; errors are OGC
exception bodies (`{"code", "description"}`) with their HTTP status. The public sees public
records only; a token or session sees what its user may see (`store.access`)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time, timedelta, tzinfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import MAX_YEAR, MIN_YEAR, Period
from lagesbild.domain.values import MAX_INT, as_id
from lagesbild.errors import LagesbildError
from lagesbild.services import records
from lagesbild.web.security import Caller, identify, remote_of

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

COLLECTIONS = {
    "places": ("Places", "Priority places, scenes, comparison areas, districts, the city"),
    "extents": ("Scene extents", "The extent of each place per yearly mapping round, in hectares"),
    "crimes": ("Reported crimes", "Police records of reported crime"),
    "observations": ("Field observations", "What field teams saw, where and when"),
    "cameras": ("Cameras", "Camera positions with bearing, field-of-view angle and range"),
    "guard_areas": ("Guard-designated areas", "Förordnandeområden with validity"),
    "streets": ("Streets", "Street segments"),
    "activation_events": ("Place-activation events", "Art, culture and events in the places"),
}
# Not the OpenAPI 3.0 class (oas30): the API definition FastAPI serves is OpenAPI 3.1.
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
MAX_LIMIT = 10_000
GEOJSON = "application/geo+json"


class OGCError(Exception):
    def __init__(self, status: int, code: str, description: str) -> None:
        self.status, self.code, self.description = status, code, description


def ogc_error_response(exc: OGCError) -> JSONResponse:
    return JSONResponse({"code": exc.code, "description": exc.description}, status_code=exc.status)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _collection(request: Request, cid: str, viewer: Viewer) -> dict:
    title, description = COLLECTIONS[cid]
    base = _base(request)
    return {
        "id": cid,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": _extent(request, cid, viewer),
        "links": [
            {"href": f"{base}/collections/{cid}", "rel": "self", "type": "application/json"},
            {
                "href": f"{base}/collections/{cid}/items",
                "rel": "items",
                "type": GEOJSON,
                "title": title,
            },
        ],
    }


def _extent(request: Request, cid: str, viewer: Viewer) -> dict:
    """The extent of the records the caller may see (what QGIS zooms to and GDAL reports as
    the layer's extent); the store's region when there are none."""
    store = request.app.state.store
    found = records.extent(store, cid, viewer)
    r = store.settings.region
    bbox = list(found.bbox) if found.bbox else [r.min_lon, r.min_lat, r.max_lon, r.max_lat]
    out: dict = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    if found.first is not None:
        out["temporal"] = {
            "interval": [[_utc(found.first), _utc(found.last)]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return out


def _utc(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@router.get("")
def landing(request: Request) -> dict:
    base = _base(request)
    return {
        "title": "lagesbild",
        "description": "A shared situational picture of open drug scenes and priority places",
        "links": [
            {"href": base, "rel": "self", "type": "application/json", "title": "this document"},
            {
                "href": str(request.base_url) + "api/v1/openapi.json",
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.1",
                "title": "API definition",
            },
            {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json"},
            {"href": f"{base}/collections", "rel": "data", "type": "application/json"},
        ],
    }


@router.get("/conformance")
def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


@router.get("/collections")
def collections(request: Request, caller: Caller = Depends(identify)) -> dict:
    base = _base(request)
    return {
        "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
        "collections": [_collection(request, cid, caller.viewer) for cid in COLLECTIONS],
    }


def _known(cid: str) -> None:
    if cid not in COLLECTIONS:
        raise OGCError(404, "NotFound", f"no collection {cid!r}")


@router.get("/collections/{cid}")
def collection(cid: str, request: Request, caller: Caller = Depends(identify)) -> dict:
    _known(cid)
    return _collection(request, cid, caller.viewer)


def _parse_limit(value: str | None) -> int:
    if value is None:
        return 100
    try:
        n = int(value)
    except ValueError:
        raise OGCError(400, "InvalidParameterValue", f"limit {value!r} is not an integer") from None
    if n < 1:
        raise OGCError(400, "InvalidParameterValue", "limit must be at least 1")
    return min(n, MAX_LIMIT)  # the standard lets a server cap limit instead of refusing it


def _parse_offset(value: str | None) -> int:
    try:
        n = int(value or 0)
    except ValueError:
        raise OGCError(
            400, "InvalidParameterValue", f"offset {value!r} is not an integer"
        ) from None
    if not 0 <= n <= MAX_INT:
        raise OGCError(400, "InvalidParameterValue", f"offset must be 0 to {MAX_INT}")
    return n


def _parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) == 6:  # a 3D bbox: drop the heights
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if (
        len(parts) != 4
        or not all(math.isfinite(p) for p in parts)  # nan compares as neither > nor <=
        or parts[0] > parts[2]
        or parts[1] > parts[3]
    ):
        raise OGCError(
            400,
            "InvalidParameterValue",
            "bbox must be minlon,minlat,maxlon,maxlat: finite numbers, min <= max",
        )
    return tuple(parts)  # type: ignore[return-value]


OPEN = ("..", "")  # an open end of an interval
DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# a '+' offset sent unencoded arrives as a space: "...T10:00:00 01:00"
SPACED_OFFSET = re.compile(r"(?<=\d) (?=\d{2}:?\d{2}$)")


def _span(text: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants [start, end) a datetime value covers: a date is its whole day and a time
    without offset a local time, both in the store's time zone (as the API's `period`); a
    time with offset is that instant."""
    text = SPACED_OFFSET.sub("+", text.strip())
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise OGCError(400, "InvalidParameterValue", f"datetime {text!r} is not RFC 3339") from None
    if not MIN_YEAR <= dt.year <= MAX_YEAR:  # near year 1 or 9999 offsets would overflow
        raise OGCError(
            400, "InvalidParameterValue", f"datetime must lie in the years {MIN_YEAR}-{MAX_YEAR}"
        )
    if DATE_ONLY.fullmatch(text):
        start = datetime.combine(dt.date(), time(), tz)
        return start, datetime.combine(dt.date() + timedelta(days=1), time(), tz)
    dt = dt if dt.tzinfo else dt.replace(tzinfo=tz)
    return dt, dt + timedelta(microseconds=1)


def _parse_datetime(value: str | None, tz: tzinfo) -> Period | None:
    """An instant, or an interval `start/end` with `..` (or nothing) for an open end; both ends
    are included."""
    if value is None:
        return None
    lo = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)
    hi = datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC)
    if "/" in value:
        a, b = value.split("/", 1)
        if a in OPEN and b in OPEN:
            raise OGCError(400, "InvalidParameterValue", "datetime: at most one end may be open")
        start = lo if a in OPEN else _span(a, tz)[0]
        end = hi if b in OPEN else _span(b, tz)[1]
        if end <= start:
            raise OGCError(400, "InvalidParameterValue", "datetime interval ends before it starts")
        return Period(value, start, end)
    if value in OPEN:
        raise OGCError(400, "InvalidParameterValue", "datetime: give an instant or an interval")
    return Period(value, *_span(value, tz))


# The items' query parameters, for the API definition: read by hand (OGC exception bodies, not
# FastAPI's 422), so declared here; QGIS and GDAL take their page size from limit's maximum.
ITEMS_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    {
        "name": "bbox",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": {
            "type": "array",
            "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}],
            "items": {"type": "number"},
        },
    },
    {
        "name": "bbox-crs",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "uri", "enum": [CRS84]},
    },
    {"name": "datetime", "in": "query", "required": False, "schema": {"type": "string"}},
    {
        "name": "f",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["json", "geojson"]},
    },
]


@router.get("/collections/{cid}/items", openapi_extra={"parameters": ITEMS_PARAMETERS})
def items(cid: str, request: Request, caller: Caller = Depends(identify)) -> JSONResponse:
    _known(cid)
    q = request.query_params
    known = {"limit", "offset", "bbox", "datetime", "f", "bbox-crs"}
    unknown = [k for k in q if k not in known]
    if unknown:
        raise OGCError(400, "InvalidParameterValue", f"unknown query parameter {unknown[0]!r}")
    if q.get("f") not in (None, "json", "geojson"):
        raise OGCError(400, "InvalidParameterValue", "f must be json or geojson")
    if q.get("bbox-crs") not in (None, CRS84):
        raise OGCError(400, "InvalidParameterValue", f"bbox-crs must be {CRS84}")
    limit, offset = _parse_limit(q.get("limit")), _parse_offset(q.get("offset"))
    period = _parse_datetime(q.get("datetime"), request.app.state.store.tz)
    if period is not None and cid not in records.TIME_COLUMNS:
        period = None  # a collection without time: every item matches (OGC Part 1, 7.15.4)
    f = records.RecordFilter(
        period=period, bbox=_parse_bbox(q.get("bbox")), limit=limit, offset=offset
    )
    store = request.app.state.store
    rows, total = records.list_records(store, cid, caller.viewer, f, remote_of(request))
    self_url = str(request.url)
    links = [
        {"href": self_url, "rel": "self", "type": GEOJSON},
        {
            "href": f"{_base(request)}/collections/{cid}",
            "rel": "collection",
            "type": "application/json",
        },
    ]
    if offset + limit < total:
        links.append(
            {
                "href": str(request.url.include_query_params(offset=offset + limit, limit=limit)),
                "rel": "next",
                "type": GEOJSON,
            }
        )
    if offset > 0:
        links.append(
            {
                "href": str(
                    request.url.include_query_params(offset=max(0, offset - limit), limit=limit)
                ),
                "rel": "prev",
                "type": GEOJSON,
            }
        )
    body = {
        "type": "FeatureCollection",
        "features": [records.to_feature(r, store) for r in rows],
        "numberMatched": total,
        "numberReturned": len(rows),
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
    return JSONResponse(body, media_type=GEOJSON)


@router.get("/collections/{cid}/items/{fid}")
def item(cid: str, fid: str, request: Request, caller: Caller = Depends(identify)) -> JSONResponse:
    _known(cid)
    rid = as_id(fid)
    if rid is None:  # not an id the store could hold: no such feature
        raise OGCError(404, "NotFound", f"no feature {fid[:30]!r} in {cid}")
    store = request.app.state.store
    try:
        row = records.get_record(store, cid, rid, caller.viewer, remote_of(request))
    except LagesbildError as exc:
        if exc.http_status == 404:
            raise OGCError(404, "NotFound", f"no feature {fid} in {cid}") from None
        raise
    feature = records.to_feature(row, store)
    base = _base(request)
    feature["links"] = [
        {"href": str(request.url), "rel": "self", "type": GEOJSON},
        {"href": f"{base}/collections/{cid}", "rel": "collection", "type": "application/json"},
    ]
    return JSONResponse(feature, media_type=GEOJSON)
