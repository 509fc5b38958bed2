"""Incident counts per cell path × local day × subtype × drill (the grid counts summed over
their squares), filled from ``incident_grid_counts`` so that counts already built stay whole.

Revision ID: 0030_cell_days
Revises: 0029_fieldapp
Create Date: 2026-12-07 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_cell_days"
down_revision: str | None = "0029_fieldapp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_cell_days",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("subtype", sa.String(length=64), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "jpath", "subtype", "drill"),
    )
    op.execute(
        "INSERT INTO incident_cell_days (day, jpath, subtype, drill, n) "
        "SELECT day, jpath, subtype, drill, SUM(n) FROM incident_grid_counts "
        "GROUP BY day, jpath, subtype, drill HAVING SUM(n) <> 0"
    )


def downgrade() -> None:
    op.drop_table("incident_cell_days")
