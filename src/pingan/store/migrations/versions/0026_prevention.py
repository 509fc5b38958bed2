"""Building footprints: the optional occlusion layer of camera coverage and siting.

Revision ID: 0026_prevention
Revises: 0022_citizen
Create Date: 2026-12-07 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_prevention"
down_revision: str | None = "0022_citizen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "building_footprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("height_m", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_building_footprints_code", "building_footprints", ["code"])
    op.create_index("ix_building_footprints_min_lon", "building_footprints", ["min_lon"])
    op.create_index("ix_building_footprints_min_lat", "building_footprints", ["min_lat"])


def downgrade() -> None:
    op.drop_index("ix_building_footprints_min_lat", table_name="building_footprints")
    op.drop_index("ix_building_footprints_min_lon", table_name="building_footprints")
    op.drop_index("ix_building_footprints_code", table_name="building_footprints")
    op.drop_table("building_footprints")
