"""The department's ``/province`` page in headless Chromium against a real server: a small
province (2 cities) built and analysed into the server's data folder, read by an analyst in
zh-CN and en: the ranking, the warnings and the coverage tables drawn, no console error, no
request leaving the server; screenshots in ``test-artifacts/province-<lang>.png``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pingan.demo.province import build_province
from pingan.province.engine import run
from pingan.province.results import write_result
from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS

TEXT = {
    "zh-CN": {"title": "全省", "ranking": "CompStat 排名", "city": "春城市"},
    "en": {"title": "Province", "ranking": "Cities ranked on CompStat", "city": "Chuncheng"},
}


def test_analyst_reads_the_province(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    folder = data / "province"
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    build_province(folder, cities=2, scale=0.02, seed=7, end=end, years=1.0)
    for analysis in ("trends", "hotspots", "warnings"):
        write_result(folder, run(analysis, folder))
    monkeypatch.setenv("PINGAN_DATA_DIR", str(data))
    with served_browser(tmp_path) as live:
        for lang in ("zh-CN", "en"):
            page, errors, foreign = signed_in_page(
                live.browser,
                live.base,
                lang=lang,
                user="analyst",
                path="/province",
                viewport={"width": 1300, "height": 900},
            )
            page.wait_for_selector('body[data-ready="1"]')
            assert TEXT[lang]["title"] in page.inner_text("h1")
            assert TEXT[lang]["ranking"] in page.inner_text("main")
            assert page.locator("#ranking tbody tr").count() == 2
            assert TEXT[lang]["city"] in page.inner_text("#ranking")
            assert page.locator("#coverage tbody tr").count() == 2
            assert page.locator("#ranking svg.spark").count() == 2
            assert page.locator("#warnings tbody tr").count() >= 1
            page.screenshot(path=str(ARTIFACTS / f"province-{lang}.png"), full_page=True)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
