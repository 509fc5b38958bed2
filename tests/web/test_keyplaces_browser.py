"""Key places in headless Chromium against a real server, played by the people who do the work:

- a community officer on a 390 px phone checks in at a school gate (first 300 m away: refused
  with the distance; then at the gate: accepted), inspects the school on the phone (fails the
  lighting: a rectification order opens), and on the premises page records the owner's signing
  and the fix;
- the station chief on a desktop opens the school's page, sees the order, accepts the fix, and
  the stars rise; the station's /posts page shows the staffed window.

Fails on any console error (the refused check-in's 422 is the one expected) and on any request
leaving the server; measures the premises page's time to ready (≤ 1 s). Screenshots in
``test-artifacts/keyplaces-*.png``."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.serverutil import free_port, prepare_db, start_server
from tests.web.browserutil import ARGS, ARTIFACTS, BROWSER_MARKS, CHROMIUM, signed_in_page

pytestmark = BROWSER_MARKS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1300, "height": 850}


def _school(url: str) -> tuple[int, int, float, float]:
    """A school in officer0's community with a gate post on duty now; (premises, post, lon,
    lat of the gate)."""
    from pingan.auth.service import Principal
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.keyplaces.models import SchoolPost
    from pingan.keyplaces.service import local_tz
    from pingan.places.models import Premises
    from pingan.ratings.flows import ratings_compute_flow
    from pingan.ratings.models import PremisesFeature
    from pingan.store.base import utcnow
    from pingan.store.engine import make_engine, unit_of_work

    engine = make_engine(url)
    with unit_of_work(engine) as s:
        community = s.scalar(select(Jurisdiction).where(Jurisdiction.code == "T1-S0-C0"))
        assert community is not None
        cell = s.scalar(
            select(Jurisdiction)
            .where(Jurisdiction.level == "cell", Jurisdiction.path.startswith(community.path))
            .order_by(Jurisdiction.id)
        )
        assert cell is not None
        lon, lat = cell.min_lon + 0.004, cell.min_lat + 0.004
        p = Premises(
            code="SCH-1",
            kind="school",
            name="春城小学",
            lon=lon,
            lat=lat,
            jurisdiction_id=cell.id,
            jpath=cell.path,
        )
        s.add(p)
        s.flush()
        for c in ("staffed_gate", "visitor_registration", "lighting", "patrols"):
            s.add(PremisesFeature(premises_id=p.id, jpath=p.jpath, code=c, present=True))
        local = utcnow().astimezone(local_tz())
        a = max(local - dt.timedelta(minutes=40), local.replace(hour=0, minute=0))
        b = min(local + dt.timedelta(minutes=40), local.replace(hour=23, minute=59))
        post = SchoolPost(
            code="HXG-1",
            name="春城小学护学岗",
            premises_id=p.id,
            lon=lon,
            lat=lat,
            radius_m=100,
            windows=f"{a:%H:%M}-{b:%H:%M}",
            school_days="1234567",
            jpath=p.jpath,
            active=True,
        )
        s.add(post)
        s.flush()
        ratings_compute_flow(s, principal=Principal(0, "t", "admin", "/", None))
        out = (p.id, post.id, lon, lat)
    engine.dispose()
    return out


def _ready_ms(page: object, url: str) -> float:
    t0 = time.perf_counter()
    page.goto(url)  # type: ignore[attr-defined]
    page.wait_for_selector('body[data-ready="1"]')  # type: ignore[attr-defined]
    return 1000 * (time.perf_counter() - t0)


def test_officer_on_a_phone_and_chief_at_a_desk(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, _city = prepare_db(tmp_path / "web.db")
    pid, _post_id, lon, lat = _school(url)
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            # --- the community officer, on the phone, at the school gate
            page, errors, foreign = signed_in_page(
                browser, base, lang="zh-CN", user="officer0", path="/posts/checkin", viewport=PHONE
            )
            page.context.grant_permissions(["geolocation"], origin=base)
            page.context.set_geolocation({"longitude": lon + 0.0033, "latitude": lat})
            page.wait_for_selector('body[data-ready="1"]')
            page.click("#ck-posts button.go")
            page.wait_for_selector('#ck-result[data-ok="0"]')
            refusal = page.inner_text("#ck-result")
            assert "签到失败" in refusal and "100 米" in refusal, refusal
            page.context.set_geolocation({"longitude": lon + 0.0003, "latitude": lat})
            page.click("#ck-posts button.go")
            page.wait_for_selector('#ck-result[data-ok="1"]')
            assert "签到成功" in page.inner_text("#ck-result")
            page.screenshot(path=str(ARTIFACTS / "keyplaces-checkin-phone.png"), full_page=True)
            assert all("422" in e for e in errors), errors  # the refused check-in only
            errors.clear()
            # --- inspects the school on the phone: the lighting fails
            page.goto(f"{base}/premises/{pid}/inspect")
            page.wait_for_selector('body[data-ready="1"]')
            page.wait_for_selector("#in-where:not(:has-text('正在定位'))")
            for fs in page.locator("#in-items fieldset").all():
                code = fs.get_attribute("data-code")
                fs.locator("label." + ("fail" if code == "lighting" else "pass")).click()
            page.fill('fieldset[data-code="lighting"] .item-note', "东门路灯不亮")
            page.fill("#in-owner", "王校长")
            page.set_input_files(
                "#in-photos",
                files=[{"name": "gate.png", "mimeType": "image/png", "buffer": _png()}],
            )
            page.click("#in-submit")
            page.wait_for_selector("#in-result[data-orders]")
            assert page.get_attribute("#in-result", "data-orders") == "1"
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
            page.screenshot(path=str(ARTIFACTS / "keyplaces-inspect-phone.png"), full_page=True)
            # --- on the premises page: the order, signed by the owner, the fix reported
            page.goto(f"{base}/premises/{pid}")
            page.wait_for_selector('body[data-ready="1"]')
            order = page.locator('#p-orders li[data-state="issued"]')
            assert "东门路灯不亮" in order.inner_text()
            order.locator('button[data-verb="sign"]').click()
            page.wait_for_selector('#p-orders li[data-state="signed"]')
            page.fill('#p-orders li[data-state="signed"] input.note', "已更换路灯")
            page.click('#p-orders li[data-state="signed"] button[data-verb="report"]')
            page.wait_for_selector('#p-orders li[data-state="reported"]')
            assert page.locator('#p-orders button[data-verb="accept"]').count() == 0
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(ARTIFACTS / "keyplaces-premises-phone.png"), full_page=True)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
            # --- the station chief at the desk accepts the fix; the stars rise
            for lang in ("zh-CN", "en"):
                page, errors, foreign = signed_in_page(
                    browser, base, lang=lang, user="chief0", path="/posts", viewport=DESKTOP
                )
                page.wait_for_selector('body[data-ready="1"]')
                assert "1 / 1" in page.inner_text("#ps-count")
                assert "officer0" in page.inner_text("#ps-posts")
                page.screenshot(path=str(ARTIFACTS / f"keyplaces-posts-{lang}.png"), full_page=True)
                ms = min(_ready_ms(page, f"{base}/premises/{pid}") for _ in range(3))
                print(f"premises page ready in {ms:.0f} ms ({lang})")
                assert ms <= 1000, ms
                if lang == "zh-CN":
                    before = int(page.get_attribute("#p-stars", "data-stars") or 0)
                    lighting = page.inner_text('#p-items li[data-code="lighting"]')
                    assert "0 / 5" in lighting and "检查 #" in lighting and "不合格" in lighting
                    page.click('#p-orders li[data-state="reported"] button[data-verb="accept"]')
                    page.wait_for_selector('#p-orders li[data-state="accepted"]')
                    page.wait_for_selector('body[data-ready="1"]')
                    after = int(page.get_attribute("#p-stars", "data-stars") or 0)
                    assert after > before, (before, after)
                    assert "5 / 5" in page.inner_text('#p-items li[data-code="lighting"]')
                else:
                    assert "Accepted" in page.inner_text("#p-orders")
                page.screenshot(
                    path=str(ARTIFACTS / f"keyplaces-premises-desktop-{lang}.png"), full_page=True
                )
                assert errors == [] and foreign == [], (errors, foreign)
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buf, format="PNG")
    return buf.getvalue()
