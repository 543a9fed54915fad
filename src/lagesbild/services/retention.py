"""Retention of free text (GDPR): field staff's free text can name or describe people, so after
a configurable number of days it is pseudonymised (replaced by a marker that keeps that there
was a text and its length class) or deleted. The counts, places and categories stay. Residents'
photos older than the same number of days are deleted in either mode (a photo cannot be
pseudonymised)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from lagesbild.domain.model import Viewer
from lagesbild.errors import ValidationError
from lagesbild.store import audit
from lagesbild.store.engine import Store
from lagesbild.store.schema import observations, resident_photos, resident_reports

MARK = "[text removed after retention period]"


def apply_retention(
    store: Store, days: int, mode: str, actor: Viewer, dry_run: bool = False
) -> int:
    """Pseudonymise or delete the free text of field observations and residents' reports older
    than `days`, and delete residents' photos as old; the number of records changed.
    `dry_run` only counts them (and writes no audit entry, since nothing changes)."""
    if days < 1:
        raise ValidationError("days", "must be at least 1")
    if mode not in ("pseudonymise", "delete"):
        raise ValidationError("mode", "expected pseudonymise or delete")
    cutoff = datetime.now(UTC) - timedelta(days=days)
    new_text = MARK if mode == "pseudonymise" else None
    with store.write() as conn:
        done = 0
        for table, when in (
            (observations, observations.c.occurred_at),
            (resident_reports, resident_reports.c.created_at),
        ):
            old = (when < cutoff, table.c.text.is_not(None), table.c.text != MARK)
            n = conn.execute(select(func.count()).select_from(table).where(*old)).scalar_one()
            if n and not dry_run:
                conn.execute(update(table).where(*old).values(text=new_text))
            done += n
        old_photos = resident_photos.c.created_at < cutoff
        n = conn.execute(
            select(func.count()).select_from(resident_photos).where(old_photos)
        ).scalar_one()
        if n and not dry_run:
            conn.execute(delete(resident_photos).where(old_photos))
        done += n
        if dry_run:
            return done
        audit.record(
            conn,
            actor,
            "retention",
            "observations",
            None,
            f"{mode} free text and photos of {done} record(s) older than {days} days "
            f"(before {cutoff.date().isoformat()})",
        )
    return done
