"""Users, passwords (argon2id), tokens, login with lockout, and jurisdiction scope."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
import unicodedata
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Table, select, true, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from pingan.audit.service import Actor, record
from pingan.auth import revocation
from pingan.auth.models import ROLES, ApiToken, User
from pingan.auth.throttle import check_address, count_failure
from pingan.config import get_settings
from pingan.errors import (
    Invalid,
    Locked,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from pingan.jurisdictions.models import Jurisdiction
from pingan.store.base import prefix_match, utcnow

__all__ = [
    "Principal",
    "authenticate",
    "check_username",
    "create_token",
    "create_user",
    "end_sessions",
    "get_scoped",
    "hash_password",
    "principal_for",
    "resolve_token",
    "revoke_tokens",
    "scope_clause",
    "session_user",
    "set_active",
    "set_password",
    "start_session",
    "token_is_valid",
    "token_row",
    "verify_password",
]

_hashers: dict[tuple[int, int], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    s = get_settings()
    key = (s.argon2_time_cost, s.argon2_memory_kib)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
    return _hashers[key]


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


_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_username(username: str) -> None:
    """Refuse a username outside the policy: 1-64 ASCII letters, digits, '.', '_' or '-',
    starting with a letter or digit. Letters of other scripts are refused, so that no name can
    pass for another (``аdmin`` with a Cyrillic ``а`` for ``admin``); a person's name in any
    script goes in ``display_name``."""
    if _USERNAME.fullmatch(username):
        return
    odd = next((c for c in username if not (c.isascii() and (c.isalnum() or c in "._-"))), None)
    if odd is not None and not odd.isascii():
        name = unicodedata.name(odd, f"U+{ord(odd):04X}")
        raise Invalid(
            "username",
            f"{odd!r} ({name}) is not an ASCII letter or digit; use 1-64 ASCII letters, "
            "digits, '.', '_' or '-' (letters of other scripts can pass for ASCII ones)",
        )
    raise Invalid(
        "username",
        "use 1-64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit",
    )


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
    check_username(username)
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
    """Check a password login in the caller's transaction (the caller commits, also on failure).

    An address with too many recent failures is refused first (:mod:`pingan.auth.throttle`,
    429). A wrong password counts against the account with one ``UPDATE … SET failed_logins =
    failed_logins + 1 … RETURNING`` (concurrent failures are never lost: the row stays locked to
    the commit) and the account is locked in the same transaction once the count reaches
    ``lockout_threshold``; every failure also counts against the address. All audited.
    """
    settings = get_settings()
    now = utcnow()
    try:
        check_address(session, ip=ip, now=now)
    except TooManyRequests:
        actor = Actor(id=None, name=username[:64], ip=ip)
        record(session, actor=actor, action="login_throttled", entity="user")
        raise
    user = session.scalar(select(User).where(User.username == username))
    actor = Actor(id=None if user is None else user.id, name=username[:64], ip=ip)
    if user is None or not user.is_active:
        count_failure(session, ip=ip, now=now)
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
        detail = _count_account_failure(session, user, now=now)
        count_failure(session, ip=ip, now=now)
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


def _count_account_failure(session: Session, user: User, *, now: dt.datetime) -> dict[str, Any]:
    """One more failed login of ``user``, counted atomically; lock the account at the threshold.
    The audit detail of the failure."""
    settings = get_settings()
    users = cast(Table, User.__table__)
    failed = int(
        session.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(failed_logins=users.c.failed_logins + 1)
            .returning(users.c.failed_logins)
        ).scalar_one()
    )
    detail: dict[str, Any] = {"failed_logins": failed}
    if failed >= settings.lockout_threshold:
        until = now + dt.timedelta(seconds=settings.lockout_duration_s)
        session.execute(
            update(users).where(users.c.id == user.id).values(locked_until=until, failed_logins=0)
        )
        detail["locked_until"] = until.isoformat()
    session.expire(user, ["failed_logins", "locked_until"])
    return detail


def start_session(data: MutableMapping[str, Any], user: User) -> None:
    """Begin a web session for ``user`` in the (cookie) session ``data``: its user, the user's
    session version, when it began (for ``session_max_age_s``: the cookie itself is signed anew
    with every answer, so only this ends an active session) and the time of the last request
    (for ``session_idle_s``)."""
    now = int(time.time())
    data["uid"] = user.id
    data["sv"] = user.session_version
    data["since"] = now
    data["seen"] = now


def session_user(session: Session, data: MutableMapping[str, Any]) -> User | None:
    """The user of the web session ``data``, or None (and the session cleared) when it has none,
    the user is disabled, the session was ended (sign-out, password change, disabling: its
    version is not the user's), was idle for longer than ``session_idle_s`` or began more than
    ``session_max_age_s`` ago."""
    uid = data.get("uid")
    if uid is None:
        return None
    settings = get_settings()
    now = time.time()
    seen, since = data.get("seen"), data.get("since")
    user = session.get(User, int(uid))
    if (
        user is None
        or not user.is_active
        or data.get("sv") != user.session_version
        or not isinstance(seen, int | float)
        or not isinstance(since, int | float)
        or now - seen > settings.session_idle_s
        or now - since > settings.session_max_age_s
    ):
        data.clear()
        return None
    data["seen"] = int(now)
    return user


def end_sessions(session: Session, *, actor: Actor, user: User, why: str) -> None:
    """End every web session of ``user`` (all devices, every copy of the cookie), audited."""
    users = cast(Table, User.__table__)
    session.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(session_version=users.c.session_version + 1)
    )
    session.expire(user, ["session_version"])
    record(
        session,
        actor=actor,
        action="end_sessions",
        entity="user",
        entity_id=user.id,
        detail={"why": why},
    )


def set_password(session: Session, *, actor: Actor, user: User, password: str) -> None:
    """Set ``user``'s password, unlock the account and end its web sessions (audited)."""
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    record(session, actor=actor, action="set_password", entity="user", entity_id=user.id)
    end_sessions(session, actor=actor, user=user, why="password changed")


def set_active(session: Session, *, actor: Actor, user: User, active: bool) -> None:
    """Enable or disable ``user``. Disabling ends the user's web sessions and refuses its bearer
    tokens in every process (:func:`pingan.auth.revocation.bump`; the caller commits, then calls
    :func:`pingan.auth.revocation.forget_all`)."""
    user.is_active = active
    session.flush()
    record(
        session,
        actor=actor,
        action="enable" if active else "disable",
        entity="user",
        entity_id=user.id,
    )
    if not active:
        end_sessions(session, actor=actor, user=user, why="disabled")
        revocation.bump(session)


def revoke_tokens(
    session: Session, *, actor: Actor, user: User, token_id: int | None = None
) -> int:
    """Revoke ``user``'s token ``token_id`` (all unrevoked ones when None); how many. Every
    process refuses them within 0.2 s (the caller commits, then calls
    :func:`pingan.auth.revocation.forget_all` for this process at once)."""
    q = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        q = q.where(ApiToken.id == token_id)
    rows = list(session.scalars(q))
    if token_id is not None and not rows:
        raise NotFound(f"user {user.username!r} has no valid token {token_id}", field="token")
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        record(
            session,
            actor=actor,
            action="revoke",
            entity="api_token",
            entity_id=row.id,
            detail={"user": user.username, "name": row.name},
        )
    session.flush()
    revocation.bump(session)
    return len(rows)


def token_is_valid(session: Session, token: str) -> bool:
    """Whether ``token`` is a stored, unrevoked, unexpired bearer token (one indexed read): the
    check made before a large body is read."""
    row = session.execute(
        select(ApiToken.revoked_at, ApiToken.expires_at).where(
            ApiToken.token_hash == _token_hash(token)
        )
    ).first()
    return (
        row is not None
        and row.revoked_at is None
        and (row.expires_at is None or row.expires_at > utcnow())
    )


def token_row(session: Session, token: str) -> ApiToken | None:
    """The stored row of a plain bearer token, or None."""
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))


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


