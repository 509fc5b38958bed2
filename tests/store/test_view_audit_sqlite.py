"""The audit record of a view, written from a read transaction on file SQLite while others
write (pingan.store.sqlite.writing): a GET that read, then appends who looked, used to fail at
once with "database is locked" (a 503) whenever another request had committed since its read;
now it queues as a writer and lands. A change computed from reads older than such a commit is
still refused, as SQLite refuses it, so nothing is overwritten with stale data."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor, record, verify
from pingan.store.engine import session_factory, write_lock_for


@pytest.fixture()
def sqlite_engine(file_sqlite: Engine) -> Engine:
    with file_sqlite.begin() as c:
        c.execute(text("CREATE TABLE va (n INTEGER PRIMARY KEY, v INTEGER)"))
        c.execute(text("INSERT INTO va (n, v) VALUES (1, 0)"))
    return file_sqlite


def _someone_writes(engine: Engine, v: int) -> None:
    with session_factory(engine, write=True)() as s:
        s.execute(text("UPDATE va SET v = :v WHERE n = 1"), {"v": v})
        s.commit()


def _records(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def test_a_view_recorded_after_another_commit_lands(sqlite_engine: Engine) -> None:
    before = _records(sqlite_engine)
    with session_factory(sqlite_engine)() as reader:  # a GET's session: BEGIN DEFERRED
        assert reader.scalar(text("SELECT v FROM va WHERE n = 1")) == 0  # its snapshot
        _someone_writes(sqlite_engine, 1)
        record(reader, actor=Actor.system("t"), action="view_personal", entity="va", entity_id=1)
        reader.commit()
    assert _records(sqlite_engine) == before + 1
    with Session(sqlite_engine) as s:
        assert verify(s).ok  # the chain links through the record


def test_before_the_fix_sqlite_refused_that_record(sqlite_engine: Engine) -> None:
    """What the fix works around: a stale reader's first write fails at once."""
    db = sqlite_engine.url.database
    assert db
    a = sqlite3.connect(db, isolation_level=None)
    a.execute("BEGIN DEFERRED")
    a.execute("SELECT v FROM va").fetchall()
    _someone_writes(sqlite_engine, 2)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        a.execute("INSERT INTO va (n, v) VALUES (2, 0)")
    a.execute("ROLLBACK")
    a.close()


def test_a_change_from_stale_reads_is_still_refused(sqlite_engine: Engine) -> None:
    with session_factory(sqlite_engine)() as reader:
        seen = reader.scalar(text("SELECT v FROM va WHERE n = 1"))
        _someone_writes(sqlite_engine, 5)
        record(reader, actor=Actor.system("t"), action="view_personal", entity="va", entity_id=1)
        with pytest.raises(OperationalError, match="database is locked"):
            reader.execute(text("UPDATE va SET v = :v WHERE n = 1"), {"v": seen + 1})
        reader.rollback()
    with Session(sqlite_engine) as s:
        assert s.scalar(text("SELECT v FROM va WHERE n = 1")) == 5  # the other's change kept


def test_a_change_after_a_view_with_nothing_committed_since_goes_through(
    sqlite_engine: Engine,
) -> None:
    with session_factory(sqlite_engine)() as reader:
        seen = reader.scalar(text("SELECT v FROM va WHERE n = 1"))
        record(reader, actor=Actor.system("t"), action="view_personal", entity="va", entity_id=1)
        reader.execute(text("UPDATE va SET v = :v WHERE n = 1"), {"v": seen + 1})
        reader.commit()
    with Session(sqlite_engine) as s:
        assert s.scalar(text("SELECT v FROM va WHERE n = 1")) == 1
    assert write_lock_for(sqlite_engine).try_enter(object())  # type: ignore[union-attr]
    write_lock_for(sqlite_engine).__exit__(None, None, None)  # type: ignore[union-attr]


def test_views_recorded_while_others_write_all_land(sqlite_engine: Engine) -> None:
    """Three readers recording views and a writer, at once: no view is refused."""
    before = _records(sqlite_engine)
    failures: list[BaseException] = []
    views = 40

    def reader() -> None:
        try:
            for _ in range(views):
                with session_factory(sqlite_engine)() as s:
                    s.scalar(text("SELECT v FROM va WHERE n = 1"))
                    record(s, actor=Actor.system("t"), action="view_personal", entity="va")
                    s.commit()
        except BaseException as exc:  # collected for the assertion
            failures.append(exc)

    def writer() -> None:
        for v in range(100):
            _someone_writes(sqlite_engine, v)

    threads = [threading.Thread(target=reader) for _ in range(3)] + [
        threading.Thread(target=writer)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert _records(sqlite_engine) == before + 3 * views
    lock = write_lock_for(sqlite_engine)
    assert lock is not None and lock.try_enter(object())  # every writer gave it back
    lock.__exit__(None, None, None)


def test_inside_a_savepoint_the_transaction_is_left_as_it_is(sqlite_engine: Engine) -> None:
    """A session joined to an outer transaction by a savepoint (as the test sessions are) keeps
    both: nothing is committed under its owner's feet."""
    before = _records(sqlite_engine)
    conn = sqlite_engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint")
    s.scalar(text("SELECT v FROM va WHERE n = 1"))
    record(s, actor=Actor.system("t"), action="view_personal", entity="va", entity_id=1)
    s.commit()  # releases the savepoint
    s.close()
    outer.rollback()  # the owner's decision stands
    conn.close()
    assert _records(sqlite_engine) == before
