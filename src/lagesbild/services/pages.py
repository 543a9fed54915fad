"""Small read services for the web pages: crimes and observations aggregated on a grid for the
map, cameras as field-of-view sectors, a reporter's own recent reports, the span of the data.

Everything goes through `services.records` / `services.data`, so `store.access.visible` decides
what a viewer gets, as everywhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import shapely
from sqlalchemy import select

from lagesbild import analysis as an
from lagesbild.domain.model import SHARED_AUDIENCE, Sensitivity, Viewer
from lagesbild.domain.periods import Period
from lagesbild.services import data, records
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import observations

# Web Mercator ground resolution at the equator, metres per pixel at zoom 0 (256 px tiles).
M_PER_PX_Z0 = 156_543.03392
CLUSTER_PX = 60  # a cluster cell is about this many screen pixels wide
IDS_UP_TO = 50  # clusters this small list their record ids (the page can link to them)


def cluster_cell_m(zoom: float, lat: float) -> float:
    """The grid cell (metres) that is about CLUSTER_PX pixels wide at this zoom and latitude."""
    return max(1.0, M_PER_PX_Z0 * math.cos(math.radians(lat)) / 2**zoom * CLUSTER_PX)


@dataclass(frozen=True)
class ViewPoints:
    """The part of a `data.PointSet` that clustering a view needs: a pan copies these four
    arrays of the points in view, not the times, categories and WGS84 positions as well (the
    copies were a third of a pan's time with 100,000 points)."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class MapPoints:
    """The points a viewer may see of a layer and period, with their WGS84 positions (for the
    view's bounding box): what the map clusters, loaded once for every view of them."""

    points: data.PointSet | ViewPoints  # loaded: with lon and lat as stored
    names: np.ndarray  # the categories, sorted
    codes: np.ndarray  # each point's category as an index into names
    restricted: np.ndarray  # whether each point is a restricted record (its view is audited)

    def within(self, bbox: tuple[float, float, float, float] | None) -> MapPoints:
        """Those in the box, as the store's bounding-box filter would keep them."""
        if bbox is None or len(self.points) == 0:
            return self
        p = self.points
        assert isinstance(p, data.PointSet) and p.lon is not None and p.lat is not None
        keep = (p.lon >= bbox[0]) & (p.lat >= bbox[1]) & (p.lon <= bbox[2]) & (p.lat <= bbox[3])
        i = np.flatnonzero(keep)
        view = ViewPoints(p.ids.take(i), p.x.take(i), p.y.take(i), p.weights.take(i))
        return MapPoints(view, self.names, self.codes.take(i), self.restricted.take(i))

    def restricted_ids(self) -> list[int]:
        """The restricted records among the points: a map showing them opens them."""
        return sorted(self.points.ids[self.restricted].tolist())


def map_points(
    store: Store,
    viewer: Viewer,
    layer: str,
    period: Period | None,
    categories: list[str] | None,
    bbox: tuple[float, float, float, float] | None = None,
) -> MapPoints:
    pts = data.load_points(
        store, viewer, layer, period=period, categories=categories, bounds_wgs84=bbox
    )
    names, codes = np.unique(pts.categories, return_inverse=True)
    return MapPoints(pts, names, codes.ravel(), np.isin(pts.ids, _restricted(store, viewer, layer)))


def _restricted(store: Store, viewer: Viewer, layer: str) -> list[int]:
    """The ids of the layer's restricted records the viewer may see (none for the public)."""
    if viewer.is_public:
        return []
    table = data.point_table(layer)
    with store.read() as conn:
        return list(
            conn.execute(
                select(table.c.id).where(
                    visible(table, viewer), table.c.sensitivity == Sensitivity.RESTRICTED.value
                )
            ).scalars()
        )


def clustered_points(
    store: Store,
    viewer: Viewer,
    layer: str,
    period: Period | None,
    categories: list[str] | None,
    bbox: tuple[float, float, float, float] | None,
    zoom: float,
) -> dict:
    """Points of `crimes` or `observations` binned on a square grid (see `cluster`)."""
    return cluster(store, map_points(store, viewer, layer, period, categories, bbox), bbox, zoom)


def _cells_of(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's cell (an index into the occupied cells, in key order) and the cells' counts:
    `np.unique(key, return_inverse=True, return_counts=True)` without its sort. A view's grid
    has a few thousand cells at most, so one bincount over them is linear in the points (the
    sort was most of a pan's cost with 100,000 points); a huge grid (no view box at a high
    zoom) still takes the sort."""
    size = int(key.max()) + 1
    if size > 4 * len(key) + 65_536:
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        return inverse.ravel(), counts
    dense = np.bincount(key, minlength=size)
    occupied = np.flatnonzero(dense)
    index = np.zeros(size, dtype=np.int64)
    index[occupied] = np.arange(len(occupied))
    return index[key], dense[occupied]


def cluster(
    store: Store,
    loaded: MapPoints,
    bbox: tuple[float, float, float, float] | None,
    zoom: float,
) -> dict:
    """The points binned on a square grid in the projected CRS: one feature per occupied cell
    at the mean position of its points, with the count (records), the weight (reported counts,
    for observations), counts per category and, for small cells, ids. `bbox` is the view (its
    latitude sets the cell size); the points are already those in it."""
    pts = loaded.points
    if len(pts) == 0:
        return {"type": "FeatureCollection", "features": [], "numberMatched": 0, "cell_m": None}
    lat = (bbox[1] + bbox[3]) / 2 if bbox else 59.33
    cell = cluster_cell_m(zoom, lat)
    # the grid is anchored at multiples of the cell (a pan keeps the cells), counted from the
    # view's first: the offsets are then non-negative and a cast floors them (one pass, not 3)
    x0 = math.floor(float(pts.x.min()) / cell) * cell
    y0 = math.floor(float(pts.y.min()) / cell) * cell
    ix = ((pts.x - x0) * (1.0 / cell)).astype(np.int64)
    iy = ((pts.y - y0) * (1.0 / cell)).astype(np.int64)
    # one integer per cell, ordered as the cells (ix, then iy)
    key = ix * (int(iy.max()) + 1) + iy
    inverse, counts = _cells_of(key)
    n = len(counts)
    mx = np.bincount(inverse, pts.x, n) / counts
    my = np.bincount(inverse, pts.y, n) / counts
    weight = np.bincount(inverse, pts.weights, n)
    lon, lat_ = store.projector.xy_to_lonlat(mx, my)
    # counts per (cell, category) by one bincount (no sort)
    names = loaded.names
    m = max(1, len(names))
    table = np.bincount(inverse * m + loaded.codes, minlength=n * m).reshape(n, m)
    per_cell: list[dict[str, int]] = [{} for _ in range(n)]
    for k, j in zip(*(a.tolist() for a in np.nonzero(table)), strict=True):
        per_cell[k][str(names[j])] = int(table[k, j])
    # the ids of the small cells only, in their cells' order (a sort of those points alone:
    # at a low zoom most points are in large cells, whose ids are not listed)
    small = counts <= IDS_UP_TO
    sel = np.flatnonzero(small[inverse])
    order = sel[np.argsort(inverse[sel], kind="stable")]
    ids = pts.ids[order].tolist()
    small_cells = np.flatnonzero(small)
    first = np.zeros(n, dtype=np.int64)
    first[small_cells] = np.concatenate([[0], np.cumsum(counts[small_cells])[:-1]])
    first_l = first.tolist()
    features = []
    for k in range(n):
        props = {"count": int(counts[k]), "weight": float(weight[k]), "categories": per_cell[k]}
        if counts[k] <= IDS_UP_TO:
            props["ids"] = ids[first_l[k] : first_l[k] + int(counts[k])]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(lon[k]), float(lat_[k])]},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": int(len(pts)),
        "cell_m": round(cell, 1),
    }


def camera_sectors(
    store: Store, viewer: Viewer, period: Period | None = None, remote: str | None = None
) -> dict:
    """Cameras visible to the viewer (active in the period, if given) as sector polygons."""
    rows, total = records.list_records(
        store, "cameras", viewer, records.RecordFilter(period=period, limit=10_000), remote
    )
    features = []
    for r in rows:
        geom = r["geom"]
        x, y = store.projector.lonlat_to_xy([geom.x], [geom.y])
        # the same field of view as `analyse coverage` measures (bearing from true north)
        bearing = store.projector.grid_bearing(geom.x, geom.y, r["bearing"])
        poly = an.camera_sector(
            float(x[0]), float(y[0]), float(bearing), r["angle"], r["range_m"], arc_step_deg=5.0
        )
        props = records.to_properties(r, store)
        props["range_m"] = r["range_m"]
        features.append(
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": shapely.geometry.mapping(store.projector.to_wgs84(poly)),
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features, "numberMatched": total}


@dataclass(frozen=True)
class OwnReport:
    id: int
    category: str
    occurred_at: datetime
    count: int | None
    text: str | None
    lon: float
    lat: float


def own_observations(store: Store, viewer: Viewer, limit: int = 10) -> list[OwnReport]:
    """The viewer's own most recent field reports (observations they created)."""
    if viewer.user_id is None:
        return []
    t = observations
    q = (
        select(t.c.id, t.c.category, t.c.occurred_at, t.c.count, t.c.text, t.c.geom)
        .where(visible(t, viewer), t.c.created_by == viewer.user_id)
        .order_by(t.c.created_at.desc(), t.c.id.desc())
        .limit(limit)
    )
    with store.read() as conn:
        rows = conn.execute(q).all()
    return [
        OwnReport(r.id, r.category, r.occurred_at, r.count, r.text, r.geom.x, r.geom.y)
        for r in rows
    ]


def latest_crime(store: Store, viewer: Viewer) -> datetime | None:
    """The time of the latest crime the viewer may see (observations, which a field report
    filed today moves, do not set the default period)."""
    return data.latest(store, viewer, "crimes")


def default_window(store: Store, viewer: Viewer, now: datetime | None = None) -> tuple[str, str]:
    """The map's default time filter: the 12 months that end (exclusive) on the first of the
    month after the latest crime the viewer may see, as inclusive days: latest crime
    2024-11-15 -> 2023-12-01..2024-11-30. Bound to the data, not the clock; with no crimes,
    the 12 months up to the current month's end."""
    latest = latest_crime(store, viewer)
    if latest is None and viewer.is_public:
        # the public sees crimes only as the public counts (months of what every partner may
        # see): its default period is theirs, which tells no more than those counts do
        latest = latest_crime(store, SHARED_AUDIENCE)
    day = (
        latest.astimezone(store.tz).date()
        if latest is not None
        else (now or datetime.now(store.tz)).date()
    )
    end = date(day.year + (day.month == 12), day.month % 12 + 1, 1)  # exclusive
    start = date(end.year - 1, end.month, 1)
    return start.isoformat(), (end - timedelta(days=1)).isoformat()
