"""The yearly mapping round as a workspace: each round's extents, one extent's assessment
(status, criteria, motivation, date, organisations that took part), its comparison with the
previous round, the extent proposed from the period's observations, and saving as versions.

Every read passes `visible(extents, viewer)`; a save changes only the caller's organisation's
extent (the write rule of `services.records`), carries the version it was opened on and is
refused when that version is no longer the stored one, so nothing is overwritten unseen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection

from lagesbild import analysis as an
from lagesbild.domain.model import (
    SYSTEM,
    WRITE_ROLES,
    Criterion,
    ExtentStatus,
    Sensitivity,
    Viewer,
    parse_criteria,
    parse_enum,
)
from lagesbild.domain.periods import between
from lagesbild.domain.values import parse_date
from lagesbild.errors import AccessDenied, GeometryError, LagesbildError, NotFound, ValidationError
from lagesbild.geo.validate import MIN_AREA_M2, clean_polygon
from lagesbild.services import data
from lagesbild.services.analyse import extent as extent_analysis
from lagesbild.store import assign, audit
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import (
    assignments,
    extent_versions,
    extents,
    mapping_rounds,
    organisations,
    places,
)

CRITERIA: tuple[str, ...] = tuple(c.value for c in Criterion)
STATUSES: tuple[str, ...] = tuple(s.value for s in ExtentStatus)


@dataclass(frozen=True)
class RoundExtent:
    """One place's extent of one mapping round, as the viewer may see it (geometry in WGS84)."""

    id: int
    place_id: int
    place: str
    year: int
    status: str
    criteria: tuple[str, ...]
    motivation: str | None
    assessed_on: date | None
    participants: tuple[str, ...]
    version: int
    owner_org_id: int | None
    owner: str | None
    sensitivity: str
    geom: BaseGeometry
    area_ha: float
    updated_at: datetime | None = None


@dataclass(frozen=True)
class RoundRow:
    """A row of the rounds overview: the extent and its change against the previous round."""

    extent: RoundExtent
    previous_year: int | None
    change_ha: float | None


@dataclass(frozen=True)
class Comparison:
    """Against the previous round: the areas gained and lost (WGS84), hectares, centre shift."""

    previous_year: int
    gained: BaseGeometry
    lost: BaseGeometry
    gained_ha: float
    lost_ha: float
    change_ha: float
    centre_moved_m: float


@dataclass(frozen=True)
class Proposal:
    """The extent proposed from the observations and crimes of the year before the round,
    with the area's interval drawn as a band (the boundary moved in and out to its ends)."""

    geom: BaseGeometry
    band: BaseGeometry
    area_ha: float
    ci_low_ha: float
    ci_high_ha: float
    points: int
    period: str


@dataclass(frozen=True)
class Assessment:
    """What a save carries (the form's fields, parsed)."""

    geometry: BaseGeometry
    status: str
    criteria: tuple[str, ...]
    motivation: str | None
    assessed_on: date | None
    version: int
    participants: tuple[str, ...] = field(default_factory=tuple)
    sensitivity: str | None = None


@dataclass(frozen=True)
class Version:
    extent_id: int
    version: int
    saved_at: datetime
    saved_by: str | None
    change: str | None
    status: str
    criteria: tuple[str, ...]
    motivation: str | None
    participants: tuple[str, ...]
    assessed_on: date | None
    geometry: dict

    def to_dict(self) -> dict:
        return {
            "extent_id": self.extent_id,
            "version": self.version,
            "saved_at": self.saved_at.isoformat(),
            "saved_by": self.saved_by,
            "change": self.change,
            "status": self.status,
            "criteria": list(self.criteria),
            "motivation": self.motivation,
            "participants": list(self.participants),
            "assessed_on": self.assessed_on.isoformat() if self.assessed_on else None,
            "geometry": self.geometry,
        }


class StaleVersion(LagesbildError):
    """The form was opened on a version that is no longer the stored one."""

    http_status = 409

    def __init__(self, opened: int, newer: RoundExtent) -> None:
        super().__init__(
            f"version: the form was opened on version {opened}, but version {newer.version} "
            "was saved since; nothing was overwritten",
            "look at the newer version, then make your changes on it",
        )
        self.newer = newer


