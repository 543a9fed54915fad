"""the mapping round's workspace: an extent's motivation, participants and version; its versions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Additive: three nullable columns on extents and the table of saved versions of an extent.
"""

import sqlalchemy as sa
from alembic import op

import lagesbild.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("extents", sa.Column("motivation", sa.Text(), nullable=True))
    op.add_column("extents", sa.Column("participants", sa.Text(), nullable=True))
    op.add_column("extents", sa.Column("version", sa.Integer(), nullable=True))
    op.create_table(
        "extent_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extent_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("saved_at", lagesbild.store.types.UTCDateTime(), nullable=False),
        sa.Column("saved_by", sa.Integer(), nullable=True),
        sa.Column("saved_by_name", sa.String(length=100), nullable=True),
        sa.Column("change", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=True),
        sa.Column("motivation", sa.Text(), nullable=True),
        sa.Column("participants", sa.Text(), nullable=True),
        sa.Column("assessed_at", sa.Date(), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["extent_id"],
            ["extents.id"],
            name=op.f("fk_extent_versions_extent_id_extents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_by"], ["users.id"], name=op.f("fk_extent_versions_saved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extent_versions")),
        sa.UniqueConstraint("extent_id", "version", name=op.f("uq_extent_versions_extent_version")),
    )


def downgrade() -> None:
    op.drop_table("extent_versions")
    with op.batch_alter_table("extents") as batch:
        batch.drop_column("version")
        batch.drop_column("participants")
        batch.drop_column("motivation")
