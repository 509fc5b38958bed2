"""Short SQLite writes on the event loop: a lone write runs at once when the write lock is free;
when another writer holds the lock it queues for the writer thread instead of blocking the
loop; and the lock is always given back."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from pingan.store.engine import inline_write_session, session_factory, write_lock_for
from pingan.store.group import GroupWriter


@pytest.fixture()
def sqlite_engine(file_sqlite: Engine) -> Engine:
    with file_sqlite.begin() as c:
        c.execute(text("CREATE TABLE iw (n INTEGER PRIMARY KEY)"))
    return file_sqlite


def _writer(engine: Engine) -> GroupWriter:
    return GroupWriter(
        session_factory(engine, write=True), inline=lambda: inline_write_session(engine)
    )


def _insert(n: int):  # type: ignore[no-untyped-def]
    def apply(session: Session, _: None) -> int:
        session.execute(text("INSERT INTO iw (n) VALUES (:n)"), {"n": n})
        return n

    return apply


def test_a_lone_write_runs_inline_and_gives_the_lock_back(sqlite_engine: Engine) -> None:
    writer = _writer(sqlite_engine)
    out = asyncio.run(writer.run(lambda s: None, _insert(1), lambda r: r))
    assert out == 1 and writer.inline_items == 1 and writer.batches == 0
    lock = write_lock_for(sqlite_engine)
    assert lock is not None and lock.try_enter("probe")  # free again
    lock.__exit__(None, None, None)
    # a failing write rolls back inline and frees the lock too
    with pytest.raises(Exception, match="UNIQUE"):
        asyncio.run(writer.run(lambda s: None, _insert(1), lambda r: r))
    assert lock.try_enter("probe")
    lock.__exit__(None, None, None)
    with sqlite_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM iw")).scalar_one() == 1


def test_a_prepare_error_before_any_statement_frees_the_lock(sqlite_engine: Engine) -> None:
    writer = _writer(sqlite_engine)

    def bad(session: Session) -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        asyncio.run(writer.run(bad, _insert(2), lambda r: r))
    lock = write_lock_for(sqlite_engine)
    assert lock is not None and lock.try_enter("probe")
    lock.__exit__(None, None, None)


def test_a_busy_lock_sends_the_write_to_the_thread(sqlite_engine: Engine) -> None:
    writer = _writer(sqlite_engine)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:  # another writer of this process holds the lock for a while
        with session_factory(sqlite_engine, write=True)() as s:
            s.execute(text("INSERT INTO iw (n) VALUES (100)"))
            holding.set()
            release.wait(5)
            s.commit()

    t = threading.Thread(target=hold)
    t.start()
    holding.wait(5)

    async def main() -> int:
        task = asyncio.ensure_future(writer.run(lambda s: None, _insert(3), lambda r: r))
        await asyncio.sleep(0.2)
        assert not task.done()  # queued behind the lock, and the loop is free meanwhile
        release.set()
        return await task

    assert asyncio.run(main()) == 3
    t.join()
    assert writer.inline_items == 0 and writer.batches == 1
    with sqlite_engine.connect() as c:
        assert sorted(c.execute(text("SELECT n FROM iw")).scalars()) == [3, 100]


def test_a_busy_database_error_inline_is_run_again_by_the_thread(sqlite_engine: Engine) -> None:
    """SQLite's own busy error (another process held the file past the busy timeout) is not
    the request's fault: the write goes to the writer thread, which runs it again."""
    writer = _writer(sqlite_engine)
    attempts: list[int] = []

    def apply(session: Session, _: None) -> int:
        attempts.append(1)
        session.execute(text("INSERT INTO iw (n) VALUES (5)"))
        if len(attempts) == 1:
            raise sqlite3.OperationalError("database is locked")
        return 5

    out = asyncio.run(writer.run(lambda s: None, apply, lambda r: r))
    assert out == 5 and len(attempts) == 2
    assert writer.inline_items == 1 and writer.batches == 1  # tried inline, then the thread
    with sqlite_engine.connect() as c:
        assert list(c.execute(text("SELECT n FROM iw")).scalars()) == [5]
