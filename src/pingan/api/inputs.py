"""``refuse_nul``: one check, run before every endpoint, that refuses NUL in any input text.

PostgreSQL cannot store NUL (``\\u0000``) in a text column (the insert failed with a 500) and
SQLite stored it as-is, so a request holding one in a path, query, header, form or JSON value is
refused with 422 naming the field, before the endpoint runs, whatever the endpoint and whoever
wrote it. Bodies are scanned as bytes first (FastAPI has read and kept them); only a body that
holds the escape ``\\u0000`` is decoded again to name the field.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile

from pingan.errors import Invalid

__all__ = ["refuse_nul"]

_NUL = "\x00"
_REASON = "contains a NUL character (\\u0000); remove it"


def _find_nul(value: Any, path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The path of the first string (or key) holding NUL inside a decoded JSON value."""
    if isinstance(value, str):
        return path if _NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _NUL in key:
                return (*path, key)
            found = _find_nul(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _find_nul(item, (*path, str(i)))
            if found is not None:
                return found
    return None


async def refuse_nul(request: Request) -> None:
    """Raise ``Invalid`` (422) naming the first path, query, header, form or JSON field whose
    text holds NUL."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and _NUL in value:
            raise Invalid(name, _REASON)
    for name, value in request.query_params.multi_items():
        if _NUL in name or _NUL in value:
            raise Invalid(name.replace(_NUL, "\\u0000"), _REASON)
    for name, value in request.headers.items():
        if _NUL in value:
            raise Invalid(name, _REASON)
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return  # the endpoint takes no body: it is never read
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        for name, item in (await request.form()).multi_items():
            text = (item.filename or "") if isinstance(item, UploadFile) else item
            if _NUL in name or _NUL in text:
                raise Invalid(name, _REASON)
        return
    body = await request.body()
    if b"\\u0000" not in body:
        return
    try:
        found = _find_nul(json.loads(body), ())
    except ValueError:
        return  # not JSON: the endpoint's own validation answers
    if found is not None:
        raise Invalid(".".join(found) or "body", _REASON)
