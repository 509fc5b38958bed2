"""One JSON error shape for every error: ``{"error": {"code", "message", "field", "detail"}}``."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from pingan.api.error_text import explain, request_language
from pingan.errors import PingAnError, TooManyRequests, Unavailable
from pingan.store.group import is_transient, lost_in_commit, outcome_unknown

__all__ = [
    "OGC_PREFIX",
    "ErrorBody",
    "OgcErrorBody",
    "Overloaded503",
    "Throttled429",
    "install_error_handlers",
]

_ERROR_JSON: dict[str, Any] = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                        "detail": {"type": "object"},
                        "key": {"type": "string"},
                        "params": {"type": "object"},
                        "display": {"type": "string"},
                    },
                }
            },
        }
    }
}
_RETRY_AFTER: dict[str, Any] = {
    "Retry-After": {
        "description": "seconds to wait before sending the request again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
Overloaded503: dict[str, Any] = {
    "description": "Busy: the worker runs as many requests as it may and its queue is full or "
    "the request waited its time (code `overloaded`, load shed), or the database stayed busy "
    "after retries (code `unavailable`). Nothing was done; send it again after Retry-After",
    "headers": _RETRY_AFTER,
    "content": _ERROR_JSON,
}
Throttled429: dict[str, Any] = {
    "description": "Too many failed sign-ins from this address in the window (code "
    "`too_many_requests`); no password was checked. Try again after Retry-After",
    "headers": _RETRY_AFTER,
    "content": _ERROR_JSON,
}

ErrorBody: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input: the body names the field and the reason"},
    401: {"description": "Not signed in"},
    403: {"description": "Outside your role or jurisdiction"},
    404: {"description": "Not found or outside your jurisdiction"},
    409: {"description": "Conflict with the current state"},
    500: {"description": "A fault of the server; the body gives the time to quote to support"},
    503: Overloaded503,
}

OgcErrorBody: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid or unknown query parameter: the body names it and the reason"},
    **{k: v for k, v in ErrorBody.items() if k != 422},
}

log = logging.getLogger(__name__)

OGC_PREFIX = "/api/v1/ogc"
"""Under this prefix bad input is a 400, as OGC API Features requires (422 elsewhere)."""


def _bad_input_status(request: Request) -> int:
    return 400 if request.url.path.startswith(OGC_PREFIX) else 422


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Map pingan errors, validation errors and HTTP errors to the one JSON shape."""

    @app.exception_handler(PingAnError)
    async def _pingan(request: Request, exc: PingAnError) -> JSONResponse:
        status = exc.status
        if status == 422:
            status = _bad_input_status(request)
        headers = None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        elif exc.status == 503:
            headers = {"Retry-After": "1"}
        elif isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse(_shown(request, exc.to_dict()), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            field = _loc_to_field(e.get("loc", ()))
            msg = str(e.get("msg", "invalid"))
            if e.get("type") == "string_too_long":
                msg = f"too long: at most {e.get('ctx', {}).get('max_length')} characters"
            errors.append({"field": field, "reason": msg, "type": e.get("type")})
        first = errors[0] if errors else {"field": "body", "reason": "invalid"}
        raw = exc.errors()
        body = {
            "error": {
                "code": "invalid",
                "message": f"{first['field']}: {first['reason']}",
                "field": first["field"],
                "detail": {"errors": errors},
            }
        }
        lang = request_language(request)
        body["error"] = explain(body["error"], lang, validation=dict(raw[0]) if raw else {})
        return JSONResponse(body, status_code=_bad_input_status(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        body = {"error": {"code": code, "message": str(exc.detail)}}
        return JSONResponse(_shown(request, body), status_code=exc.status_code)

    @app.exception_handler(PoolTimeout)
    async def _pool(request: Request, exc: PoolTimeout) -> JSONResponse:
        # every pooled connection stayed busy for the pool's timeout: overload, not a fault
        return _unavailable(request, exc)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if is_transient(exc):
            return _unavailable(request, exc)
        log.error("database error on %s", request.url.path, exc_info=exc)
        return _internal_body(request)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # Starlette's outermost middleware calls this, then raises the exception again, so
        # the server logs its traceback ("Exception in ASGI application") beside this time
        if is_transient(exc):  # raised outside the routes (a middleware's lookup)
            return _unavailable(request, exc)
        return _internal_body(request)


def _unavailable(request: Request, exc: BaseException) -> JSONResponse:
    """503 for a database that is away (restarting, unreachable) or busy: nothing was done; or,
    when the connection was lost during COMMIT, a 503 that says the outcome is unknown."""
    cause = getattr(exc, "orig", None) or exc
    log.warning("database unavailable on %s: %s", request.url.path, str(cause).splitlines()[0])
    if lost_in_commit(exc):
        error = outcome_unknown(exc)
        return JSONResponse(
            _shown(request, error.to_dict()), status_code=503, headers={"Retry-After": "2"}
        )
    error = Unavailable(
        "the database is unavailable (restarting, unreachable or busy); nothing was done, "
        "try again in a few seconds",
        detail={"cause": type(cause).__name__},
    )
    return JSONResponse(
        _shown(request, error.to_dict()), status_code=503, headers={"Retry-After": "2"}
    )


def _internal_body(request: Request) -> JSONResponse:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    return JSONResponse(
        _shown(
            request,
            {
                "error": {
                    "code": "internal",
                    "message": f"internal error at {at} UTC: the server's log has the cause; "
                    "if the request changed something, look it up before sending it again",
                    "detail": {"at": at, "path": request.url.path},
                }
            },
        ),
        status_code=500,
    )


def _shown(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with the error's key, params and text in the page's language
    (:mod:`pingan.api.error_text`)."""
    return {**body, "error": explain(body["error"], request_language(request))}
