"""Briefings as records: create one with its generated picture, mark attendance, record
decisions and action items during it, close action items later, lock it afterwards.

A briefing is a joint meeting, so any user whose role may write (admin, coordinator, analyst)
and who can see it may change it while it is open. A locked briefing cannot change: its picture
and minutes (attendance, decisions, the action items it made) are kept as stored JSON. Action
items live on after their briefing is locked: they are carried over to every later briefing of
the place until they are done or cancelled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from lagesbild.briefing import figures, picture
from lagesbild.domain.model import (
    SYSTEM,
    WRITE_ROLES,
    ActionStatus,
    BriefingKind,
    BriefingStatus,
    Sensitivity,
    Viewer,
    parse_enum,
)
from lagesbild.errors import AccessDenied, LagesbildError, NotFound, ValidationError
from lagesbild.services import data
from lagesbild.services.results import clean
from lagesbild.store import audit
from lagesbild.store.access import readers, visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import action_items, briefings, decisions, places, store_settings

DEFAULT_LOOKBACK = timedelta(days=7)  # the first briefing of a place looks back a week
# ... and the first strategic forum (monthly) a month
LOOKBACK = {BriefingKind.FORUM.value: timedelta(days=30)}


class BriefingLocked(LagesbildError):
    http_status = 409


def _may_write(viewer: Viewer) -> None:
    if viewer != SYSTEM and viewer.role not in WRITE_ROLES:
        raise AccessDenied("your role may not change briefings")


def _owner(conn: Connection, viewer: Viewer) -> int:
    if viewer.organisation_id is not None:
        return viewer.organisation_id
    value = conn.execute(
        select(store_settings.c.value).where(store_settings.c.key == "default_organisation")
    ).scalar_one()
    return int(value)


def _row(conn: Connection, viewer: Viewer, briefing_id: int) -> dict[str, Any]:
    row = (
        conn.execute(
            select(briefings).where(briefings.c.id == briefing_id, visible(briefings, viewer))
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no briefing {briefing_id}", "see `lagesbild briefing list`")
    return dict(row)


def _open_row(conn: Connection, viewer: Viewer, briefing_id: int) -> dict[str, Any]:
    _may_write(viewer)
    row = _row(conn, viewer, briefing_id)
    if row["status"] == BriefingStatus.LOCKED.value:
        raise BriefingLocked(f"briefing {briefing_id} is locked and cannot change")
    return row


def _lookback(kind: str) -> timedelta:
    return LOOKBACK.get(kind, DEFAULT_LOOKBACK)


def previous_briefing(
    store: Store, viewer: Viewer, place_id: int, kind: str, at: datetime
) -> dict[str, Any] | None:
    with store.read() as conn:
        row = (
            conn.execute(
                select(briefings.c.id, briefings.c.at)
                .where(
                    briefings.c.place_id == place_id,
                    briefings.c.kind == kind,
                    briefings.c.at < at,
                    visible(briefings, viewer),
                )
                .order_by(briefings.c.at.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def new_briefing(
    store: Store,
    viewer: Viewer,
    place: str,
    at: datetime,
    *,
    period_from: datetime | None = None,
    sensitivity: str = Sensitivity.SHARED.value,
    kind: str = BriefingKind.OPERATIONAL.value,
) -> int:
    """A briefing of `place` at `at` with its generated picture for the period since the
    previous briefing of that kind at the place (a week for the first one, a month for the
    first forum). `kind`: operational (samverkansuppställning), weekly (the EST meeting) or
    forum (the monthly strategic forum); each keeps its minutes the same way."""
    _may_write(viewer)
    kind = parse_enum(BriefingKind, kind, "kind").value
    p = data.find_place(store, viewer, place)
    sens = parse_enum(Sensitivity, sensitivity, "sensitivity").value
    with store.read() as conn:
        clash = conn.execute(
            select(briefings.c.id).where(
                briefings.c.place_id == p.id, briefings.c.kind == kind, briefings.c.at == at
            )
        ).scalar()
    if clash is not None:
        raise ValidationError("at", f"{p.name} already has briefing {clash} at that time")
    if period_from is None:
        prev = previous_briefing(store, viewer, p.id, kind, at)
        period_from = prev["at"] if prev else at - _lookback(kind)
    with store.read() as conn:
        owner = _owner(conn, viewer)
    pic = picture.generate(store, readers(sens, owner), p, at, period_from)
    now = datetime.now(UTC)
    with store.write() as conn:
        bid = conn.execute(
            insert(briefings).values(
                place_id=p.id,
                kind=kind,
                at=at,
                period_from=period_from,
                status=BriefingStatus.OPEN.value,
                picture=pic,
                attendance=[],
                owner_org_id=owner,
                sensitivity=sens,
                created_at=now,
                updated_at=now,
                created_by=viewer.user_id,
            )
        ).inserted_primary_key[0]
        audit.record(conn, viewer, "create", "briefings", bid, f"{p.name} {at.isoformat()}")
    return int(bid)


def refresh(store: Store, viewer: Viewer, briefing_id: int) -> None:
    """Generate the picture of an open briefing again (e.g. after late reports came in)."""
    with store.read() as conn:
        row = _open_row(conn, viewer, briefing_id)
    pic = _generate_for(store, viewer, row)
    with store.write() as conn:
        _open_row(conn, viewer, briefing_id)
        conn.execute(
            update(briefings)
            .where(briefings.c.id == briefing_id)
            .values(picture=pic, updated_at=datetime.now(UTC))
        )
        audit.record(conn, viewer, "update", "briefings", briefing_id, "picture generated")


def _generate_for(store: Store, viewer: Viewer, row: dict[str, Any]) -> dict[str, Any]:
    if row["place_id"] is None:
        raise ValidationError("place", f"briefing {row['id']} has no place")
    with store.read() as conn:
        name = conn.execute(select(places.c.name).where(places.c.id == row["place_id"])).scalar()
    p = data.find_place(store, viewer, name)
    start = row["period_from"]
    if start is None:
        prev = previous_briefing(store, viewer, p.id, row["kind"], row["at"])
        start = prev["at"] if prev else row["at"] - _lookback(row["kind"])
    who = readers(row["sensitivity"], row["owner_org_id"])
    return picture.generate(store, who, p, row["at"], start, row["id"])


def _minutes(conn: Connection, viewer: Viewer, row: dict[str, Any]) -> dict[str, Any]:
    from lagesbild.store.schema import organisations

    decided = conn.execute(
        select(decisions.c.id, decisions.c.text, decisions.c.created_at)
        .where(decisions.c.briefing_id == row["id"], visible(decisions, viewer))
        .order_by(decisions.c.id)
    ).mappings()
    made = conn.execute(
        select(
            action_items.c.id,
            action_items.c.text,
            organisations.c.name.label("responsible"),
            action_items.c.due_date,
            action_items.c.status,
            action_items.c.done_at,
        )
        .join(organisations, organisations.c.id == action_items.c.responsible_org_id)
        .where(action_items.c.briefing_id == row["id"], visible(action_items, viewer))
        .order_by(action_items.c.id)
    ).mappings()
    return {
        "attendance": list(row["attendance"] or []),
        "decisions": [dict(d) for d in decided],
        "new_actions": [dict(a) for a in made],
    }


def get_briefing(store: Store, viewer: Viewer, briefing_id: int) -> dict[str, Any]:
    """The briefing with its picture and minutes. A locked briefing shows what was stored at
    locking; an open one its stored picture and the live minutes. A briefing that was stored
    without a picture (e.g. imported) gets one generated now, marked `generated_on_view`."""
    with store.read() as conn:
        row = _row(conn, viewer, briefing_id)
        place = None
        if row["place_id"] is not None:
            place = conn.execute(
                select(places.c.name).where(places.c.id == row["place_id"])
            ).scalar()
        live = _minutes(conn, viewer, row)
    pic = row["picture"]
    if pic is None:
        pic = {**_generate_for(store, viewer, row), "generated_on_view": True}
    locked = row["status"] == BriefingStatus.LOCKED.value
    minutes = (pic.get("minutes") if locked else None) or live
    return clean(
        {
            "id": row["id"],
            "place": place,
            "kind": row["kind"],
            "at": row["at"],
            "period_from": row["period_from"],
            "status": row["status"],
            "locked_at": row["locked_at"],
            "notes": row["notes"],
            "sensitivity": row["sensitivity"],
            "picture": pic,
            "minutes": minutes,
        }
    )


def list_briefings(
    store: Store, viewer: Viewer, place: str | None = None, kind: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    q = (
        select(
            briefings.c.id,
            briefings.c.kind,
            briefings.c.at,
            briefings.c.status,
            places.c.name.label("place"),
        )
        .outerjoin(places, places.c.id == briefings.c.place_id)
        .where(visible(briefings, viewer))
        .order_by(briefings.c.at.desc())
        .limit(limit)
    )
    if place:
        q = q.where(briefings.c.place_id == data.find_place(store, viewer, place).id)
    if kind:
        q = q.where(briefings.c.kind == parse_enum(BriefingKind, kind, "kind").value)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def attend(
    store: Store, viewer: Viewer, briefing_id: int, organisations: list[str], present: bool = True
) -> list[str]:
    """Mark organisations present (or not); returns the attendance list."""
    from lagesbild.store.schema import organisations as orgs

    with store.write() as conn:
        row = _open_row(conn, viewer, briefing_id)
        names = []
        for o in organisations:
            oid = figures.organisation_id(store, o)
            names.append(conn.execute(select(orgs.c.name).where(orgs.c.id == oid)).scalar_one())
        current = list(row["attendance"] or [])
        if present:
            for n in names:  # once each, however it was written (polis, POLIS)
                if n not in current:
                    current.append(n)
        else:
            current = [n for n in current if n not in names]
        conn.execute(
            update(briefings)
            .where(briefings.c.id == briefing_id)
            .values(attendance=current, updated_at=datetime.now(UTC))
        )
        audit.record(conn, viewer, "update", "briefings", briefing_id, "attendance")
    return current


def decide(store: Store, viewer: Viewer, briefing_id: int, text: str) -> int:
    text = (text or "").strip()
    if not text:
        raise ValidationError("text", "a decision needs its text")
    now = datetime.now(UTC)
    with store.write() as conn:
        row = _open_row(conn, viewer, briefing_id)
        did = conn.execute(
            insert(decisions).values(
                briefing_id=briefing_id,
                text=text,
                owner_org_id=row["owner_org_id"],
                sensitivity=row["sensitivity"],
                created_at=now,
                updated_at=now,
                created_by=viewer.user_id,
            )
        ).inserted_primary_key[0]
        audit.record(conn, viewer, "create", "decisions", did, f"briefing {briefing_id}")
    return int(did)


def add_action(
    store: Store,
    viewer: Viewer,
    briefing_id: int,
    text: str,
    responsible: str,
    due: date | None = None,
) -> int:
    """A new action item decided at the briefing, owned by an organisation, with a due date."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("text", "an action item needs its text")
    org = figures.organisation_id(store, responsible)
    with store.write() as conn:
        row = _open_row(conn, viewer, briefing_id)
        held = row["at"].astimezone(store.tz).date()
        if due is not None and due < held:
            raise ValidationError("due", f"{due} is before the briefing, held {held}")
        # created at the briefing's own time, so that it shows from this briefing on
        created = min(datetime.now(UTC), row["at"])
        aid = conn.execute(
            insert(action_items).values(
                text=text,
                responsible_org_id=org,
                due_date=due,
                status=ActionStatus.OPEN.value,
                briefing_id=briefing_id,
                place_id=row["place_id"],
                owner_org_id=row["owner_org_id"],
                sensitivity=row["sensitivity"],
                created_at=created,
                updated_at=datetime.now(UTC),
                created_by=viewer.user_id,
            )
        ).inserted_primary_key[0]
        audit.record(conn, viewer, "create", "action_items", aid, f"briefing {briefing_id}")
    return int(aid)


