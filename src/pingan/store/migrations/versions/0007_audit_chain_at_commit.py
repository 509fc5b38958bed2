"""Audit chain links at commit on PostgreSQL.

Until now every audit append took the chain's advisory lock, read the last record and wrote the
next one, then held the lock through the rest of its request and the commit's round trips: on
PostgreSQL concurrent writers queued on it (about 150 incident creations a second on two cores).
Now ``record`` inserts the row with its canonical content (``chain_input``) and no place in the
chain yet; a deferred constraint trigger gives it its ``seq``, ``prev_hash`` and ``hash`` at
COMMIT, inside the database, so the lock is held only for the trigger and the commit itself. The
chain and :func:`pingan.audit.service.verify` are unchanged. SQLite keeps linking in ``record``
(its writers hold the database write lock for the whole transaction anyway); the columns become
nullable on both for one schema.

Revision ID: 0007_audit_chain_at_commit
Revises: 0006_repeat_call_index
Create Date: 2026-12-02 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_audit_chain_at_commit"
down_revision: str | None = "0006_repeat_call_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# keep in step with pingan.audit.service: _ADVISORY_LOCK_KEY, GENESIS and _canonical (whose
# JSON ends with ``"seq":<n>}``; chain_input is the text before <n>)
LINK_FUNCTION = """
CREATE OR REPLACE FUNCTION pingan_audit_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last_seq integer;
    last_hash varchar(64);
BEGIN
    PERFORM pg_advisory_xact_lock(7316001);
    SELECT seq, hash INTO last_seq, last_hash FROM audit_log
        WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    IF last_seq IS NULL THEN
        last_seq := 0;
        last_hash := repeat('0', 64);
    END IF;
    UPDATE audit_log SET
        seq = last_seq + 1,
        prev_hash = last_hash,
        hash = encode(sha256(convert_to(
            last_hash || chain_input || (last_seq + 1)::text || '}', 'UTF8')), 'hex'),
        chain_input = NULL
    WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""

LINK_TRIGGER = """
CREATE CONSTRAINT TRIGGER audit_link AFTER INSERT ON audit_log
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN (NEW.seq IS NULL)
EXECUTE FUNCTION pingan_audit_link()
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_input", sa.Text(), nullable=True))
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(LINK_FUNCTION)
        op.execute(LINK_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_link ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS pingan_audit_link()")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("chain_input")
