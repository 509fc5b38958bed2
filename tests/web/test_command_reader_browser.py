"""/command for a reader (an analyst): the calls, their units and the ranked units are there,
and no button the API would refuse (take a call, dispatch, move a unit's state, add a note,
send a move-up); F2 opens nothing. A dispatcher on the same server gets them all. Fails on any
console error (CSP included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.browserutil import BROWSER_MARKS, served_browser, signed_in_page

pytestmark = [*BROWSER_MARKS, pytest.mark.timeout(600)]

WRITES = (
    "#new-call, #intake, button.dispatch, #assignments button[data-to], #note-form,"
    " [data-incident-to], [data-moveup]"
)


def _open_first_call(page: Any) -> None:
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
    page.click("#queue li[data-id]")
    page.wait_for_selector("#detail:not([hidden]) #timeline", timeout=30_000)
    # the ranking has come (its rows replace the loading line)
    page.wait_for_selector("#recommend li:not(.muted)", timeout=30_000)


def test_a_reader_sees_the_call_without_the_dispatchers_buttons(tmp_path: Path) -> None:
    from pingan.store.engine import make_engine, migrate, unit_of_work
    from tests.factories import build_small_city
    from tests.rapid_response.city import build

    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(engine) as s:
        city = build_small_city(s)
        build(s, city, tmp_path / "data", n_incidents=6)
        s.commit()
    engine.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))
        with served_browser(tmp_path, url=url, city=city) as live:
            shown: dict[str, list[str]] = {}
            for user in ("analyst", "dispatcher"):
                page, errors, foreign = signed_in_page(
                    live.browser,
                    live.base,
                    lang="zh-CN",
                    user=user,
                    path="/command",
                    viewport={"width": 1500, "height": 900},
                )
                _open_first_call(page)
                page.keyboard.press("F2")
                page.wait_for_timeout(300)
                shown[user] = page.eval_on_selector_all(
                    WRITES, "(els) => els.map((e) => e.id || e.className || e.tagName)"
                )
                assert page.locator("#recommend li").count() >= 1  # the ranking is read
                assert errors == [] and foreign == [], (user, errors, foreign)
                page.close()
    assert shown["analyst"] == [], shown["analyst"]
    assert "new-call" in shown["dispatcher"] and "intake" in shown["dispatcher"]
    assert any("dispatch" in s for s in shown["dispatcher"]), shown["dispatcher"]
    assert "note-form" in shown["dispatcher"]
