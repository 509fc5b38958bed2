"""Issue 20 (security): the failed-login count under concurrency, the per-address throttle,
sessions that end on sign-out, password change, disabling and idleness, the username policy,
and token revocation that reaches every process at once."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.audit.service import Actor
from pingan.auth import service
from pingan.auth.models import User
from pingan.config import get_settings
from pingan.errors import Locked, TooManyRequests, Unauthenticated
from pingan.store.engine import session_factory, unit_of_work
from tests.conftest import auth
from tests.error_body import plain
from tests.factories import SmallCity, build_small_city
from tests.web.test_pages import login


@pytest.fixture()
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set ``PINGAN_*`` settings for one test (the cached settings are rebuilt around it)."""

    def set_(**values: object) -> None:
        for k, v in values.items():
            monkeypatch.setenv(f"PINGAN_{k.upper()}", str(v))
        get_settings.cache_clear()

    yield set_
    monkeypatch.undo()
    get_settings.cache_clear()


def test_concurrent_wrong_passwords_lock_the_account(own_engine: Engine, settings_env: Any) -> None:
    """60 wrong passwords in 30 concurrent transactions (two waves that start together, from
    60 addresses so that the address throttle stays out of it) lock the account; then the right
    password is refused. Counting in Python lost the updates on PostgreSQL (every wave wrote 1).
    The passwords are hashed at a real cost (tens of ms a check), as in production, where the
    read-check-write window is that wide."""
    settings_env(argon2_time_cost=2, argon2_memory_kib=16384)
    with unit_of_work(own_engine) as s:
        build_small_city(s)
        s.commit()
    factory = session_factory(own_engine, write=True)
    barrier = threading.Barrier(30)

    def attempt(i: int) -> str:
        barrier.wait(timeout=60)
        with factory() as s:
            try:
                service.authenticate(
                    s, username="chief1", password="wrong-horse-1", ip=f"10.1.{i // 200}.{i % 200}"
                )
            except (Unauthenticated, Locked) as exc:
                s.commit()
                return type(exc).__name__
            s.commit()
            return "ok"

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = Counter(pool.map(attempt, range(60)))
    assert outcomes["ok"] == 0 and sum(outcomes.values()) == 60
    with factory() as s:
        with pytest.raises(Locked, match=r"^account locked after 5 failed logins; try again"):
            service.authenticate(s, username="chief1", password="correct-horse-1", ip="10.2.0.1")
        s.commit()
        user = s.scalar(select(User).where(User.username == "chief1"))
        assert user is not None and user.locked_until is not None


