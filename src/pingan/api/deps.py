"""Request dependencies: one unit of work per request, and the signed-in caller.

``SessionDep`` is the request's one session: a plain transaction for GET, HEAD and OPTIONS, a
write one for POST/PUT/PATCH/DELETE (on SQLite it takes the write lock at BEGIN, queueing writers
on the busy timeout); flows commit once. ``CurrentUser`` accepts a bearer token
(``Authorization: Bearer pa_…``) or the web session cookie.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any, cast

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from pingan.auth import revocation
from pingan.auth.models import User
from pingan.auth.service import Principal, principal_for, resolve_token, session_user
from pingan.errors import Invalid, PermissionDenied, Unauthenticated
from pingan.geo.bbox import BBox, BBoxError, parse_bbox
from pingan.permissions import ACTIONS, check
from pingan.store.engine import inline_write_session, session_factory, write_lock_for
from pingan.store.group import GroupWriter, Writer

__all__ = [
    "Allowed",
    "AllowedRead",
    "CurrentUser",
    "CurrentUserRead",
    "GroupWriterDep",
    "SessionDep",
    "allowed",
    "allowed_read",
    "bbox_param",
    "client_ip",
    "get_read_sessions",
    "get_writer",
]


def data_dir(request: Request) -> Path:
    """The app's data folder (road network, caches, attachments) from its settings."""
    return Path(request.app.state.settings.data_dir)


def client_ip(request: Request) -> str | None:
    """The caller's address as seen by the server."""
    return request.client.host if request.client else None


