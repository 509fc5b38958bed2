"""The map pages' readiness in headless Chromium (issue #19, ``static/js/mapframes.js``): when
``/analysis``, ``/coverage`` or ``/hazards`` sets ``body[data-ready="1"]`` its map has drawn the
whole first view — every layer that has data in it — in few frames. Each frame in software
WebGL is drawn by SwiftShader and read back, so a map drawn empty, then refitted, then once per
tile batch made these pages slow. zh-CN and en; no console error, nothing fetched from
outside."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.factories import plant_cluster_warning
from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, watched_page

pytestmark = [*BROWSER_MARKS, pytest.mark.timeout(900)]

# Runs before the page's scripts: counts the frames of the page's map and, at the moment the
# page says it is ready, records what the map has drawn (MapLibre's rendered-feature index of
# that frame, per layer).
WATCH_JS = """(() => {
  const W = window.__watch = { frames: 0, atReady: null, maps: 0 };
  let m = null;
  for (const name of ["pinganMap", "pinganAnalysisMap"]) {
    let own = null;
    Object.defineProperty(window, name, { configurable: true, get() { return own; }, set(v) {
      own = v;
      if (v === m) return;
      m = v; W.maps++;
      v.on("render", () => { W.frames++; });
    } });
  }
  new MutationObserver(() => {
    if (!document.body || document.body.dataset.ready !== "1" || W.atReady) return;
    const drawn = {};
    if (m) for (const layer of m.getStyle().layers) {
      if (layer.type === "background") continue;
      drawn[layer.id] = m.queryRenderedFeatures({ layers: [layer.id] }).length;
    }
    W.atReady = { frames: W.frames, loaded: !!m && m.loaded(), drawn };
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-ready"] });
})();"""

MAX_FRAMES = 5
"""Frames up to ready: the style's load, the sources' first update, the frame that asks for
the tiles and the one that draws them all (the old pages drew 9-18)."""

# per page: who opens it, and the layers that must have drawn features in the ready frame
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "/analysis": ("analyst", ("districts-line", "stations-line", "kde-fill", "clusters-fill")),
    "/coverage": ("analyst", ("iso-300", "keyareas", "posts")),
    "/hazards": ("admin", ("st", "hz-pt")),
}


def _seed(url: str, tmp_path: Path, city: Any) -> None:
    """The coverage city (network, posts, key areas), a warning for /analysis's clusters and an
    open hazard for /hazards."""
    from sqlalchemy import select

    from pingan.jurisdictions.models import Jurisdiction
    from pingan.ratings.models import Hazard
    from pingan.store.engine import make_engine, unit_of_work
    from tests.rapid_response.city import build

    engine = make_engine(url)
    with unit_of_work(engine) as s:
        build(s, city, tmp_path / "data")
        plant_cluster_warning(s, city, dedup_key="mapframes-test")
        cell = s.scalars(
            select(Jurisdiction).where(Jurisdiction.level == "cell").order_by(Jurisdiction.id)
        ).all()[1]
        assert cell.min_lon is not None and cell.min_lat is not None
        s.add(
            Hazard(
                code="HZ-MF",
                category="fire",
                title="消防通道堵塞",
                lon=cell.min_lon + 0.005,
                lat=cell.min_lat + 0.005,
                jurisdiction_id=cell.id,
                jpath=cell.path,
                deadline=dt.date(2026, 1, 1),
            )
        )
        s.commit()
    engine.dispose()


def test_map_pages_draw_the_whole_first_view_in_few_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx2 as httpx

    from tests.serverutil import prepare_db

    url, city = prepare_db(tmp_path / "web.db")
    assert city is not None
    _seed(url, tmp_path, city)
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))  # start_server copies os.environ
    with served_browser(tmp_path, url=url) as live:
        # recent calls, for the hot spots
        now = dt.datetime.now(dt.UTC)
        for i in range(40):
            lon, lat = city.cell_center(i % 4)
            httpx.post(
                f"{live.base}/api/v1/incidents",
                headers={"Authorization": f"Bearer {city.tokens['dispatcher']}"},
                json={
                    "subtype": ["fight", "pickpocketing", "burglary", "traffic_accident"][i % 4],
                    "lon": lon,
                    "lat": lat,
                    "reported_at": (now - dt.timedelta(hours=7 * i + 1)).isoformat(),
                },
            ).raise_for_status()
        for path, (user, layers) in PAGES.items():
            for lang in ("zh-CN", "en"):
                _check(live.browser, live.base, path, user, layers, lang)


def _check(
    browser: Any, base: str, path: str, user: str, layers: tuple[str, ...], lang: str
) -> None:
    page, errors, foreign = watched_page(browser, base, {"width": 1400, "height": 900})
    page.add_init_script(WATCH_JS)
    if lang == "en":
        page.goto(f"{base}/lang/en")
    page.goto(f"{base}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", "correct-horse-1")
    page.click("#login-submit")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
    at = page.evaluate("window.__watch && window.__watch.atReady")
    name = path.strip("/")
    page.screenshot(path=str(ARTIFACTS / f"mapframes-{name}-{lang}.png"))
    assert at is not None, (path, lang, errors)
    print(path, lang, "frames to ready:", at["frames"])  # pytest -s: the report
    # the whole first view was drawn in the frame that set ready, in few frames
    assert at["loaded"], (path, lang, at)
    missing = [layer for layer in layers if not at["drawn"].get(layer)]
    assert not missing, (path, lang, missing, at)
    assert at["frames"] <= MAX_FRAMES, (path, lang, at)
    assert errors == [] and foreign == [], (path, lang, errors, foreign)
    page.close()
