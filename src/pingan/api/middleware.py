"""Plain ASGI middleware (no ``BaseHTTPMiddleware``: it costs a task and a stream per request).

``BodyLimit`` refuses a request whose body is over the limit with 413 and the one JSON error
shape, declared (``Content-Length``) or counted as it streams in (chunked); ``AuthBeforeBody``
answers 401 to a large body from a caller that is not signed in, before reading it;
``SecurityHeaders`` adds the browser security headers to every response (the CSP except on the
interactive API docs, which need inline scripts); ``CookieSessions`` is Starlette's
signed-cookie session, skipped for API calls that carry a bearer token and no cookie (machine
clients, which never use the web session).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pingan.api.error_text import shown_json

__all__ = ["AuthBeforeBody", "BodyLimit", "CookieSessions", "SecurityHeaders"]


class CookieSessions(SessionMiddleware):
    """The web session (a signed cookie), except for ``/api/`` requests that authenticate with
    ``Authorization: Bearer`` and send no cookie: those never read or write a session, and
    skipping it spares each one the cookie parsing and the wrapped ``send``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            bearer = cookie = False
            for name, value in scope["headers"]:
                if name == b"authorization":
                    bearer = value[:7].lower() == b"bearer "
                elif name == b"cookie":
                    cookie = True
            if bearer and not cookie:
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


class _TooLarge(Exception):
    """The body went past the limit while it was read."""


class BodyLimit:
    """413 for a body over ``limit`` bytes: at once when its ``Content-Length`` says so, and
    while it streams in otherwise (``Transfer-Encoding: chunked``, or a length that lies): the
    bytes are counted as the application reads them and reading stops at the limit, so a
    worker never holds more than ``limit`` bytes of one body. Whatever the application was
    answering then (it sees the body end in an error) is replaced by the 413."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.limit:
                    await self._refuse(scope, send)
                    return
                break
        received = 0
        over = started = False

        async def counted_receive() -> Message:
            nonlocal received, over
            if over:
                raise _TooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    over = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:  # the application's answer to a cut-off body: ours instead
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refuse(scope, send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = shown_json(
            scope,
            {
                "error": {
                    "code": "too_large",
                    "field": "body",
                    "message": f"body: larger than {self.limit} bytes",
                }
            },
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class AuthBeforeBody:
    """Authenticate before reading a large body: a request whose body is chunked or declared
    longer than ``small`` bytes must carry a bearer token that is valid (cached, or one indexed
    lookup in the thread pool) or a signed-in web session, else it is answered 401 without a
    byte of its body read. Sits inside :class:`CookieSessions` (it reads the decoded session).
    Small bodies (sign-in forms, ordinary API calls) pass: the endpoint authenticates them."""

    PUBLIC = ("/public/api/", "/open311/", "/rental/")
    """Forms of the public side (photos of an online report): anonymous by design, rate
    limited per address and device before their body is read (``pingan.citizens.public``)."""

    def __init__(self, app: ASGIApp, *, small: int = 64 * 1024) -> None:
        self.app = app
        self.small = small

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD", "OPTIONS")
            or scope["path"].startswith(self.PUBLIC)
        ):
            await self.app(scope, receive, send)
            return
        large = False
        bearer: str | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                large = large or not value.isdigit() or int(value) > self.small
            elif name == b"transfer-encoding":
                large = True
            elif name == b"authorization" and value[:7].lower() == b"bearer ":
                bearer = value[7:].decode("latin-1").strip()
        if not large or await self._known(scope, bearer):
            await self.app(scope, receive, send)
            return
        body = shown_json(
            scope,
            {
                "error": {
                    "code": "unauthenticated",
                    "field": "authorization",
                    "message": "sign in or send a valid bearer token before a large body",
                }
            },
        )
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b"Bearer"),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _known(self, scope: Scope, bearer: str | None) -> bool:
        from pingan.api.deps import get_read_sessions
        from pingan.auth import revocation
        from pingan.auth.service import token_is_valid
        from pingan.store.engine import session_factory

        if bearer is None:
            session = scope.get("session") or {}
            return session.get("uid") is not None
        if revocation.cached(bearer) is not None:
            return True
        app = scope["app"]
        # read sessions as the app's endpoints open them (tests substitute their own)
        override = app.dependency_overrides.get(get_read_sessions)
        sessions = override() if override else session_factory(app.state.engine, write=False)

        def lookup() -> bool:
            with sessions() as session:
                return token_is_valid(session, bearer)

        return await run_in_threadpool(lookup)


class SecurityHeaders:
    """Adds nosniff, referrer policy, frame denial and ``csp`` to responses that lack them."""

    def __init__(self, app: ASGIApp, *, csp: str) -> None:
        self.app = app
        self.common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        self.page = [(b"x-frame-options", b"DENY"), (b"content-security-policy", csp.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.common + self.page  # the API docs too: they load nothing from outside

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in have)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
