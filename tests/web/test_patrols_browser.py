"""``/patrols`` in headless Chromium against a real server, at desktop and 390 px phone size, in
zh-CN and en: a station chief opens yesterday evening's published plan with its units' tracks
(planned against actual), downloads nothing, then generates today's plan for another block. Fails
on any console error and on any request leaving the server; screenshots in
``test-artifacts/patrols-*.png``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert

from tests.serverutil import free_port, prepare_db, start_server
from tests.web.browserutil import ARGS, ARTIFACTS, BROWSER_MARKS, CHROMIUM, signed_in_page

pytestmark = BROWSER_MARKS

DAY = dt.date.today() - dt.timedelta(days=1)
# the test city's incidents fall 0-20 h before the hour the test runs: the block around 10 h
# before now (local time) holds most of them, and the next one at least a fifth, whatever the
# hour of the run (fixed blocks came out empty at some hours)
_MID = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8 - 10)).hour // 6
BLOCK, NEXT_BLOCK = _MID, (_MID + 1) % 4
WIDE = (
    "[...document.querySelectorAll('body *')]"
    ".filter(e => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 5)"
    ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
)


def _planned(url: str, data_dir: Path) -> None:
    """The coverage test city (roads, units, incidents), yesterday's plan of T1-S0 for BLOCK,
    published, with tracks along its routes."""
    import json

    from pingan.auth.service import Principal
    from pingan.demo.patrols import simulate_track
    from pingan.patrols import service
    from pingan.resources.models import ResourcePosition
    from pingan.store.engine import make_engine, unit_of_work
    from tests.factories import SmallCity
    from tests.rapid_response.city import build

    engine = make_engine(url)
    admin = Principal(0, "t", "admin", "/", None)
    with unit_of_work(engine) as s:
        from sqlalchemy import select

        from pingan.auth.models import User
        from pingan.jurisdictions.models import Jurisdiction

        city = SmallCity(None, None, [], [], [])  # type: ignore[arg-type]
        city.users = {u.username: u for u in s.scalars(select(User))}
        city.cells = list(
            s.scalars(
                select(Jurisdiction).where(Jurisdiction.level == "cell").order_by(Jurisdiction.id)
            )
        )
        build(s, city, data_dir, n_incidents=90)
        st = s.scalar(select(Jurisdiction).where(Jurisdiction.code == "T1-S0"))
        assert st is not None
        plan = service.generate(
            s,
            principal=admin,
            station=st,
            day=DAY,
            block=BLOCK,
            data_dir=data_dir,
            time_limit_s=0.3,
        )
        service.publish(s, principal=admin, plan=plan, published=True)
        rng = np.random.default_rng(1)
        site = (float(st.centroid_lon or 0), float(st.centroid_lat or 0))
        for it in service.items_of(s, plan_id=plan.id):
            if it.kind != "line" or it.resource_id is None:
                continue
            track = simulate_track(rng, plan.starts_at, site, json.loads(it.stops))
            s.execute(
                insert(ResourcePosition),
                [{"resource_id": it.resource_id, "at": a, "lon": x, "lat": y} for a, x, y in track],
            )
        s.commit()
    engine.dispose()


PHONE = {"width": 390, "height": 844}


def test_patrols_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, _city = prepare_db(tmp_path / "web.db")
    data_dir = tmp_path / "data"
    _planned(url, data_dir)
    monkeypatch.setenv("PINGAN_DATA_DIR", str(data_dir))
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for lang, user, vp, tag in (
                ("zh-CN", "chief0", {"width": 1300, "height": 800}, "desktop"),
                ("en", "admin", {"width": 1300, "height": 800}, "desktop"),
                ("zh-CN", "chief0", {"width": 390, "height": 844}, "phone"),
                ("en", "analyst", {"width": 390, "height": 844}, "phone"),
            ):
                page, errors, foreign = signed_in_page(
                    browser, base, lang=lang, user=user, path="/patrols", viewport=vp
                )
                page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
                rows = page.locator("#pt-items tbody tr")
                assert rows.count() >= 3, page.inner_text("#pt-items")
                assert page.locator("#pt-items a[href$='card.pdf']").count() >= 2
                visited = page.inner_text("#pt-visited")
                assert visited.endswith("%"), visited
                assert page.inner_text("#pt-hot").endswith(" h")
                page.screenshot(path=str(ARTIFACTS / f"patrols-{tag}-{lang}.png"), full_page=True)
                wide = page.evaluate(WIDE)
                assert page.evaluate("document.documentElement.scrollWidth") <= vp["width"], wide
                if lang == "zh-CN":
                    side = page.inner_text("#pt-side")
                    assert "巡逻" in side or "计划" in side
                    assert not any(w in side for w in ("Draft", "Published", "Foot", "Car"))
                    # the method note in Chinese only (not the English one as a tooltip)
                    assert not page.get_attribute("#pt-how", "title")
                page.screenshot(path=str(ARTIFACTS / f"patrols-{tag}-{lang}.png"), full_page=True)
                if user == "chief0" and tag == "desktop":
                    # a chief plans today's next block from the forecast
                    page.fill("#pt-day", dt.date.today().isoformat())
                    page.dispatch_event("#pt-day", "change")
                    page.wait_for_selector('body[data-ready="1"]')
                    page.select_option("#pt-block", str(NEXT_BLOCK))
                    page.wait_for_selector('body[data-ready="1"]')
                    assert "尚无计划" in page.inner_text("#pt-status")
                    page.click("#pt-generate")
                    page.wait_for_selector("#pt-publish:not([hidden])", timeout=60_000)
                    assert page.locator("#pt-items tbody tr").count() >= 3
                    page.screenshot(
                        path=str(ARTIFACTS / f"patrols-generated-{lang}.png"), full_page=True
                    )
                if user == "analyst":
                    assert page.locator("#pt-generate").count() == 0
                assert errors == [] and foreign == [], (errors, foreign)
                page.close()
            # a community officer's jurisdiction holds no station: the page says so, asks nothing
            page, errors, foreign = signed_in_page(
                browser, base, lang="zh-CN", user="officer0", path="/patrols", viewport=PHONE
            )
            page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
            assert "您的辖区内没有派出所" in page.inner_text("#pt-status")
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
