"""Camera registry: name, resolution class, owner (public / social), linked premises, updated and
retired times, and an index on the status.

Revision ID: 0019_cameras
Revises: 0018_inspections
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_cameras"
down_revision: str | None = "0018_inspections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("resolution", sa.String(length=8), nullable=False, server_default="hd")
        )
        batch_op.add_column(
            sa.Column("owner", sa.String(length=8), nullable=False, server_default="public")
        )
        batch_op.add_column(sa.Column("premises_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cameras_premises_id_premises"),
            "premises",
            ["premises_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_cameras_premises_id"), ["premises_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cameras_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cameras_status"))
        batch_op.drop_index(batch_op.f("ix_cameras_premises_id"))
        batch_op.drop_constraint(batch_op.f("fk_cameras_premises_id_premises"), type_="foreignkey")
        batch_op.drop_column("retired_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("premises_id")
        batch_op.drop_column("owner")
        batch_op.drop_column("resolution")
        batch_op.drop_column("name")