def _factory(request: Request, *, write: bool) -> sessionmaker[Session]:
    factories = request.app.state.session_factories
    key = "write" if write else "read"
    factory = factories.get(key)
    if factory is None:
        factory = factories[key] = session_factory(request.app.state.engine, write=write)
    return cast("sessionmaker[Session]", factory)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: a write transaction for POST/PUT/PATCH/DELETE, a read one
    otherwise. The caller lookup and the endpoint share it (FastAPI caches it per request).

    Opening a session does no I/O (it connects at its first statement, in the endpoint's
    worker thread), so it is made on the event loop; closing one that still holds a
    transaction (a read, or a change that failed) runs in the thread pool. SQLite has one writer
    at a time: a write session queues on the engine's WriteLock from its first statement
    (BEGIN IMMEDIATE) to its commit or rollback (see pingan.store.engine).
    """
    session = _factory(request, write=request.method not in _SAFE_METHODS)()
    try:
        yield session
    except BaseException:
        # shielded: a cancelled request (client gone) must still release its transaction and,
        # on SQLite, the write lock
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_rollback_and_close, session)
        raise
    else:
        await _close(session)


async def _close(session: Session) -> None:
    """Close a request's session: in the thread pool if it still holds a transaction (closing
    rolls it back, which is I/O), on the event loop if not."""
    if session.in_transaction():
        await run_in_threadpool(session.close)
    else:
        session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


async def get_writer(request: Request) -> Writer:
    """The process's group writer for this app (:mod:`pingan.store.group`). Async so that
    FastAPI calls it on the event loop (a plain function would cost a thread-pool trip)."""
    writer = getattr(request.app.state, "group_writer", None)
    if writer is None:
        # one writer thread per process: SQLite has one writer at a time anyway, and on
        # PostgreSQL a second thread measured more CPU per creation (GIL hand-offs, smaller
        # batches) for no more throughput on two cores
        engine = request.app.state.engine
        inline = None
        if write_lock_for(engine) is not None:  # file SQLite: short writes run on the loop

            def inline() -> AbstractContextManager[Session | None]:
                return inline_write_session(engine)

        writer = request.app.state.group_writer = GroupWriter(
            _factory(request, write=True), threads=1, inline=inline
        )
    return cast(Writer, writer)


SessionDep = Annotated[Session, Depends(get_session)]


def _principal(request: Request, session: Session) -> Principal:
    auth = request.headers.get("authorization")
    user: User | None = None
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("use 'Authorization: Bearer <token>'", field="authorization")
        token = token.strip()
        hit = revocation.cached(token)
        if hit is not None:
            return dataclasses.replace(hit, ip=client_ip(request))
        watcher = revocation.watcher_for(request.app.state.engine)
        generation = watcher.generation  # before the lookup: see revocation.remember
        user = resolve_token(session, token)
        principal = principal_for(session, user, ip=client_ip(request))
        revocation.remember(token, principal, watcher=watcher, generation=generation)
        return principal
    else:
        data = request.session if "session" in request.scope else {}
        if data.get("uid") is not None and request.method not in _SAFE_METHODS:
            sent = request.headers.get("x-csrf-token", "")
            expected = data.get("csrf", "")
            if not expected or not secrets.compare_digest(sent, expected):
                raise PermissionDenied(
                    "missing or wrong X-CSRF-Token header for a cookie-authenticated change",
                    field="x-csrf-token",
                )
        user = session_user(session, data)
    if user is None:
        raise Unauthenticated("sign in or send a bearer token", field="authorization")
    return principal_for(session, user, ip=client_ip(request))


def _cached_principal(request: Request) -> Principal | None:
    """The caller of a bearer token seen in the last 10 s and not revoked since (see
    :mod:`pingan.auth.revocation`), else None."""
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer":
            hit = revocation.cached(token.strip())
            if hit is not None:
                return dataclasses.replace(hit, ip=client_ip(request))
    return None


async def get_current_user(request: Request, session: SessionDep) -> Principal:
    """The signed-in caller: a bearer token seen in the last 10 s (and not revoked since) is
    answered on the event loop; anything else is looked up in the thread pool."""
    hit = _cached_principal(request)
    if hit is not None:
        return hit
    return await run_in_threadpool(_principal, request, session)


CurrentUser = Annotated[Principal, Depends(get_current_user)]


SessionDeps = Callable[[], AbstractContextManager[Session]]
"""Opens a read session when called (:func:`get_read_sessions`)."""


async def get_read_sessions(request: Request) -> SessionDeps:
    """A way to open a read session only if one is needed: a plain dependency, where a
    generator dependency (:func:`get_session`) makes FastAPI run an exit stack for every
    request, session or not (measured 4 % of a creation's CPU)."""
    return _factory(request, write=False)


async def get_current_user_read(
    request: Request, sessions: Annotated[SessionDeps, Depends(get_read_sessions)]
) -> Principal:
    """The signed-in caller, looked up in a read transaction of its own (same checks, CSRF
    included) unless the bearer token is cached: for endpoints that hold no session."""
    hit = _cached_principal(request)
    if hit is not None:
        return hit

    def lookup() -> Principal:
        with sessions() as session:
            return _principal(request, session)

    return await run_in_threadpool(lookup)


CurrentUserRead = Annotated[Principal, Depends(get_current_user_read)]
GroupWriterDep = Annotated[Writer, Depends(get_writer)]


class Allowed:
    """A dependency answering the signed-in caller if the permission table
    (:mod:`pingan.permissions`) lets its role do ``action``; else 403 naming the action.
    Every guarded endpoint declares its action this way (a test walks the routes), so views
    never compare roles themselves::

        principal: Annotated[Principal, allowed("coverage.plan")]
    """

    def __init__(self, action: str) -> None:
        if action not in ACTIONS:
            raise ValueError(f"action: {action!r} is not in pingan.permissions.ACTIONS")
        self.action = action

    async def __call__(self, principal: CurrentUser) -> Principal:
        check(principal.role, self.action)
        return principal

    def __repr__(self) -> str:
        return f"Allowed({self.action!r})"


class AllowedRead(Allowed):
    """:class:`Allowed` for endpoints that hold no session (the caller looked up in a read
    transaction of its own, see :func:`get_current_user_read`)."""

    async def __call__(self, principal: CurrentUserRead) -> Principal:  # type: ignore[override]
        check(principal.role, self.action)
        return principal


def allowed(action: str) -> Any:
    """``Depends(Allowed(action))``: the caller, if its role may do ``action``."""
    return Depends(Allowed(action))


def allowed_read(action: str) -> Any:
    """``Depends(AllowedRead(action))``: :func:`allowed` for endpoints without a session."""
    return Depends(AllowedRead(action))


def bbox_param(text: str | None, *, field: str = "bbox") -> BBox | None:
    """A ``W,S,E,N`` query parameter read by the one parser (:func:`pingan.geo.parse_bbox`),
    None when absent; a bad box is ``Invalid`` naming the parameter and the fix (422, and 400
    under the OGC API prefix, with the same error body)."""
    try:
        return parse_bbox(text, field=field)
    except BBoxError as exc:
        raise Invalid(exc.field, exc.reason) from None
