"""The map's analyst views beside the clusters: the time histogram and the hour-by-weekday
counts of the filter in view, the incidents of a small cluster, a sortable paged table of the
filter with its CSV and GeoJSON download, and a record's own page.

All of it reads through the services the API uses (`services.records`, the map's loaded points),
so the access rule is the one of everything else; listings of restricted records are audited
as the API's are (`records.list_records` and `records.records_by_ids` audit)."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from lagesbild.domain.model import Role
from lagesbild.errors import ValidationError
from lagesbild.i18n import Translator
from lagesbild.services import records
from lagesbild.store import audit
from lagesbild.web.lang import lang_of
from lagesbild.web.lru import LRU
from lagesbild.web.pages import DOWNLOAD_MAX, CallerDep, _bbox, _window, loaded_points, page, render
from lagesbild.web.params import Id, Offset
from lagesbild.web.security import Caller, remote_of

router = APIRouter(include_in_schema=False)

POINT_LAYERS = ("crimes", "observations")
SORTABLE = ("id", "occurred_at", "category", "owner_org_id", "sensitivity")
COLUMNS = ("id", "occurred_at", "category", "category_label", "source", "owner", "sensitivity")


def _layer(layer: str) -> str:
    if layer not in POINT_LAYERS:
        raise ValidationError("layer", "expected crimes or observations")
    return layer


# ------------------------------------------------------------------ time


def bin_unit(days: float) -> str:
    """Day bins up to three months, week bins up to about 14 months, month bins beyond."""
    return "day" if days <= 92 else "week" if days <= 430 else "month"


@functools.lru_cache(maxsize=64)
def _year_offsets(tz, year: int) -> np.ndarray:
    """The zone's UTC offset (seconds) for every hour of a UTC year: computed once per zone and
    year, so a request looks offsets up instead of asking the zone 8,760 times."""
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp()) // 3600
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp()) // 3600
    return np.array(
        [
            datetime.fromtimestamp(h * 3600, tz).utcoffset().total_seconds()
            for h in range(start, end)
        ],
        dtype=np.int64,
    )


def _local_seconds(times: np.ndarray, tz) -> np.ndarray:
    """UTC datetime64[s] -> local wall-clock seconds since the epoch."""
    secs = times.astype("datetime64[s]").astype(np.int64)
    years = times.astype("datetime64[Y]").astype(np.int64) + 1970
    out = np.empty_like(secs)
    for year in np.unique(years).tolist():
        sel = years == year
        first_hour = int(datetime(year, 1, 1, tzinfo=UTC).timestamp()) // 3600
        out[sel] = secs[sel] + _year_offsets(tz, year)[secs[sel] // 3600 - first_hour]
    return out


def _bin_starts(first: date, last: date, unit: str) -> list[date]:
    if unit == "day":
        start, step = first, None
    elif unit == "week":
        start, step = first - timedelta(days=first.weekday()), None
    else:
        start, step = first.replace(day=1), "month"
    out = []
    d = start
    while d <= last:
        out.append(d)
        if step == "month":
            d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        else:
            d += timedelta(days=1 if unit == "day" else 7)
    return out


@dataclass(frozen=True)
class LocalTimes:
    """The local day number (since 1970-01-01) and weekday x 24 + hour of every point of a
    loaded set: computed once per set, so that a view of it only selects and counts."""

    days: np.ndarray
    slots: np.ndarray

    @classmethod
    def of(cls, times: np.ndarray, tz) -> LocalTimes:
        local = _local_seconds(times, tz) if len(times) else np.zeros(0, dtype=np.int64)
        days = local // 86400
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        return cls(days, weekday * 24 + (local % 86400) // 3600)

    def select(self, mask: np.ndarray | None) -> LocalTimes:
        return self if mask is None else LocalTimes(self.days[mask], self.slots[mask])


LOCAL_TIMES = LRU(16)  # per loaded point set (the map's MAP_POINTS holds as many)


def _local_times(loaded, tz) -> LocalTimes:
    key = id(loaded)
    hit = LOCAL_TIMES.get(key)
    if hit is not None and hit[0] is loaded:  # the same set, not a new one at a reused id
        return hit[1]
    local = LocalTimes.of(loaded.points.times, tz)
    LOCAL_TIMES.put(key, (loaded, local))
    return local


def time_profile(times: np.ndarray, tz, first: date, last: date) -> dict[str, Any]:
    """Counts of `times` in day/week/month bins from `first` to `last` (both included) and
    in a 7 x 24 table of weekday (Monday first) by local hour."""
    return profile_of(LocalTimes.of(times, tz), first, last)


def profile_of(local: LocalTimes, first: date, last: date) -> dict[str, Any]:
    unit = bin_unit((last - first).days + 1)
    starts = _bin_starts(first, last, unit)
    grid = np.bincount(local.slots, minlength=168).reshape(7, 24)
    edges = np.array([(s - date(1970, 1, 1)).days for s in starts], dtype=np.int64)
    idx = np.searchsorted(edges, local.days, side="right") - 1
    keep = (idx >= 0) & (local.days <= (last - date(1970, 1, 1)).days)
    counts = np.bincount(idx[keep], minlength=len(starts))
    return {
        "unit": unit,
        "bins": [
            {"start": s.isoformat(), "count": int(c)}
            for s, c in zip(starts, counts.tolist(), strict=True)
        ],
        "hour_weekday": grid.tolist(),
        "total": int(len(local.days)),
    }


def _view_mask(loaded, bbox) -> np.ndarray | None:
    """Which of the loaded points are in the box (as `MapPoints.within` keeps them)."""
    if bbox is None or len(loaded.points) == 0:
        return None
    lon, lat = loaded.points.lon, loaded.points.lat
    return (lon >= bbox[0]) & (lat >= bbox[1]) & (lon <= bbox[2]) & (lat <= bbox[3])


def month_counts(times: np.ndarray, tz, first: date, last: date) -> tuple[list[date], list[int]]:
    """Counts of `times` per local calendar month from `first`'s month to `last`'s."""
    starts = _bin_starts(first, last, "month")
    local = _local_seconds(times, tz) if len(times) else np.zeros(0, dtype=np.int64)
    days = local // 86400
    edges = np.array([(s - date(1970, 1, 1)).days for s in starts], dtype=np.int64)
    idx = np.searchsorted(edges, days, side="right") - 1
    end = date(last.year + (last.month == 12), last.month % 12 + 1, 1)  # exclusive
    keep = (idx >= 0) & (days < (end - date(1970, 1, 1)).days)
    return starts, np.bincount(idx[keep], minlength=len(starts)).tolist()


@router.get("/map/time.json")
async def map_time(
    request: Request,
    caller: CallerDep,
    layer: str = "crimes",
    category: str | None = None,
    bbox: str | None = None,
) -> Response:
    """The filter's events in view over time: a histogram over the period (day, week or month
    bins by its length) and the weekday-by-hour table, both in the store's time zone."""
    store = request.app.state.store
    _layer(layer)
    date_from = request.query_params.get("from")
    date_to = request.query_params.get("to")
    if not date_from or not date_to:
        raise ValidationError("from", "give from and to (YYYY-MM-DD)")
    window = _window(request, date_from, date_to)
    loaded = await loaded_points(request, caller, layer, category)
    first = window.start.astimezone(store.tz).date()
    last = (window.end.astimezone(store.tz) - timedelta(seconds=1)).date()
    if (last - first).days > 366 * 30:
        raise ValidationError("from", "a period of at most 30 years")
    local = _local_times(loaded, store.tz).select(_view_mask(loaded, _bbox(bbox)))
    out = profile_of(local, first, last)
    return Response(orjson.dumps(out), media_type="application/json")


