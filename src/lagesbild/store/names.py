"""Finding a place or organisation by what people call it: its name or code in any case, or
its number.

The names are compared in Python (`str.lower`, all of Unicode), not with SQL `lower()`:
SQLite's folds A-Z only and PostgreSQL's follows the database's locale, so 'Östermalmstorg'
would not be found as 'östermalmstorg' in a store made with the C locale. These tables hold
tens to hundreds of rows, so reading their names is cheap.
"""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement


def find_id(
    conn: Connection,
    table: Table,
    name: object,
    *where: ColumnElement[bool],
    by_id: bool = True,
) -> int | None:
    """The id of the row of `table` (with `name` and `code` columns) whose name or code is
    `name` in any case, or (`by_id`) whose id it is; the lowest id wins. None if none is."""
    key = str(name).strip().lower()
    rows = conn.execute(
        select(table.c.id, table.c.name, table.c.code).where(*where).order_by(table.c.id)
    ).all()
    for row in rows:
        if key in (str(row.name).strip().lower(), str(row.code or "").strip().lower()):
            return int(row.id)
    if by_id and key.isascii() and key.isdigit() and int(key) in {row.id for row in rows}:
        return int(key)  # ASCII digits only: '²' is a digit to isdigit() but not to int()
    return None
