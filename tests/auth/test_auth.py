from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.auth.models import User
from pingan.auth.service import hash_password, verify_password
from pingan.errors import Invalid
from tests.conftest import auth
from tests.factories import SmallCity


def test_argon2_hash_roundtrip() -> None:
    h = hash_password("correct-horse-1")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct-horse-1") and not verify_password(h, "wrong-horse-1")
    with pytest.raises(Invalid, match="password: must be at least 8 characters"):
        hash_password("short")


def test_token_login_and_me(client: TestClient, city: SmallCity) -> None:
    r = client.post(
        "/api/v1/auth/token", json={"username": "chief0", "password": "correct-horse-1"}
    )
    assert r.status_code == 200, r.text
    tok = r.json()["access_token"]
    assert tok.startswith("pa_")
    me = client.get("/api/v1/auth/me", headers=auth(tok)).json()
    assert me["user"]["role"] == "station_chief"
    assert me["scope"] == city.stations[0].path


def test_lockout_after_five_failures(client: TestClient, city: SmallCity, session: Session) -> None:
    for _ in range(4):
        r = client.post("/api/v1/auth/token", json={"username": "chief1", "password": "nope-nope"})
        assert r.status_code == 401
        assert r.json()["error"]["message"] == "wrong username or password"
    r = client.post("/api/v1/auth/token", json={"username": "chief1", "password": "nope-nope"})
    assert r.status_code == 401
    r = client.post(
        "/api/v1/auth/token", json={"username": "chief1", "password": "correct-horse-1"}
    )
    assert r.status_code == 423
    assert r.json()["error"]["message"].startswith(
        "account locked after 5 failed logins; try again after "
    )
    user = session.scalar(select(User).where(User.username == "chief1"))
    assert user is not None and user.locked_until is not None
    user.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session.flush()
    r = client.post(
        "/api/v1/auth/token", json={"username": "chief1", "password": "correct-horse-1"}
    )
    assert r.status_code == 200
    actions = [
        a
        for (a,) in session.execute(
            select(AuditRecord.action).where(AuditRecord.actor == "chief1").order_by(AuditRecord.id)
        )
    ]
    assert actions.count("login_failed") == 5 and "login_locked" in actions


def test_only_admin_creates_users(client: TestClient, city: SmallCity) -> None:
    body = {"username": "newbie", "password": "long-enough-1", "role": "analyst"}
    r = client.post("/api/v1/users", json=body, headers=auth(city.tokens["commander"]))
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "role 'commander' may not manage users (user.manage); allowed: admin"
    )
    r = client.post("/api/v1/users", json=body, headers=auth(city.tokens["admin"]))
    assert r.status_code == 201 and r.json()["role"] == "analyst"
    r = client.post(
        "/api/v1/users",
        json=body | {"username": "x2", "role": "king"},
        headers=auth(city.tokens["admin"]),
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("role: 'king' is not a role; use one of admin")
    r = client.post("/api/v1/users", json=body, headers=auth(city.tokens["admin"]))
    assert (
        r.status_code == 422
        and r.json()["error"]["message"] == "username: 'newbie' is already taken"
    )