def set_action_status(
    store: Store, viewer: Viewer, item_id: int, status: str, at: datetime | None = None
) -> None:
    """Close (done, cancelled) or reopen an action item; done items record when."""
    _may_write(viewer)
    new = parse_enum(ActionStatus, status, "status").value
    when = at or datetime.now(UTC)
    with store.write() as conn:
        found = conn.execute(
            select(action_items.c.status, action_items.c.created_at).where(
                action_items.c.id == item_id, visible(action_items, viewer)
            )
        ).first()
        if found is None:
            raise NotFound(f"no action item {item_id}")
        if found.status == new:  # closing twice would move when it was done
            raise ValidationError("status", f"action item {item_id} is {new} already")
        if new == ActionStatus.DONE.value and when < found.created_at:
            raise ValidationError(
                "at", f"{when.isoformat()} is before the item was set ({found.created_at:%Y-%m-%d})"
            )
        conn.execute(
            update(action_items)
            .where(action_items.c.id == item_id)
            .values(
                status=new,
                done_at=when if new == ActionStatus.DONE.value else None,
                updated_at=datetime.now(UTC),
            )
        )
        audit.record(conn, viewer, "update", "action_items", item_id, f"status {new}")


def _kept(conn: Connection, row: dict[str, Any], pic: dict[str, Any]) -> dict[str, Any]:
    """What a locked briefing keeps: its picture and minutes, with its readers' access."""
    who = readers(row["sensitivity"], row["owner_org_id"])
    return clean({**pic, "minutes": _minutes(conn, who, row)})


