"""Loading what the analyses need from the store, already in the store's projected CRS:
points of a layer (by place, period, category, box), place boundaries and extents per round.
Everything passes the viewer through `store.access.visible`, so an analysis never counts a
record its caller may not see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.engine import Connection

from lagesbild.domain.model import PlaceKind, Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import NotFound, ValidationError
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.names import find_id
from lagesbild.store.schema import (
    assignments,
    crimes,
    extents,
    mapping_rounds,
    observations,
    organisations,
    places,
    roster_entries,
)

POINT_TABLES = {"crimes": crimes, "observations": observations}


@dataclass(frozen=True)
class PointSet:
    """Points of one layer in the projected CRS, with their time and category."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    times: np.ndarray  # datetime64[s], UTC
    categories: np.ndarray  # str
    weights: np.ndarray  # 1 for crimes; the reported count (at least 1) for observations
    lon: np.ndarray | None = None  # WGS84 as stored, when loaded from the store
    lat: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def select(self, mask: np.ndarray) -> PointSet:
        return PointSet(
            self.ids[mask],
            self.x[mask],
            self.y[mask],
            self.times[mask],
            self.categories[mask],
            self.weights[mask],
            None if self.lon is None else self.lon[mask],
            None if self.lat is None else self.lat[mask],
        )


@dataclass(frozen=True)
class PlaceGeo:
    id: int
    name: str
    kind: str
    geom: BaseGeometry  # projected
    geom_wgs84: BaseGeometry


@dataclass(frozen=True)
class ExtentGeo:
    id: int
    round: int
    round_id: int
    status: str
    geom: BaseGeometry  # projected
    geom_wgs84: BaseGeometry


PLACE_COLUMNS = (places.c.id, places.c.name, places.c.kind, places.c.geom)


def place_geo(store: Store, row) -> PlaceGeo:
    """A place from a row of `PLACE_COLUMNS`, its boundary projected."""
    return PlaceGeo(row.id, row.name, row.kind, store.projector.to_projected(row.geom), row.geom)


def find_place(store: Store, viewer: Viewer, name: str) -> PlaceGeo:
    with store.read() as conn:
        found = find_id(conn, places, name, visible(places, viewer))
        row = None
        if found is not None:
            row = conn.execute(select(*PLACE_COLUMNS).where(places.c.id == found)).first()
    if row is None:
        raise NotFound(f"unknown place {name!r}", "see `lagesbild places` for the names")
    return place_geo(store, row)


def place_by_id(store: Store, viewer: Viewer, place_id: int) -> PlaceGeo:
    """The place with this id, if the viewer may see it."""
    with store.read() as conn:
        row = conn.execute(
            select(*PLACE_COLUMNS).where(places.c.id == place_id, visible(places, viewer))
        ).first()
    if row is None:
        raise NotFound(f"no place {place_id}")
    return place_geo(store, row)


def city(store: Store, viewer: Viewer) -> PlaceGeo | None:
    with store.read() as conn:
        row = conn.execute(
            select(*PLACE_COLUMNS).where(
                places.c.kind == PlaceKind.CITY.value, visible(places, viewer)
            )
        ).first()
    return place_geo(store, row) if row else None


def place_extents(store: Store, viewer: Viewer, place: PlaceGeo) -> list[ExtentGeo]:
    with store.read() as conn:
        rows = conn.execute(
            select(
                extents.c.id,
                mapping_rounds.c.year,
                mapping_rounds.c.id.label("rid"),
                extents.c.status,
                extents.c.geom,
            )
            .join(mapping_rounds, mapping_rounds.c.id == extents.c.round_id)
            .where(extents.c.place_id == place.id, visible(extents, viewer))
            .order_by(mapping_rounds.c.year)
        ).all()
    return [
        ExtentGeo(r.id, r.year, r.rid, r.status, store.projector.to_projected(r.geom), r.geom)
        for r in rows
    ]


def find_extent(store: Store, viewer: Viewer, place: PlaceGeo, year: int | str) -> ExtentGeo:
    found = place_extents(store, viewer, place)
    for e in found:
        if str(e.round) == str(year).strip():
            return e
    rounds = ", ".join(str(e.round) for e in found) or "none"
    raise NotFound(
        f"{place.name} has no extent in mapping round {year}",
        f"the mapping rounds with an extent of {place.name}: {rounds}",
    )