# ------------------------------------------------------------------ incidents and table


def _org_names(store, caller: Caller) -> dict[int, str]:
    rows, _ = records.list_records(
        store, "organisations", caller.viewer, records.RecordFilter(limit=10_000)
    )
    return {r["id"]: r["name"] for r in rows}


def incident_row(row: dict, store, t: Translator, layer: str, orgs: dict[int, str]) -> dict:
    """What the incident list and table show of a record."""
    cat = store.taxonomy.get(layer, row["category"])
    if row.get("created_by") is not None:
        source = t("mapui.source.field")
    elif row.get("source_id"):
        source = f"{t('mapui.source.import')} {row['source_id']}"
    else:
        source = t("mapui.source.import")
    return {
        "id": row["id"],
        "layer": layer,
        "occurred_at": row["occurred_at"].astimezone(store.tz).isoformat(timespec="minutes"),
        "category": row["category"],
        "category_label": t.label(cat) if cat else row["category"],
        "source": source,
        "owner": orgs.get(row["owner_org_id"], str(row["owner_org_id"])),
        "sensitivity": row.get("sensitivity"),
        "href": f"/records/{layer}/{row['id']}",
    }


@router.get("/map/incidents.json")
def map_incidents(
    request: Request,
    caller: CallerDep,
    layer: str = "crimes",
    ids: str = "",
) -> Response:
    """The records of a small cluster (at most 50 ids), as the access rule lets the caller see
    them; restricted ones listed are audited as the API's listing is."""
    store = request.app.state.store
    _layer(layer)
    try:
        wanted = [int(x) for x in ids.split(",") if x.strip()]
    except ValueError:
        raise ValidationError("ids", "expected record ids separated by commas") from None
    if len(wanted) > 50:
        raise ValidationError("ids", "at most 50 ids")
    rows = records.records_by_ids(store, layer, wanted, caller.viewer, remote_of(request))
    t = Translator(lang_of(request), store.tz)
    orgs = _org_names(store, caller)
    out = [incident_row(r, store, t, layer, orgs) for r in rows]
    out.sort(key=lambda r: r["occurred_at"], reverse=True)
    return Response(orjson.dumps({"incidents": out}), media_type="application/json")


