"""A database that is away (killed, restarting, unreachable) or busy is a 503 with
Retry-After and the one JSON error shape, not a 500 (on the old code: 500 and a traceback for
every request while PostgreSQL restarted), and so is a connection pool that stayed exhausted
(500 on SQLite at 30 reads/s + 70 writes/s without load shedding); any other database fault
stays a 500."""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class _Refused(Exception):
    """Like psycopg's OperationalError for a refused connection (no SQLSTATE)."""


_Refused.__module__ = "psycopg"
_Refused.__name__ = "OperationalError"


def test_database_away_is_503_and_other_faults_500(app: FastAPI) -> None:
    def away() -> None:
        raise OperationalError("SELECT 1", {}, _Refused("connection refused"))

    def locked() -> None:
        raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))

    def broken() -> None:
        raise OperationalError("SELECT x", {}, sqlite3.OperationalError("no such table: x"))

    def pool() -> None:
        raise PoolTimeout("QueuePool limit of size 8 overflow 16 reached")

    app.add_api_route("/test/pool", pool)
    app.add_api_route("/test/away", away)
    app.add_api_route("/test/locked", locked)
    app.add_api_route("/test/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/test/away", "/test/locked", "/test/pool"):
            r = client.get(path)
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] == "2"
            error = r.json()["error"]
            assert error["code"] == "unavailable"
            assert error["message"].startswith("the database is unavailable (restarting")
        r = client.get("/test/broken")
        assert r.status_code == 500 and r.json()["error"]["code"] == "internal"


def test_a_connection_lost_during_commit_says_the_change_may_have_been_saved(
    app: FastAPI,
) -> None:
    """Not "nothing was done": the commit may have landed, in Chinese and English alike."""
    import psycopg
    from sqlalchemy import create_engine, text

    engine = create_engine("sqlite://")
    real = engine.dialect.do_commit

    def commit_then_lose_the_answer(dbapi_connection: object) -> None:
        real(dbapi_connection)
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    engine.dialect.do_commit = commit_then_lose_the_answer  # type: ignore[method-assign]

    def write() -> None:
        with engine.begin() as c:
            c.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))

    app.add_api_route("/test/write", write, methods=["POST"])
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/test/write", headers={"Accept-Language": "en"})
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        error = r.json()["error"]
        assert error["code"] == "unavailable" and error["detail"]["outcome"] == "unknown"
        assert error["key"] == "unavailable_unknown"
        assert error["display"].startswith(
            "The connection to the database was lost while it saved: the change may or may not"
        )
        r = client.post("/test/write", headers={"Accept-Language": "zh-CN"})
        zh = r.json()["error"]["display"]
        assert zh.startswith("提交时与数据库的连接中断，本次更改可能已保存")
    engine.dispose()
