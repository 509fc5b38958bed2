"""The built-in scheduler: job leases and runs.

Revision ID: 0013_scheduler
Revises: 0012_addresses
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

revision: str = "0013_scheduler"
down_revision: str | None = "0012_addresses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled by the work of this revision


def downgrade() -> None:
    pass