class GeometryRefused(ValidationError):
    """A drawn geometry that cannot be stored as it is. `code` names the reason (empty,
    not_polygon, outside, too_small, self_intersecting, invalid), `values` its figures;
    `repaired` is offered when a self-intersecting polygon has an unambiguous repair."""

    def __init__(
        self,
        code: str,
        message: str,
        repaired: BaseGeometry | None = None,
        **values: object,
    ) -> None:
        super().__init__("geometry", message)
        self.code = code
        self.repaired = repaired
        self.values = values


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(";") if p.strip())


def _select():
    return (
        select(
            extents,
            places.c.name.label("place_name"),
            mapping_rounds.c.year,
            organisations.c.name.label("owner_name"),
        )
        .join(places, places.c.id == extents.c.place_id)
        .join(mapping_rounds, mapping_rounds.c.id == extents.c.round_id)
        .outerjoin(organisations, organisations.c.id == extents.c.owner_org_id)
    )


def _extent(store: Store, r) -> RoundExtent:
    return RoundExtent(
        id=r.id,
        place_id=r.place_id,
        place=r.place_name,
        year=r.year,
        status=r.status,
        criteria=_split(r.criteria),
        motivation=r.motivation,
        assessed_on=r.assessed_at,
        participants=_split(r.participants),
        version=r.version or 1,
        owner_org_id=r.owner_org_id,
        owner=r.owner_name,
        sensitivity=r.sensitivity,
        geom=r.geom,
        area_ha=store.projector.area_ha(r.geom),
        updated_at=r.updated_at,
    )


def _read(store: Store, viewer: Viewer, *where) -> list[RoundExtent]:
    with store.read() as conn:
        rows = conn.execute(
            _select()
            .where(visible(extents, viewer), visible(places, viewer), *where)
            .order_by(mapping_rounds.c.year, places.c.name)
        ).all()
    return [_extent(store, r) for r in rows]


def overview(store: Store, viewer: Viewer) -> dict[int, list[RoundRow]]:
    """Every round year (newest first) with its extents and their change in hectares against
    the place's extent of the round before (the latest earlier one the viewer may see)."""
    found = _read(store, viewer)
    last: dict[int, RoundExtent] = {}
    out: dict[int, list[RoundRow]] = {}
    for e in found:  # ordered by year: `last` holds each place's previous round
        prev = last.get(e.place_id)
        out.setdefault(e.year, []).append(
            RoundRow(e, prev.year if prev else None, e.area_ha - prev.area_ha if prev else None)
        )
        last[e.place_id] = e
    return dict(sorted(out.items(), reverse=True))


def round_extents(store: Store, viewer: Viewer, year: int) -> list[RoundExtent]:
    return _read(store, viewer, mapping_rounds.c.year == year)


def current(store: Store, viewer: Viewer, year: int, place_id: int) -> RoundExtent | None:
    found = _read(store, viewer, mapping_rounds.c.year == year, extents.c.place_id == place_id)
    return found[0] if found else None


def previous(store: Store, viewer: Viewer, year: int, place_id: int) -> RoundExtent | None:
    """The place's extent of the latest round before `year` that the viewer may see."""
    found = _read(store, viewer, mapping_rounds.c.year < year, extents.c.place_id == place_id)
    return found[-1] if found else None


def compare(store: Store, before: RoundExtent, geom_wgs84: BaseGeometry) -> Comparison:
    """This round's geometry against the previous round's extent, in the projected CRS."""
    proj = store.projector
    a, b = proj.to_projected(before.geom), proj.to_projected(geom_wgs84)
    cmp = an.compare_extents(a, b)
    return Comparison(
        before.year,
        proj.to_wgs84(b.difference(a)),
        proj.to_wgs84(a.difference(b)),
        cmp.gained_ha,
        cmp.lost_ha,
        cmp.area_b_ha - cmp.area_a_ha,
        cmp.centroid_shift_m,
    )


def _to_area(geom: BaseGeometry, target_area: float) -> BaseGeometry:
    """`geom` buffered (mitred) out or in until its area is `target_area`: bisection on the
    distance, to a millimetre."""
    if target_area <= 0:
        return shapely.Polygon()
    sign = 1.0 if target_area > geom.area else -1.0
    lo, hi = 0.0, max(target_area, geom.area) ** 0.5
    while hi - lo > 1e-3:
        mid = (lo + hi) / 2
        # growing: too small means go further out; shrinking: too big means go further in
        if sign * (geom.buffer(sign * mid, join_style="mitre").area - target_area) < 0:
            lo = mid
        else:
            hi = mid
    return geom.buffer(sign * hi, join_style="mitre")


