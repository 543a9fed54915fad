"""Spatial index DDL per backend, used by the migrations.

SQLite has no spatial index of its own without SpatiaLite; its R*Tree module (built into every
Python's sqlite3) indexes the bbox columns, kept in step by triggers so that every writer, the
importer and the web app alike, keeps it right.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection


def create_spatial_index(conn: Connection, table: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(f"CREATE INDEX IF NOT EXISTS ix_{table}_geom ON {table} USING GIST (geom)")
        )
        return
    rt = f"rtree_{table}"
    for stmt in (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {rt} USING rtree(id, minx, maxx, miny, maxy)",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_rtree_ins AFTER INSERT ON {table}
            WHEN new.minx IS NOT NULL BEGIN
            INSERT INTO {rt} VALUES (new.id, new.minx, new.maxx, new.miny, new.maxy); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_rtree_upd AFTER UPDATE OF minx, miny, maxx, maxy
            ON {table} BEGIN DELETE FROM {rt} WHERE id = old.id;
            INSERT INTO {rt} SELECT new.id, new.minx, new.maxx, new.miny, new.maxy
            WHERE new.minx IS NOT NULL; END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_rtree_del AFTER DELETE ON {table}
            BEGIN DELETE FROM {rt} WHERE id = old.id; END""",
    ):
        conn.execute(text(stmt))


def drop_spatial_index(conn: Connection, table: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"DROP INDEX IF EXISTS ix_{table}_geom"))
        return
    for suffix in ("ins", "upd", "del"):
        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_rtree_{suffix}"))
    conn.execute(text(f"DROP TABLE IF EXISTS rtree_{table}"))


# Point layers on SQLite: a B-tree on (minx, miny) instead of an R*Tree. A point's box is the
# point, so a bbox query is two ranges on the index; and keeping an R*Tree costs ~7 us per
# inserted row, more than the insert itself, which capped bulk imports of crimes.
POINT_TABLES = ("crimes", "observations")


def create_point_index(conn: Connection, table: str) -> None:
    if conn.dialect.name == "postgresql":
        return  # GiST (create_spatial_index) serves points too
    drop_spatial_index(conn, table)
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_{table}_bbox ON {table} (minx, miny)"))


def drop_point_index(conn: Connection, table: str) -> None:
    if conn.dialect.name == "postgresql":
        return
    conn.execute(text(f"DROP INDEX IF EXISTS ix_{table}_bbox"))
    create_spatial_index(conn, table)
    conn.execute(
        text(
            f"INSERT INTO rtree_{table} SELECT id, minx, maxx, miny, maxy FROM {table} "
            "WHERE minx IS NOT NULL"
        )
    )
