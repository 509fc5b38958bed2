"""``/cameras`` in headless Chromium against a real server, played by an analyst who never opens a
terminal: signs in, follows the navigation to the cameras page, reads the figures per station,
zooms into a blind spot until the view sectors are drawn, sites five new cameras, reads before
and after, and downloads the plan as Excel and GeoJSON. At desktop size in zh-CN and en and at
390 px phone size; fails on any console error, on any request leaving the server, on a raw
translation key, on English words on the Chinese page and on horizontal scroll on the phone.
Screenshots in ``test-artifacts/cameras-*.png``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.web.browserutil import ARGS, ARTIFACTS, BROWSER_MARKS, CHROMIUM, signed_in_page

pytestmark = BROWSER_MARKS

RAW_KEY = re.compile(r"\bcameras\.[a-z_]+(?:\.[a-z_]+)?\b")
ALLOWED_LATIN = {"GeoJSON", "Excel", "CAM", "HD", "SD", "UHD", "MCLP"}


def _cameras(url: str, data_dir: Path) -> None:
    """Roads, incidents, key areas (the coverage test city) and 40 cameras, 4 of them down."""
    from pingan.auth.service import principal_for
    from pingan.cameras import service
    from pingan.cameras.schemas import CameraCreate
    from pingan.store.engine import make_engine, unit_of_work
    from tests.factories import LAT0, LON0, build_small_city
    from tests.rapid_response.city import build

    engine = make_engine(url)
    with unit_of_work(engine) as s:
        city = build_small_city(s)
        build(s, city, data_dir, n_incidents=80)
        admin = principal_for(s, city.users["admin"])
        rng = np.random.default_rng(22)
        for i in range(40):
            service.create(
                s,
                principal=admin,
                data=CameraCreate(
                    code=f"CAM-{i:03d}",
                    lon=LON0 + float(rng.uniform(0.002, 0.078)),
                    lat=LAT0 + float(rng.uniform(0.002, 0.018)),
                    heading_deg=float(rng.integers(0, 8) * 45),
                    fov_deg=360.0 if i % 7 == 0 else 90.0,
                    range_m=120.0,
                    status="offline" if i % 10 == 3 else "online",
                ),
            )
        s.commit()
    engine.dispose()


def _no_latin(text: str) -> list[str]:
    text = re.sub(r"\b[A-Z]{2,}-[\w-]+", "", text)  # codes of the test data (KA-far, CAM-001)
    words = set(re.findall(r"[A-Za-z]{3,}", text))
    return sorted(w for w in words if w not in ALLOWED_LATIN)


def _analyst(page: Any, lang: str, *, phone: bool) -> None:
    page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
    nav = "视频监控" if lang == "zh-CN" else "Cameras"
    if phone:
        page.goto(page.url.split("/command")[0] + "/cameras")
    else:
        page.click(f'nav.nav a:text-is("{nav}")')
    page.wait_for_url("**/cameras")
    page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
    # the figures: 36 working of 40, per station, key areas
    assert page.inner_text("#k-cameras") == "40"
    assert page.inner_text("#k-down") == "4"
    assert page.inner_text("#k-inc").endswith("%")
    assert page.locator("#t-stations tr.row").count() == 2
    assert page.locator("#t-keyareas tr.row").count() >= 1
    page.click("#cm-explain >> xpath=..")  # open "how these figures are made"
    assert page.locator("#cm-explain li").count() == 4
    # the blind-spot layer and the cameras are on the map
    n_blind = page.evaluate("window.pinganMap.querySourceFeatures('blind').length")
    assert n_blind > 0
    # zoom to street level on the first camera: the view sectors are fetched and drawn
    with page.expect_response(lambda r: "/api/v1/cameras/sectors" in r.url) as resp:
        page.evaluate(
            "(() => { const m = window.pinganMap, f = m.querySourceFeatures('cameras')[0];"
            " m.jumpTo({ center: f.geometry.coordinates, zoom: 16 }); })()"
        )
    assert resp.value.ok and len(resp.value.json()["features"]) >= 1
    page.wait_for_timeout(400)
    if phone:
        page.screenshot(path=str(ARTIFACTS / f"cameras-phone-{lang}-sectors.png"))
    # site five new cameras in the second station (picked by clicking its row)
    page.locator("#t-stations tr.row").nth(1).click()
    assert page.input_value("#s-station") != ""
    page.fill("#s-n", "5")
    page.click("#s-run")
    page.wait_for_selector("#s-result:not([hidden])", timeout=90_000)
    assert page.locator("#s-plan tbody tr").count() == 5
    cells = page.locator("#s-ba tbody tr").first.locator("td")
    before, after = (float(cells.nth(i).inner_text().rstrip("%")) for i in (1, 2))
    assert after >= before
    with page.expect_download() as dl:
        page.click("#s-xlsx")
    path = dl.value.path()
    assert path is not None and Path(path).read_bytes()[:2] == b"PK"
    with page.expect_download() as dl:
        page.click("#s-geojson")
    gj = json.loads(Path(dl.value.path()).read_text())
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 10
    text = page.inner_text("main")
    assert not RAW_KEY.findall(text), RAW_KEY.findall(text)
    if lang == "zh-CN":
        assert _no_latin(page.inner_text("aside")) == [], _no_latin(page.inner_text("aside"))
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_cameras_page_for_an_analyst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from pingan.store.engine import make_engine, migrate
    from tests.serverutil import free_port, start_server

    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    _cameras(url, tmp_path / "data")
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))  # start_server copies os.environ
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for lang, vp, tag in (
                ("zh-CN", {"width": 1400, "height": 900}, "desktop"),
                ("en", {"width": 1400, "height": 900}, "desktop"),
                ("zh-CN", {"width": 390, "height": 844}, "phone"),
            ):
                page, errors, foreign = signed_in_page(
                    browser, base, lang=lang, user="analyst", path="/command", viewport=vp
                )
                page.context.set_default_timeout(60_000)
                _analyst(page, lang, phone=tag == "phone")
                page.screenshot(path=str(ARTIFACTS / f"cameras-{tag}-{lang}.png"), full_page=True)
                assert errors == [] and foreign == [], (errors, foreign)
                page.close()
            # a community officer reads the page but is not offered the siting
            page, errors, foreign = signed_in_page(
                browser,
                base,
                lang="zh-CN",
                user="officer0",
                path="/cameras",
                viewport={"width": 1400, "height": 900},
            )
            page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
            assert page.locator("#s-run").count() == 0
            assert page.locator("#s-denied").count() == 1
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


def _chief_edits(page: Any, base: str) -> None:
    """A station chief changes the registry from the page: picks a camera on the map, adds a
    new one placed on the map, turns it, and retires it with the reason."""
    from tests.factories import LAT0, LON0

    page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
    n0 = int(page.inner_text("#k-cameras"))
    # a click on a camera opens it in the editor
    xy = page.evaluate(
        "(() => { const m = window.pinganMap, f = m.querySourceFeatures('cameras')[0];"
        " m.jumpTo({ center: f.geometry.coordinates, zoom: 18 });"
        " const p = m.project(f.geometry.coordinates); return [p.x, p.y, f.properties.code]; })()"
    )
    page.wait_for_timeout(300)
    page.click("#map canvas", position={"x": xy[0], "y": xy[1]})
    page.wait_for_function(
        "code => document.getElementById('ce-code').textContent.includes(code)", arg=xy[2]
    )
    assert page.locator("#ce-retire-row").is_visible()
    # a new camera, placed with a click on the map, then put exactly where it stands
    page.click("#ce-new")
    assert page.get_attribute("#ce-pick", "aria-pressed") == "true"
    page.click("#map canvas", position={"x": 200, "y": 200})
    assert page.input_value("#ce-lon") != "" and page.input_value("#ce-lat") != ""
    assert page.get_attribute("#ce-pick", "aria-pressed") == "false"
    page.fill("#ce-code-in", "CAM-NEW")
    page.fill("#ce-name", "新建路口")
    page.fill("#ce-lon", f"{LON0 + 0.011:.6f}")
    page.fill("#ce-lat", f"{LAT0 + 0.009:.6f}")
    page.fill("#ce-heading", "135")
    page.fill("#ce-fov", "60")
    page.fill("#ce-range", "100")
    page.select_option("#ce-owner", "social")
    page.click("#ce-save")
    page.wait_for_function(
        "() => document.getElementById('ce-msg').textContent.includes('CAM-NEW')"
    )
    page.wait_for_function(f"() => document.getElementById('k-cameras').textContent === '{n0 + 1}'")
    cam = page.evaluate("fetch('/api/v1/cameras?code=CAM-NEW').then(r => r.json())")["items"][0]
    assert (cam["heading_deg"], cam["fov_deg"], cam["range_m"], cam["owner"]) == (
        135,
        60,
        100,
        "social",
    )
    # turn it: the same camera is changed, not another created
    page.fill("#ce-heading", "200")
    page.click("#ce-save")
    page.wait_for_function(
        f"() => fetch('/api/v1/cameras/{cam['id']}').then(r => r.json())"
        ".then(c => c.heading_deg === 200)"
    )
    page.screenshot(path=str(ARTIFACTS / "cameras-chief-edit.png"), full_page=True)
    # retiring asks for the reason first
    page.click("#ce-retire")
    assert "撤除原因" in page.inner_text("#ce-msg")
    page.fill("#ce-reason", "道路改造拆除")
    page.click("#ce-retire")
    page.wait_for_function(f"() => document.getElementById('k-cameras').textContent === '{n0}'")
    assert not page.locator("#ce-retire-row").is_visible()  # nothing left to retire
    got = page.evaluate(f"fetch('/api/v1/cameras/{cam['id']}').then(r => r.json())")
    assert got["status"] == "retired" and got["retired_at"]


def test_cameras_page_editor_for_a_station_chief(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from pingan.store.engine import make_engine, migrate
    from tests.serverutil import free_port, start_server

    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    _cameras(url, tmp_path / "data")
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page, errors, foreign = signed_in_page(
                browser,
                base,
                lang="zh-CN",
                user="chief0",
                path="/cameras",
                viewport={"width": 1400, "height": 900},
            )
            page.context.set_default_timeout(60_000)
            _chief_edits(page, base)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
            # an analyst reads and sites but is not offered the editor
            page, errors, foreign = signed_in_page(
                browser,
                base,
                lang="en",
                user="analyst",
                path="/cameras",
                viewport={"width": 1400, "height": 900},
            )
            page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
            assert page.locator("#ce-form").count() == 0
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