def keep_locked_pictures(store: Store) -> int:
    """Locked briefings stored without their picture (the demo's history, an import) get it
    now, with their minutes, as `lock` keeps them: a locked briefing must not change when
    records of its period arrive later. Returns how many were kept."""
    with store.read() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                select(briefings).where(
                    briefings.c.status == BriefingStatus.LOCKED.value, briefings.c.picture.is_(None)
                )
            ).mappings()
        ]
    for row in rows:
        pic = _generate_for(store, SYSTEM, row)
        with store.write() as conn:
            kept = _kept(conn, row, pic)
            conn.execute(
                update(briefings)
                .where(briefings.c.id == row["id"], briefings.c.picture.is_(None))
                .values(picture=kept)
            )
    return len(rows)


def lock(store: Store, viewer: Viewer, briefing_id: int) -> None:
    """Lock the briefing: its picture and minutes are stored and cannot change afterwards."""
    with store.read() as conn:
        row = _open_row(conn, viewer, briefing_id)
    pic = row["picture"] or _generate_for(store, viewer, row)
    with store.write() as conn:
        row = _open_row(conn, viewer, briefing_id)
        kept = _kept(conn, row, pic)
        now = datetime.now(UTC)
        conn.execute(
            update(briefings)
            .where(briefings.c.id == briefing_id, briefings.c.status == BriefingStatus.OPEN.value)
            .values(status=BriefingStatus.LOCKED.value, picture=kept, locked_at=now, updated_at=now)
        )
        audit.record(conn, viewer, "lock", "briefings", briefing_id)
