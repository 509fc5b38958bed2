"""The analysis page: served to analyst roles, refused to others, every visible string
translated, scripts local, and (in Chromium) charts, map layers and the warning list drawn."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories import SmallCity, plant_cluster_warning
from tests.serverutil import prepare_db
from tests.web.browserutil import ARTIFACTS, needs_browser, served_browser, signed_in_page
from tests.web.test_pages import login

WEB = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web"


def _keys(text: str) -> set[str]:
    return set(re.findall(r'\bt\("((?:analysis|common)\.[a-z0-9_.]+[a-z0-9_])"\)', text))


def test_i18n_files_cover_every_key() -> None:
    zh = json.loads((WEB / "i18n" / "analysis.zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "i18n" / "analysis.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    used = _keys((WEB / "templates" / "analysis.html").read_text(encoding="utf-8"))
    used |= _keys((WEB / "static" / "js" / "analysis.js").read_text(encoding="utf-8"))
    core = json.loads((WEB / "i18n" / "core.en.json").read_text(encoding="utf-8"))
    missing = {k for k in used if k not in en and k not in core}
    assert not missing
    for prefix in ("analysis.wstatus.", "analysis.dow.", "analysis.w.act."):
        assert any(k.startswith(prefix) for k in en)


def test_analysis_page_zh_and_en(client: TestClient, city: SmallCity) -> None:
    r = client.get("/analysis", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/analysis"
    login(client, "analyst")
    page = client.get("/analysis")
    assert page.status_code == 200
    assert "警情分析与预警" in page.text and "同比（年初至今，按类别）" in page.text
    assert "刑事" in page.text  # class filter from the taxonomy
    for src in (
        "/static/vendor/maplibre-gl.js",
        "/static/vendor/echarts.min.js",
        "/static/js/analysis.js",
    ):
        assert f'src="{src}"' in page.text
    assert "<script>" not in page.text  # CSP: no inline scripts
    assert 'href="/analysis" class="active"' in page.text
    client.get("/lang/en")
    page = client.get("/analysis")
    assert "Analysis and early warning" in page.text and "Criminal" in page.text
    # the script draws the warning list with the translations the page embeds
    assert '"analysis.w.act.instruction": "Create instruction"' in page.text


def test_analysis_page_refused_to_community_officer(client: TestClient, city: SmallCity) -> None:
    login(client, "officer0")
    page = client.get("/analysis")
    assert page.status_code == 403
    assert "您的角色无权使用分析功能。" in page.text
    assert "analysis.js" not in page.text


@needs_browser
def test_analysis_page_in_chromium(tmp_path: Path) -> None:
    import httpx2 as httpx

    from pingan.store.engine import make_engine, unit_of_work

    url, city = prepare_db(tmp_path / "web.db")
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(engine) as s:
        plant_cluster_warning(s, city, dedup_key="browser-test")
        s.commit()
    engine.dispose()
    h = {"Authorization": f"Bearer {city.tokens['dispatcher']}"}
    with served_browser(tmp_path, url=url) as live:
        browser, base = live.browser, live.base
        for i in range(40):
            lon_i, lat_i = city.cell_center(i % 4)
            httpx.post(
                f"{base}/api/v1/incidents",
                headers=h,
                json={
                    "subtype": ["fight", "pickpocketing", "burglary", "traffic_accident"][i % 4],
                    "lon": lon_i,
                    "lat": lat_i,
                    "reported_at": (now - dt.timedelta(hours=7 * i + 1)).isoformat(),
                },
            ).raise_for_status()
        # the analyst is not offered instructions; the commander issues one
        for lang, user in (("en", "analyst"), ("zh-CN", "commander")):
            page, errors, foreign = signed_in_page(
                browser,
                base,
                lang=lang,
                user=user,
                path="/analysis",
                viewport={"width": 1400, "height": 1100},
            )
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            assert page.locator("#warnings li[data-id]").count() == 1
            assert page.locator("#chart-yoy canvas").count() >= 1
            assert page.locator("#chart-heat canvas").count() >= 1
            assert page.locator("#compstat tbody tr").count() >= 1
            page.screenshot(path=str(ARTIFACTS / f"analysis-{lang}.png"), full_page=True)
            # the warning's window in the bureau's local days, not the exclusive midnight after it
            head = page.locator("#warnings .w-head .w-num").first.inner_text()
            assert re.fullmatch(r"#\d+ · \d{4}-\d{2}-\d{2}( – \d{4}-\d{2}-\d{2})?", head), head
            # the dismissal's reason field waits for the dismiss button
            assert not page.locator("#warnings .w-reason").first.is_visible()
            instruct = page.locator("#warnings button[data-act='instruction']")
            if user == "analyst":
                assert instruct.count() == 0  # analysts may not issue instructions
            else:
                # dismissing needs a reason (the transition itself: tests/alerts)
                page.locator("#warnings button[data-act='dismissed']").click()
                assert page.locator("#warnings .w-reason").first.is_visible()
                page.locator("#warnings button[data-act='confirm-dismiss']").click()
                assert page.locator("#warnings .w-msg.err").inner_text() == "请填写排除理由"
                # an instruction to the warning's station, answered on the item
                instruct.click()
                page.wait_for_selector("#warnings .w-msg.ok", timeout=10_000)
            assert not errors, errors
            assert not foreign, foreign
