"""The coverage page: served to planners in zh-CN (default) and en, refused to others, every
key used is translated in both languages, scripts are local."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import SmallCity
from tests.web.browserutil import ARTIFACTS, needs_browser, served_browser, signed_in_page
from tests.web.test_pages import login

WEB = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web"


def test_coverage_i18n_covers_every_key() -> None:
    zh = json.loads((WEB / "i18n" / "coverage.zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "i18n" / "coverage.en.json").read_text(encoding="utf-8"))
    core = json.loads((WEB / "i18n" / "core.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    text = (WEB / "templates" / "coverage.html").read_text(encoding="utf-8")
    text += (WEB / "static" / "js" / "coverage.js").read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\("((?:coverage|common)\.[a-z0-9_.]+[a-z0-9_])"\)', text))
    assert used and not {k for k in used if k not in en and k not in core}


def test_coverage_page_zh_and_en(client: TestClient, city: SmallCity) -> None:
    assert client.get("/coverage", follow_redirects=False).status_code == 303
    login(client, "analyst")
    r = client.get("/coverage")
    assert r.status_code == 200
    assert "1、3、5分钟快反圈" in r.text and "布点优化" in r.text
    assert "/static/js/coverage.js" in r.text and "/static/vendor/maplibre-gl.js" in r.text
    assert "https://" not in r.text.split("<main", 1)[1]
    client.get("/lang/en")
    r = client.get("/coverage")
    assert "1-3-5 minute circles" in r.text and "Siting (maximal covering)" in r.text


def test_coverage_page_refused_to_community_officers(client: TestClient, city: SmallCity) -> None:
    login(client, "officer0")
    r = client.get("/coverage")
    assert r.status_code == 403 and 'id="forbidden"' in r.text


# ------------------------------------------------------------------ in Chromium
RAW_KEY = re.compile(r"\b(?:coverage|incident|common|state|unit)\.[a-z0-9_]+")


@needs_browser
def test_coverage_and_recommendations_in_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    import httpx2 as httpx

    from pingan.store.engine import make_engine, migrate, unit_of_work
    from tests.factories import build_small_city
    from tests.rapid_response.city import build

    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(engine) as s:
        city = build_small_city(s)
        build(s, city, tmp_path / "data")
        s.commit()
        tokens = dict(city.tokens)
        centers = [city.cell_center(i) for i in range(4)]
    engine.dispose()
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))  # start_server copies os.environ
    with served_browser(tmp_path, url=url) as live:
        base = live.base
        now = dt.datetime.now(dt.UTC)
        for i, (lon, lat) in enumerate(centers):  # recent ones, so the queue lists them
            httpx.post(
                f"{base}/api/v1/incidents",
                headers={"Authorization": f"Bearer {tokens['dispatcher']}"},
                json={
                    "subtype": ["fight", "burglary", "robbery", "traffic_accident"][i],
                    "lon": lon,
                    "lat": lat,
                    "reported_at": (now - dt.timedelta(minutes=10 * i + 5)).isoformat(),
                },
            ).raise_for_status()
        for lang in ("zh-CN", "en"):
            _coverage(sync_api, live.browser, base, lang)
            _command(live.browser, base, lang)


def _open(
    browser: Any, base: str, lang: str, user: str, path: str
) -> tuple[Any, list[str], list[str]]:
    """A new page signed in as ``user`` on ``path``, ready, with the lists of its console and
    page errors and of its requests leaving the server."""
    page, errors, foreign = signed_in_page(
        browser, base, lang=lang, user=user, path=path, viewport={"width": 1400, "height": 900}
    )
    page.wait_for_selector("body[data-ready='1']", timeout=20_000)
    return page, errors, foreign


def _no_raw_keys(page: Any) -> None:
    text = page.locator("body").inner_text()
    assert not RAW_KEY.findall(text), RAW_KEY.findall(text)


def _coverage(sync_api: Any, browser: Any, base: str, lang: str) -> None:
    page, errors, foreign = _open(browser, base, lang, "analyst", "/coverage")
    rows = page.locator("#cv-report tbody tr")
    assert rows.count() >= 3  # key areas, premises (and kinds), grid cells, incidents
    assert all(c.endswith("%") for c in rows.first.locator("td").all_inner_texts()[1:])
    legend = page.locator(".cv-legend").inner_text()
    for word in ("1分钟", "3分钟", "5分钟") if lang == "zh-CN" else ("1 min", "3 min", "5 min"):
        assert word in legend
    swatches = page.locator(".cv-legend span").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    assert len(set(swatches[:3])) == 3
    page.wait_for_timeout(300)  # let the map paint the circles
    page.screenshot(path=str(ARTIFACTS / f"coverage-{lang}.png"))
    # the slider: a new time of day reloads the report (and the circles)
    with page.expect_response(lambda r: "/api/v1/coverage/report" in r.url and "03%3A00" in r.url):
        page.locator("#cv-at").focus()
        for _ in range(60):  # 18:00 → 03:00 in 15-minute steps, released once
            page.keyboard.press("ArrowLeft")
    assert page.locator("#cv-at-label").inner_text() == "03:00"
    page.wait_for_selector("#cv-status:empty", state="attached", timeout=10_000)
    assert rows.count() >= 3
    # a small siting run from the form: progress, then the before/after table
    page.fill("#f-posts", "3")
    page.fill("#f-keep", "1")
    page.select_option("#f-method", "heuristic")
    page.click("#f-run")
    try:
        page.wait_for_selector("#cv-plan tbody tr", state="visible", timeout=30_000)
    except sync_api.TimeoutError:
        page.screenshot(path=str(ARTIFACTS / f"coverage-plan-{lang}.png"))
        raise AssertionError(f"no plan: {page.locator('#cv-job').inner_text()!r}") from None
    plan = page.locator("#cv-plan tbody tr")
    assert plan.count() >= 3
    assert not page.locator("#cv-job.cv-err").count()
    how = page.locator("#cv-plan-how").inner_text()
    assert ("启发式" if lang == "zh-CN" else "Heuristic") in how, how
    if lang == "zh-CN":
        assert not re.search(r"[A-Za-z]{3,}", how), how  # method, status, gap all translated
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"coverage-plan-{lang}.png"))
    _no_raw_keys(page)
    assert not errors and not foreign, (errors, foreign)
    page.context.close()


def _command(browser: Any, base: str, lang: str) -> None:
    page, errors, foreign = _open(browser, base, lang, "dispatcher", "/command")
    queue = page.locator("#queue li[data-id]")
    assert queue.count() >= 4
    queue.first.click()
    page.wait_for_selector("#recommend li", timeout=15_000)
    units = page.locator("#recommend li").all_inner_texts()
    assert units and all(re.search(r"\d+ s", u) for u in units), units
    eta = "预计到达" if lang == "zh-CN" else "ETA"
    assert all(eta in u and not re.search(r"\b[a-z]+_[a-z_]+\b", u) for u in units), units
    page.wait_for_timeout(1200)  # the fly-to and the routes
    page.screenshot(path=str(ARTIFACTS / f"command-recommend-{lang}.png"))
    _no_raw_keys(page)
    assert not errors and not foreign, (errors, foreign)
    page.context.close()
