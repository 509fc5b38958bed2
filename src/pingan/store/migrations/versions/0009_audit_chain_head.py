"""The audit chain's head in a one-row table; the link trigger plans by index only.

Until now a record found its place in the chain by reading the newest linked record
(``ORDER BY seq DESC LIMIT 1``) under an advisory lock, and nothing outside ``audit_log`` said
where the chain ended: removing the newest records left a chain that verified. Now the table
``audit_chain_head`` holds the ``seq``, ``prev_hash`` and ``hash`` of the newest record, and
every record that joins the chain moves it in the same transaction: on PostgreSQL the deferred
trigger of migration 0007, which now takes its place with one ``UPDATE … RETURNING`` of that
row (the row lock orders concurrent commits, as the advisory lock did); on SQLite
:func:`pingan.audit.service.record_many_on`. ``pingan audit verify`` checks the chain against
the head.

The trigger function also runs with ``enable_seqscan = off``. PL/pgSQL keeps the plans of its
statements for the life of a connection: made when ``audit_log`` had been analyzed with one row
(the demo build analyzes the whole database after writing one record), both the search for the
newest record and the update of the new one by its id were sequential scans, and on a
connection that made them each commit then read the whole growing table: 34 ms a commit at
100,000 records against 0.7 ms (``benchmarks/bench_audit_link.py``), and in the benchmark of
incident creation on the demo city's database, latencies that grew for as long as it ran. The
trigger only ever reads rows by primary key.

Revision ID: 0009_audit_chain_head
Revises: 0008_repeat_call_bands
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_audit_chain_head"
down_revision: str | None = "0008_repeat_call_bands"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64  # keep in step with pingan.audit.service.GENESIS

# keep in step with pingan.audit.service._canonical, whose JSON ends with ``"seq":<n>}``;
# ``chain_input`` is the text before <n>
LINK_FUNCTION = """
CREATE OR REPLACE FUNCTION pingan_audit_link() RETURNS trigger
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
DECLARE
    new_seq integer;
    new_prev varchar(64);
    new_hash varchar(64);
BEGIN
    IF NEW.chain_input IS NULL THEN
        RAISE EXCEPTION 'audit record % has no chain_input to link', NEW.id;
    END IF;
    UPDATE audit_chain_head SET
        seq = seq + 1,
        prev_hash = hash,
        hash = encode(sha256(convert_to(
            hash || NEW.chain_input || (seq + 1)::text || '}', 'UTF8')), 'hex')
    WHERE id = 1
    RETURNING seq, prev_hash, hash INTO new_seq, new_prev, new_hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the audit chain head (audit_chain_head, id 1) is missing';
    END IF;
    UPDATE audit_log SET
        seq = new_seq, prev_hash = new_prev, hash = new_hash, chain_input = NULL
    WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""

# migration 0007's function, for the downgrade
OLD_LINK_FUNCTION = """
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


def upgrade() -> None:
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    bind = op.get_bind()
    last = bind.execute(
        sa.text(
            "SELECT seq, prev_hash, hash FROM audit_log WHERE seq IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1"
        )
    ).first()
    seq, prev_hash, hash_ = (0, GENESIS, GENESIS) if last is None else tuple(last)
    op.bulk_insert(head, [{"id": 1, "seq": seq, "prev_hash": prev_hash, "hash": hash_}])
    if bind.dialect.name == "postgresql":
        op.execute(LINK_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(OLD_LINK_FUNCTION)
    op.drop_table("audit_chain_head")
