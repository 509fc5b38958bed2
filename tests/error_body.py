"""The English core of an API error body, for tests that pin it whole: the members every error
also carries in the page's language (``key``, ``params``, ``display``: pingan.api.error_text)
are left out."""

from __future__ import annotations

from typing import Any

__all__ = ["plain"]

_SHOWN = ("key", "params", "display")


def plain(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (``{"error": {...}}`` or the inner error) without the shown members."""
    if set(body) == {"error"}:
        return {"error": plain(body["error"])}
    return {k: v for k, v in body.items() if k not in _SHOWN}
