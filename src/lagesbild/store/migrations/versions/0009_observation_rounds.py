"""systematic place observation: observation rounds and planned rounds

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import lagesbild.store.types

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def _owned(table: str) -> list:
    return [
        sa.Column("owner_org_id", sa.Integer(), nullable=False),
        sa.Column("sensitivity", sa.String(length=12), server_default="shared", nullable=False),
        sa.Column("created_at", lagesbild.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", lagesbild.store.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f(f"fk_{table}_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organisations.id"],
            name=op.f(f"fk_{table}_owner_org_id_organisations"),
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "planned_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        *_owned("planned_rounds"),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_planned_rounds_place_id_places"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_rounds")),
    )
    op.create_index(op.f("ix_planned_rounds_owner_org_id"), "planned_rounds", ["owner_org_id"])
    op.create_table(
        "observation_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("started_at", lagesbild.store.types.UTCDateTime(), nullable=False),
        sa.Column("weather", sa.String(length=32), nullable=True),
        sa.Column("activities", sa.String(length=300), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("planned_id", sa.Integer(), nullable=True),
        *_owned("observation_rounds"),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_observation_rounds_place_id_places"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["planned_id"],
            ["planned_rounds.id"],
            name=op.f("fk_observation_rounds_planned_id_planned_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation_rounds")),
        sa.UniqueConstraint("source_key", name=op.f("uq_observation_rounds_source_key")),
    )
    op.create_index(
        op.f("ix_observation_rounds_owner_org_id"), "observation_rounds", ["owner_org_id"]
    )
    op.create_index(op.f("ix_observation_rounds_started_at"), "observation_rounds", ["started_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_observation_rounds_started_at"), table_name="observation_rounds")
    op.drop_index(op.f("ix_observation_rounds_owner_org_id"), table_name="observation_rounds")
    op.drop_table("observation_rounds")
    op.drop_index(op.f("ix_planned_rounds_owner_org_id"), table_name="planned_rounds")
    op.drop_table("planned_rounds")