def _points_query(table, viewer: Viewer, period: Period | None, categories: list[str] | None):
    cols = [table.c.id, table.c.geom, table.c.occurred_at, table.c.category]
    cols.append(table.c["count"] if "count" in table.c else table.c.id.label("count"))
    where = [visible(table, viewer), table.c.geom.is_not(None)]
    if period is not None:
        where += [table.c.occurred_at >= period.start, table.c.occurred_at < period.end]
    if categories is not None:  # [] (a group with no code in this layer) selects nothing
        where.append(table.c.category.in_(categories))
    return select(*cols).where(*where)


def _bbox_where(conn: Connection, table, bounds: tuple[float, float, float, float]):
    minx, miny, maxx, maxy = bounds
    if conn.dialect.name == "postgresql":
        return text(
            f"{table.name}.geom && ST_MakeEnvelope(:ax0, :ay0, :ax1, :ay1, 4326)"
        ).bindparams(ax0=minx, ay0=miny, ax1=maxx, ay1=maxy)
    return and_(
        table.c.maxx >= minx, table.c.minx <= maxx, table.c.maxy >= miny, table.c.miny <= maxy
    )


def point_table(layer: str):
    """The table of a point layer, or a one-line error naming the layers there are."""
    if layer not in POINT_TABLES:
        raise ValidationError(
            "layer", f"{layer!r} is not a point layer; expected crimes or observations"
        )
    return POINT_TABLES[layer]


def latest(store: Store, viewer: Viewer, layer: str) -> datetime | None:
    """When the layer's last record (of those `viewer` sees, anywhere) happened: a period after
    it has no data, and its count of 0 is not a fall."""
    t = point_table(layer)
    with store.read() as conn:
        return conn.execute(select(func.max(t.c.occurred_at)).where(visible(t, viewer))).scalar()


def load_points(
    store: Store,
    viewer: Viewer,
    layer: str,
    *,
    period: Period | None = None,
    categories: list[str] | None = None,
    within: tuple[int, int] | None = None,
    bounds_wgs84: tuple[float, float, float, float] | None = None,
) -> PointSet:
    """Points of `crimes` or `observations`. `within=(place_id, round_id)` keeps those assigned
    to a place (round_id 0) or to its extent of a round; `bounds_wgs84` those in a box."""
    table = point_table(layer)
    q = _points_query(table, viewer, period, categories)
    with store.read() as conn:
        if within is not None:
            q = q.where(
                table.c.id.in_(
                    select(assignments.c.record_id).where(
                        assignments.c.layer == layer,
                        assignments.c.place_id == within[0],
                        assignments.c.round_id == within[1],
                    )
                )
            )
        if bounds_wgs84 is not None:
            q = q.where(_bbox_where(conn, table, bounds_wgs84))
        rows = conn.execute(q).all()
    return _to_pointset(store, layer, rows)


def _to_pointset(store: Store, layer: str, rows) -> PointSet:
    n = len(rows)
    if n == 0:
        empty = np.empty(0)
        return PointSet(
            empty.astype(np.int64),
            empty,
            empty,
            empty.astype("datetime64[s]"),
            empty.astype(str),
            empty,
            empty,
            empty,
        )
    geoms = np.asarray([r[1] for r in rows], dtype=object)
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    x, y = store.projector.lonlat_to_xy(lon, lat)
    times = np.array([r[2].replace(tzinfo=None) for r in rows], dtype="datetime64[s]")
    weights = (
        np.ones(n)
        if layer == "crimes"
        else np.array([max(1, r[4] or 1) for r in rows], dtype=float)
    )
    return PointSet(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.asarray(x),
        np.asarray(y),
        times,
        np.array([r[3] for r in rows]),
        weights,
        np.asarray(lon, dtype=float),
        np.asarray(lat, dtype=float),
    )


def count_in(
    store: Store,
    viewer: Viewer,
    layer: str,
    place_id: int,
    round_id: int,
    period: Period,
    categories: list[str] | None,
) -> dict[str, int]:
    """Counts per category of records assigned to a place (round 0) or an extent."""
    table = point_table(layer)
    where = [
        visible(table, viewer),
        table.c.occurred_at >= period.start,
        table.c.occurred_at < period.end,
    ]
    if categories:
        where.append(table.c.category.in_(categories))
    q = (
        select(table.c.category, func.count())
        .join(
            assignments, and_(assignments.c.record_id == table.c.id, assignments.c.layer == layer)
        )
        .where(assignments.c.place_id == place_id, assignments.c.round_id == round_id, *where)
        .group_by(table.c.category)
    )
    with store.read() as conn:
        return {cat: n for cat, n in conn.execute(q)}


