"""Reading and changing records of any layer, for the API, OGC API, map layers and exports.

Every query passes `visible(table, viewer)`; opening a restricted record writes an audit entry.
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import shapely
from shapely.geometry import box
from sqlalchemy import Date, Table, and_, delete, func, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from lagesbild.domain.layers import layer_named
from lagesbild.domain.model import (
    DELETE_ROLES,
    REPORT_ROLES,
    SYSTEM,
    WRITE_ROLES,
    ExtentStatus,
    Sensitivity,
    Viewer,
    parse_criteria,
    parse_enum,
)
from lagesbild.domain.periods import Period
from lagesbild.errors import AccessDenied, NotFound, ValidationError
from lagesbild.ingest.writer import Submission, write_records, write_together
from lagesbild.services.group_commit import GroupCommit
from lagesbild.store import audit
from lagesbild.store.access import is_sensitive, visible
from lagesbild.store.engine import Store
from lagesbild.store.names import find_id
from lagesbild.store.schema import assignments, metadata, organisations, places
from lagesbild.store.spatial_ddl import POINT_TABLES

INTERNAL = {"geom", "minx", "miny", "maxx", "maxy", "source_key", "created_by"}
# The time column a period filter applies to, or (start, end) columns for spans.
TIME_COLUMNS: dict[str, str | tuple[str, str]] = {
    "crimes": "occurred_at",
    "observations": "occurred_at",
    "measurements": "measured_at",
    "roster": ("starts_at", "ends_at"),
    "activation_events": ("starts_at", "ends_at"),
    "guard_areas": ("valid_from", "valid_to"),
    "cameras": ("active_from", "active_to"),
}


@dataclass(frozen=True)
class RecordFilter:
    place: str | None = None
    period: Period | None = None
    categories: list[str] | None = None
    bbox: tuple[float, float, float, float] | None = None
    limit: int = 100
    offset: int = 0
    order: str | None = None  # a column, "-column" for descending; None: by id


def _order(table: Table, order: str | None) -> list:
    """ORDER BY for `order` (a column of the table, "-" for descending), id breaking ties."""
    if not order:
        return [table.c.id]
    name = order.lstrip("-")
    if name not in table.c or name in INTERNAL:
        raise ValidationError("sort", f"cannot sort by {name!r}; a column of the layer")
    col = table.c[name]
    return [col.desc() if order.startswith("-") else col.asc(), table.c.id]


def table_of(layer: str) -> Table:
    return metadata.tables[layer_named(layer).table]


def place_id(conn: Connection, name: str) -> int:
    found = find_id(conn, places, name)
    if found is None:
        raise NotFound(f"unknown place {name!r}")
    return found


def _bbox_clause(
    conn: Connection, table: Table, bbox: tuple[float, float, float, float], exact: bool = False
):
    """Records whose bounding box meets `bbox`; with `exact` on PostGIS, whose geometry does
    (on SQLite `list_records` tests the geometries itself)."""
    minx, miny, maxx, maxy = bbox
    if not all(map(math.isfinite, bbox)) or minx > maxx or miny > maxy:
        raise ValidationError(
            "bbox", "expected minlon,minlat,maxlon,maxlat: finite numbers, min <= max"
        )
    if conn.dialect.name == "postgresql":
        envelope = "ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326)"
        test = (
            f"ST_Intersects({table.name}.geom, {envelope})"
            if exact
            else f"{table.name}.geom && {envelope}"
        )
        return text(test).bindparams(bx0=minx, by0=miny, bx1=maxx, by1=maxy)
    if table.name in POINT_TABLES:  # a point's box is the point: two ranges on ix_*_bbox
        return and_(table.c.minx.between(minx, maxx), table.c.miny.between(miny, maxy))
    return table.c.id.in_(
        select(text("id"))
        .select_from(text(f"rtree_{table.name}"))
        .where(text("maxx >= :bx0 AND minx <= :bx1 AND maxy >= :by0 AND miny <= :by1"))
        .params(bx0=minx, by0=miny, bx1=maxx, by1=maxy)
    )


def _period_clause(table: Table, layer: str, period: Period):
    if layer == "survey_results":
        last = period.end - timedelta(microseconds=1)
        return table.c.year.between(period.start.year, last.year)
    col = TIME_COLUMNS.get(layer)
    if col is None:
        raise ValidationError("period", f"the {layer} layer has no time to filter by")
    if isinstance(col, str):
        return and_(table.c[col] >= period.start, table.c[col] < period.end)
    start_col, end_col = table.c[col[0]], table.c[col[1]]
    start, end = period.start, period.end
    if isinstance(start_col.type, Date):  # validity given in days
        start, end = period.start.date(), period.end.date()
    # spans that overlap the period; an open end means "still valid"
    return and_(or_(start_col.is_(None), start_col < end), or_(end_col.is_(None), end_col >= start))


def _filters(conn: Connection, layer: str, table: Table, f: RecordFilter, viewer: Viewer) -> list:
    where = [visible(table, viewer)]
    if f.place:
        pid = place_id(conn, f.place)
        if layer in ("crimes", "observations"):
            where.append(
                table.c.id.in_(
                    select(assignments.c.record_id).where(
                        assignments.c.layer == layer,
                        assignments.c.place_id == pid,
                        assignments.c.round_id == 0,
                    )
                )
            )
        elif "place_id" in table.c:
            where.append(table.c.place_id == pid)
        elif "geom" in table.c:
            pgeom = conn.execute(select(places.c.geom).where(places.c.id == pid)).scalar_one()
            where.append(_bbox_clause(conn, table, pgeom.bounds))
        else:
            raise ValidationError("place", f"the {layer} layer cannot be filtered by place")
    if f.period:
        where.append(_period_clause(table, layer, f.period))
    if f.categories:
        if "category" not in table.c:
            raise ValidationError("category", f"the {layer} layer has no category")
        where.append(table.c.category.in_(f.categories))
    if f.bbox:
        if "geom" not in table.c:
            raise ValidationError("bbox", f"the {layer} layer has no geometry")
        where.append(_bbox_clause(conn, table, f.bbox, exact=True))
    return where


def _boxes_only(conn: Connection, table: Table) -> bool:
    """Whether the bbox clause tests bounding boxes only, not the geometries: on SQLite, except
    for the point tables (a point's box is the point)."""
    return conn.dialect.name != "postgresql" and table.name not in POINT_TABLES


def list_records(
    store: Store, layer: str, viewer: Viewer, f: RecordFilter, remote: str | None = None
) -> tuple[list[dict], int]:
    """One page of records (visible to the viewer) and how many match in all; `remote` is
    where the request came from, for the audit entry of listed restricted records."""
    layer = layer_named(layer).name
    table = table_of(layer)
    with store.read() as conn:
        where = _filters(conn, layer, table, f, viewer)
        query = select(table).where(*where).order_by(*_order(table, f.order))
        if f.bbox and _boxes_only(conn, table) and not f.order:
            # the geometries are tested before counting and paging, so the count and the
            # pages agree with the records returned
            candidates = conn.execute(select(table.c.id, table.c.geom).where(*where)).all()
            hits = shapely.intersects([g for _, g in candidates], box(*f.bbox))
            ids = sorted(rid for (rid, _), hit in zip(candidates, hits, strict=True) if hit)
            total, page = len(ids), ids[f.offset : f.offset + f.limit]
            query = query.where(table.c.id.in_(page))
        else:
            total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
            query = query.limit(f.limit).offset(f.offset)
        rows = [dict(r) for r in conn.execute(query).mappings().all()]
    audit_listing(
        store,
        viewer,
        layer,
        [r["id"] for r in rows if is_sensitive(r.get("sensitivity", ""))],
        remote,
    )
    return rows, total


def records_by_ids(
    store: Store, layer: str, ids: list[int], viewer: Viewer, remote: str | None = None
) -> list[dict]:
    """The records of `ids` the viewer may see (the others are left out, as if absent); the
    restricted ones listed are audited as any listing is."""
    layer = layer_named(layer).name
    table = table_of(layer)
    if not ids:
        return []
    with store.read() as conn:
        q = select(table).where(table.c.id.in_(ids), visible(table, viewer)).order_by(table.c.id)
        rows = [dict(r) for r in conn.execute(q).mappings().all()]
    audit_listing(
        store,
        viewer,
        layer,
        [r["id"] for r in rows if is_sensitive(r.get("sensitivity", ""))],
        remote,
    )
    return rows


@dataclass(frozen=True)
class Extent:
    """The bounding box (WGS84) and time span of the records of a layer a viewer may see."""

    bbox: tuple[float, float, float, float] | None
    first: datetime | None = None
    last: datetime | None = None


def extent(store: Store, layer: str, viewer: Viewer) -> Extent:
    """The extent of what the viewer may see of a layer (so it tells nothing of the rest)."""
    layer = layer_named(layer).name
    table = table_of(layer)
    if "minx" not in table.c:
        return Extent(None)
    cols = [func.min(table.c.minx), func.min(table.c.miny)]
    cols += [func.max(table.c.maxx), func.max(table.c.maxy)]
    when = TIME_COLUMNS.get(layer)
    if isinstance(when, str):
        cols += [func.min(table.c[when]), func.max(table.c[when])]
    with store.read() as conn:
        row = conn.execute(select(*cols).where(visible(table, viewer))).one()
    box_ = None if row[0] is None else (row[0], row[1], row[2], row[3])
    return Extent(box_, *(row[4:] if len(row) > 4 else ()))


def get_record(
    store: Store, layer: str, record_id: int, viewer: Viewer, remote: str | None = None
) -> dict:
    layer = layer_named(layer).name
    table = table_of(layer)
    with store.read() as conn:
        row = (
            conn.execute(select(table).where(table.c.id == record_id, visible(table, viewer)))
            .mappings()
            .first()
        )
    if row is None:  # not there, or not the viewer's to see: the same answer, so nothing leaks
        raise NotFound(f"no {layer} record {record_id}")
    row = dict(row)
    if is_sensitive(row.get("sensitivity", "")) and viewer != SYSTEM:
        with store.write() as conn:
            audit.record(conn, viewer, "open", layer, record_id, remote=remote)
    return row


AUDIT_IDS_PER_ENTRY = 80  # 80 ids of up to 19 digits fit the entry's 2,000 characters


def audit_listing(
    store: Store, viewer: Viewer, layer: str, ids: list[int], remote: str | None = None
) -> None:
    """Listing restricted records is opening them: an audit entry per listing, saying from
    where (`remote`) as every other entry of a web request does, naming every record (in as
    many entries as it takes), so that who saw a record can be answered for each one."""
    if not ids or viewer == SYSTEM or viewer.user_id is None:
        return
    with store.write() as conn:
        for start in range(0, len(ids), AUDIT_IDS_PER_ENTRY):
            part = ids[start : start + AUDIT_IDS_PER_ENTRY]
            detail = f"listed {len(ids)} restricted record(s): {part}"
            if len(ids) > AUDIT_IDS_PER_ENTRY:
                detail = f"listed {len(ids)} restricted record(s), from #{start + 1}: {part}"
            audit.record(conn, viewer, "open", layer, None, detail, remote)


def to_properties(row: dict, store: Store) -> dict[str, Any]:
    """The public face of a row: no internal columns; times in the store's time zone."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in INTERNAL:
            continue
        if isinstance(value, datetime):
            value = value.astimezone(store.tz).isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        out[key] = value
    return out


def to_feature(row: dict, store: Store) -> dict[str, Any]:
    geom = row.get("geom")
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": shapely.geometry.mapping(geom) if geom is not None else None,
        "properties": to_properties(row, store),
    }


# ---------------------------------------------------------------- changes


def _org_name(store: Store, org_id: int | None) -> str | None:
    if org_id is None:
        return None
    with store.read() as conn:
        return conn.execute(
            select(organisations.c.name).where(organisations.c.id == org_id)
        ).scalar()


def create_record(
    store: Store,
    layer: str,
    viewer: Viewer,
    values: dict[str, Any],
    geometry: dict | None = None,
    idempotency_key: str | None = None,
    remote: str | None = None,
    organisation_name: str | None = None,
) -> tuple[int, bool]:
    """Create one record the way an import would. Returns (id, created); a repeated
    idempotency key returns the first record's id with created False. `organisation_name`:
    the viewer's organisation's name when the caller already knows it (the web's signed-in
    user), saving a transaction of its own per record."""
    spec = layer_named(layer)
    allowed = REPORT_ROLES if spec.name == "observations" else WRITE_ROLES
    if viewer != SYSTEM and viewer.role not in allowed:
        raise AccessDenied(f"your role may not create {spec.name}")
    rec = {
        k.lower(): v
        for k, v in values.items()
        if k.lower() in spec.columns or k.lower() in ("lat", "lon", "x", "y", "name", "id")
    }
    if viewer != SYSTEM:  # records belong to the creator's organisation
        rec["organisation"] = organisation_name or _org_name(store, viewer.organisation_id)
    writer = None if viewer == SYSTEM else viewer.organisation_id
    if idempotency_key:  # a client's key, scoped to its organisation: no one else's record
        rec["id"] = (
            f"idem:{idempotency_key}" if writer is None else f"idem:{writer}:{idempotency_key}"
        )
    geom = _shape(geometry) if geometry else None

    table = table_of(spec.name)
    found: list[int] = []

    def then(conn: Connection, summary) -> None:
        # in the record's own transaction: its id and its audit entry (one commit, not two)
        if summary.rejected:
            return
        if summary.ids:  # the group commit knows it
            found.append(summary.ids[0])
        else:
            key = _lookup_key(conn, spec.name, table, rec, geom)
            found.append(conn.execute(select(table.c.id).where(key)).scalar_one())
        if summary.stored:
            audit.record(conn, viewer, "create", spec.name, found[-1], remote=remote)

    def write():
        found.clear()
        if spec.name in POINT_TABLES:  # field reports: in one transaction with the others
            sub = Submission([(1, rec, geom)], viewer.user_id, writer, then)
            return _group_of(store, spec.name).submit(sub)
        return write_records(
            store,
            spec.name,
            [(1, rec, geom)],
            user_id=viewer.user_id,
            writer_org=writer,
            then=then,
        )

    try:
        summary = write()
    except IntegrityError:
        # The same idempotency key raced in from a retry: the other request stored it; this
        # one now finds it and answers with the same record.
        summary = write()
    if summary.rejected:
        reason = summary.rejected[0].reason
        field, _, msg = reason.partition(": ")
        raise ValidationError(field if msg else "record", msg or reason)
    return found[-1], bool(summary.stored)


_GROUPS: weakref.WeakKeyDictionary[Store, dict[str, GroupCommit]] = weakref.WeakKeyDictionary()
_GROUPS_LOCK = threading.Lock()


def _group_of(store: Store, layer: str) -> GroupCommit:
    """The group commit of one store's layer (`services.group_commit`)."""
    with _GROUPS_LOCK:
        groups = _GROUPS.setdefault(store, {})
        if layer not in groups:
            own = weakref.ref(store)  # the group must not keep its store alive
            groups[layer] = GroupCommit(lambda subs: write_together(own(), layer, subs))
        return groups[layer]


def _shape(geometry: dict):
    try:
        geom = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException) as exc:
        raise ValidationError("geometry", f"not a GeoJSON geometry: {exc}") from None
    if geom.is_empty:
        raise ValidationError("geometry", "is empty")
    return geom


