"""``/events`` in headless Chromium against a real server, at desktop and 390 px phone size, in
zh-CN and en: a commander opens last night's match (the report, with its PDF link), then the
upcoming one (its plan by shift), a dispatcher writes to the log on the live board and marks a
check done. Fails on any console error and on any request leaving the server; screenshots in
``test-artifacts/events-*.png``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import shapely

from tests.serverutil import free_port, prepare_db, start_server
from tests.web.browserutil import ARGS, ARTIFACTS, BROWSER_MARKS, CHROMIUM, signed_in_page
from tests.web.test_patrols_browser import WIDE

pytestmark = BROWSER_MARKS

VENUE = (102.713, 25.028, 102.717, 25.031)


def _events(url: str, data_dir: Path) -> None:
    from sqlalchemy import select

    from pingan.auth.models import User
    from pingan.auth.service import Principal
    from pingan.events import service
    from pingan.events.schemas import EventCreate
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.store.engine import make_engine, unit_of_work
    from tests.factories import SmallCity
    from tests.rapid_response.city import build

    engine = make_engine(url)
    admin = Principal(0, "t", "admin", "/", None)
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(engine) as s:
        city = SmallCity(None, None, [], [], [])  # type: ignore[arg-type]
        city.users = {u.username: u for u in s.scalars(select(User))}
        city.cells = list(
            s.scalars(
                select(Jurisdiction).where(Jurisdiction.level == "cell").order_by(Jurisdiction.id)
            )
        )
        build(s, city, data_dir, n_incidents=30)
        venue = shapely.geometry.mapping(shapely.box(*VENUE))
        for code, name, t0 in (
            ("M-past", "上周主场联赛", now - dt.timedelta(days=1, hours=5)),
            ("M-next", "下周主场联赛", now + dt.timedelta(days=6)),
        ):
            service.create(
                s,
                principal=admin,
                data=EventCreate(
                    code=code,
                    name=name,
                    kind="match",
                    venue=venue,
                    expected_crowd=20000,
                    arrival_at=t0,
                    starts_at=t0 + dt.timedelta(hours=2),
                    ends_at=t0 + dt.timedelta(hours=4),
                    dispersal_until=t0 + dt.timedelta(hours=5),
                ),
                data_dir=data_dir,
            )
        s.commit()
    engine.dispose()


def test_events_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, _city = prepare_db(tmp_path / "web.db")
    data_dir = tmp_path / "data"
    _events(url, data_dir)
    monkeypatch.setenv("PINGAN_DATA_DIR", str(data_dir))
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for lang, user, vp, tag in (
                ("zh-CN", "commander", {"width": 1300, "height": 800}, "desktop"),
                ("en", "dispatcher", {"width": 1300, "height": 800}, "desktop"),
                ("zh-CN", "dispatcher", {"width": 390, "height": 844}, "phone"),
                ("en", "analyst", {"width": 390, "height": 844}, "phone"),
            ):
                page, errors, foreign = signed_in_page(
                    browser, base, lang=lang, user=user, path="/events", viewport=vp
                )
                page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
                # the upcoming match opens on its plan
                assert page.locator("#ev-pick option").count() == 2
                assert page.locator("#ev-posts tbody tr").count() == 12  # arrival shift
                assert page.locator("#ev-checks tbody tr").count() == 8
                wide = page.evaluate(WIDE)
                assert page.evaluate("document.documentElement.scrollWidth") <= vp["width"], wide
                if lang == "zh-CN":
                    side = page.inner_text("#ev-side")
                    assert "安检" in side
                    assert not any(w in side for w in ("upcoming", "Arrival", "Posts"))
                page.screenshot(
                    path=str(ARTIFACTS / f"events-plan-{tag}-{lang}.png"), full_page=True
                )
                page.select_option("#ev-shift", "event")
                assert page.locator("#ev-posts tbody tr").count() == 7
                # last week's match: the report
                past = page.locator("#ev-pick option").nth(1).get_attribute("value")
                page.select_option("#ev-pick", past)
                page.wait_for_selector('body[data-ready="1"]')
                page.wait_for_selector("#pane-report:not([hidden])")
                assert page.get_attribute("#r-pdf", "href").endswith("/report.pdf")
                assert page.locator("#r-staff tbody tr").count() == 3
                assert page.locator("#r-issues li").count() >= 1
                if lang == "zh-CN":
                    assert "未到岗" in page.inner_text("#r-issues")
                page.screenshot(
                    path=str(ARTIFACTS / f"events-report-{tag}-{lang}.png"), full_page=True
                )
                page.click("#tab-board")
                page.wait_for_selector("#pane-board:not([hidden])")
                page.wait_for_selector('body[data-ready="1"]')
                assert page.locator("#b-coverage tbody td").count() == 4
                if user == "dispatcher" and tag == "desktop":
                    page.fill("#b-log-text", "北门人流大，增派警力")
                    page.click("#b-log-add")
                    page.wait_for_selector("#b-log li:has-text('北门人流大')")
                    page.click("#tab-plan")
                    page.wait_for_selector('body[data-ready="1"]')
                    page.click("#ev-checks button[data-check] >> nth=0")
                    page.wait_for_selector("#ev-checks td .ok")
                if user == "analyst":
                    assert page.locator("#b-log-form").count() == 0
                    assert page.locator("#ev-checks button").count() == 0
                page.screenshot(
                    path=str(ARTIFACTS / f"events-board-{tag}-{lang}.png"), full_page=True
                )
                assert errors == [] and foreign == [], (errors, foreign)
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
