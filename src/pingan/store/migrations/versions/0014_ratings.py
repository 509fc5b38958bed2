"""Security star ratings: ratings history, premises security features, hazards, and the
stations' public phones.

Revision ID: 0014_ratings
Revises: 0013_scheduler
Create Date: 2026-12-06 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_ratings"
down_revision: str | None = "0013_scheduler"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("criteria_version", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["station_id"], ["jurisdictions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ratings_premises_id", "ratings", ["premises_id"])
    op.create_index("ix_ratings_jpath", "ratings", ["jpath"])
    op.create_index("ix_ratings_station_id", "ratings", ["station_id"])
    op.create_index("ix_ratings_computed_at", "ratings", ["computed_at"])
    op.create_index("ix_ratings_current_premises", "ratings", ["current", "premises_id"])
    op.create_table(
        "premises_features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("premises_id", "code", name="uq_premises_feature"),
    )
    op.create_index("ix_premises_features_premises_id", "premises_features", ["premises_id"])
    op.create_index("ix_premises_features_jpath", "premises_features", ["jpath"])
    op.create_table(
        "hazards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=True),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name="uq_hazards_code"),
    )
    op.create_index("ix_hazards_status", "hazards", ["status"])
    op.create_index("ix_hazards_premises_id", "hazards", ["premises_id"])
    op.create_index("ix_hazards_jurisdiction_id", "hazards", ["jurisdiction_id"])
    op.create_index("ix_hazards_jpath", "hazards", ["jpath"])
    op.create_table(
        "station_phones",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["jurisdictions.id"]),
        sa.PrimaryKeyConstraint("station_id"),
    )


def downgrade() -> None:
    op.drop_table("station_phones")
    for name in ("ix_hazards_jpath", "ix_hazards_jurisdiction_id", "ix_hazards_premises_id"):
        op.drop_index(name, table_name="hazards")
    op.drop_index("ix_hazards_status", table_name="hazards")
    op.drop_table("hazards")
    op.drop_index("ix_premises_features_jpath", table_name="premises_features")
    op.drop_index("ix_premises_features_premises_id", table_name="premises_features")
    op.drop_table("premises_features")
    for name in (
        "ix_ratings_current_premises",
        "ix_ratings_computed_at",
        "ix_ratings_station_id",
        "ix_ratings_jpath",
        "ix_ratings_premises_id",
    ):
        op.drop_index(name, table_name="ratings")
    op.drop_table("ratings")
