"""The audit chain under concurrent committing writers, on a database of its own (the shared
test database never commits). On PostgreSQL records are linked at COMMIT by the trigger of
migration 0007; on SQLite by ``record`` under the write lock. Either way the chain must come out
gapless, in commit order, with hashes that ``verify`` recomputes in Python."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select

from pingan.audit.models import AuditRecord
from pingan.audit.service import GENESIS, Actor, record, verify
from pingan.store.engine import unit_of_work


def test_concurrent_writers_make_one_gapless_chain(own_engine: Engine) -> None:
    threads, per_thread = 4, 15
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            for i in range(per_thread):
                with unit_of_work(own_engine) as s:
                    record(s, actor=Actor.system(f"w{t}"), action="test", entity="n", entity_id=i)
                    record(
                        s,
                        actor=Actor.system(f"w{t}"),
                        action="more",
                        entity="n",
                        detail={"text": '中文 "quoted" \\ back\nslash', "i": i},
                    )
                    if i % 5 == 4:
                        s.rollback()  # a rolled-back record never takes a place in the chain
                        continue
                    s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert errors == []
    committed = threads * (per_thread - per_thread // 5) * 2
    with unit_of_work(own_engine, write=False) as s:
        rep = verify(s)
        assert rep.ok, rep
        assert rep.checked == committed
        seqs = list(s.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq)))
        assert seqs == list(range(1, committed + 1))
        assert s.scalar(select(func.count()).where(AuditRecord.chain_input.is_not(None))) == 0
        first = s.scalars(select(AuditRecord).where(AuditRecord.seq == 1)).one()
        assert first.prev_hash == GENESIS
        # both records of one transaction sit next to each other, in the order written
        pairs = s.execute(select(AuditRecord.seq, AuditRecord.action).order_by(AuditRecord.seq))
        actions = [a for _, a in pairs]
        assert actions == ["test", "more"] * (committed // 2)


def test_pending_records_are_linked_by_verify_in_the_same_transaction(own_engine: Engine) -> None:
    with unit_of_work(own_engine) as s:
        record(s, actor=Actor.system(), action="test", entity="n", entity_id=1)
        pending = s.execute(select(AuditRecord.seq, AuditRecord.chain_input)).one()
        if own_engine.dialect.name == "postgresql":
            assert pending.seq is None and pending.chain_input is not None  # linked at commit
        rep = verify(s)
        assert rep.ok and rep.checked == 1
        row = s.execute(
            select(AuditRecord.seq, AuditRecord.prev_hash, AuditRecord.chain_input)
        ).one()
        assert tuple(row) == (1, GENESIS, None)
        s.commit()
