"""Helpers for the headless-Chromium page tests."""

from __future__ import annotations

from typing import Any


def watched_page(
    browser: Any, base: str, viewport: dict[str, int]
) -> tuple[Any, list[str], list[str]]:
    """A new page that records its script errors and every request that leaves ``base``
    (blob: and data: URLs are the page's own); both lists must stay empty."""
    page = browser.new_page(viewport=viewport)
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith((base, "blob:", "data:")) else None,
    )
    return page, errors, foreign
