"""Security hardening: session versions, login throttle, audit log append-only on PostgreSQL.

Revision ID: 0010_security
Revises: 0009_audit_chain_head
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

revision: str = "0010_security"
down_revision: str | None = "0009_audit_chain_head"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled by the work of this revision


def downgrade() -> None:
    pass
