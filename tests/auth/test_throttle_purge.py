"""login_throttle cannot grow without bound: expired addresses are deleted by the next failure
and by the scheduler's retention job (on the old code every address stayed for ever)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pingan.auth.models import LoginThrottle
from pingan.auth.throttle import count_failure, purge_expired
from pingan.config import get_settings
from pingan.scheduler.jobs import get_job
from pingan.store.engine import unit_of_work

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture()
def window_60s(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PINGAN_LOGIN_THROTTLE_WINDOW_S", "60")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(LoginThrottle)) or 0)


def test_a_failure_deletes_the_expired_addresses(session: Session, window_60s: Any) -> None:
    for i in range(50):  # fifty addresses probing once each
        count_failure(session, ip=f"10.77.0.{i}", now=T0)
    assert _rows(session) == 50
    assert count_failure(session, ip="10.77.1.1", now=T0 + dt.timedelta(seconds=30)) == 1
    assert _rows(session) == 51  # all still in their window
    assert count_failure(session, ip="10.77.1.2", now=T0 + dt.timedelta(seconds=61)) == 1
    assert _rows(session) == 2  # the fifty expired ones are gone
    assert purge_expired(session, now=T0 + dt.timedelta(seconds=200)) == 2
    assert _rows(session) == 0


def test_the_retention_job_purges_them(own_engine: Engine, window_60s: Any) -> None:
    with unit_of_work(own_engine) as s:
        for i in range(20):
            count_failure(s, ip=f"10.78.0.{i}", now=T0)
        s.commit()
    job = get_job("retention")
    assert job is not None
    out = job.run(own_engine, T0 + dt.timedelta(hours=1))
    assert out["login_throttle_purged"] == 20
    with unit_of_work(own_engine, write=False) as s:
        assert _rows(s) == 0
