"""``pingan.server``: the served app is the API marked as a server, with the drill feed beside it
only when ``PINGAN_DRILL=1``."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import pytest
from sqlalchemy import Engine


def _fresh_server(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> ModuleType:
    import pingan.api.app as app_module

    monkeypatch.setattr(app_module, "get_engine", lambda: engine)  # no process-wide engine
    monkeypatch.delitem(sys.modules, "pingan.server", raising=False)
    return importlib.import_module("pingan.server")


def test_the_served_app_has_no_drill_by_default(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    monkeypatch.delenv("PINGAN_DRILL", raising=False)
    server = _fresh_server(monkeypatch, engine)
    assert server.app.state.freeze_gc is True
    assert server.drill_feed not in server.app.state.background


def test_drill_mode_runs_the_drill_feed_beside_the_api(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    monkeypatch.setenv("PINGAN_DRILL", "1")
    server = _fresh_server(monkeypatch, engine)
    assert server.drill_feed in server.app.state.background
    assert server.app.state.freeze_gc is True


@pytest.mark.parametrize(("flag", "runs"), [("1", True), ("0", False)])
def test_the_scheduler_runs_beside_the_api_unless_turned_off(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, flag: str, runs: bool
) -> None:
    from pingan.config import get_settings

    monkeypatch.setenv("PINGAN_SCHEDULER", flag)
    get_settings.cache_clear()
    try:
        server = _fresh_server(monkeypatch, engine)
        assert (server.scheduled_jobs in server.app.state.background) is runs
        assert (server.day_caches in server.app.state.background) is runs
    finally:
        get_settings.cache_clear()


def test_the_day_s_caches_are_filled_at_start_and_after_each_midnight(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    import datetime as dt
    import threading
    from zoneinfo import ZoneInfo

    from fastapi import FastAPI

    from pingan.ratings import hazards

    server = _fresh_server(monkeypatch, engine)
    shanghai = ZoneInfo("Asia/Shanghai")
    evening = dt.datetime(2026, 12, 7, 23, 0, tzinfo=shanghai)
    assert server.seconds_to_next_fill(evening) == 3600 + server.DAY_CACHES_AFTER_MIDNIGHT_S
    after = dt.datetime(2026, 12, 8, 0, 2, 1, tzinfo=shanghai)  # just filled: a day to wait
    assert server.seconds_to_next_fill(after) == 86400 - 1.0
    filled = threading.Event()
    monkeypatch.setattr(hazards, "warm_whole_days", lambda s, **kw: filled.set() or 0)
    app = FastAPI()
    app.state.engine = engine
    with server.day_caches(app):
        assert filled.wait(10)  # at start, in its own thread
        assert app.state.day_caches.is_alive()
    assert not app.state.day_caches.is_alive()  # stopped with the server
