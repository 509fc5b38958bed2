"""The field app: stored answers of Idempotency-Key requests (kept 48 h) and the unit each
officer's phone reports positions for, with his duty switch.

Revision ID: 0029_fieldapp
Revises: 0028_ledger
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_fieldapp"
down_revision: str | None = "0028_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_replays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=300), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_request_replays_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_replays")),
        sa.UniqueConstraint("user_id", "key", name="uq_request_replays_user_key"),
    )
    op.create_index(
        op.f("ix_request_replays_created_at"), "request_replays", ["created_at"], unique=False
    )
    op.create_table(
        "field_units",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("duty_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_field_units_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_field_units_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_field_units")),
    )
    op.create_index(
        op.f("ix_field_units_resource_id"), "field_units", ["resource_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_field_units_resource_id"), table_name="field_units")
    op.drop_table("field_units")
    op.drop_index(op.f("ix_request_replays_created_at"), table_name="request_replays")
    op.drop_table("request_replays")