POLICE_CODES = ("polis", "police", "polisen")


def police_presence_hours(
    store: Store, viewer: Viewer, period: Period, place_id: int | None = None
) -> float | None:
    """Person-hours of police on duty in the period, from the roster (None when none recorded).
    Police roster entries are the record of police presence set beside drug offences."""
    police = or_(
        func.lower(organisations.c.code).in_(POLICE_CODES),
        func.lower(organisations.c.kind) == "police",
        func.lower(organisations.c.name).like("polis%"),
    )
    q = (
        select(roster_entries.c.starts_at, roster_entries.c.ends_at, roster_entries.c.headcount)
        .join(organisations, organisations.c.id == roster_entries.c.organisation_id)
        .where(
            police,
            visible(roster_entries, viewer),
            roster_entries.c.starts_at < period.end,
            roster_entries.c.ends_at > period.start,
        )
    )
    if place_id is not None:
        q = q.where(or_(roster_entries.c.place_id == place_id, roster_entries.c.place_id.is_(None)))
    with store.read() as conn:
        rows = conn.execute(q).all()
    if not rows:
        return None
    total = 0.0
    for start, end, heads in rows:
        s, e = max(start, period.start), min(end, period.end)
        total += max(0.0, (e - s).total_seconds() / 3600.0) * heads
    return total


def to_wgs84_many(store: Store, geoms) -> np.ndarray:
    """Projected geometries (an array, e.g. grid cells) to WGS84 in one vectorised transform."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return arr
    coords = shapely.get_coordinates(arr)
    lon, lat = store.projector.xy_to_lonlat(coords[:, 0], coords[:, 1])
    return shapely.set_coordinates(arr.copy(), np.column_stack([lon, lat]))


def cameras_on(store: Store, viewer: Viewer, day) -> list[dict]:
    """Cameras active on `day`, at projected x/y, with the bearing turned to grid north."""
    from lagesbild.store.schema import cameras

    t = cameras
    with store.read() as conn:
        rows = conn.execute(
            select(t.c.id, t.c.geom, t.c.bearing, t.c.angle, t.c.range_m, t.c.operator).where(
                visible(t, viewer),
                or_(t.c.active_from.is_(None), t.c.active_from <= day),
                or_(t.c.active_to.is_(None), t.c.active_to >= day),
            )
        ).all()
    out = []
    for r in rows:
        x, y = store.projector.lonlat_to_xy([r.geom.x], [r.geom.y])
        out.append(
            {
                "id": r.id,
                "x": float(x[0]),
                "y": float(y[0]),
                "bearing": r.bearing,  # from true north, as recorded
                "grid_bearing": float(store.projector.grid_bearing(r.geom.x, r.geom.y, r.bearing)),
                "angle": r.angle,
                "range_m": r.range_m,
                "operator": r.operator,
            }
        )
    return out


def guard_areas_on(store: Store, viewer: Viewer, day) -> list[BaseGeometry]:
    from lagesbild.store.schema import guard_areas

    t = guard_areas
    with store.read() as conn:
        rows = (
            conn.execute(
                select(t.c.geom).where(
                    visible(t, viewer),
                    t.c.valid_from <= day,
                    or_(t.c.valid_to.is_(None), t.c.valid_to >= day),
                )
            )
            .scalars()
            .all()
        )
    return [store.projector.to_projected(g) for g in rows]


def streets_near(
    store: Store, viewer: Viewer, area_projected: BaseGeometry
) -> list[tuple[str, BaseGeometry]]:
    from lagesbild.store.schema import streets

    box = store.projector.to_wgs84(area_projected).bounds
    with store.read() as conn:
        rows = conn.execute(
            select(streets.c.name, streets.c.geom).where(
                visible(streets, viewer), _bbox_where(conn, streets, box)
            )
        ).all()
    return [(r.name, store.projector.to_projected(r.geom)) for r in rows]
