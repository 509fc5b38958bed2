"""PostgreSQL pool: a connection that sat idle is pinged and replaced if the server dropped it;
one in steady use is handed out without a round trip."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from pingan.store import engine as store_engine
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="PINGAN_TEST_DATABASE_URL is not set (bash .ci/run sets it); PostgreSQL tests skipped",
)


def test_an_idle_connection_the_server_dropped_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_engine, "IDLE_PING_S", 0.2)
    eng = store_engine.make_engine(str(PG_URL))
    pings: list[object] = []
    do_ping = eng.dialect.do_ping
    monkeypatch.setattr(eng.dialect, "do_ping", lambda c: pings.append(c) or do_ping(c))
    try:
        with eng.connect() as c:
            first = c.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with eng.connect() as c:  # at once: the same connection, no ping
            assert c.execute(text("SELECT pg_backend_pid()")).scalar_one() == first
        assert pings == []
        other = store_engine.make_engine(str(PG_URL))
        with other.begin() as c:  # the server drops the idle connection
            c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})
        other.dispose()
        time.sleep(0.3)
        with eng.connect() as c:  # pinged, found dead, replaced: the caller sees no error
            assert c.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
        assert len(pings) == 1
    finally:
        eng.dispose()
