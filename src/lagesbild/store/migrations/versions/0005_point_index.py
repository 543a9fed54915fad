"""point layers: B-tree bbox index instead of R*Tree on SQLite

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

Crimes and observations are points; on SQLite their R*Tree (and its triggers) gives way to a
B-tree index on (minx, miny), which bulk imports keep several times faster. PostGIS keeps GiST.
"""

from alembic import op

from lagesbild.store.spatial_ddl import POINT_TABLES, create_point_index, drop_point_index

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in POINT_TABLES:
        create_point_index(op.get_bind(), table)


def downgrade() -> None:
    for table in POINT_TABLES:
        drop_point_index(op.get_bind(), table)
