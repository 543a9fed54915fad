"""auth version: a counter moved only by changes of users, organisations, sessions and tokens

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-04

The web server remembers token and session look-ups while the database is unchanged; on SQLite
`PRAGMA data_version` moves with every write, so a stream of field reports made every request
read its token again. This counter moves only when a table the look-ups read changes (triggers,
so a change by any process or path is seen: the CLI's `user disable`, a second worker). On
PostgreSQL the look-ups are not remembered; the table is there, unused. Additive.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None

WATCHED = ("users", "organisations", "web_sessions", "api_tokens")
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    table = op.create_table(
        "auth_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "n": 0}])
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in WATCHED:
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER auth_version_{name}_{event.lower()} AFTER {event} ON {name} "
                "BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in WATCHED:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS auth_version_{name}_{event.lower()}")
    op.drop_table("auth_version")