def test_failures_from_one_address_are_throttled(
    client: TestClient, city: SmallCity, settings_env: Any
) -> None:
    settings_env(login_throttle_failures=3, login_throttle_window_s=600)
    for name in ("chief0", "nobody", "dispatcher"):  # across accounts, known or not
        r = client.post("/api/v1/auth/token", json={"username": name, "password": "nope-nope"})
        assert r.status_code == 401
    r = client.post(
        "/api/v1/auth/token", json={"username": "chief0", "password": "correct-horse-1"}
    )
    assert r.status_code == 429
    assert 590 <= int(r.headers["retry-after"]) <= 600
    assert re.fullmatch(
        r"too many failed sign-ins from this address \(3 in 600 s\); try again in \d+ s",
        r.json()["error"]["message"],
    )
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/login",
        data={"username": "chief0", "password": "correct-horse-1", "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 429 and "retry-after" in r.headers
    assert "此地址登录失败次数过多，请稍后再试" in r.text


def test_throttle_window_ends(session: Session, city: SmallCity, settings_env: Any) -> None:
    import datetime as dt

    from pingan.auth.throttle import check_address, count_failure

    settings_env(login_throttle_failures=2, login_throttle_window_s=60)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert [count_failure(session, ip="10.9.0.1", now=t0) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(TooManyRequests) as err:
        check_address(session, ip="10.9.0.1", now=t0 + dt.timedelta(seconds=10))
    assert err.value.retry_after_s == 50
    check_address(session, ip="10.9.0.1", now=t0 + dt.timedelta(seconds=61))  # window over
    assert count_failure(session, ip="10.9.0.1", now=t0 + dt.timedelta(seconds=61)) == 1
    check_address(session, ip="10.9.0.2", now=t0)  # other addresses are not concerned


def _me(client: TestClient, cookie: str) -> int:
    return client.get("/api/v1/auth/me", headers={"Cookie": f"pingan_session={cookie}"}).status_code


def _signed_in_copy(client: TestClient, username: str = "dispatcher") -> str:
    assert login(client, username) == "/command"
    cookie = client.cookies.get("pingan_session")
    assert cookie
    return str(cookie)


def test_a_copied_cookie_is_refused_after_logout(client: TestClient, city: SmallCity) -> None:
    copy = _signed_in_copy(client)
    page = client.get("/command")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert _me(client, copy) == 200
    client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    client.cookies.clear()
    assert _me(client, copy) == 401
    r = client.get("/command", headers={"Cookie": f"pingan_session={copy}"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/command"


def test_a_copied_cookie_is_refused_after_password_change_and_disable(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    copy = _signed_in_copy(client)
    client.cookies.clear()
    user = session.scalar(select(User).where(User.username == "dispatcher"))
    assert user is not None
    service.set_password(session, actor=Actor.system(), user=user, password="new-horse-22")
    session.flush()
    assert _me(client, copy) == 401

    copy = _signed_in_copy(client, "chief0")
    client.cookies.clear()
    assert _me(client, copy) == 200
    r = client.post(
        f"/api/v1/users/{city.users['chief0'].id}/disable",
        headers=auth(city.tokens["admin"]),
    )
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert _me(client, copy) == 401
    r = client.post(
        f"/api/v1/users/{city.users['admin'].id}/disable", headers=auth(city.tokens["admin"])
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"] == (
        "user_id: you cannot disable yourself; ask another administrator"
    )
    r = client.post(f"/api/v1/users/{user.id}/disable", headers=auth(city.tokens["commander"]))
    assert r.status_code == 403


def test_an_idle_session_ends(client: TestClient, city: SmallCity, settings_env: Any) -> None:
    copy = _signed_in_copy(client)
    assert _me(client, copy) == 200
    settings_env(session_idle_s=1)
    time.sleep(2.1)
    assert client.get("/api/v1/auth/me").status_code == 401
    assert _me(client, copy) == 401


def test_an_active_session_ends_after_its_maximum_age(
    client: TestClient, city: SmallCity, settings_env: Any
) -> None:
    """The cookie is signed anew with every answer, so its own age never runs out while it is
    used: the session's start, kept inside it, ends it after ``session_max_age_s``."""
    copy = _signed_in_copy(client)
    settings_env(session_max_age_s=3)
    for _ in range(3):
        assert client.get("/api/v1/auth/me").status_code == 200  # active, not idle
        time.sleep(0.5)
    time.sleep(1.7)
    assert client.get("/api/v1/auth/me").status_code == 401
    assert _me(client, copy) == 401


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        (
            "\u0430dmin",
            "username: '\u0430' (CYRILLIC SMALL LETTER A) is not an ASCII letter or digit; use "
            "1-64 ASCII letters, digits, '.', '_' or '-' (letters of other scripts can pass for "
            "ASCII ones)",
        ),
        (
            "王警官",
            "username: '王' (CJK UNIFIED IDEOGRAPH-738B) is not an ASCII letter or digit; use "
            "1-64 ASCII letters, digits, '.', '_' or '-' (letters of other scripts can pass for "
            "ASCII ones)",
        ),
        (
            "-admin",
            "username: use 1-64 ASCII letters, digits, '.', '_' or '-', starting with a letter "
            "or digit",
        ),
        (
            "ad min",
            "username: use 1-64 ASCII letters, digits, '.', '_' or '-', starting with a letter "
            "or digit",
        ),
    ],
)
def test_usernames_are_ascii(
    client: TestClient, city: SmallCity, username: str, reason: str
) -> None:
    body = {"username": username, "password": "long-enough-1", "role": "analyst"}
    r = client.post("/api/v1/users", json=body, headers=auth(city.tokens["admin"]))
    assert r.status_code == 422
    assert plain(r.json()["error"]) == {"code": "invalid", "field": "username", "message": reason}


def test_cli_refuses_a_look_alike_username(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli import app
    from pingan.store.engine import reset_engine

    monkeypatch.setenv("PINGAN_DATABASE_URL", f"sqlite:///{tmp_path / 'u.db'}")
    get_settings.cache_clear()
    reset_engine()
    try:
        r = CliRunner().invoke(
            app, ["users", "add", "\u0430dmin", "--role", "admin", "--password", "long-enough-1"]
        )
        assert r.exit_code == 2
        assert "error: username: '\u0430' (CYRILLIC SMALL LETTER A) is not an ASCII" in r.output
        r = CliRunner().invoke(
            app, ["users", "add", "admin.2", "--role", "admin", "--password", "long-enough-1"]
        )
        assert r.exit_code == 0, r.output
    finally:
        get_settings.cache_clear()
        reset_engine()


def test_a_revoked_token_is_refused_at_once(client: TestClient, city: SmallCity) -> None:
    tok = client.post(
        "/api/v1/auth/token", json={"username": "dispatcher", "password": "correct-horse-1"}
    ).json()["access_token"]
    assert client.get("/api/v1/incidents", headers=auth(tok)).status_code == 200  # now cached
    r = client.delete("/api/v1/auth/token", headers=auth(tok))
    assert r.status_code == 204
    r = client.get("/api/v1/incidents", headers=auth(tok))
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "invalid or expired token"


def test_revocation_in_another_process_reaches_this_one(own_engine: Engine) -> None:
    """A token cached by this process's app is refused within a fraction of a second after
    another process (here: a session that commits on its own, without touching this process's
    cache) revokes it. Before, the cached token kept working for 10 s."""
    from pingan.api.app import create_app

    with unit_of_work(own_engine) as s:
        city = build_small_city(s)
        s.commit()
    app = create_app(engine=own_engine)
    tok = city.tokens["dispatcher"]
    with TestClient(app) as c:
        assert c.get("/api/v1/auth/me", headers=auth(tok)).status_code == 200  # cached
        with unit_of_work(own_engine) as s:  # "another process"
            user = s.scalar(select(User).where(User.username == "dispatcher"))
            assert user is not None
            assert service.revoke_tokens(s, actor=Actor.system("cli"), user=user) >= 1
            s.commit()
        deadline = time.monotonic() + 1.0
        status = 200
        while time.monotonic() < deadline and status == 200:
            status = c.get("/api/v1/auth/me", headers=auth(tok)).status_code
            time.sleep(0.02)
        assert status == 401
        # a disabled user's tokens likewise
        other = city.tokens["commander"]
        assert c.get("/api/v1/auth/me", headers=auth(other)).status_code == 200
        with unit_of_work(own_engine) as s:
            user = s.scalar(select(User).where(User.username == "commander"))
            assert user is not None
            service.set_active(s, actor=Actor.system("cli"), user=user, active=False)
            s.commit()
        deadline = time.monotonic() + 1.0
        status = 200
        while time.monotonic() < deadline and status == 200:
            status = c.get("/api/v1/auth/me", headers=auth(other)).status_code
            time.sleep(0.02)
        assert status == 401


def test_cli_revoke_and_disable(own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli import app
    from pingan.store.engine import reset_engine

    with unit_of_work(own_engine) as s:
        build_small_city(s)
        s.commit()
    monkeypatch.setenv("PINGAN_DATABASE_URL", own_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    reset_engine()
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["users", "revoke", "analyst"])
        assert r.exit_code == 0 and "1 token(s) of analyst revoked" in r.output, r.output
        r = runner.invoke(app, ["users", "revoke", "analyst", "--token-id", "999"])
        assert r.exit_code == 2
        assert "error: user 'analyst' has no valid token 999" in r.output
        r = runner.invoke(app, ["users", "disable", "analyst"])
        assert r.exit_code == 0 and "user analyst disabled" in r.output
        with unit_of_work(own_engine, write=False) as s:
            assert s.scalar(select(func.count()).where(User.is_active.is_(False))) == 1
    finally:
        get_settings.cache_clear()
        reset_engine()
