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
    finally:
        get_settings.cache_clear()
