"""Citizen services: online reports, their photos and replies, the public rate-limit counters,
Open311 partner keys, complaints about police conduct and their timeline, rental-house stays and
SMS codes, community notices and officers' public profiles.

Revision ID: 0022_citizen
Revises: 0021_events
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_citizen"
down_revision: str | None = "0021_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "citizen_throttle",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_citizen_throttle")),
    )
    op.create_index(
        op.f("ix_citizen_throttle_window_start"), "citizen_throttle", ["window_start"], unique=False
    )
    op.create_table(
        "open311_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_open311_keys_name")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("officer_text", sa.String(length=1024), nullable=True),
        sa.Column("description", sa.String(length=16000), nullable=False),
        sa.Column("contact_phone", sa.String(length=512), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("accept_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conclude_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("investigating_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_complaints_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("code", name=op.f("uq_complaints_code")),
    )
    op.create_index(op.f("ix_complaints_created_at"), "complaints", ["created_at"], unique=False)
    op.create_index(op.f("ix_complaints_jpath"), "complaints", ["jpath"], unique=False)
    op.create_index(op.f("ix_complaints_state"), "complaints", ["state"], unique=False)
    op.create_index(op.f("ix_complaints_station_id"), "complaints", ["station_id"], unique=False)
    op.create_table(
        "complaint_events",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_complaint_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_events_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
    )
    op.create_index(
        op.f("ix_complaint_events_complaint_id"), "complaint_events", ["complaint_id"], unique=False
    )
    op.create_table(
        "officer_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("office_hours", sa.String(length=120), nullable=False),
        sa.Column("work_phone", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_officer_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_officer_profiles")),
    )
    op.create_table(
        "public_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_public_notices_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id"],
            ["jurisdictions.id"],
            name=op.f("fk_public_notices_jurisdiction_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_notices")),
    )
    op.create_index(op.f("ix_public_notices_jpath"), "public_notices", ["jpath"], unique=False)
    op.create_index(
        op.f("ix_public_notices_jurisdiction_id"),
        "public_notices",
        ["jurisdiction_id"],
        unique=False,
    )
    op.create_table(
        "citizen_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("open311_key_id", sa.Integer(), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact_purge_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_citizen_reports_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["open311_key_id"],
            ["open311_keys.id"],
            name=op.f("fk_citizen_reports_open311_key_id_open311_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_reports")),
        sa.UniqueConstraint("code", name=op.f("uq_citizen_reports_code")),
    )
    op.create_index(
        op.f("ix_citizen_reports_category"), "citizen_reports", ["category"], unique=False
    )
    op.create_index(
        op.f("ix_citizen_reports_contact_purge_at"),
        "citizen_reports",
        ["contact_purge_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_citizen_reports_created_at"), "citizen_reports", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_citizen_reports_incident_id"), "citizen_reports", ["incident_id"], unique=False
    )
    op.create_index(op.f("ix_citizen_reports_jpath"), "citizen_reports", ["jpath"], unique=False)
    op.create_table(
        "citizen_sms_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_citizen_sms_codes_premises_id_premises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_sms_codes")),
    )
    op.create_index(
        op.f("ix_citizen_sms_codes_premises_id"), "citizen_sms_codes", ["premises_id"], unique=False
    )
    op.create_table(
        "rental_stays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("tenant_count", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("tenant_name", sa.String(length=512), nullable=True),
        sa.Column("tenant_id_no", sa.String(length=512), nullable=True),
        sa.Column("landlord_phone", sa.String(length=512), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_rental_stays_premises_id_premises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_rental_stays_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rental_stays")),
    )
    op.create_index(op.f("ix_rental_stays_end_date"), "rental_stays", ["end_date"], unique=False)
    op.create_index(op.f("ix_rental_stays_jpath"), "rental_stays", ["jpath"], unique=False)
    op.create_index(
        op.f("ix_rental_stays_premises_id"), "rental_stays", ["premises_id"], unique=False
    )
    op.create_index(op.f("ix_rental_stays_state"), "rental_stays", ["state"], unique=False)
    op.create_table(
        "citizen_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_citizen_replies_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_citizen_replies_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["citizen_reports.id"],
            name=op.f("fk_citizen_replies_report_id_citizen_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_replies")),
    )
    op.create_index(
        op.f("ix_citizen_replies_complaint_id"), "citizen_replies", ["complaint_id"], unique=False
    )
    op.create_index(
        op.f("ix_citizen_replies_report_id"), "citizen_replies", ["report_id"], unique=False
    )
    op.create_table(
        "citizen_report_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["citizen_reports.id"],
            name=op.f("fk_citizen_report_photos_report_id_citizen_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_report_photos")),
    )
    op.create_index(
        op.f("ix_citizen_report_photos_report_id"),
        "citizen_report_photos",
        ["report_id"],
        unique=False,
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table("citizen_report_photos")
    op.drop_table("citizen_replies")
    op.drop_table("rental_stays")
    op.drop_table("citizen_sms_codes")
    op.drop_table("citizen_reports")
    op.drop_table("public_notices")
    op.drop_table("officer_profiles")
    op.drop_table("complaint_events")
    op.drop_table("complaints")
    op.drop_table("open311_keys")
    op.drop_table("citizen_throttle")
