"""Citizen services, staff side: the triage of an online report (pending, accepted, merged,
referred, rejected), when and by whom, the reason shown to the citizen and the body it was
referred to.

Revision ID: 0027_citizen_staff
Revises: 0026_prevention
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_citizen_staff"
down_revision: str | None = "0026_prevention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("citizen_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("triage", sa.String(length=16), server_default="pending", nullable=False)
        )
        batch_op.add_column(sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("triaged_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("triage_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("referred_to", sa.String(length=120), nullable=True))
        batch_op.create_index(batch_op.f("ix_citizen_reports_triage"), ["triage"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_citizen_reports_triaged_by_id_users"), "users", ["triaged_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("citizen_reports", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_citizen_reports_triaged_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_citizen_reports_triage"))
        batch_op.drop_column("referred_to")
        batch_op.drop_column("triage_reason")
        batch_op.drop_column("triaged_by_id")
        batch_op.drop_column("triaged_at")
        batch_op.drop_column("triage")
