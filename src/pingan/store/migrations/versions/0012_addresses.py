"""Standard addresses and the geocoder's search indexes.

Revision ID: 0012_addresses
Revises: 0011_dispatch
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

revision: str = "0012_addresses"
down_revision: str | None = "0011_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled by the work of this revision


def downgrade() -> None:
    pass