def proposal(store: Store, viewer: Viewer, year: int, place_id: int) -> Proposal | None:
    """The extent proposed from the year before the round (None when too few points)."""
    place = data.place_by_id(store, viewer, place_id)
    start = datetime(year - 1, 1, 1, tzinfo=store.tz)
    end = datetime(year, 1, 1, tzinfo=store.tz)
    try:
        out = extent_analysis.extent(store, viewer, place, between(start, end))
    except ValidationError:
        return None
    geom = out.geometries[0]
    s = out.summary
    band = _to_area(geom, s["ci_high_ha"] * 1e4).difference(_to_area(geom, s["ci_low_ha"] * 1e4))
    proj = store.projector
    return Proposal(
        proj.to_wgs84(geom),
        proj.to_wgs84(band),
        s["area_ha"],
        s["ci_low_ha"],
        s["ci_high_ha"],
        s["points"],
        str(year - 1),
    )


def check_geometry(store: Store, geometry: object) -> BaseGeometry:
    """A drawn GeoJSON geometry (WGS84) as it will be stored, or `GeometryRefused` naming what
    is wrong: not a polygon, self-intersecting (with the repaired polygon offered), outside
    the store's region, under 1 m² in the projected CRS."""
    if isinstance(geometry, str):
        if not geometry.strip():
            raise GeometryRefused("empty", "is empty: draw the extent on the map")
        try:
            geometry = json.loads(geometry)
        except ValueError:
            raise GeometryRefused(
                "not_polygon", "is not GeoJSON (expected a Polygon or MultiPolygon)"
            ) from None
    try:
        geom = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException):
        raise GeometryRefused("not_polygon", "is not a GeoJSON Polygon or MultiPolygon") from None
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeometryRefused("not_polygon", f"must be a polygon, got {geom.geom_type}")
    region = store.settings.region
    if not region.contains_bounds(geom.bounds):
        raise GeometryRefused(
            "outside", f"lies outside the store's region {region}", region=str(region)
        )
    m2 = store.projector.area_ha(geom) * 1e4 if geom.is_valid else None
    if m2 is not None and m2 < MIN_AREA_M2:
        raise GeometryRefused(
            "too_small", f"is {m2:.2g} m², under the smallest extent of 1 m²", m2=f"{m2:.2g}"
        )
    try:
        cleaned = clean_polygon(geom, region, "the extent")
    except GeometryError as exc:
        raise GeometryRefused("invalid", exc.message) from None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise GeometryRefused(
            "self_intersecting",
            f"the polygon intersects itself ({reason}); the repaired polygon is offered",
            cleaned,
        )
    return cleaned


def parse_assessment(
    store: Store,
    year: int,
    *,
    geometry: object,
    status: object,
    criteria: list[str],
    motivation: str | None,
    assessed_on: str | None,
    version: object,
    participants: list[str] | None = None,
    sensitivity: str | None = None,
) -> Assessment:
    """The form's fields as an assessment; the first bad field is refused by name."""
    limit = date.today().year + 1
    if year > limit:  # a round is assessed in its year: next year's at the latest is planned
        raise ValidationError("year", f"{year} is more than one year ahead (at most {limit})")
    if year < 1900:
        raise ValidationError("year", f"{year} is not a mapping round's year")
    geom = check_geometry(store, geometry)
    status_ = parse_enum(ExtentStatus, status, "status").value
    codes = tuple(parse_criteria(criteria))
    motivation = (motivation or "").strip() or None
    if motivation and len(motivation) > 5000:
        raise ValidationError("motivation", "is longer than 5000 characters")
    if status_ == ExtentStatus.DELISTED.value and not motivation:
        raise ValidationError("motivation", "is required to delist (why is the place delisted?)")
    when = parse_date(assessed_on, "assessed_on") if assessed_on else None
    try:
        opened = int(str(version).strip())
    except ValueError:
        raise ValidationError(
            "version", "expected the whole number the form was opened on"
        ) from None
    if sensitivity is not None:
        sensitivity = parse_enum(Sensitivity, sensitivity, "sensitivity").value
    return Assessment(
        geom, status_, codes, motivation, when, opened, tuple(participants or ()), sensitivity
    )


def open_round(store: Store, year: int, name: str | None = None) -> int:
    """The mapping round of `year`, opened (stored without extents) if new; its id. An open
    round is listed on `/rounds` before its first extent is saved."""
    with store.write() as conn:
        found = conn.execute(select(mapping_rounds.c.id).where(mapping_rounds.c.year == year))
        row = found.first()
        if row is not None:
            return row[0]
        return conn.execute(
            insert(mapping_rounds).values(year=year, name=name or f"Kartläggning {year}")
        ).inserted_primary_key[0]


