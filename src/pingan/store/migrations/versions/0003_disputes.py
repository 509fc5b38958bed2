"""Disputes, mediation log and escalation rules.

Revision ID: 0003_disputes
Revises: 0002_tasks
Create Date: 2026-12-02 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_disputes"
down_revision: str | None = "0002_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("address_text", sa.String(length=300), nullable=True),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("premises_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("threats_reported", sa.Boolean(), nullable=False),
        sa.Column("violence_reported", sa.Boolean(), nullable=False),
        sa.Column("weapons_mentioned", sa.Boolean(), nullable=False),
        sa.Column("referral_target", sa.String(length=24), nullable=True),
        sa.Column("referral_note", sa.Text(), nullable=True),
        sa.Column("risk_level", sa.String(length=8), nullable=False),
        sa.Column("risk_rules", sa.Text(), nullable=False),
        sa.Column("risk_evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("risk_instruction_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mediating_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("referred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"], ["addresses.id"], name=op.f("fk_disputes_address_id_addresses")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_disputes_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_disputes_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id"],
            ["jurisdictions.id"],
            name=op.f("fk_disputes_jurisdiction_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_disputes_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_disputes_premises_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("code", name=op.f("uq_disputes_code")),
    )
    op.create_index(op.f("ix_disputes_incident_id"), "disputes", ["incident_id"], unique=False)
    op.create_index(op.f("ix_disputes_jpath"), "disputes", ["jpath"], unique=False)
    op.create_index(
        "ix_disputes_jpath_registered", "disputes", ["jpath", "registered_at"], unique=False
    )
    op.create_index(
        op.f("ix_disputes_jurisdiction_id"), "disputes", ["jurisdiction_id"], unique=False
    )
    op.create_index(op.f("ix_disputes_kind"), "disputes", ["kind"], unique=False)
    op.create_index("ix_disputes_lat_lon", "disputes", ["lat", "lon"], unique=False)
    op.create_index(op.f("ix_disputes_owner_id"), "disputes", ["owner_id"], unique=False)
    op.create_index(op.f("ix_disputes_registered_at"), "disputes", ["registered_at"], unique=False)
    op.create_index(op.f("ix_disputes_risk_level"), "disputes", ["risk_level"], unique=False)
    op.create_index(op.f("ix_disputes_state"), "disputes", ["state"], unique=False)
    op.create_table(
        "dispute_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_dispute_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_events_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_events")),
    )
    op.create_index(
        op.f("ix_dispute_events_dispute_id"), "dispute_events", ["dispute_id"], unique=False
    )
    op.create_table(
        "dispute_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("scheduled_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_follow_ups_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_dispute_follow_ups_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["scheduled_by_id"],
            ["users.id"],
            name=op.f("fk_dispute_follow_ups_scheduled_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_follow_ups")),
    )
    op.create_index(
        op.f("ix_dispute_follow_ups_dispute_id"), "dispute_follow_ups", ["dispute_id"], unique=False
    )
    op.create_table(
        "dispute_mediation_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("mediator", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=24), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_mediation_steps_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_dispute_mediation_steps_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_mediation_steps")),
    )
    op.create_index(
        op.f("ix_dispute_mediation_steps_dispute_id"),
        "dispute_mediation_steps",
        ["dispute_id"],
        unique=False,
    )
    op.create_table(
        "dispute_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=512), nullable=True),
        sa.Column("phone", sa.String(length=512), nullable=True),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("vulnerable_reason", sa.String(length=32), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_parties_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_parties")),
    )
    op.create_index(
        op.f("ix_dispute_parties_dispute_id"), "dispute_parties", ["dispute_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dispute_parties_dispute_id"), table_name="dispute_parties")
    op.drop_table("dispute_parties")
    op.drop_index(
        op.f("ix_dispute_mediation_steps_dispute_id"), table_name="dispute_mediation_steps"
    )
    op.drop_table("dispute_mediation_steps")
    op.drop_index(op.f("ix_dispute_follow_ups_dispute_id"), table_name="dispute_follow_ups")
    op.drop_table("dispute_follow_ups")
    op.drop_index(op.f("ix_dispute_events_dispute_id"), table_name="dispute_events")
    op.drop_table("dispute_events")
    op.drop_index(op.f("ix_disputes_state"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_risk_level"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_registered_at"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_owner_id"), table_name="disputes")
    op.drop_index("ix_disputes_lat_lon", table_name="disputes")
    op.drop_index(op.f("ix_disputes_kind"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_jurisdiction_id"), table_name="disputes")
    op.drop_index("ix_disputes_jpath_registered", table_name="disputes")
    op.drop_index(op.f("ix_disputes_jpath"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_incident_id"), table_name="disputes")
    op.drop_table("disputes")
