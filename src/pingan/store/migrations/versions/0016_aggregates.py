"""Incident aggregates: counts per bureau, district and station, subtype and local day (with
local hours), per cell and 25 m square, and the grid they use.

Revision ID: 0016_aggregates
Revises: 0015_dispatch_live
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_aggregates"
down_revision: str | None = "0015_dispatch_live"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOURS = [f"h{h:02d}" for h in range(24)]


def upgrade() -> None:
    op.create_table(
        "incident_day_counts",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("subtype", sa.String(length=64), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        *(sa.Column(h, sa.Integer(), nullable=False) for h in HOURS),
        sa.PrimaryKeyConstraint("level", "jpath", "day", "subtype", "drill"),
    )
    op.create_table(
        "incident_grid_counts",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("subtype", sa.String(length=64), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("gx", sa.Integer(), nullable=False),
        sa.Column("gy", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "jpath", "subtype", "drill", "gx", "gy"),
    )
    op.create_table(
        "aggregate_grid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lon0", sa.Float(), nullable=False),
        sa.Column("lat0", sa.Float(), nullable=False),
        sa.Column("x0_m", sa.Float(), nullable=False),
        sa.Column("y0_m", sa.Float(), nullable=False),
        sa.Column("base_m", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("aggregate_grid")
    op.drop_table("incident_grid_counts")
    op.drop_table("incident_day_counts")
