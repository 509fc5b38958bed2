"""``/premises`` in headless Chromium against a real server, at desktop and 390 px phone size,
in zh-CN and en: the rated list, filters, a premises' rating explained with its sign link; and a
sign's public page ``/v/<token>`` on a phone without signing in. Fails on any console error and
on any request leaving the server; screenshots in ``test-artifacts/premises-*.png``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from tests.serverutil import prepare_db
from tests.web.browserutil import (
    ARTIFACTS,
    BROWSER_MARKS,
    served_browser,
    signed_in_page,
    watched_page,
)

pytestmark = BROWSER_MARKS

TEXT = {"zh-CN": ("治安星级单位", "红牌"), "en": ("Security star ratings", "Red")}


def _rated(url: str) -> str:
    """Six premises with a spread of features, rated; the public token of the best one."""
    from pingan.auth.service import Principal
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.places.models import Premises
    from pingan.ratings import service, signs
    from pingan.ratings.flows import ratings_compute_flow
    from pingan.ratings.models import Hazard, PremisesFeature
    from pingan.store.engine import make_engine, unit_of_work

    engine = make_engine(url)
    codes = ["staffed_gate", "visitor_registration", "lighting", "patrols", "alarm_link"]
    admin = Principal(0, "t", "admin", "/", None)
    with unit_of_work(engine) as s:
        cells = s.scalars(
            select(Jurisdiction).where(Jurisdiction.level == "cell").order_by(Jurisdiction.id)
        ).all()
        for k in range(6):
            cell = cells[k * 2]
            p = Premises(
                code=f"B{k}",
                kind=("school", "bank")[k % 2],
                name=f"示范单位{k}",
                lon=cell.min_lon + 0.005,
                lat=cell.min_lat + 0.005,
                jurisdiction_id=cell.id,
                jpath=cell.path,
            )
            s.add(p)
            s.flush()
            for c in codes[: 5 - k]:
                s.add(PremisesFeature(premises_id=p.id, jpath=p.jpath, code=c, present=True))
        s.flush()
        s.add(
            Hazard(
                code="HZ-B",
                category="fire",
                title="消防通道堵塞",
                lon=cells[1].min_lon + 0.005,
                lat=cells[1].min_lat + 0.005,
                jurisdiction_id=cells[1].id,
                jpath=cells[1].path,
                deadline=dt.date(2026, 1, 1),
            )
        )
        ratings_compute_flow(s, principal=admin)
        best = s.scalar(select(Premises).where(Premises.code == "B0"))
        assert best is not None
        r = service.current_rating(s, principal=admin, premises_id=best.id)
        token = signs.make_token(best.id, r.id)
    engine.dispose()
    return token


def _reopen(url: str) -> None:
    from sqlalchemy import update

    from pingan.ratings.models import Hazard
    from pingan.store.engine import make_engine, unit_of_work

    engine = make_engine(url)
    with unit_of_work(engine) as s:
        s.execute(update(Hazard).values(status="open", closed_at=None))
        s.commit()
    engine.dispose()


def test_premises_page_and_public_sign(tmp_path: Path) -> None:
    url, _city = prepare_db(tmp_path / "web.db")
    token = _rated(url)
    with served_browser(tmp_path, url=url) as live:
        browser, base = live.browser, live.base
        for lang, user, vp, tag in (
            ("zh-CN", "admin", {"width": 1300, "height": 800}, "desktop"),
            ("en", "admin", {"width": 1300, "height": 800}, "desktop"),
            ("zh-CN", "chief0", {"width": 390, "height": 844}, "phone"),
        ):
            page, errors, foreign = signed_in_page(
                browser, base, lang=lang, user=user, path="/premises", viewport=vp
            )
            page.wait_for_selector('body[data-ready="1"]')
            rows = page.locator("#list tr.row")
            assert rows.count() == (6 if user == "admin" else 4)
            assert "★★★★☆" in page.inner_text("#d-head")  # 75: no camera, no inspection
            assert page.get_attribute("#d-sign", "href", timeout=5000).endswith("/rating/sign.pdf")
            assert page.locator("#d-items li").count() >= 7
            page.select_option("#f-colour", "red")
            page.wait_for_selector('body[data-ready="1"]')
            reds = page.locator("#list tr.row")
            assert reds.count() >= 1
            assert TEXT[lang][1] in page.inner_text("#d-head")
            page.screenshot(path=str(ARTIFACTS / f"premises-{tag}-{lang}.png"), full_page=True)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
        for lang, vp in (
            ("zh-CN", {"width": 1300, "height": 800}),
            ("en", {"width": 390, "height": 844}),
        ):
            page, errors, foreign = signed_in_page(
                browser, base, lang=lang, user="chief0", path="/hazards", viewport=vp
            )
            page.wait_for_selector('body[data-ready="1"]')
            assert page.locator("#lv-station li[data-id]").count() == 1
            page.click("#lv-station button.close")
            page.wait_for_selector("#lv-station li.muted")
            page.wait_for_selector('body[data-ready="1"]')
            page.screenshot(path=str(ARTIFACTS / f"hazards-{lang}.png"), full_page=True)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
            _reopen(url)
        page, errors, foreign = watched_page(browser, base, {"width": 390, "height": 844})
        page.goto(f"{base}/v/{token}")
        page.wait_for_selector('body[data-ready="1"]')
        assert page.get_attribute("#stars", "data-stars") == "4"
        assert page.inner_text("#status") == "有效"
        page.screenshot(path=str(ARTIFACTS / "premises-public-sign.png"), full_page=True)
        resp = page.goto(f"{base}/v/{token[:-4]}AAAA")
        assert resp is not None and resp.status == 404
        assert errors == [] or all("404" in e for e in errors), errors
        assert foreign == []
