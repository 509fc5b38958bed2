"""Plain ASGI middleware (no ``BaseHTTPMiddleware``: it costs a task and a stream per request).

``BodyLimit`` refuses a request whose declared ``Content-Length`` is over the limit with 413 and
the one JSON error shape; ``SecurityHeaders`` adds the browser security headers to every
response (the CSP except on the interactive API docs, which need inline scripts);
``CookieSessions`` is Starlette's signed-cookie session, skipped for API calls that carry a
bearer token and no cookie (machine clients, which never use the web session).
"""

from __future__ import annotations

import json

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "CookieSessions", "SecurityHeaders"]


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


class BodyLimit:
    """413 before reading a body declared larger than ``limit`` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length":
                    if value.isdigit() and int(value) > self.limit:
                        await self._refuse(send)
                        return
                    break
        await self.app(scope, receive, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "too_large",
                    "field": "body",
                    "message": f"body: larger than {self.limit} bytes",
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


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
