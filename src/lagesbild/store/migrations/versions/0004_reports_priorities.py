"""residents' reports, weekly priorities, rate-limit events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

import lagesbild.store.types
from lagesbild.store.spatial_ddl import create_spatial_index, drop_spatial_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", lagesbild.store.types.UTCDateTime(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("geom", lagesbild.store.types.Geometry(), nullable=False),
        sa.Column("minx", sa.Float(), nullable=False),
        sa.Column("miny", sa.Float(), nullable=False),
        sa.Column("maxx", sa.Float(), nullable=False),
        sa.Column("maxy", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("moderated_by", sa.Integer(), nullable=True),
        sa.Column("moderated_at", lagesbild.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into"],
            ["resident_reports.id"],
            name=op.f("fk_resident_reports_merged_into_resident_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by"], ["users.id"], name=op.f("fk_resident_reports_moderated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observations.id"],
            name=op.f("fk_resident_reports_observation_id_observations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_reports")),
    )
    op.create_index(op.f("ix_resident_reports_created_at"), "resident_reports", ["created_at"])
    op.create_table(
        "priorities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("briefing_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("owner_org_id", sa.Integer(), nullable=False),
        sa.Column("sensitivity", sa.String(length=12), server_default="shared", nullable=False),
        sa.Column("created_at", lagesbild.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", lagesbild.store.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["briefing_id"], ["briefings.id"], name=op.f("fk_priorities_briefing_id_briefings")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_priorities_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_priorities_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organisations.id"],
            name=op.f("fk_priorities_owner_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_priorities_place_id_places"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_priorities")),
    )
    op.create_index(op.f("ix_priorities_week_start"), "priorities", ["week_start"])
    op.create_index(op.f("ix_priorities_owner_org_id"), "priorities", ["owner_org_id"])
    op.create_table(
        "rate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", lagesbild.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_events")),
    )
    op.create_index("ix_rate_events_key_at", "rate_events", ["key", "at"])
    create_spatial_index(op.get_bind(), "resident_reports")


def downgrade() -> None:
    drop_spatial_index(op.get_bind(), "resident_reports")
    op.drop_index("ix_rate_events_key_at", table_name="rate_events")
    op.drop_table("rate_events")
    op.drop_index(op.f("ix_priorities_owner_org_id"), table_name="priorities")
    op.drop_index(op.f("ix_priorities_week_start"), table_name="priorities")
    op.drop_table("priorities")
    op.drop_index(op.f("ix_resident_reports_created_at"), table_name="resident_reports")
    op.drop_table("resident_reports")
