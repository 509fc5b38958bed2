"""``/province`` after a demo-like build, in headless Chromium against a real server (issue 25).

The build is the demo's: the small city's incidents (with a surge at one station today, so a
warning is raised) exported into ``<data_dir>/province`` beside two generated cities
(:func:`pingan.demo.province.seed_province`) and analysed (:mod:`pingan.province_jobs`, what
the scheduler's job ``province`` runs). The analyst, in zh-CN and en, sees the three cities
ranked, the warnings and the coverage, presses the button and sees the run end (the page
drawn again with the run marked done); a commander reads the page without the button; on a
390 px phone the page does not scroll sideways. No console error, no request leaving the
server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from pingan.audit.service import Actor
from pingan.auth.service import Principal
from pingan.demo.city import build_city
from pingan.demo.province import seed_province
from pingan.incidents.models import Incident
from pingan.province.layout import read_manifest
from pingan.province_jobs import export_incidents, run_analyses
from pingan.store.engine import make_engine
from tests.serverutil import prepare_db
from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS

TEXT = {
    "zh-CN": {"title": "全省", "button": "立即运行全省研判分析", "done": "完成"},
    "en": {"title": "Province", "button": "Run the province analyses now", "done": "done"},
}
ADMIN = Principal(user_id=0, username="t", role="admin", jpath="/", jurisdiction_id=None)


def _incidents(url: str, now: dt.datetime) -> None:
    """300 days of a few incidents a day in every cell, and 40 at the first station's first
    cell in the last hour (a surge the warnings must catch)."""
    from sqlalchemy import select

    from pingan.jurisdictions.models import Jurisdiction

    rng = np.random.default_rng(5)
    eng = make_engine(url)
    with Session(eng) as s:
        cells = s.scalars(
            select(Jurisdiction).where(Jurisdiction.level == "cell").order_by(Jurisdiction.id)
        ).all()
        rows = []
        n_base = 1800
        for i in range(n_base + 40):
            surge = i >= n_base
            cell = cells[0] if surge else cells[i % len(cells)]
            x0, y0, x1, y1 = cell.min_lon, cell.min_lat, cell.max_lon, cell.max_lat
            at = now - (
                dt.timedelta(minutes=float(rng.uniform(1, 50)))
                if surge
                else dt.timedelta(days=float(rng.uniform(0.1, 300)))
            )
            lon = float(rng.uniform(x0, x1))
            lat = float(rng.uniform(y0, y1))
            rows.append(
                Incident(
                    code=f"JQ-PV-{i:05d}",
                    subtype="pickpocketing" if i % 3 else "burglary",
                    klass="criminal",
                    priority=3,
                    source="call_110",
                    state="closed",
                    lon=lon,
                    lat=lat,
                    input_crs="WGS84",
                    input_lon=lon,
                    input_lat=lat,
                    jurisdiction_id=cell.id,
                    jpath=cell.path,
                    reported_at=at,
                )
            )
        s.add_all(rows)
        s.commit()
    eng.dispose()


def _demo_like(tmp_path: Path, url: str, now: dt.datetime) -> Path:
    folder = tmp_path / "data" / "province"
    msg = seed_province(
        make_engine(url),
        tmp_path / "data",
        build_city(seed=3),
        seed=3,
        end=now,
        years=1.0,
        cities=2,
        scale=0.02,
    )
    assert msg.startswith("province: 2 generated cities")
    eng = make_engine(url)
    ex = export_incidents(
        folder,
        principal=ADMIN,
        actor=Actor.system("test"),
        since=now - dt.timedelta(days=730),
        until=now,
        engine=eng,
    )
    eng.dispose()
    assert ex.rows == 1840 and ex.cities == 3
    assert [c.code for c in read_manifest(folder).cities] == ["T0", "C02", "C03"]
    res = run_analyses(folder)
    assert res["engine"] == "local" and res["cities"] == 3 and res["warnings"] >= 1
    return folder


def test_department_runs_the_province_from_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    url, city = prepare_db(tmp_path / "web.db")
    _incidents(url, now)
    _demo_like(tmp_path, url, now)
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))
    with served_browser(tmp_path, url=url, city=city) as live:
        for lang in ("zh-CN", "en"):
            page, errors, foreign = signed_in_page(
                live.browser,
                live.base,
                lang=lang,
                user="analyst",
                path="/province",
                viewport={"width": 1300, "height": 900},
            )
            page.wait_for_selector('body[data-ready="1"]')
            assert TEXT[lang]["title"] in page.inner_text("h1")
            assert page.locator("#ranking tbody tr").count() == 3
            assert page.locator("#coverage tbody tr").count() == 3
            assert page.locator("#warnings tbody tr[data-city]").count() >= 1
            assert page.locator('#warnings tbody tr[data-city="T0"]').count() >= 1
            # the method by its name (CUSUM), not the code it is stored as (cusum)
            statistic = page.locator("#warnings tbody tr[data-city] td").nth(5).inner_text()
            assert statistic.split()[0].isupper(), statistic
            button = page.locator("#province-run")
            assert button.inner_text().strip() == TEXT[lang]["button"]
            before = page.get_attribute("#province-last-run", "data-run")
            button.click()
            # the run is followed, then the page is drawn again with the run ended
            page.wait_for_function(
                "(b) => { const s = document.getElementById('province-last-run');"
                " return document.body.dataset.ready === '1' && s && s.dataset.run"
                " && s.dataset.run !== b && s.dataset.status !== 'running'; }",
                arg=before or "",
                timeout=180_000,
            )
            assert page.get_attribute("#province-last-run", "data-status") == "ok", page.inner_text(
                "#province-last-run"
            )
            assert TEXT[lang]["done"] in page.inner_text("#province-last-run")
            assert page.locator("#ranking tbody tr").count() == 3
            page.screenshot(path=str(ARTIFACTS / f"province-run-{lang}.png"), full_page=True)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()

        # a commander reads the province but has no button; the API refuses it too
        page, errors, _ = signed_in_page(
            live.browser,
            live.base,
            lang="en",
            user="commander",
            path="/province",
            viewport={"width": 1300, "height": 900},
        )
        page.wait_for_selector('body[data-ready="1"]')
        assert page.locator("#ranking tbody tr").count() == 3
        assert page.locator("#province-run").count() == 0
        page.close()

        for lang in ("zh-CN", "en"):
            page, errors, foreign = signed_in_page(
                live.browser,
                live.base,
                lang=lang,
                user="analyst",
                path="/province",
                viewport={"width": 390, "height": 844},
            )
            page.wait_for_selector('body[data-ready="1"]')
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, (lang, width)
            page.screenshot(path=str(ARTIFACTS / f"province-phone-{lang}.png"), full_page=True)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
