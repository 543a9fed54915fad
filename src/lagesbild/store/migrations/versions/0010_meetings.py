"""meetings in the browser: retired goals, priorities drawn on a map

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-04

A goal the forum no longer follows is retired (kept, with its history, but left out of the
dashboard); a weekly priority may be a point or a small area drawn on the map inside its place,
with the place's outline used when none is drawn. Both columns are nullable: additive.
"""

import sqlalchemy as sa
from alembic import op

import lagesbild.store.types

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("goals") as batch:
        batch.add_column(
            sa.Column("retired_at", lagesbild.store.types.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("priorities") as batch:
        batch.add_column(sa.Column("geom", lagesbild.store.types.Geometry(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("priorities") as batch:
        batch.drop_column("geom")
    with op.batch_alter_table("goals") as batch:
        batch.drop_column("retired_at")
