"""The evaluation page in headless Chromium: the community officer's own scorecard on a phone
(tap a figure, see its records) and the station chief's ranking with the trend chart on a
desk screen (click a figure, see its records). Both languages; a screenshot per page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.serverutil import prepare_db
from tests.web.browserutil import ARTIFACTS, needs_browser, served_browser, signed_in_page

WEB = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1400, "height": 900}


def test_evaluation_i18n_files_cover_every_key() -> None:
    zh = json.loads((WEB / "i18n" / "evaluation.zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "i18n" / "evaluation.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    text = (WEB / "static" / "js" / "evaluation.js").read_text(encoding="utf-8")
    text += (WEB / "templates" / "evaluation.html").read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\("(ev\.[a-z0-9_.]+[a-z0-9_])"\)', text))
    assert used and used <= set(en)
    assert {f"ev.level.{lv}" for lv in ("officer", "cell", "community", "station")} <= set(en)


def _open(browser: Any, base: str, lang: str, viewport: dict[str, int], user: str):  # type: ignore[no-untyped-def]
    page, errors, foreign = signed_in_page(
        browser, base, lang=lang, user=user, path="/evaluation", viewport=viewport
    )
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    page.evaluate("() => { delete document.body.dataset.ready; }")
    page.select_option("#f-period", "2026Q3")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    return page, errors, foreign


def _clean(page: Any, errors: list[str], foreign: list[str]) -> None:
    assert (
        page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]
    )
    assert not re.search(r"\b(ev|nav|common)\.[a-z_]+\b", page.inner_text("body"))
    assert not errors, errors
    assert not foreign, foreign


@needs_browser
def test_evaluation_pages_in_chromium(tmp_path: Path) -> None:
    from pingan.store.engine import make_engine, unit_of_work
    from tests.evaluation.conftest import seed_records

    url, city = prepare_db(tmp_path / "web.db")
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        from pingan.jurisdictions.models import Jurisdiction

        # the committed city is re-read in this session
        city.cells = [s.get_one(Jurisdiction, c.id) for c in city.cells]
        seed_records(s, city)
        s.commit()
    engine.dispose()
    with served_browser(tmp_path, url=url) as live:
        browser, base = live.browser, live.base
        for lang in ("zh-CN", "en"):
            page, errors, foreign = _open(browser, base, lang, PHONE, "officer0")
            assert page.locator("#m-score").inner_text() not in ("·", "–")
            assert page.locator("#m-figs li[data-href]").count() == 9
            page.locator("#m-figs li[data-href]").first.click()
            page.wait_for_selector("#s-list li a")
            assert "3" in page.locator("#s-list li").first.inner_text()  # 3 instructions
            page.click("#s-parts [data-part='shortfall']")
            page.wait_for_function("() => document.querySelectorAll('#s-list li a').length === 2")
            page.screenshot(path=str(ARTIFACTS / f"evaluation-mine-{lang}.png"), full_page=True)
            _clean(page, errors, foreign)
            page.close()

            page, errors, foreign = _open(browser, base, lang, DESK, "chief0")
            rows = page.locator("#ranking tbody tr[data-k]")
            assert rows.count() == 1  # stations by default: the chief's own
            page.select_option("#f-level", "cell")
            page.wait_for_function(
                "() => document.querySelectorAll('#ranking tbody tr[data-k]').length === 8"
            )
            first = page.locator("#ranking tbody tr[data-k] td").nth(1).inner_text()
            page.locator("#ranking td.fig").first.click()
            page.wait_for_selector("#sources:not([hidden]) #s-list li a")
            page.wait_for_function(
                "(n) => document.getElementById('trend-title').textContent.endsWith(n)",
                arg=first,
            )
            page.wait_for_timeout(500)  # the trend request of the clicked row
            assert page.locator("#chart-trend canvas").count() >= 1
            page.screenshot(path=str(ARTIFACTS / f"evaluation-board-{lang}.png"), full_page=True)
            _clean(page, errors, foreign)
            page.close()