def opened_years(store: Store) -> list[int]:
    """The years of every stored mapping round, with extents or not yet."""
    with store.read() as conn:
        return sorted(conn.execute(select(mapping_rounds.c.year)).scalars())


def _round_id(conn: Connection, year: int) -> int:
    found = conn.execute(select(mapping_rounds.c.id).where(mapping_rounds.c.year == year)).first()
    if found:
        return found[0]
    return conn.execute(
        insert(mapping_rounds).values(year=year, name=f"Kartläggning {year}")
    ).inserted_primary_key[0]


def _snapshot(row, geom: BaseGeometry) -> dict:
    return {
        "status": row["status"],
        "criteria": row["criteria"],
        "motivation": row["motivation"],
        "participants": row["participants"],
        "assessed_at": row["assessed_at"],
        "geometry": json.dumps(shapely.geometry.mapping(geom)),
    }


def _changes(old: dict | None, new: dict) -> str:
    """What a save changed, as `;`-separated field codes (the pages show their labels)."""
    if old is None:
        return "created"
    names = {"assessed_at": "assessed_on"}
    changed = [
        names.get(k, k)
        for k in ("status", "criteria", "motivation", "participants", "assessed_at")
        if (old.get(k) or None) != (new.get(k) or None)
    ]
    if not shapely.equals_exact(old["geom"], new["geom"], 1e-9):
        changed.insert(0, "geometry")
    return ";".join(changed) or "unchanged"


def save(
    store: Store,
    viewer: Viewer,
    year: int,
    place_id: int,
    form: Assessment,
    remote: str | None = None,
) -> RoundExtent:
    """Store the place's extent of the round as a new version; `StaleVersion` when another
    save came first. One transaction: the extent, its version, the audit entry and the
    points' assignment to the new polygon."""
    if viewer != SYSTEM and viewer.role not in WRITE_ROLES:
        raise AccessDenied("your role may look at the mapping round, not save it")
    data.place_by_id(store, viewer, place_id)  # a place the viewer may see (else NotFound)
    now = datetime.now(UTC)
    geom = form.geometry
    minx, miny, maxx, maxy = geom.bounds
    values = {
        "status": form.status,
        "criteria": ";".join(form.criteria) or None,
        "motivation": form.motivation,
        "participants": ";".join(form.participants) or None,
        "assessed_at": form.assessed_on,
        "geom": geom,
        "minx": minx,
        "miny": miny,
        "maxx": maxx,
        "maxy": maxy,
        "updated_at": now,
    }
    with store.write() as conn:
        round_id = _round_id(conn, year)
        row = (
            conn.execute(
                select(extents).where(
                    extents.c.place_id == place_id, extents.c.round_id == round_id
                )
            )
            .mappings()
            .first()
        )
        if row is not None and viewer != SYSTEM and row["owner_org_id"] != viewer.organisation_id:
            raise AccessDenied("only the owner organisation may change this extent")
        stored = 0 if row is None else (row["version"] or 1)
        if row is None and form.version != 0:
            raise ValidationError(
                "version",
                f"the form was opened on version {form.version}, but the extent has been "
                "deleted since; reload the page to start it anew",
            )
        if form.version != stored:
            raise StaleVersion(form.version, _newer(store, conn, row["id"]))
        new_version = stored + 1
        if form.sensitivity:
            values["sensitivity"] = form.sensitivity
        if row is None:
            extent_id = conn.execute(
                insert(extents).values(
                    place_id=place_id,
                    round_id=round_id,
                    owner_org_id=viewer.organisation_id,
                    sensitivity=form.sensitivity or "shared",
                    created_at=now,
                    created_by=viewer.user_id,
                    version=new_version,
                    **{k: v for k, v in values.items() if k != "sensitivity"},
                )
            ).inserted_primary_key[0]
        else:
            extent_id = row["id"]
            kept = conn.execute(
                select(extent_versions.c.id).where(
                    extent_versions.c.extent_id == extent_id, extent_versions.c.version == stored
                )
            ).first()
            if kept is None:
                # the stored state came from an import or an API change (which bump the
                # version, store/schema.py): keep it as the version this save replaces
                conn.execute(
                    insert(extent_versions).values(
                        extent_id=extent_id,
                        version=stored,
                        saved_at=row["updated_at"],
                        saved_by=row["created_by"] if stored == 1 else None,
                        saved_by_name=None,
                        change="imported" if stored == 1 else "changed by an import or the API",
                        **_snapshot(row, row["geom"]),
                    )
                )
            # the version it was opened on, in the same statement: two saves cannot both win
            same = (
                or_(extents.c.version.is_(None), extents.c.version == 1)
                if stored == 1
                else extents.c.version == stored
            )
            done = conn.execute(
                update(extents)
                .where(extents.c.id == extent_id, same)
                .values(version=new_version, **values)
            )
            if done.rowcount != 1:
                raise StaleVersion(form.version, _newer(store, conn, extent_id))
        change = _changes(dict(row) if row is not None else None, values)
        conn.execute(
            insert(extent_versions).values(
                extent_id=extent_id,
                version=new_version,
                saved_at=now,
                saved_by=viewer.user_id,
                saved_by_name=viewer.username,
                change=change,
                **_snapshot(values, geom),
            )
        )
        audit.record(
            conn,
            viewer,
            "create" if row is None else "update",
            "extents",
            extent_id,
            f"round {year} version {new_version}: {change}",
            remote,
        )
        _reassign_extent(conn, place_id, round_id, geom)
    found = current(store, viewer, year, place_id)
    assert found is not None
    return found


