"""The station's side of the citizen services in headless Chromium (and the public map of
police stations on ``/notices``): a station chief triages
online reports on ``/online-reports`` (accepts one with a reply, merges a duplicate into the
open incident nearby, rejects one with a reason that the citizen then reads on ``/track``);
a community officer reviews rental registrations on ``/rentals`` on a 390 px phone (reveals a
tenant with a reason, verifies the stay, sees the share of houses registered and how it is
computed). Fails on any console error or request leaving the server; screenshots in
``test-artifacts/citizens-staff-*.png``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx2 as httpx

from pingan.citizens import service
from pingan.citizens.models import RentalStay
from pingan.citizens.schemas import ReportIn
from pingan.places.models import Premises
from pingan.store.engine import make_engine, unit_of_work
from tests.serverutil import prepare_db
from tests.web.browserutil import (
    ARTIFACTS,
    BROWSER_MARKS,
    served_browser,
    signed_in_page,
    watched_page,
)

pytestmark = BROWSER_MARKS

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1300, "height": 900}
ID_NO = "53010219900101123X"


def _seed(url: str, city) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Three online reports in station 0 (two of them 150 m apart) and a rental house with a
    stay waiting for review."""
    lon, lat = city.cell_center(0)
    engine = make_engine(url)
    codes: dict[str, str] = {}
    with unit_of_work(engine) as s:
        for key, cat, dx, text in (
            ("theft", "theft", 0.0, "楼下电动车电瓶被偷"),
            ("noise", "noise", 0.0015, "烧烤摊每晚营业到凌晨三点"),
            ("lost", "lost_property", 0.004, "在公交车上丢了钱包"),
        ):
            report, _ = service.create_report(
                s,
                data=ReportIn(
                    category=cat,
                    description=text,
                    lon=lon + dx,
                    lat=lat,
                    address_text=f"幸福路{int(dx * 10000) + 1}号",
                ),
            )
            codes[key] = report.code
        cell = city.cells[0]
        house = Premises(
            code="RH-9",
            kind="rental_house",
            name="幸福小区3栋501",
            address_text="幸福路8号",
            lon=lon,
            lat=lat,
            jurisdiction_id=cell.id,
            jpath=cell.path,
            contact_name="王房东",
            contact_phone="13700001234",
        )
        s.add(house)
        s.flush()
        today = dt.date.today()
        s.add(
            RentalStay(
                premises_id=house.id,
                jpath=house.jpath,
                tenant_count=2,
                start_date=today - dt.timedelta(days=3),
                end_date=today + dt.timedelta(days=180),
                tenant_name="李春花",
                tenant_id_no=ID_NO,
                landlord_phone="13700001234",
                consent_at=dt.datetime.now(dt.UTC),
                state="submitted",
            )
        )
        s.commit()
    engine.dispose()
    return codes


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_station_triages_reports_and_reviews_rentals(tmp_path: Path) -> None:
    url, city = prepare_db(tmp_path / "web.db")
    codes = _seed(url, city)
    with served_browser(tmp_path, url=url, city=city) as live:
        browser, base = live.browser, live.base
        # a citizen opens the map of police stations and posts on /notices
        page, errors, foreign = watched_page(browser, base, PHONE)
        page.goto(f"{base}/notices")
        page.wait_for_selector('body[data-ready="1"]')
        page.click("#show-map")
        page.wait_for_selector("#pts-map circle.k-station")
        assert page.locator("#pts-map circle.k-station").count() == len(city.stations)
        page.locator("#pts-map circle.k-station").first.click()
        page.locator("#pt-info", has_text="派出所").wait_for()
        _no_sideways_scroll(page)
        page.screenshot(path=str(ARTIFACTS / "citizens-notices-map.png"), full_page=True)
        assert errors == [] and foreign == [], (errors, foreign)
        page.close()

        page, errors, foreign = signed_in_page(
            browser, base, lang="zh-CN", user="chief0", path="/online-reports", viewport=DESK
        )
        page.wait_for_selector('body[data-ready="1"]')
        assert page.locator("nav.nav a[href='/online-reports']").count() == 1
        rows = page.locator("#or-rows tr[data-id]")
        assert rows.count() == 3

        # accept the theft with a reply
        page.locator("#or-rows tr", has_text=codes["theft"]).click()
        page.locator("#or-head", has_text=codes["theft"]).wait_for()
        assert "电瓶" in page.inner_text("#or-desc")
        page.fill("#or-accept-reply", "已受理，社区民警今天联系您")
        page.click('button[data-act="accepted"]')
        page.locator("#or-head", has_text="已受理").wait_for()

        # the noise report: merge it into the open theft incident 150 m away
        page.locator("#or-rows tr", has_text=codes["noise"]).click()
        page.locator("#or-head", has_text=codes["noise"]).wait_for()
        page.wait_for_selector("#or-cands button[data-merge]")
        page.click("#or-cands button[data-merge]")
        page.locator("#or-head", has_text="已合并").wait_for()

        # the lost wallet: reject, with the reason the citizen reads
        page.locator("#or-rows tr", has_text=codes["lost"]).click()
        page.locator("#or-head", has_text=codes["lost"]).wait_for()
        page.click('button[data-act="rejected"]')
        page.locator("#or-error", has_text="reason").wait_for()  # a reason is required
        page.fill("#or-reason", "遗失物品请到公交公司失物招领处查询")
        page.click('button[data-act="rejected"]')
        page.locator("#or-head", has_text="不予受理").wait_for()
        page.wait_for_selector("#or-none")  # nothing left to triage
        page.select_option("#or-triage", "")
        page.wait_for_selector('body[data-ready="1"]')
        assert page.locator("#or-rows tr[data-id]").count() == 3
        page.screenshot(path=str(ARTIFACTS / "citizens-staff-reports.png"), full_page=True)
        # the 422 of the missing reason is the page's own message, not a fault
        assert [e for e in errors if "422" not in e] == [] and foreign == [], (errors, foreign)

        page.goto(f"{base}/track/{codes['lost']}")
        assert page.inner_text("#track-state") == "不予受理"
        assert "失物招领" in page.inner_text("#replies")
        page.set_viewport_size(PHONE)
        page.goto(f"{base}/online-reports")
        page.wait_for_selector('body[data-ready="1"]')
        _no_sideways_scroll(page)
        page.screenshot(path=str(ARTIFACTS / "citizens-staff-reports-phone.png"), full_page=True)
        page.close()

        # the community officer reviews the rental registration on his phone
        page, errors, foreign = signed_in_page(
            browser, base, lang="zh-CN", user="officer0", path="/rentals", viewport=PHONE
        )
        page.wait_for_selector('body[data-ready="1"]')
        assert page.locator("nav.nav a[href='/online-reports']").count() == 0
        assert page.inner_text("#rn-share-value") == "100%"
        assert "计算方法" in page.inner_text("#rn-share-how")
        page.click("#rn-rows tr[data-id]")
        page.wait_for_selector("#rn-masked")
        assert ID_NO not in page.content()
        page.click("#rn-reveal-box summary")
        page.fill("#rn-reason", "核对租客身份")
        page.click("#rn-reveal")
        page.locator("#rn-revealed-data", has_text=ID_NO).wait_for()
        page.click('button[data-to="accepted"]')
        page.locator("#rn-head", has_text="已核实").wait_for()
        page.click("#rn-house-stays")
        page.wait_for_selector('body[data-ready="1"]')
        assert page.locator("#rn-rows tr[data-id]").count() == 1
        _no_sideways_scroll(page)
        page.screenshot(path=str(ARTIFACTS / "citizens-staff-rentals-phone.png"), full_page=True)
        assert errors == [] and foreign == [], (errors, foreign)
        page.close()

        # the ratings page shows the share registered, and the house's stays, with how
        r = httpx.post(
            f"{base}/api/v1/ratings/compute",
            json={},
            headers={"Authorization": f"Bearer {city.tokens['admin']}"},
            timeout=120,
        )
        assert r.status_code == 200, r.text
        page, errors, foreign = signed_in_page(
            browser, base, lang="zh-CN", user="chief0", path="/premises", viewport=DESK
        )
        page.wait_for_selector('body[data-ready="1"]')
        assert page.locator("#pr-rental").is_hidden()
        page.select_option("#f-kind", "rental_house")
        page.locator("#pr-rental-share", has_text="100%").wait_for()
        assert "计算方法" in page.inner_text("#pr-rental")
        page.locator("#d-rental", has_text="今日在住 1 条").wait_for()
        page.screenshot(path=str(ARTIFACTS / "citizens-staff-premises-rental.png"), full_page=True)
        assert errors == [] and foreign == [], (errors, foreign)
        page.close()

        # an analyst reads incidents but is not offered the triage page
        page, errors, foreign = signed_in_page(
            browser, base, lang="en", user="analyst", path="/online-reports", viewport=DESK
        )
        page.wait_for_selector('body[data-ready="1"]')
        assert page.locator("#forbidden").count() == 1
        page.close()
