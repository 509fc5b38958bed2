"""One error tree for the whole of pingan.

::

    PingAnError (500, "internal")
    ├── Invalid (422, "invalid")            bad input; names the field and the reason
    ├── NotFound (404, "not_found")
    ├── Conflict (409, "conflict")          e.g. idempotency key reused with a different body
    │   └── StateTransition (409, "illegal_transition")  carries the allowed transitions
    ├── PermissionDenied (403, "forbidden") outside the caller's jurisdiction or role
    ├── Unauthenticated (401, "unauthenticated")
    ├── Locked (423, "locked")              account locked after repeated failed logins
    ├── TooManyRequests (429, "too_many_requests")  too many failures from one address
    └── Unavailable (503, "unavailable")    the database stayed busy or unreachable after retries
        └── Overloaded (503, "overloaded")  load shed: too many requests in flight and waiting

Each error has an HTTP ``status``, a stable ``code`` and a ``message`` safe to show to the user;
``detail`` is a JSON-serialisable dict. The API maps every ``PingAnError`` to
``{"error": {"code", "message", "field", "detail"}}``; the CLI prints the message and exits 2.
Domain code never raises FastAPI's ``HTTPException``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "Invalid",
    "Locked",
    "NotFound",
    "Overloaded",
    "PermissionDenied",
    "PingAnError",
    "StateTransition",
    "TooManyRequests",
    "Unauthenticated",
    "Unavailable",
]


class PingAnError(Exception):
    """Base of every error pingan raises on purpose."""

    status: int = 500
    code: str = "internal"

    def __init__(
        self, message: str, *, field: str | None = None, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail or {}

    def to_dict(self) -> dict[str, Any]:
        """The JSON body the API returns for this error."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.detail:
            body["detail"] = self.detail
        return {"error": body}


class Invalid(PingAnError):
    """Input that fails validation: the message names the field and the reason."""

    status = 422
    code = "invalid"

    def __init__(self, field: str, reason: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(f"{field}: {reason}", field=field, detail=detail)


class NotFound(PingAnError):
    """A row that does not exist, or is outside the caller's scope (no existence leak)."""

    status = 404
    code = "not_found"


class Conflict(PingAnError):
    """A request that contradicts the current state."""

    status = 409
    code = "conflict"


class StateTransition(Conflict):
    """A workflow transition not allowed from the current state."""

    code = "illegal_transition"

    def __init__(self, entity: str, current: str, target: str, allowed: list[str]) -> None:
        allowed_txt = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(
            f"{entity} cannot go from {current!r} to {target!r}; allowed: {allowed_txt}",
            field="to_state",
            detail={"current": current, "target": target, "allowed": allowed},
        )


class PermissionDenied(PingAnError):
    """The caller's role or jurisdiction does not allow this."""

    status = 403
    code = "forbidden"


class Unauthenticated(PingAnError):
    """No valid session or token."""

    status = 401
    code = "unauthenticated"


class Locked(PingAnError):
    """The account is locked after repeated failed logins."""

    status = 423
    code = "locked"


class TooManyRequests(PingAnError):
    """Too many failed sign-ins from one client address: wait ``retry_after_s`` seconds (the
    API answers 429 with ``Retry-After``)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_s: int, field: str | None = None) -> None:
        super().__init__(message, field=field, detail={"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


class Unavailable(PingAnError):
    """The database could not take the write after retries (deadlock, serialization failure,
    lost connection, busy lock). Nothing was written; the request may be sent again (the API
    answers 503 with ``Retry-After``; an idempotency key makes the resend safe)."""

    status = 503
    code = "unavailable"


class Overloaded(Unavailable):
    """Load shed: the server already runs as many requests of this kind as it may and its
    queue is full or the request waited its time in it (``pingan.api.shedding``). Nothing was
    done; the API answers 503 with ``Retry-After``."""

    code = "overloaded"