class _Scoped(Protocol):
    jpath: str


S = TypeVar("S", bound=_Scoped)


def get_scoped(
    session: Session,
    model: type[S],
    row_id: int,
    *,
    principal: Principal,
    what: str,
    field: str | None = None,
) -> S:
    """The row ``row_id`` of ``model`` if it exists inside the caller's scope (by its
    ``jpath``), else ``NotFound`` (or, for an id given in a request body, ``Invalid`` naming
    ``field``): "<what> <id> does not exist or is outside your jurisdiction". A row outside
    the scope is not told apart from a missing one, so its existence does not leak."""
    row = session.get(model, row_id)
    if row is None or not principal.can_see(row.jpath):
        message = f"{what} {row_id} does not exist or is outside your jurisdiction"
        raise NotFound(message) if field is None else Invalid(field, message)
    return row


def scope_clause(
    principal: Principal, column: InstrumentedAttribute[str], *, indexed: bool = True
) -> ColumnElement[bool]:
    """A WHERE clause keeping rows inside the caller's jurisdiction (path-prefix match, as a
    range that the ``(jpath, …)`` indexes answer: :func:`pingan.store.base.prefix_match`;
    ``indexed=False`` when the scope holds so many rows that a scan in another index's order
    is cheaper, see :class:`pingan.store.base.unindexed`)."""
    if principal.jpath == "/":
        return true()
    return prefix_match(column, principal.jpath, indexed=indexed)
