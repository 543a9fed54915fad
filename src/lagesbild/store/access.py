"""Who may see which record: the one place where sensitivity and organisation are enforced.

Every read of a data layer, for pages, API, exports, map layers, analyses and reports alike,
filters with `visible(table, viewer)`. The rule:

- the public (no log-in) sees `public` records only;
- a signed-in user sees `public` and `shared` records, and `restricted` records owned by their
  own organisation;
- the terminal (`SYSTEM`, an operator with access to the store itself) sees everything.
"""

from __future__ import annotations

from sqlalchemy import Table, and_, false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from lagesbild.domain.model import SYSTEM, Sensitivity, Viewer


def visible(table: Table, viewer: Viewer) -> ColumnElement[bool]:
    if "sensitivity" not in table.c:
        return true()
    if viewer == SYSTEM:
        return true()
    sens = table.c.sensitivity
    if viewer.is_public:
        return sens == Sensitivity.PUBLIC.value
    if viewer.organisation_id is None:
        return false()
    return or_(
        sens.in_([Sensitivity.PUBLIC.value, Sensitivity.SHARED.value]),
        and_(sens == Sensitivity.RESTRICTED.value, table.c.owner_org_id == viewer.organisation_id),
    )


def is_sensitive(sensitivity: str) -> bool:
    """Opening a record of this sensitivity is written to the audit log."""
    return sensitivity == Sensitivity.RESTRICTED.value
