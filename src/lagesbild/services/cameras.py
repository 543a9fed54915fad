"""Placing and changing a camera (position, bearing, field of view, range) on a map.

A camera is checked by the import's own row builder (`ingest.layers`: a compass bearing,
an angle in (0, 360], a range of 0-2000 m, a position inside the store's region), so the
map and a file accept the same cameras. A new one is written the way an import would
(`records.create_record`: the caller's organisation owns it, audited); a change of a stored
one is the owner organisation's only (`records` write rule) and audited, as guard areas are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from lagesbild.domain.model import WRITE_ROLES, Sensitivity, Viewer, parse_enum
from lagesbild.errors import GeometryError, ValidationError
from lagesbild.ingest.layers import RowContext, layer_spec
from lagesbild.services import records
from lagesbild.store import audit
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.resolve import Resolver
from lagesbild.store.schema import cameras

# the form's fields, named as in a cameras file (formats.md), the position as lat/lon
FIELDS = ("operator", "bearing", "angle", "range", "legal_basis", "active_from", "active_to")
# what a change on the map may set (never the record's key, owner or creation)
_CHANGED = (
    "operator",
    "bearing",
    "angle",
    "range_m",
    "legal_basis",
    "active_from",
    "active_to",
    "geom",
    "minx",
    "miny",
    "maxx",
    "maxy",
)


def _checked(store: Store, conn, viewer: Viewer, rec: dict[str, Any]) -> dict[str, Any]:
    """The stored row of the camera, or a ValidationError naming the field."""
    ctx = RowContext(
        store.tz,
        store.settings.region,
        store.taxonomy,
        Resolver(conn),
        writer_org=viewer.organisation_id,
    )
    try:
        return layer_spec("cameras").build(ctx, rec, None)
    except GeometryError as exc:  # outside the store's region: the position is what is wrong
        raise ValidationError("location", exc.message) from None
    except (ValueError, TypeError) as exc:
        raise ValidationError("form", str(exc)) from None


def save(
    store: Store,
    viewer: Viewer,
    record_id: int | None,
    fields: dict[str, Any],
    remote: str | None = None,
) -> int:
    """Store a camera placed on the map (new when `record_id` is None); returns its id.
    `fields`: lat, lon (WGS84), operator, bearing, angle, range, legal_basis, active_from,
    active_to, sensitivity."""
    if record_id is not None:  # whose it is before what is wrong with it
        with store.read() as conn:
            records._owned_row(conn, cameras, record_id, viewer, WRITE_ROLES)
    if not str(fields.get("lat") or "").strip() or not str(fields.get("lon") or "").strip():
        raise ValidationError("location", "is required: click the map where the camera is")
    rec = {k: (str(fields.get(k) or "").strip() or None) for k in (*FIELDS, "lat", "lon")}
    sensitivity = parse_enum(Sensitivity, fields.get("sensitivity") or "shared", "sensitivity")
    with store.read() as conn:
        row = _checked(store, conn, viewer, rec)
    if record_id is None:
        new_id, _ = records.create_record(
            store, "cameras", viewer, {**rec, "sensitivity": sensitivity.value}, remote=remote
        )
        return new_id
    with store.write() as conn:
        records._owned_row(conn, cameras, record_id, viewer, WRITE_ROLES)
        conn.execute(
            update(cameras)
            .where(cameras.c.id == record_id)
            .values(
                **{k: row[k] for k in _CHANGED},
                sensitivity=sensitivity.value,
                updated_at=datetime.now(UTC),
            )
        )
        audit.record(conn, viewer, "update", "cameras", record_id, "placed on the map", remote)
    return record_id


def centre(store: Store, viewer: Viewer) -> tuple[float, float] | None:
    """(lat, lon) where a new camera's map opens: the middle of the cameras the viewer may
    see (the store's region may be all of Sweden); None without any."""
    with store.read() as conn:
        lon, lat = conn.execute(
            select(func.avg(cameras.c.minx), func.avg(cameras.c.miny)).where(
                visible(cameras, viewer)
            )
        ).one()
    return None if lat is None else (float(lat), float(lon))