def _reassign_extent(conn: Connection, place_id: int, round_id: int, geom: BaseGeometry) -> int:
    """The crimes and observations inside this one extent, after it changed: only its own
    assignments are replaced (the points in its bounding box tested against the polygon), not
    the whole store's as an import does; returns how many points it holds."""
    conn.execute(
        delete(assignments).where(
            assignments.c.place_id == place_id, assignments.c.round_id == round_id
        )
    )
    minx, miny, maxx, maxy = geom.bounds
    total = 0
    for layer, table in assign.POINT_LAYERS.items():
        rows = conn.execute(
            select(table.c.id, table.c.minx, table.c.miny).where(
                table.c.minx.between(minx, maxx), table.c.miny.between(miny, maxy)
            )
        ).all()
        if not rows:
            continue
        ids, x, y = (np.asarray(c) for c in zip(*rows, strict=True))
        inside = shapely.contains_xy(geom, x.astype(float), y.astype(float))
        found = [
            {"layer": layer, "record_id": int(i), "place_id": place_id, "round_id": round_id}
            for i in ids[inside]
        ]
        if found:
            conn.execute(insert(assignments), found)
        total += len(found)
    return total


def _newer(store: Store, conn: Connection, extent_id: int) -> RoundExtent:
    r = conn.execute(_select().where(extents.c.id == extent_id)).first()
    if r is None:
        raise NotFound(f"no extent {extent_id}")
    return _extent(store, r)


def _version(r) -> Version:
    return Version(
        r.extent_id,
        r.version,
        r.saved_at,
        r.saved_by_name,
        r.change,
        r.status,
        _split(r.criteria),
        r.motivation,
        _split(r.participants),
        r.assessed_at,
        json.loads(r.geometry),
    )


def history(store: Store, viewer: Viewer, extent_id: int) -> list[Version]:
    """The saved versions of an extent the viewer may see, newest first (an extent never
    saved in the workspace has one: as it was imported)."""
    with store.read() as conn:
        row = conn.execute(
            _select().where(extents.c.id == extent_id, visible(extents, viewer))
        ).first()
        if row is None:
            raise NotFound(f"no extent {extent_id}")
        rows = conn.execute(
            select(extent_versions)
            .where(extent_versions.c.extent_id == extent_id)
            .order_by(extent_versions.c.version.desc())
        ).all()
    found = [_version(r) for r in rows]
    if not found:
        e = _extent(store, row)
        found = [
            Version(
                e.id,
                e.version,
                row.updated_at,
                None,
                "imported",
                e.status,
                e.criteria,
                e.motivation,
                e.participants,
                e.assessed_on,
                shapely.geometry.mapping(e.geom),
            )
        ]
    return found


def version_of(store: Store, viewer: Viewer, extent_id: int, version: int) -> Version:
    found = [v for v in history(store, viewer, extent_id) if v.version == version]
    if not found:
        raise NotFound(f"extent {extent_id} has no version {version}")
    return found[0]


def organisations_named(store: Store) -> list[str]:
    """The organisations that may have taken part in a round (the store's own list)."""
    with store.read() as conn:
        return list(
            conn.execute(select(organisations.c.name).order_by(organisations.c.name)).scalars()
        )
