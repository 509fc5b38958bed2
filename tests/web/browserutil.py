"""The browser-test preamble in one place: what every headless-Chromium page test needs.

- :data:`BROWSER_MARKS`: a module's ``pytestmark`` (the ``browser`` mark, skipped without
  Chromium or the front-end packages), or :func:`needs_browser` on one test;
- :func:`launched_browser`: Chromium launched with the house's arguments;
- :func:`served_browser`: a real pingan server in a subprocess on a free port (over a fresh
  SQLite with the small city, or a database the test prepared) and Chromium launched with the
  house's arguments; both stopped on the way out;
- :func:`watched_page` / :func:`signed_in_page`: a page that records script and console
  errors (a content-security-policy refusal is reported only on the console) and every request
  that leaves the server, signed in when asked.

A test::

    pytestmark = BROWSER_MARKS

    def test_x(tmp_path: Path) -> None:
        with served_browser(tmp_path) as live:
            page, errors, foreign = signed_in_page(live.browser, live.base, lang="en", ...)
            ...
            assert errors == [] and foreign == []
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.factories import SmallCity
from tests.serverutil import free_port, prepare_db, start_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
"""Screenshots and timings of the browser tests (look at them)."""
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VENDOR = ROOT / "src" / "pingan" / "web" / "static" / "vendor"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Chromium not installed (Debian: apt-get install chromium)",
    ),
    pytest.mark.skipif(
        not all((VENDOR / f).exists() for f in ("maplibre-gl.js", "echarts.min.js")),
        reason="front-end packages not installed (bash scripts/install_frontend.sh)",
    ),
]


F = TypeVar("F", bound=Callable[..., Any])


def needs_browser(test: F) -> F:
    """:data:`BROWSER_MARKS` on one test (for a module whose other tests need no browser)."""
    for mark in reversed(BROWSER_MARKS):
        test = mark(test)
    return test


@dataclass(frozen=True)
class Served:
    """A running server and a browser: ``base`` is the server's URL, ``url`` its database."""

    base: str
    browser: Any
    url: str
    city: SmallCity | None


@contextmanager
def launched_browser() -> Iterator[Any]:
    """Headless Chromium launched with the house's arguments (closed when the block ends);
    the artifacts folder exists."""
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def served_browser(
    tmp_path: Path, *, url: str | None = None, city: SmallCity | None = None
) -> Iterator[Served]:
    """Serve pingan over ``url`` (default: a fresh SQLite file with the small city) and launch
    headless Chromium; the artifacts folder exists. The browser closes and the server stops
    when the block ends, however it ends."""
    pytest.importorskip("playwright.sync_api")
    if url is None:
        url, city = prepare_db(tmp_path / "web.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    try:
        with launched_browser() as browser:
            yield Served(f"http://127.0.0.1:{port}", browser, url, city)
    finally:
        proc.terminate()
        proc.wait(10)


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
