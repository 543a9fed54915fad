"""Drawing and changing a guard-designated area (polygon, decision, valid from/to) on a map.

A new area is written the way an import would (`records.create_record`: the caller's
organisation owns it, audited); a change of a stored one is the owner organisation's only
(`records` write rule), validated as a new one is, and audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from sqlalchemy import update

from lagesbild.domain.model import WRITE_ROLES, Sensitivity, Viewer, parse_enum
from lagesbild.domain.values import parse_date
from lagesbild.errors import ValidationError
from lagesbild.services import records
from lagesbild.services.rounds import check_geometry
from lagesbild.store import audit
from lagesbild.store.engine import Store
from lagesbild.store.schema import guard_areas


def save(
    store: Store,
    viewer: Viewer,
    record_id: int | None,
    fields: dict[str, Any],
    remote: str | None = None,
) -> int:
    """Store a guard area drawn on the map (new when `record_id` is None); returns its id.
    `fields`: geometry (GeoJSON, WGS84), name, decision, valid_from, valid_to, sensitivity."""
    if record_id is not None:  # whose it is before what is wrong with it
        with store.read() as conn:
            records._owned_row(conn, guard_areas, record_id, viewer, WRITE_ROLES)
    geom = check_geometry(store, fields.get("geometry"))
    name = (fields.get("name") or "").strip()
    if not name or len(name) > 200:
        raise ValidationError("name", "is required (at most 200 characters)")
    decision = (fields.get("decision") or "").strip() or None
    if decision and len(decision) > 200:
        raise ValidationError("decision", "is longer than 200 characters")
    valid_from = parse_date(fields.get("valid_from") or None, "valid_from")
    if valid_from is None:
        raise ValidationError("valid_from", "is required (YYYY-MM-DD)")
    valid_to = parse_date(fields.get("valid_to") or None, "valid_to")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError("valid_to", f"{valid_to} is before valid_from {valid_from}")
    sensitivity = parse_enum(Sensitivity, fields.get("sensitivity") or "shared", "sensitivity")
    values = {
        "name": name,
        "decision": decision,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "sensitivity": sensitivity.value,
    }
    if record_id is None:
        new_id, _ = records.create_record(
            store, "guard_areas", viewer, values, shapely.geometry.mapping(geom), remote=remote
        )
        return new_id
    minx, miny, maxx, maxy = geom.bounds
    with store.write() as conn:
        records._owned_row(conn, guard_areas, record_id, viewer, WRITE_ROLES)
        conn.execute(
            update(guard_areas)
            .where(guard_areas.c.id == record_id)
            .values(
                geom=geom,
                minx=minx,
                miny=miny,
                maxx=maxx,
                maxy=maxy,
                updated_at=datetime.now(UTC),
                **values,
            )
        )
        audit.record(conn, viewer, "update", "guard_areas", record_id, "drawn on the map", remote)
    return record_id
