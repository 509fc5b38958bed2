"""Users, passwords (argon2id), tokens, login with lockout, and jurisdiction scope."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from pingan.audit.service import Actor, record
from pingan.auth.models import ROLES, ApiToken, User
from pingan.config import get_settings
from pingan.errors import Invalid, Locked, NotFound, PermissionDenied, Unauthenticated
from pingan.jurisdictions.models import Jurisdiction
from pingan.store.base import utcnow

__all__ = [
    "WRITE_ROLES",
    "Principal",
    "authenticate",
    "create_token",
    "create_user",
    "hash_password",
    "principal_for",
    "require_role",
    "resolve_token",
    "scope_clause",
    "verify_password",
]

_hashers: dict[tuple[int, int], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    s = get_settings()
    key = (s.argon2_time_cost, s.argon2_memory_kib)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
    return _hashers[key]


WRITE_ROLES: dict[str, frozenset[str]] = {
    "incidents": frozenset({"admin", "commander", "dispatcher", "station_chief"}),
    "jurisdictions": frozenset({"admin"}),
    "places": frozenset({"admin", "station_chief", "community_officer"}),
    "resources": frozenset({"admin", "commander", "dispatcher", "station_chief"}),
    "users": frozenset({"admin"}),
}


@dataclass(frozen=True)
class Principal:
    """The signed-in caller: identity, role and jurisdiction scope (a path prefix)."""

    user_id: int
    username: str
    role: str
    jpath: str
    jurisdiction_id: int | None
    ip: str | None = None

    @property
    def actor(self) -> Actor:
        """The audit actor for this caller."""
        return Actor(id=self.user_id, name=self.username, jpath=self.jpath, ip=self.ip)

    def can_see(self, jpath: str | None) -> bool:
        """Whether a row with ``jpath`` is inside this caller's scope."""
        return self.jpath == "/" or (jpath is not None and jpath.startswith(self.jpath))


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (at least 8 characters)."""
    if len(password) < 8:
        raise Invalid("password", "must be at least 8 characters")
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the stored argon2 hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _jpath_of(session: Session, jurisdiction_id: int | None) -> str:
    if jurisdiction_id is None:
        return "/"
    j = session.get(Jurisdiction, jurisdiction_id)
    if j is None:
        raise NotFound(f"jurisdiction {jurisdiction_id} does not exist", field="jurisdiction")
    return j.path


def principal_for(session: Session, user: User, *, ip: str | None = None) -> Principal:
    """The principal of ``user``; a user with no jurisdiction sees the whole bureau."""
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        jpath=_jpath_of(session, user.jurisdiction_id),
        jurisdiction_id=user.jurisdiction_id,
        ip=ip,
    )


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    jurisdiction_code: str | None = None,
) -> User:
    """Create a user; ``jurisdiction_code`` None means the whole bureau (admins, commanders)."""
    if role not in ROLES:
        raise Invalid("role", f"{role!r} is not a role; use one of {', '.join(ROLES)}")
    if (
        not username
        or len(username) > 64
        or not username.replace("_", "").replace("-", "").replace(".", "").isalnum()
    ):
        raise Invalid("username", "use 1-64 letters, digits, '.', '_' or '-'")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Invalid("username", f"{username!r} is already taken")
    jid: int | None = None
    if jurisdiction_code:
        j = session.scalar(select(Jurisdiction).where(Jurisdiction.code == jurisdiction_code))
        if j is None:
            raise Invalid("jurisdiction", f"no jurisdiction with code {jurisdiction_code!r}")
        jid = j.id
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        jurisdiction_id=jid,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        detail={"username": username, "role": role, "jurisdiction": jurisdiction_code},
    )
    return user


def authenticate(session: Session, *, username: str, password: str, ip: str | None = None) -> User:
    """Check a password login; lock the account after repeated failures (audited)."""
    settings = get_settings()
    user = session.scalar(select(User).where(User.username == username))
    now = utcnow()
    actor = Actor(id=None if user is None else user.id, name=username, ip=ip)
    if user is None or not user.is_active:
        record(
            session, actor=actor, action="login_failed", entity="user", detail={"why": "unknown"}
        )
        raise Unauthenticated("wrong username or password", field="password")
    if user.locked_until is not None and user.locked_until > now:
        record(session, actor=actor, action="login_locked", entity="user", entity_id=user.id)
        raise Locked(
            f"account locked after {settings.lockout_threshold} failed logins; try again after "
            f"{user.locked_until.isoformat(timespec='minutes')}",
            field="username",
        )
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        detail: dict[str, Any] = {"failed_logins": user.failed_logins}
        if user.failed_logins >= settings.lockout_threshold:
            user.locked_until = now + dt.timedelta(seconds=settings.lockout_duration_s)
            user.failed_logins = 0
            detail["locked_until"] = user.locked_until.isoformat()
        record(
            session,
            actor=actor,
            action="login_failed",
            entity="user",
            entity_id=user.id,
            detail=detail,
        )
        raise Unauthenticated("wrong username or password", field="password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    record(session, actor=actor, action="login", entity="user", entity_id=user.id)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, *, actor: Actor, user: User, name: str, ttl_days: int | None = 365
) -> str:
    """Create a bearer token for ``user``; the plain token is returned once, only its hash kept."""
    token = "pa_" + secrets.token_urlsafe(32)
    expires = None if ttl_days is None else utcnow() + dt.timedelta(days=ttl_days)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_token_hash(token),
        prefix=token[:10],
        expires_at=expires,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="api_token",
        entity_id=row.id,
        detail={"user": user.username, "name": name},
    )
    return token


def resolve_token(session: Session, token: str) -> User:
    """The user of a valid, unexpired, unrevoked bearer token."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    now = utcnow()
    if (
        row is None
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at < now)
    ):
        raise Unauthenticated("invalid or expired token", field="authorization")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("invalid or expired token", field="authorization")
    return user


def require_role(principal: Principal, domain: str) -> None:
    """Raise ``PermissionDenied`` unless the caller's role may write in ``domain``."""
    allowed = WRITE_ROLES.get(domain, frozenset({"admin"}))
    if principal.role not in allowed:
        raise PermissionDenied(
            f"role {principal.role!r} may not change {domain}; "
            f"allowed: {', '.join(sorted(allowed))}",
            field="role",
        )


def scope_clause(principal: Principal, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """A WHERE clause keeping rows inside the caller's jurisdiction (path-prefix match)."""
    if principal.jpath == "/":
        return true()
    return column.startswith(principal.jpath, autoescape=True)


def token_for_new_secret() -> str:
    """A random secret suitable for PINGAN_SECRET_KEY / PINGAN_DATA_KEY."""
    return secrets.token_urlsafe(48)
