"""Who may see which record: the one place where sensitivity and organisation are enforced.

Every read of a data layer, for pages, API, exports, map layers, analyses and reports alike,
filters with `visible(table, viewer)`. The rule:

- the public (no log-in) sees `public` records only;
- a signed-in user sees `public` and `shared` records, and `restricted` records owned by their
  own organisation;
- the terminal (`SYSTEM`, an operator with access to the store itself) sees everything;
- what is made once for every partner (`SHARED_AUDIENCE`: a briefing's picture, a goal's
  figures, the public counts) sees `public` and `shared` records only. Were restricted records
  in it, anyone could learn their number by taking away what they see themselves.
"""

from __future__ import annotations

from sqlalchemy import Table, and_, false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from lagesbild.domain.model import (
    PUBLIC_VIEWER,
    SHARED_AUDIENCE,
    SYSTEM,
    Role,
    Sensitivity,
    Viewer,
)


def visible(table: Table, viewer: Viewer) -> ColumnElement[bool]:
    if "sensitivity" not in table.c:
        return true()
    if viewer == SYSTEM:
        return true()
    sens = table.c.sensitivity
    if viewer is SHARED_AUDIENCE:
        return sens.in_([Sensitivity.PUBLIC.value, Sensitivity.SHARED.value])
    if viewer.is_public:
        return sens == Sensitivity.PUBLIC.value
    if viewer.organisation_id is None:
        return false()
    return or_(
        sens.in_([Sensitivity.PUBLIC.value, Sensitivity.SHARED.value]),
        and_(sens == Sensitivity.RESTRICTED.value, table.c.owner_org_id == viewer.organisation_id),
    )


def readers(sensitivity: str, owner_org_id: int | None) -> Viewer:
    """Who may read a record of this sensitivity and owner, as one viewer: what is made once
    and kept in such a record (a briefing's picture) is made with this access, not with its
    author's, so it never holds more than its every reader may see."""
    if sensitivity == Sensitivity.PUBLIC.value:
        return PUBLIC_VIEWER
    if sensitivity == Sensitivity.RESTRICTED.value:
        return Viewer(None, owner_org_id, Role.VIEWER, "readers")
    return SHARED_AUDIENCE


def counted_for(sensitivity: str, owner_org_id: int | None) -> Viewer:
    """Whose records an aggregate kept in a record of this sensitivity counts (a goal's
    baseline and progress): as `readers`, except that a public aggregate counts shared records
    too, as the public counts do (counts, never the records)."""
    if sensitivity == Sensitivity.PUBLIC.value:
        return SHARED_AUDIENCE
    return readers(sensitivity, owner_org_id)


def is_sensitive(sensitivity: str) -> bool:
    """Opening a record of this sensitivity is written to the audit log."""
    return sensitivity == Sensitivity.RESTRICTED.value
