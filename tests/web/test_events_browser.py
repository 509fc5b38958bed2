"""``/events`` in headless Chromium against a real server, at desktop and 390 px phone size, in
zh-CN and en: a commander opens last night's match (the report, with its PDF link), then the
upcoming one (its plan by shift), a dispatcher writes to the log on the live board and marks a
check done. Fails on any console error and on any request leaving the server; screenshots in
``test-artifacts/events-*.png``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

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


def _live_event(url: str, data_dir: Path) -> None:
    """Besides the past and the upcoming match: one under way (gates opened an hour ago)."""
    from pingan.auth.service import Principal
    from pingan.events import service
    from pingan.events.schemas import EventCreate
    from pingan.store.engine import make_engine, unit_of_work

    engine = make_engine(url)
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with unit_of_work(engine) as s:
        service.create(
            s,
            principal=Principal(0, "t", "admin", "/", None),
            data=EventCreate(
                code="M-now",
                name="今晚主场联赛",
                kind="match",
                venue=shapely.geometry.mapping(shapely.box(*VENUE)),
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


class _Api:
    """Another user's calls to the running server (a bearer token), answers as (status, JSON)."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        import json
        import urllib.error
        import urllib.request

        req = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def get(self, path: str) -> Any:
        status, out = self.call("GET", path)
        assert status == 200, (status, out)
        return out


def _click_map_at(page: object, lon: float, lat: float) -> None:
    xy = page.evaluate(  # type: ignore[attr-defined]
        f"(() => {{ const p = window.pinganMap.project([{lon}, {lat}]); return [p.x, p.y]; }})()"
    )
    page.click("#map canvas", position={"x": xy[0], "y": xy[1]})  # type: ignore[attr-defined]


def test_events_live_board_and_plan_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dispatcher keeps the live board open: an incident reported inside the control ring by
    someone else and a unit reaching its post show up without a reload (the live stream). Then
    a station chief adds a post to the upcoming match by clicking the map, moves it, deletes
    it, and widens the perimeter."""
    sync_api = pytest.importorskip("playwright.sync_api")
    url, city = prepare_db(tmp_path / "web.db")
    data_dir = tmp_path / "data"
    _events(url, data_dir)
    _live_event(url, data_dir)
    monkeypatch.setenv("PINGAN_DATA_DIR", str(data_dir))
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    other = _Api(base, city.tokens["commander"])
    ARTIFACTS.mkdir(exist_ok=True)
    vp = {"width": 1300, "height": 800}
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page, errors, foreign = signed_in_page(
                browser, base, lang="zh-CN", user="dispatcher", path="/events", viewport=vp
            )
            page.context.set_default_timeout(60_000)
            page.wait_for_selector('body[data-ready="1"]')
            page.wait_for_selector("#pane-board:not([hidden])")  # the live match opens its board
            page.wait_for_selector("#b-live:not(.off)")  # the stream is open
            n0 = int(page.inner_text("#b-incidents"))
            staffed0 = page.inner_text("#b-staffed")
            loads = []
            page.on("framenavigated", lambda f: loads.append(f.url))
            # someone else takes a call at the north gate
            cx, cy = (VENUE[0] + VENUE[2]) / 2, (VENUE[1] + VENUE[3]) / 2
            st, out = other.call(
                "POST",
                "/api/v1/incidents",
                {"subtype": "fight", "lon": cx, "lat": VENUE[3] + 0.001},
            )
            assert st == 201, out
            page.wait_for_function(
                f"() => document.getElementById('b-incidents').textContent === '{n0 + 1}'"
            )
            # a unit of the current shift reaches its post: the board counts it staffed
            eid = page.input_value("#ev-pick")
            ev = other.get(f"/api/v1/events/{eid}")
            board = other.get(f"/api/v1/events/{eid}/board")
            post = next(q for q in ev["posts"] if q["shift"] == board["shift"] and q["resource_id"])
            st, out = other.call(
                "POST",
                f"/api/v1/resources/{post['resource_id']}/positions",
                {"lon": post["lon"], "lat": post["lat"]},
            )
            assert st == 200, out
            page.wait_for_function(
                f"() => document.getElementById('b-staffed').textContent !== '{staffed0}'"
            )
            assert loads == [], loads  # no reload: the stream did it
            page.screenshot(path=str(ARTIFACTS / "events-live-board.png"), full_page=True)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
            # the station chief edits the upcoming match's plan
            page, errors, foreign = signed_in_page(
                browser, base, lang="zh-CN", user="chief0", path="/events", viewport=vp
            )
            page.wait_for_selector('body[data-ready="1"]')
            nxt = page.locator("#ev-pick option", has_text="下周").get_attribute("value")
            page.select_option("#ev-pick", nxt)
            page.wait_for_selector('body[data-ready="1"]')
            page.click("#tab-plan")
            page.wait_for_selector('body[data-ready="1"]')
            rows0 = page.locator("#ev-posts tbody tr").count()
            page.click("#pe-add")
            assert page.get_attribute("#pe-move", "aria-pressed") == "true"
            _click_map_at(page, cx - 0.004, cy)
            page.fill("#pe-name", "西侧临时岗")
            page.fill("#pe-needed", "4")
            page.click("#pe-save")
            page.wait_for_function(
                "() => document.getElementById('pe-msg').textContent.includes('西侧临时岗')"
            )
            assert page.locator("#ev-posts tbody tr").count() == rows0 + 1
            assert not page.locator("#pe-fields").is_visible()  # the editor closes on save
            row = page.locator("#ev-posts tbody tr", has_text="西侧临时岗")
            pid = row.get_attribute("data-id")
            before = other.get(f"/api/v1/events/{nxt}")
            old = next(q for q in before["posts"] if str(q["id"]) == pid)
            assert old["officers_needed"] == 4 and old["shift"] == "arrival"
            # move it with a click on the map
            row.click()
            page.click("#pe-move")
            _click_map_at(page, cx - 0.006, cy + 0.001)
            page.click("#pe-save")
            page.wait_for_function(
                "() => document.getElementById('pe-msg').textContent.includes('已保存')"
            )
            moved = next(
                q for q in other.get(f"/api/v1/events/{nxt}")["posts"] if str(q["id"]) == pid
            )
            assert moved["lon"] < old["lon"] - 0.001
            page.screenshot(path=str(ARTIFACTS / "events-plan-editor.png"), full_page=True)
            # delete it
            page.locator("#ev-posts tbody tr", has_text="西侧临时岗").click()
            page.click("#pe-delete")
            page.wait_for_function(
                "() => document.getElementById('pe-msg').textContent.includes('已删除')"
            )
            assert page.locator("#ev-posts tbody tr").count() == rows0
            # widen the perimeter to 500 m
            page.select_option("#ze-zone", "perimeter")
            page.fill("#ze-buffer", "500")
            page.click("#ze-apply")
            page.wait_for_function(
                "() => document.getElementById('pe-msg').textContent.includes('重划')"
            )
            zones = {z["kind"]: z for z in other.get(f"/api/v1/events/{nxt}")["zones"]}
            per = shapely.geometry.shape(zones["perimeter"]["geometry"])
            assert per.contains(shapely.Point(VENUE[0] - 0.004, (VENUE[1] + VENUE[3]) / 2))
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
            # a dispatcher commands but does not plan: no editor
            page, errors, foreign = signed_in_page(
                browser, base, lang="en", user="dispatcher", path="/events", viewport=vp
            )
            page.wait_for_selector('body[data-ready="1"]')
            assert page.locator("#pe").count() == 0
            page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
