"""Which places and extents contain each crime and observation.

Filled at write time by `lagesbild.analysis.assign_points` (points bucketed on a grid, then a
vectorised containment test per candidate pair) with all points of a batch at once: one
vectorised pass per batch, not a loop over polygons. Counts per place then come from an
indexed join on `assignments`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from lagesbild.analysis.assign import PolygonGrid
from lagesbild.store.schema import assignments, crimes, extents, observations, places

POINT_LAYERS = {"crimes": crimes, "observations": observations}
BATCH = 50_000


class PlaceIndex:
    """The place boundaries and extents of a store, ready for point-in-polygon assignment."""

    def __init__(self, conn: Connection) -> None:
        geoms, place_ids, round_ids = [], [], []
        for pid, geom in conn.execute(select(places.c.id, places.c.geom)):
            geoms.append(geom), place_ids.append(pid), round_ids.append(0)
        for pid, rid, geom in conn.execute(
            select(extents.c.place_id, extents.c.round_id, extents.c.geom)
        ):
            geoms.append(geom), place_ids.append(pid), round_ids.append(rid)
        self.place_ids = np.asarray(place_ids, dtype=np.int64)
        self.round_ids = np.asarray(round_ids, dtype=np.int64)
        self.geoms = np.asarray(geoms, dtype=object)
        self._grid: PolygonGrid | None = None

    def containing(self, points: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point index, place id, round id) for every polygon that contains each point."""
        pts = np.asarray(points, dtype=object)
        if len(pts) == 0:
            return self.containing_xy(np.empty(0), np.empty(0))
        return self.containing_xy(shapely.get_x(pts), shapely.get_y(pts))

    @property
    def empty(self) -> bool:
        return len(self.geoms) == 0

    def containing_xy(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        if self.empty or len(x) == 0:
            none = np.empty(0, dtype=np.int64)
            return none, none, none
        # the bucketed point-in-polygon of lagesbild.analysis (2-3x geopandas' sjoin on 1M
        # points), its grid laid once: an import asks chunk by chunk (18,000 points a time:
        # 0.45 s for 300,000 points with a grid per chunk, 0.07 s with one)
        if self._grid is None:
            self._grid = PolygonGrid(self.geoms)
        found = self._grid.assign(x, y)
        idx = found.polygon_index
        return found.point_index, self.place_ids[idx], self.round_ids[idx]


def assign(
    conn: Connection,
    layer: str,
    ids: Sequence[int],
    points: Sequence,
    index: PlaceIndex,
    fresh: bool = False,
) -> int:
    """Replace the assignments of these records; returns the number of (record, polygon) pairs.
    `fresh`: records just inserted, which have none to replace."""
    if not ids:
        return 0
    ids = list(ids)
    replaced = [] if fresh else ids
    for start in range(0, len(replaced), 900):  # stay under SQLite's bound-parameter limit
        chunk = replaced[start : start + 900]
        conn.execute(
            delete(assignments).where(
                assignments.c.layer == layer, assignments.c.record_id.in_(chunk)
            )
        )
    keep = [i for i, p in enumerate(points) if p is not None]
    pt_idx, place_ids, round_ids = index.containing([points[i] for i in keep])
    if len(pt_idx) == 0:
        return 0
    id_arr = np.asarray(ids, dtype=np.int64)[np.asarray(keep, dtype=np.int64)[pt_idx]]
    rows = [
        {"layer": layer, "record_id": int(r), "place_id": int(p), "round_id": int(q)}
        for r, p, q in zip(id_arr, place_ids, round_ids, strict=True)
    ]
    conn.execute(insert(assignments), rows)
    return len(rows)


def reassign_all(conn: Connection) -> int:
    """Recompute every assignment (after places or extents changed)."""
    index = PlaceIndex(conn)
    total = 0
    for layer, table in POINT_LAYERS.items():
        conn.execute(delete(assignments).where(assignments.c.layer == layer))
        last = 0
        while True:  # keyset pages: no open cursor while this connection inserts
            part = conn.execute(
                select(table.c.id, table.c.geom)
                .where(table.c.geom.is_not(None), table.c.id > last)
                .order_by(table.c.id)
                .limit(BATCH)
            ).all()
            if not part:
                break
            last = part[-1][0]
            total += _insert_only(conn, layer, [r[0] for r in part], [r[1] for r in part], index)
    return total


def _insert_only(
    conn: Connection, layer: str, ids: list[int], points: list, index: PlaceIndex
) -> int:
    pt_idx, place_ids, round_ids = index.containing(points)
    if len(pt_idx) == 0:
        return 0
    id_arr = np.asarray(ids, dtype=np.int64)[pt_idx]
    conn.execute(
        insert(assignments),
        [
            {"layer": layer, "record_id": int(r), "place_id": int(p), "round_id": int(q)}
            for r, p, q in zip(id_arr, place_ids, round_ids, strict=True)
        ],
    )
    return len(id_arr)
