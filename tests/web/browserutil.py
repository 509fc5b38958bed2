"""Helpers for the headless-Chromium page tests."""

from __future__ import annotations

from typing import Any


def watched_page(
    browser: Any, base: str, viewport: dict[str, int]
) -> tuple[Any, list[str], list[str]]:
    """A new page that records its script and console errors and every request that leaves ``base``
    (blob: and data: URLs are the page's own); both lists must stay empty."""
    page = browser.new_page(viewport=viewport, device_scale_factor=1)
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # console errors too: a content-security-policy refusal is reported only there
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith((base, "blob:", "data:")) else None,
    )
    return page, errors, foreign


def signed_in_page(
    browser: Any,
    base: str,
    *,
    lang: str,
    user: str,
    path: str,
    viewport: dict[str, int],
    password: str = "correct-horse-1",
) -> tuple[Any, list[str], list[str]]:
    """:func:`watched_page` in ``lang`` (zh-CN, the default, or en), signed in as ``user`` and
    sent on to ``path``; the caller waits for what the page must show."""
    page, errors, foreign = watched_page(browser, base, viewport)
    if lang == "en":
        page.goto(f"{base}/lang/en")
    page.goto(f"{base}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login-submit")
    return page, errors, foreign
