"""A write committed anywhere in the process wakes the live streams; a read does not."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from pingan.store import changes
from pingan.store.engine import make_engine


def test_a_committed_write_wakes_the_streams_and_a_read_does_not(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))

    def read() -> None:
        with engine.begin() as c:
            c.execute(text("SELECT count(*) FROM t")).scalar()

    def write(commit: bool) -> None:
        with engine.connect() as c:
            c.execute(text("INSERT INTO t VALUES (1)"))
            if commit:
                c.commit()
            else:
                c.rollback()

    async def woken(work: object, *args: object) -> bool:
        with changes.waiter() as wake:
            await asyncio.to_thread(work, *args)  # type: ignore[arg-type]
            try:
                await asyncio.wait_for(wake.wait(), timeout=0.5)
            except TimeoutError:
                return False
            return True

    assert asyncio.run(woken(write, True)) is True
    assert asyncio.run(woken(read)) is False
    assert asyncio.run(woken(write, False)) is False  # rolled back: nothing to see
    assert asyncio.run(woken(write, True)) is True
    engine.dispose()