def _table_filter(
    request: Request, layer: str, category: str | None, sort: str, limit: int, offset: int
) -> records.RecordFilter:
    store = request.app.state.store
    if sort.lstrip("-") not in SORTABLE:
        raise ValidationError("sort", f"one of {', '.join(SORTABLE)} (with - for descending)")
    window = _window(request, request.query_params.get("from"), request.query_params.get("to"))
    return records.RecordFilter(
        period=window,
        categories=store.taxonomy.expand(layer, category) if category else None,
        limit=limit,
        offset=offset,
        order=sort,
    )


def _table(request: Request, caller: Caller, layer: str, f: records.RecordFilter):
    store = request.app.state.store
    rows, total = records.list_records(store, layer, caller.viewer, f, remote_of(request))
    return rows, total


@router.get("/map/table.json")
def map_table(
    request: Request,
    caller: CallerDep,
    layer: str = "crimes",
    category: str | None = None,
    sort: str = "-occurred_at",
    limit: int = Query(50, ge=1, le=500),
    offset: Offset = 0,
) -> Response:
    """One page of the filter's records, sorted: the map's table view."""
    store = request.app.state.store
    _layer(layer)
    f = _table_filter(request, layer, category, sort, limit, offset)
    rows, total = _table(request, caller, layer, f)
    t = Translator(lang_of(request), store.tz)
    orgs = _org_names(store, caller)
    body = {
        "rows": [incident_row(r, store, t, layer, orgs) for r in rows],
        "numberMatched": total,
        "offset": offset,
        "limit": limit,
        "sort": sort,
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/map/table.csv")
async def map_download_csv(
    request: Request,
    caller: CallerDep,
    layer: str = "crimes",
    category: str | None = None,
    sort: str = "-occurred_at",
) -> Response:
    """The filter's records (up to 10,000) as CSV; the export is audited."""
    return await _download(request, caller, "csv", layer, category, sort)


@router.get("/map/table.geojson")
async def map_download_geojson(
    request: Request,
    caller: CallerDep,
    layer: str = "crimes",
    category: str | None = None,
    sort: str = "-occurred_at",
) -> Response:
    """The filter's records (up to 10,000) as GeoJSON; the export is audited."""
    return await _download(request, caller, "geojson", layer, category, sort)


async def _download(
    request: Request, caller: Caller, fmt: str, layer: str, category: str | None, sort: str
) -> Response:
    store = request.app.state.store
    _layer(layer)
    f = _table_filter(request, layer, category, sort, DOWNLOAD_MAX, 0)

    counts: dict[str, int] = {}

    def build() -> bytes:
        rows, total = _table(request, caller, layer, f)
        counts.update(returned=len(rows), matched=total)
        t = Translator(lang_of(request), store.tz)
        orgs = _org_names(store, caller)
        with store.write() as conn:
            audit.record(
                conn,
                caller.viewer,
                "export",
                layer,
                None,
                f"map table {fmt}: {len(rows)}/{total} record(s)",
                remote_of(request),
            )
        shown = [incident_row(r, store, t, layer, orgs) for r in rows]
        if fmt == "geojson":
            feats = []
            for row, item in zip(rows, shown, strict=True):
                feat = records.to_feature(row, store)
                feat["properties"].update({k: item[k] for k in COLUMNS})
                feats.append(feat)
            fc = {
                "type": "FeatureCollection",
                "numberMatched": total,
                "numberReturned": len(feats),
                "truncated": len(feats) < total,
                "features": feats,
            }
            return orjson.dumps(fc, option=orjson.OPT_NON_STR_KEYS)
        buf = io.StringIO()
        if len(rows) < total:  # said in the file too: a spreadsheet never shows headers
            buf.write(f"# truncated: the first {len(rows)} of {total} rows ({sort})\n")
        w = csv.writer(buf)
        w.writerow([*COLUMNS, "lon", "lat"])
        for row, item in zip(rows, shown, strict=True):
            geom = row.get("geom")
            w.writerow(
                [
                    *(item[k] for k in COLUMNS),
                    f"{geom.x:.6f}" if geom is not None else "",
                    f"{geom.y:.6f}" if geom is not None else "",
                ]
            )
        return buf.getvalue().encode()

    body = await run_in_threadpool(build)
    kind = "text/csv; charset=utf-8" if fmt == "csv" else "application/geo+json"
    name = f"{layer}-{request.query_params.get('from', '')}-{request.query_params.get('to', '')}"
    return Response(
        body,
        media_type=kind,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
            "X-Total-Count": str(counts["matched"]),
            "X-Truncated": "true" if counts["returned"] < counts["matched"] else "false",
        },
    )


# ------------------------------------------------------------------ a record's page


@router.get("/records/{layer}/{record_id}", response_class=HTMLResponse)
@page
def record_page(request: Request, caller: CallerDep, layer: str, record_id: Id):
    """A crime or observation: its fields, who owns it and who may see it, and (for the
    administrator) its history in the audit log."""
    store = request.app.state.store
    _layer(layer)
    row = records.get_record(store, layer, record_id, caller.viewer, remote_of(request))
    t = Translator(lang_of(request), store.tz)
    item = incident_row(row, store, t, layer, _org_names(store, caller))
    props = records.to_properties(row, store)
    history = []
    if caller.viewer.role == Role.ADMIN:
        history = [
            e
            for e in audit.read(store, audit.AuditFilter(layer=layer, limit=2000))
            if e["record_id"] == record_id
        ]
    geom = row.get("geom")
    return render(
        request,
        caller,
        "record.html",
        {
            "layer": layer,
            "item": item,
            "props": props,
            "history": history,
            "lonlat": (geom.x, geom.y) if geom is not None else None,
        },
    )
