"""Instructions and duty checklists (tasks).

Revision ID: 0002_tasks
Revises: 0001_foundation
Create Date: 2026-12-02 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_tasks"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checklist_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("times", sa.String(length=120), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("day_of_month", sa.Integer(), nullable=False),
        sa.Column("window_min", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("premises_kind", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_templates")),
        sa.UniqueConstraint("code", name=op.f("uq_checklist_templates_code")),
    )
    op.create_table(
        "checklist_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=True),
        sa.Column("times", sa.String(length=120), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day_of_month", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_checklist_overrides_station_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["checklist_templates.id"],
            name=op.f("fk_checklist_overrides_template_id_checklist_templates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_checklist_overrides_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_overrides")),
        sa.UniqueConstraint("template_id", "station_id", name="uq_checklist_overrides_tpl_station"),
    )
    with op.batch_alter_table("checklist_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checklist_overrides_station_id"), ["station_id"], unique=False
        )

    op.create_table(
        "checklist_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(length=5), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("close_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_checklist_tasks_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_checklist_tasks_done_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_checklist_tasks_station_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["checklist_templates.id"],
            name=op.f("fk_checklist_tasks_template_id_checklist_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_tasks")),
        sa.UniqueConstraint(
            "template_id", "target_id", "day", "slot", name="uq_checklist_tasks_occurrence"
        ),
    )
    with op.batch_alter_table("checklist_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checklist_tasks_assignee_day", ["assignee_id", "day"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_checklist_tasks_jpath"), ["jpath"], unique=False)
        batch_op.create_index("ix_checklist_tasks_state_close", ["state", "close_at"], unique=False)
        batch_op.create_index("ix_checklist_tasks_station_day", ["station_id", "day"], unique=False)

    op.create_table(
        "instructions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("issuer_level", sa.String(length=16), nullable=False),
        sa.Column("issuer_jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("sign_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("complete_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("warning_id", sa.Integer(), nullable=True),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.Column("premises_id", sa.Integer(), nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_instructions_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["users.id"], name=op.f("fk_instructions_issuer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_jurisdiction_id"],
            ["jurisdictions.id"],
            name=op.f("fk_instructions_issuer_jurisdiction_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_instructions_premises_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["early_warnings.id"],
            name=op.f("fk_instructions_warning_id_early_warnings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instructions")),
        sa.UniqueConstraint("code", name=op.f("uq_instructions_code")),
    )
    with op.batch_alter_table("instructions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_instructions_dispute_id"), ["dispute_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_instructions_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_instructions_issuer_created", ["issuer_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_instructions_issuer_id"), ["issuer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_instructions_jpath"), ["jpath"], unique=False)
        batch_op.create_index(
            "ix_instructions_jpath_created", ["jpath", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_instructions_premises_id"), ["premises_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_instructions_warning_id"), ["warning_id"], unique=False
        )

    op.create_table(
        "instruction_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("sign_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("complete_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("report_text", sa.Text(), nullable=True),
        sa.Column("report_lon", sa.Float(), nullable=True),
        sa.Column("report_lat", sa.Float(), nullable=True),
        sa.Column("sign_overdue", sa.Boolean(), nullable=False),
        sa.Column("complete_overdue", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["instructions.id"],
            name=op.f("fk_instruction_recipients_instruction_id_instructions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_instruction_recipients_officer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_instruction_recipients_resource_id_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_instruction_recipients_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction_recipients")),
    )
    with op.batch_alter_table("instruction_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_instruction_recipients_instruction_id"), ["instruction_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_instruction_recipients_jpath"), ["jpath"], unique=False
        )
        batch_op.create_index(
            "ix_instruction_recipients_officer_state", ["officer_id", "state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_instruction_recipients_state"), ["state"], unique=False
        )
        batch_op.create_index(
            "ix_instruction_recipients_state_complete_by", ["state", "complete_by"], unique=False
        )
        batch_op.create_index(
            "ix_instruction_recipients_state_sign_by", ["state", "sign_by"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_instruction_recipients_station_id"), ["station_id"], unique=False
        )
        batch_op.create_index(
            "ix_instruction_recipients_station_state", ["station_id", "state"], unique=False
        )

    op.create_table(
        "instruction_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_path", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["instructions.id"],
            name=op.f("fk_instruction_attachments_instruction_id_instructions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["instruction_recipients.id"],
            name=op.f("fk_instruction_attachments_recipient_id_instruction_recipients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_instruction_attachments_uploaded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction_attachments")),
    )
    with op.batch_alter_table("instruction_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_instruction_attachments_instruction_id"),
            ["instruction_id"],
            unique=False,
        )

    op.create_table(
        "instruction_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_instruction_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["instructions.id"],
            name=op.f("fk_instruction_events_instruction_id_instructions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["instruction_recipients.id"],
            name=op.f("fk_instruction_events_recipient_id_instruction_recipients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction_events")),
    )
    with op.batch_alter_table("instruction_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_instruction_events_instruction_id"), ["instruction_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_instruction_events_recipient_id"), ["recipient_id"], unique=False
        )

    op.create_table(
        "task_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("message_zh", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["instructions.id"],
            name=op.f("fk_task_notices_instruction_id_instructions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["instruction_recipients.id"],
            name=op.f("fk_task_notices_recipient_id_instruction_recipients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_notices")),
        sa.UniqueConstraint("recipient_id", "kind", name="uq_task_notices_recipient_kind"),
    )
    with op.batch_alter_table("task_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_notices_instruction_id"), ["instruction_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_task_notices_jpath"), ["jpath"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_notices_jpath"))
        batch_op.drop_index(batch_op.f("ix_task_notices_instruction_id"))

    op.drop_table("task_notices")
    with op.batch_alter_table("instruction_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instruction_events_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_instruction_events_instruction_id"))

    op.drop_table("instruction_events")
    with op.batch_alter_table("instruction_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instruction_attachments_instruction_id"))

    op.drop_table("instruction_attachments")
    with op.batch_alter_table("instruction_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_instruction_recipients_station_state")
        batch_op.drop_index(batch_op.f("ix_instruction_recipients_station_id"))
        batch_op.drop_index("ix_instruction_recipients_state_sign_by")
        batch_op.drop_index("ix_instruction_recipients_state_complete_by")
        batch_op.drop_index(batch_op.f("ix_instruction_recipients_state"))
        batch_op.drop_index("ix_instruction_recipients_officer_state")
        batch_op.drop_index(batch_op.f("ix_instruction_recipients_jpath"))
        batch_op.drop_index(batch_op.f("ix_instruction_recipients_instruction_id"))

    op.drop_table("instruction_recipients")
    with op.batch_alter_table("instructions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instructions_warning_id"))
        batch_op.drop_index(batch_op.f("ix_instructions_premises_id"))
        batch_op.drop_index("ix_instructions_jpath_created")
        batch_op.drop_index(batch_op.f("ix_instructions_jpath"))
        batch_op.drop_index(batch_op.f("ix_instructions_issuer_id"))
        batch_op.drop_index("ix_instructions_issuer_created")
        batch_op.drop_index(batch_op.f("ix_instructions_incident_id"))
        batch_op.drop_index(batch_op.f("ix_instructions_dispute_id"))

    op.drop_table("instructions")
    with op.batch_alter_table("checklist_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_tasks_station_day")
        batch_op.drop_index("ix_checklist_tasks_state_close")
        batch_op.drop_index(batch_op.f("ix_checklist_tasks_jpath"))
        batch_op.drop_index("ix_checklist_tasks_assignee_day")

    op.drop_table("checklist_tasks")
    with op.batch_alter_table("checklist_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_overrides_station_id"))

    op.drop_table("checklist_overrides")
    op.drop_table("checklist_templates")
