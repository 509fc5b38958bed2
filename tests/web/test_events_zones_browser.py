"""``/events`` in headless Chromium: a station chief reshapes the control ring of the match
under way by dragging its vertices on the map (a refused shape shows the server's reason and
is discarded; a vertex moved, one added on an edge and one deleted are saved as a polygon),
while a dispatcher's live board on a second page shows a post reported staffed through the
post PATCH without a reload (``event: post`` on the live stream). Fails on any console error
but the refused save's own 422 line; screenshot ``test-artifacts/events-zone-vertices.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shapely

from tests.serverutil import free_port, prepare_db, start_server
from tests.web.browserutil import ARGS, ARTIFACTS, BROWSER_MARKS, CHROMIUM, signed_in_page
from tests.web.test_events_browser import VENUE, _Api, _events, _live_event

pytestmark = BROWSER_MARKS


def _xy(page: Any, lon: float, lat: float) -> tuple[float, float]:
    """Page coordinates of a map position."""
    x, y = page.evaluate(
        "([lon, lat]) => { const m = window.pinganMap, r = m.getCanvas().getBoundingClientRect();"
        " const p = m.project([lon, lat]); return [r.left + p.x, r.top + p.y]; }",
        [lon, lat],
    )
    return float(x), float(y)


def _lonlat(page: Any, x: float, y: float) -> tuple[float, float]:
    """The map position under page coordinates."""
    lon, lat = page.evaluate(
        "([x, y]) => { const m = window.pinganMap, r = m.getCanvas().getBoundingClientRect();"
        " const c = m.unproject([x - r.left, y - r.top]); return [c.lng, c.lat]; }",
        [x, y],
    )
    return float(lon), float(lat)


def _drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=8)
    page.mouse.up()


def _vertices_drawn(page: Any, n: int) -> None:
    """Wait until the map draws ``n`` vertex handles (a drag must find them under the mouse)."""
    page.wait_for_function(
        "(n) => new Set(window.pinganMap.queryRenderedFeatures({ layers: ['ze-vertices'] })"
        ".map((f) => f.properties.i)).size === n",
        arg=n,
    )


def _control(api: _Api, eid: str) -> list[list[float]]:
    zones = {z["kind"]: z for z in api.get(f"/api/v1/events/{eid}")["zones"]}
    return [list(c) for c in zones["control"]["geometry"]["coordinates"][0][:-1]]


def _near(ring: list[list[float]], lon: float, lat: float, tol: float = 1e-4) -> bool:
    return any(abs(c[0] - lon) < tol and abs(c[1] - lat) < tol for c in ring)


def test_control_ring_vertices_and_live_staffing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
            # the dispatcher's live board, on a page of its own
            board, b_errors, b_foreign = signed_in_page(
                browser, base, lang="zh-CN", user="dispatcher", path="/events", viewport=vp
            )
            board.context.set_default_timeout(60_000)
            board.wait_for_selector('body[data-ready="1"]')
            board.wait_for_selector("#pane-board:not([hidden])")
            board.wait_for_selector("#b-live:not(.off)")
            loads: list[str] = []
            board.on("framenavigated", lambda f: loads.append(f.url))
            eid = board.input_value("#ev-pick")
            # the station chief reshapes the control ring of the match under way
            page, errors, foreign = signed_in_page(
                browser, base, lang="zh-CN", user="chief0", path="/events", viewport=vp
            )
            page.context.set_default_timeout(60_000)
            page.wait_for_selector('body[data-ready="1"]')
            assert page.input_value("#ev-pick") == eid
            page.click("#tab-plan")
            page.wait_for_selector('body[data-ready="1"]')
            ring0 = _control(other, eid)
            north = max(range(len(ring0)), key=lambda i: ring0[i][1])
            south = min(range(len(ring0)), key=lambda i: ring0[i][1])
            east = max(range(len(ring0)), key=lambda i: ring0[i][0])
            page.select_option("#ze-zone", "control")
            page.click("#ze-edit")
            page.wait_for_selector("#ze-tools:not([hidden])")
            assert page.get_attribute("#ze-edit", "aria-pressed") == "true"
            _vertices_drawn(page, len(ring0))
            # a vertex dragged into the venue: refused, the reason shown, nothing saved
            cx, cy = (VENUE[0] + VENUE[2]) / 2, (VENUE[1] + VENUE[3]) / 2
            _drag(page, _xy(page, *ring0[north]), _xy(page, cx, cy))
            page.click("#ze-save")
            page.wait_for_function(
                "() => { const m = document.getElementById('pe-msg');"
                " return m.classList.contains('no') && m.textContent.includes('未保存'); }"
            )
            assert "管制圈必须完整包含安检圈" in page.inner_text("#pe-msg")  # the server's reason
            assert _control(other, eid) == ring0
            page.click("#ze-cancel")
            page.wait_for_selector("#ze-tools[hidden]", state="attached")
            # again: the north vertex pulled in 40 px, a vertex added on the edge after the
            # east one and dragged out 25 px, the south vertex deleted
            page.click("#ze-edit")
            page.wait_for_selector("#ze-tools:not([hidden])")
            _vertices_drawn(page, len(ring0))
            nx, ny = _xy(page, *ring0[north])
            _drag(page, (nx, ny), (nx, ny + 40))
            north_to = _lonlat(page, nx, ny + 40)
            nxt = ring0[(east + 1) % len(ring0)]
            mx, my = _xy(page, (ring0[east][0] + nxt[0]) / 2, (ring0[east][1] + nxt[1]) / 2)
            _drag(page, (mx, my), (mx + 25, my))
            added = _lonlat(page, mx + 25, my)
            page.wait_for_function(
                "() => document.getElementById('pe-msg').textContent.includes('增加顶点')"
            )
            _vertices_drawn(page, len(ring0) + 1)
            page.mouse.click(*_xy(page, *ring0[south]))  # select it
            page.click("#ze-del")
            page.wait_for_function(
                "() => document.getElementById('pe-msg').textContent.includes('已删除顶点')"
            )
            page.screenshot(path=str(ARTIFACTS / "events-zone-vertices.png"), full_page=True)
            page.click("#ze-save")
            page.wait_for_function(
                "() => document.getElementById('pe-msg').textContent.includes('已重划')"
            )
            page.wait_for_selector("#ze-tools[hidden]", state="attached")
            ring1 = _control(other, eid)
            assert len(ring1) == len(ring0)  # one added, one deleted
            assert _near(ring1, *north_to) and not _near(ring1, *ring0[north])
            assert _near(ring1, *added)
            assert not _near(ring1, *ring0[south])
            assert shapely.Polygon(ring1).is_valid
            # someone reports a post of the current shift staffed: the board shows it live
            staffed0 = board.inner_text("#b-staffed")
            ev = other.get(f"/api/v1/events/{eid}")
            shift = other.get(f"/api/v1/events/{eid}/board")["shift"]
            post = next(q for q in ev["posts"] if q["shift"] == shift and not q["staffed_at"])
            st, out = other.call("PATCH", f"/api/v1/events/posts/{post['id']}", {"staffed": True})
            assert st == 200, out
            board.wait_for_function(
                f"() => document.getElementById('b-staffed').textContent !== '{staffed0}'"
            )
            done, total = (int(x) for x in board.inner_text("#b-staffed").split("/"))
            assert done == int(staffed0.split("/")[0]) + 1 and total == int(staffed0.split("/")[1])
            assert loads == [], loads  # no reload: the stream did it
            board.screenshot(path=str(ARTIFACTS / "events-live-staffing.png"), full_page=True)
            refused = [e for e in errors if "status of 422" in e]
            assert len(refused) == 1, errors
            assert [e for e in errors if e not in refused] == [] and foreign == [], errors
            assert b_errors == [] and b_foreign == [], (b_errors, b_foreign)
            page.close()
            board.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
