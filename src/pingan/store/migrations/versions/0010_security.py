"""Security hardening: session versions, login throttle, token revocation, append-only audit log.

- ``users.session_version``: a web session carries the version it began under; sign-out, a
  password change and disabling the user move it on, which ends every copy of every session.
- ``login_throttle``: failed sign-ins per client address and window, across accounts, in the
  database so that every worker process sees the same count.
- ``auth_revocation``: one row whose generation moves on when a bearer token stops being
  valid; every process polls it and forgets its cached tokens (:mod:`pingan.auth.revocation`).
- ``audit_log`` refuses UPDATE, DELETE (and TRUNCATE on PostgreSQL) by triggers, for the
  application's own role too. On PostgreSQL one update stays allowed: the deferred link trigger
  of migrations 0007/0009 gives a new record its place in the chain at COMMIT, filling its
  empty ``seq``, ``prev_hash`` and ``hash`` and clearing ``chain_input``, with every other
  column unchanged. Deleting old records (retention) is allowed to members of the role
  ``pingan_audit_retention`` when that role exists (see docs/deployment.md).

Revision ID: 0010_security
Revises: 0009_audit_chain_head
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_security"
down_revision: str | None = "0009_audit_chain_head"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETENTION_ROLE = "pingan_audit_retention"

PG_APPEND_ONLY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION pingan_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.seq IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
            AND OLD.chain_input IS NOT NULL
            AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
            AND NEW.chain_input IS NULL
            AND NEW.id = OLD.id AND NEW.at = OLD.at
            AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
            AND NEW.actor = OLD.actor AND NEW.action = OLD.action AND NEW.entity = OLD.entity
            AND NEW.entity_id IS NOT DISTINCT FROM OLD.entity_id
            AND NEW.jpath IS NOT DISTINCT FROM OLD.jpath
            AND NEW.ip IS NOT DISTINCT FROM OLD.ip
            AND NEW.detail = OLD.detail
        THEN
            RETURN NEW;  -- the link trigger gives a new record its place in the chain
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{RETENTION_ROLE}')
            AND pg_has_role(current_user, '{RETENTION_ROLE}', 'MEMBER')
        THEN
            RETURN OLD;  -- retention, by its own role
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""

PG_TRIGGERS = (
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION pingan_audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION pingan_audit_append_only()",
)

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END",
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "login_throttle",
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ip", name=op.f("pk_login_throttle")),
    )
    revocation = op.create_table(
        "auth_revocation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_auth_revocation_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_revocation")),
    )
    op.bulk_insert(revocation, [{"id": 1, "generation": 0}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_APPEND_ONLY_FUNCTION)
        for ddl in PG_TRIGGERS:
            op.execute(ddl)
    else:
        for ddl in SQLITE_TRIGGERS:
            op.execute(ddl)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS pingan_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
    op.drop_table("auth_revocation")
    op.drop_table("login_throttle")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
