"""Fixtures of the storage tests."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pingan.store.engine import write_lock_for


@pytest.fixture()
def file_sqlite(own_engine: Engine) -> Engine:
    """``own_engine`` when it is a file SQLite database (the writer lock, read snapshots and
    inline writes are its own); the test is skipped on the others."""
    if write_lock_for(own_engine) is None:
        pytest.skip("the writer lock and read snapshots are file SQLite's")
    return own_engine
