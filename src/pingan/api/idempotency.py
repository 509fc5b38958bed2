"""``Idempotency-Key`` for every POST, PUT and PATCH of a signed-in caller under ``/api/``.

A phone that sends a queued action again (the answer was lost, the app was closed mid-sync)
must not make it twice. A request with the header is looked up by (user, key):

- unseen: the request runs, and its answer (a 2xx or a 4xx other than 401/403/408/423/429,
  at most :data:`MAX_KEPT_BYTES`) is stored for 48 h (:data:`pingan.fieldapp.service.KEEP`);
- seen with the same method, path, query and body: the stored answer is sent again with
  ``Idempotency-Replayed: true``, and nothing runs;
- seen with another request: 409 naming the header;
- still being answered (two sends racing, or a resend the moment the first answer arrived, which
  is sent before its answer is stored): the second waits up to :data:`IN_PROGRESS_WAIT_S` for
  the first answer and replays it; 409 saying so if the first is still running after that.

The create of an incident keeps its own key table (it links the incident and batches); its
route is passed through untouched. A key sent by a caller who is not signed in, or with a
wrong CSRF header, is ignored here (the endpoint refuses the request anyway). Three short
transactions per keyed request (claim, run, store): the keyed requests are the phone's.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pingan.auth.service import resolve_token
from pingan.errors import PingAnError
from pingan.fieldapp import service
from pingan.store.engine import session_factory

__all__ = ["HEADER", "IdempotencyKeys"]

HEADER = "Idempotency-Key"
MAX_KEPT_BYTES = 1 << 20
IN_PROGRESS_WAIT_S = 5.0
"""How long a request waits for the first request with its key to be answered."""
"""Answers longer than this are not kept (a resend runs again)."""
_NOT_KEPT = frozenset({401, 403, 408, 423, 429})
_OWN_KEYS = frozenset({("POST", "/api/v1/incidents")})
"""Routes that keep keys of their own (``pingan.incidents``)."""


def _error(status: int, message: str) -> tuple[int, bytes]:
    body = {"error": {"code": "conflict" if status == 409 else "invalid"}}
    body["error"].update({"field": HEADER, "message": message})
    return status, json.dumps(body).encode()


class IdempotencyKeys:
    """The middleware (sits inside the cookie sessions: it reads the decoded one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("POST", "PUT", "PATCH")
            or not scope["path"].startswith("/api/")
            or (scope["method"], scope["path"]) in _OWN_KEYS
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        raw_key = headers.get(b"idempotency-key")
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not 1 <= len(key) <= 200:
            await _answer(send, *_error(422, f"{HEADER}: must be 1-200 characters"))
            return
        body, more = await _read_body(receive)
        endpoint = f"{scope['method']} {scope['path']}"
        query = scope.get("query_string", b"")
        digest = hashlib.sha256(endpoint.encode() + b"?" + query + b"\n" + body).hexdigest()
        sessions = _sessions(scope["app"])

        def claim() -> service.Outcome | None:
            with sessions() as session:
                user_id = _user_id(scope, headers, session)
                if user_id is None:
                    return None
                outcome = service.claim(
                    session, user_id=user_id, key=key, endpoint=endpoint, body_hash=digest
                )
                session.commit()
                return outcome

        outcome = await run_in_threadpool(claim)
        waited = 0.0
        while isinstance(outcome, service.InProgress) and waited < IN_PROGRESS_WAIT_S:
            await asyncio.sleep(0.05)  # one indexed look-up a poll, only while racing
            waited += 0.05
            outcome = await run_in_threadpool(claim)
        replayed = _replayed_receive(body, more, receive)
        if outcome is None:
            await self.app(scope, replayed, send)
        elif isinstance(outcome, service.Replay):
            await _answer(
                send,
                outcome.status_code,
                outcome.body.encode(),
                content_type=outcome.content_type,
                replayed=True,
            )
        elif isinstance(outcome, service.Mismatch):
            await _answer(
                send,
                *_error(409, f"{HEADER} was already used with a different request body"),
            )
        elif isinstance(outcome, service.InProgress):
            await _answer(
                send,
                *_error(409, f"{HEADER}: the first request with this key is still running"),
            )
        else:
            await self._run(scope, replayed, send, sessions, outcome.replay_id)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        sessions: Callable[[], AbstractContextManager[Session]],
        replay_id: int,
    ) -> None:
        status = 0
        content_type = ""
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal status, content_type, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for k, v in message.get("headers", []):
                    if k.lower() == b"content-type":
                        content_type = v.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= MAX_KEPT_BYTES:
                    chunks.append(chunk)
            await send(message)

        def store() -> None:
            keep = (
                200 <= status < 500 and status not in _NOT_KEPT and 0 < size <= MAX_KEPT_BYTES
            ) or (200 <= status < 300 and size == 0)
            text = b"".join(chunks).decode("utf-8", errors="replace") if keep else ""
            with sessions() as session:
                if keep:
                    service.finish(
                        session,
                        replay_id=replay_id,
                        status_code=status,
                        content_type=content_type,
                        body=text,
                    )
                else:
                    service.release(session, replay_id=replay_id)
                session.commit()

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            status = 500
            await run_in_threadpool(store)
            raise
        await run_in_threadpool(store)


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The request body (already bounded by :class:`pingan.api.middleware.BodyLimit`) and any
    message that came after it (a disconnect)."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts), [message]
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts), []


def _replayed_receive(body: bytes, after: list[Message], receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if after:
            return after.pop(0)
        return await receive()

    return replay


def _sessions(app: Any) -> Callable[[], AbstractContextManager[Session]]:
    """Write sessions as the app's endpoints open them (tests substitute their own)."""
    from pingan.api.deps import get_session

    override = app.dependency_overrides.get(get_session)
    if override is not None:

        @contextmanager
        def overridden() -> Any:
            yield next(iter(override()))

        return overridden
    factories = app.state.session_factories
    factory = factories.get("write")
    if factory is None:
        factory = factories["write"] = session_factory(app.state.engine, write=True)
    return factory  # type: ignore[no-any-return]


def _user_id(scope: Scope, headers: dict[bytes, bytes], session: Session) -> int | None:
    """The signed-in caller's user id (bearer token or web session with its CSRF header), or
    None (the endpoint answers the refusal)."""
    auth = headers.get(b"authorization")
    if auth is not None:
        scheme, _, token = auth.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return resolve_token(session, token.strip()).id
        except PingAnError:
            return None
    data = scope.get("session") or {}
    uid = data.get("uid")
    expected = data.get("csrf", "")
    sent = headers.get(b"x-csrf-token", b"").decode("latin-1")
    if uid is None or not expected or not secrets.compare_digest(sent, expected):
        return None
    return int(uid)


async def _answer(
    send: Send, status: int, body: bytes, *, content_type: str = "", replayed: bool = False
) -> None:
    headers = [
        (b"content-type", (content_type or "application/json").encode("latin-1")),
        (b"content-length", str(len(body)).encode()),
    ]
    if replayed:
        headers.append((b"idempotency-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
