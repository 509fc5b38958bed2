"""Patrol plans (点线面): plans per station, day and time block, and their points, lines and
areas.

Revision ID: 0020_patrols
Revises: 0019_cameras
Create Date: 2026-12-07 02:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_patrols"
down_revision: str | None = "0019_cameras"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patrol_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hot_cells", sa.Text(), nullable=False),
        sa.Column("prize", sa.Float(), nullable=False),
        sa.Column("bound", sa.Float(), nullable=False),
        sa.Column("how", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["jurisdictions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("station_id", "day", "block", name="uq_patrol_plan_block"),
    )
    op.create_index("ix_patrol_plans_station_id", "patrol_plans", ["station_id"])
    op.create_index("ix_patrol_plans_jpath", "patrol_plans", ["jpath"])
    op.create_index("ix_patrol_plans_day", "patrol_plans", ["day"])
    op.create_table(
        "patrol_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("stops", sa.Text(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("prize", sa.Float(), nullable=False),
        sa.Column("range_m", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["patrol_plans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"]),
        sa.ForeignKeyConstraint(["officer_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_patrol_items_plan_id", "patrol_items", ["plan_id"])
    op.create_index("ix_patrol_items_resource_id", "patrol_items", ["resource_id"])


def downgrade() -> None:
    op.drop_table("patrol_items")
    op.drop_table("patrol_plans")
