"""PostgreSQL, opt-in (``PINGAN_PARTITION_INCIDENTS=1``, a province department's database):
``incidents`` partitioned by month of ``reported_at`` (issue 25), converted in place with its
rows; ``incident_keys`` keeps ids, codes and (dataset, external_id) unique and is what every
foreign key onto an incident points at (see :mod:`pingan.store.partitions`). Without the setting
(the default: a city bureau's database) and on SQLite nothing changes; ``pingan db partitions
--convert`` converts an existing database later.

Revision ID: 0031_partitions
Revises: 0030_cell_days
Create Date: 2026-12-07 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031_partitions"
down_revision: str | None = "0030_cell_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from pingan.config import get_settings
    from pingan.store.partitions import convert

    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and get_settings().partition_incidents:
        convert(bind)


def downgrade() -> None:
    from pingan.store.partitions import unconvert

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        unconvert(bind)  # whichever way it was converted; nothing on a plain table