def _lookup_key(conn: Connection, layer: str, table: Table, rec: dict, geom=None):
    """The condition that finds the record just written: its key, an extent by its place and
    mapping round, other records by name."""
    from lagesbild.ingest.layers import record_key
    from lagesbild.store.schema import mapping_rounds

    if "source_key" in table.c:
        return table.c.source_key == record_key(layer, rec, geom)[0]
    if layer == "extents":
        year = int(str(rec.get("round")).strip())
        round_id = select(mapping_rounds.c.id).where(mapping_rounds.c.year == year)
        place = place_id(conn, str(rec.get("place") or rec.get("name")))
        return and_(table.c.place_id == place, table.c.round_id == round_id.scalar_subquery())
    return table.c.name == rec.get("name")


def _owned_row(conn: Connection, table: Table, record_id: int, viewer: Viewer, roles) -> dict:
    row = (
        conn.execute(select(table).where(table.c.id == record_id, visible(table, viewer)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no {table.name} record {record_id}")
    if viewer != SYSTEM:
        if viewer.role not in roles:
            raise AccessDenied("your role may not change records")
        owner = row.get("owner_org_id")
        if owner is not None and owner != viewer.organisation_id:
            raise AccessDenied("only the owner organisation may change this record")
    return dict(row)


def update_record(
    store: Store,
    layer: str,
    record_id: int,
    viewer: Viewer,
    values: dict[str, Any],
    remote: str | None = None,
) -> None:
    """Change fields of a record; the whole record is validated again as an import would."""
    spec = layer_named(layer)
    table = table_of(spec.name)
    with store.read() as conn:
        _owned_row(conn, table, record_id, viewer, WRITE_ROLES)
    allowed = {
        "sensitivity",
        "text",
        "count",
        "category",
        "status",
        "criteria",
        "title",
        "kind",
        "name",
        "decision",
        "valid_to",
        "ends_at",
        "headcount",
        "role",
        "legal_basis",
        "active_to",
        "bearing",
        "angle",
        "operator",
    }
    unknown = [k for k in values if k not in allowed]
    if unknown:
        raise ValidationError(
            unknown[0], f"cannot be changed here; changeable: {', '.join(sorted(allowed))}"
        )
    changes = {("range_m" if k == "range" else k): v for k, v in values.items() if k in table.c}
    if "sensitivity" in changes:
        changes["sensitivity"] = parse_enum(
            Sensitivity, changes["sensitivity"], "sensitivity"
        ).value
    if "category" in changes:
        changes["category"] = store.taxonomy.validate(spec.name, changes["category"])
    if spec.name == "extents":
        # checked as an import checks them (ingest.layers): the checklist's codes, stored
        # `;`-separated in checklist order, and a known status
        if "criteria" in changes:
            changes["criteria"] = ";".join(parse_criteria(changes["criteria"])) or None
        if "status" in changes:
            changes["status"] = parse_enum(ExtentStatus, changes["status"], "status").value
    with store.write() as conn:
        conn.execute(
            update(table)
            .where(table.c.id == record_id)
            .values(
                **changes,
                **({"updated_at": datetime.now().astimezone()} if "updated_at" in table.c else {}),
            )
        )
        audit.record(
            conn, viewer, "update", spec.name, record_id, f"changed {sorted(changes)}", remote
        )


def delete_record(
    store: Store, layer: str, record_id: int, viewer: Viewer, remote: str | None = None
) -> None:
    spec = layer_named(layer)
    table = table_of(spec.name)
    with store.write() as conn:
        _owned_row(conn, table, record_id, viewer, DELETE_ROLES)
        if spec.name in ("crimes", "observations"):
            conn.execute(
                delete(assignments).where(
                    assignments.c.layer == spec.name, assignments.c.record_id == record_id
                )
            )
        conn.execute(delete(table).where(table.c.id == record_id))
        audit.record(conn, viewer, "delete", spec.name, record_id, remote=remote)
