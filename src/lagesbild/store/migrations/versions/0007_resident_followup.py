"""residents' reports: event time, reference and status link, review, redaction; photos

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import lagesbild.store.types

revision = "0007"
down_revision = "0009"
branch_labels = None
depends_on = None

T = "resident_reports"


def upgrade() -> None:
    op.add_column(T, sa.Column("occurred_at", lagesbild.store.types.UTCDateTime(), nullable=True))
    op.add_column(T, sa.Column("ref", sa.String(length=16), nullable=True))
    op.add_column(T, sa.Column("token", sa.String(length=64), nullable=True))
    op.add_column(T, sa.Column("seen_at", lagesbild.store.types.UTCDateTime(), nullable=True))
    op.add_column(T, sa.Column("reason", sa.Text(), nullable=True))
    op.add_column(T, sa.Column("published_text", sa.Text(), nullable=True))
    op.create_index(op.f("ix_resident_reports_token"), T, ["token"], unique=True)
    op.create_table(
        "resident_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("created_at", lagesbild.store.types.UTCDateTime(), nullable=False),
        sa.Column("mime", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["resident_reports.id"],
            name=op.f("fk_resident_photos_report_id_resident_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_photos")),
    )
    op.create_index(
        op.f("ix_resident_photos_report_id"), "resident_photos", ["report_id"], unique=True
    )
    op.create_index(op.f("ix_resident_photos_created_at"), "resident_photos", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_resident_photos_created_at"), table_name="resident_photos")
    op.drop_index(op.f("ix_resident_photos_report_id"), table_name="resident_photos")
    op.drop_table("resident_photos")
    op.drop_index(op.f("ix_resident_reports_token"), table_name=T)
    with op.batch_alter_table(T) as batch:
        for col in ("published_text", "reason", "seen_at", "token", "ref", "occurred_at"):
            batch.drop_column(col)
