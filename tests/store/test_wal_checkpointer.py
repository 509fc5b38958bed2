"""A served SQLite database checkpoints its write-ahead log in a background thread, not in
the commit that crosses SQLite's threshold (pingan.store.engine.start_wal_checkpointer)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from pingan.store.engine import make_engine, start_wal_checkpointer, stop_wal_checkpointer


def _threads() -> int:
    return sum(t.name == "pingan-wal-checkpointer" for t in threading.enumerate())


def test_the_log_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    before = _threads()
    assert start_wal_checkpointer(engine, every_s=0.05) is True
    assert start_wal_checkpointer(engine) is False  # once per engine
    try:
        with engine.begin() as conn:
            # connections opened from now on leave checkpoints to the thread
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
            for k in range(200):
                conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": "x" * 500 + str(k)})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                busy, log, done = conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
            if log > 0 and done == log:
                break
            time.sleep(0.05)
        assert busy == 0 and log > 0 and done == log  # every frame already in the database
        assert _threads() == before + 1
    finally:
        stop_wal_checkpointer(engine)
    deadline = time.monotonic() + 5
    while _threads() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _threads() == before
    engine.dispose()


def test_only_file_sqlite_gets_one() -> None:
    assert start_wal_checkpointer(create_engine("sqlite://")) is False  # in memory: no log
