"""/command's readiness in headless Chromium: when the page sets ``body[data-ready="1"]`` the
map has drawn its whole first view — streets, street or place names, units and the open
incident — in few frames (each frame in software WebGL is drawn by SwiftShader and read back,
so a frame drawn for every tile batch made the page slow), and nothing is drawn half-loaded
before it. zh-CN and en; no console error, nothing fetched from outside."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, watched_page

pytestmark = [*BROWSER_MARKS, pytest.mark.timeout(600)]

# Runs before the page's scripts: counts the map's frames and, at the moment the page says it
# is ready, records what the map has drawn (MapLibre's rendered-feature index of that frame).
WATCH_JS = """(() => {
  const W = window.__watch = { frames: 0, atReady: null };
  let m = null;
  Object.defineProperty(window, "pinganMap", { configurable: true, get() { return m; }, set(v) {
    m = v;
    v.on("render", () => { W.frames++; });
  } });
  const n = (layers) =>
    m.queryRenderedFeatures({ layers: layers.filter((id) => m.getLayer(id)) }).length;
  new MutationObserver((_, o) => {
    if (!document.body || document.body.dataset.ready !== "1") return;
    o.disconnect();
    W.atReady = { frames: W.frames, loaded: m.loaded(), roads: n(["roads-major", "roads-minor"]),
      names: n(["road-labels", "district-labels", "station-labels", "keyarea-labels"]),
      units: n(["units"]), incidents: n(["incidents", "incidents-open"]) };
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-ready"] });
})();"""

MAX_FRAMES = 5
"""Frames up to ready: the style's load, the sources' first update, the frame that asks for the
tiles and the one that draws them all (the old page drew 10-14, one per tile batch)."""


def test_command_ready_draws_the_whole_first_view_in_few_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pingan.store.engine import make_engine, unit_of_work
    from tests.rapid_response.city import LAT0, LON0, build
    from tests.serverutil import prepare_db

    url, city = prepare_db(tmp_path / "web.db")
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        build(s, city, tmp_path / "data", n_incidents=10)
        s.commit()
    engine.dispose()
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))  # start_server copies os.environ
    with served_browser(tmp_path, url=url) as live:
        # an open call: the queue lists it and the map must draw it
        r = httpx.post(
            f"{live.base}/api/v1/incidents",
            json={"subtype": "fight", "lon": LON0 + 0.015, "lat": LAT0 + 0.01},
            headers={
                "Authorization": f"Bearer {city.tokens['dispatcher']}",
                "Idempotency-Key": f"ready-{time.time()}",
            },
        )
        assert r.status_code == 201, r.text
        for lang in ("zh-CN", "en"):
            _check(live.browser, live.base, lang)


def _check(browser: Any, base: str, lang: str) -> None:
    page, errors, foreign = watched_page(browser, base, {"width": 1500, "height": 900})
    page.add_init_script(WATCH_JS)
    if lang == "en":
        page.goto(f"{base}/lang/en")
    page.goto(f"{base}/login?next=/command")
    page.fill("#username", "dispatcher")
    page.fill("#password", "correct-horse-1")
    page.click("#login-submit")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
    at = page.evaluate("window.__watch.atReady")
    page.screenshot(path=str(ARTIFACTS / f"command-ready-{lang}.png"))
    assert at is not None, errors
    # the whole first view was drawn in the frame that set ready
    assert at["loaded"], at
    assert at["roads"] > 0 and at["names"] > 0, at
    assert at["units"] > 0 and at["incidents"] > 0, at
    assert at["frames"] <= MAX_FRAMES, at
    # and the queue and the unit board are drawn
    assert page.locator("#queue li[data-id]").count() >= 1
    assert page.locator("#board li.unit").count() >= 4
    assert errors == [] and foreign == [], (errors, foreign)
    page.close()
