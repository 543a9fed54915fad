"""The append-only audit log: who created, changed, deleted, exported or opened restricted
records, when and from where. Rows are only ever inserted; nothing in lagesbild updates or
deletes them (triggers on both backends refuse it, see migration 0003)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from lagesbild.domain.model import Viewer
from lagesbild.domain.users import user_key
from lagesbild.errors import ValidationError
from lagesbild.store.engine import Store
from lagesbild.store.schema import audit_log

ACTIONS = (
    "create",
    "update",
    "delete",
    "export",
    "open",
    "import",
    "login",
    "login_failed",
    "logout",
    "user",
    "token",
    "retention",
    "lock",
    "moderate",
)


def record(
    conn: Connection,
    viewer: Viewer,
    action: str,
    layer: str | None = None,
    record_id: int | None = None,
    detail: str | None = None,
    remote: str | None = None,
) -> None:
    conn.execute(
        insert(audit_log).values(
            at=datetime.now(UTC),
            user_id=viewer.user_id,
            username=viewer.username,
            organisation_id=viewer.organisation_id,
            action=action,
            layer=layer,
            record_id=record_id,
            detail=(detail or "")[:2000] or None,
            remote=remote or ("cli" if viewer.user_id is None else None),
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    username: str | None = None
    action: str | None = None
    layer: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200
    offset: int = 0


def read(store: Store, f: AuditFilter) -> list[dict]:
    """The entries that pass the filter, newest first. The user name is compared as log-in
    compares it (case and Unicode form folded): `--user anna` finds what 'Anna' did."""
    if f.action and f.action not in ACTIONS:  # a typo would read as "nothing happened"
        raise ValidationError(
            "action", f"unknown action {f.action!r}; one of: {', '.join(ACTIONS)}"
        )
    q = select(audit_log).order_by(audit_log.c.id.desc()).limit(f.limit).offset(f.offset)
    if f.action:
        q = q.where(audit_log.c.action == f.action)
    if f.layer:
        q = q.where(audit_log.c.layer == f.layer)
    if f.since:
        q = q.where(audit_log.c.at >= f.since)
    if f.until:
        q = q.where(audit_log.c.at < f.until)
    with store.read() as conn:
        if f.username:
            key = user_key(f.username)
            names = conn.execute(select(audit_log.c.username).distinct()).scalars()
            same = [n for n in names if n is not None and user_key(n) == key]
            q = q.where(audit_log.c.username.in_(same or [f.username]))
        return [dict(r) for r in conn.execute(q).mappings()]
