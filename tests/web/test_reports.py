"""The reports page and API: the weekly briefing for the caller's jurisdiction, named by its
Chinese name, local dates, p-values as people read them, hot spots named by place, en method
notes on the English page, an A4 PDF download."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pingan.incidents.models import Incident
from pingan.places.models import Premises
from pingan.store.engine import make_engine, migrate, reset_engine
from tests.conftest import auth
from tests.factories import SmallCity, build_small_city

WEEK_END = "2026-11-30"


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[TestClient, SmallCity]]:
    from pingan.api.app import create_app

    eng: Engine = make_engine(f"sqlite:///{tmp_path / 'reports.db'}")
    migrate(eng)
    reset_engine(eng)
    with Session(eng, expire_on_commit=False) as s:
        city = build_small_city(s)
        cell = city.cells[0]
        lon, lat = city.cell_center(0)
        s.add(
            Premises(
                code="P-R-1",
                kind="market",
                name="东风农贸市场",
                name_en="Dongfeng Market",
                lon=lon,
                lat=lat,
                jurisdiction_id=cell.id,
                jpath=cell.path,
            )
        )
        day0 = dt.datetime(2026, 11, 2, 2, tzinfo=dt.UTC)
        for i in range(60):  # a burst in one cell over four weeks, and a quiet year before
            at = day0 + dt.timedelta(hours=11 * i)
            s.add(_incident(f"R{i}", cell, lon, lat, at))
        for i in range(40):
            at = dt.datetime(2025, 12, 1, 3, tzinfo=dt.UTC) + dt.timedelta(days=8 * i)
            s.add(_incident(f"Q{i}", cell, lon + 0.004, lat, at))
        s.commit()
    with TestClient(create_app(engine=eng)) as c:
        yield c, city
    reset_engine(None)
    eng.dispose()


def _incident(tag: str, cell, lon: float, lat: float, at: dt.datetime) -> Incident:  # type: ignore[no-untyped-def]
    return Incident(
        code=f"JQ-RP-{tag}",
        subtype="pickpocketing",
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


def _sign_in(client: TestClient, user: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    r = client.post(
        "/login",
        data={"username": user, "password": "correct-horse-1", "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_station_chief_reads_the_briefing_of_his_station(
    served: tuple[TestClient, SmallCity],
) -> None:
    client, city = served
    _sign_in(client, "chief0")
    page = client.get(f"/reports?week_end={WEEK_END}")
    assert page.status_code == 200
    text = page.text
    station = city.stations[0].name_zh
    assert f"警情动态分析周报 · {station} · 截至 2026-11-30" in text
    assert f"统计范围：{station}" in text and "cli" not in text
    assert "东风农贸市场附近" in text  # the hot spot is named by its place, not coordinates
    assert re.search(r"\de-\d", text) is None  # no 1.52e-116
    assert "p&lt;0.001" in text or "p=" in text  # p<0.001, written as HTML text
    assert "p<0" not in text and "q<0" not in text
    assert "Gi*：" in text and "Benjamini-Hochberg 错误发现率" in text
    assert 'href="/reports"' in text
    assert f"week_end={WEEK_END}" in text  # the PDF link is for the week shown


def test_the_english_page_has_english_notes(served: tuple[TestClient, SmallCity]) -> None:
    client, _city = served
    _sign_in(client, "commander")
    client.get("/lang/en")
    text = client.get(f"/reports?week_end={WEEK_END}").text
    assert "Weekly incident briefing · Test City PSB · to 2026-11-30" in text
    assert "Gi*: counts on a" in text and "Gi*：" not in text
    assert "near Dongfeng Market" in text


def test_bad_days_and_roles_are_refused(served: tuple[TestClient, SmallCity]) -> None:
    client, city = served
    _sign_in(client, "officer0")
    r = client.get("/reports")
    assert r.status_code == 403 and "您的角色不能查看警情周报" in r.text
    assert 'href="/reports"' not in r.text
    _sign_in(client, "chief0")
    r = client.get("/reports?week_end=2999-01-01")
    assert r.status_code == 422 and "请选择昨天或更早的日期" in r.text
    r = client.get("/reports?week_end=2020-01-05")
    assert r.status_code == 200 and "该周之前一年内本辖区没有警情" in r.text
    api = client.get(
        "/api/v1/analysis/reports/weekly?week_end=2026-13-01",
        headers=auth(city.tokens["chief0"]),
    )
    assert api.status_code == 422
    assert api.json()["error"]["field"] == "week_end"


def test_api_gives_the_html_briefing(served: tuple[TestClient, SmallCity]) -> None:
    client, city = served
    r = client.get(
        f"/api/v1/analysis/reports/weekly?week_end={WEEK_END}&lang=en",
        headers=auth(city.tokens["commander"]),
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text.startswith('<!doctype html><html lang="en">')
    assert "@page{size:A4" in r.text and "<script" not in r.text


@pytest.mark.browser
def test_pdf_download_is_a4(served: tuple[TestClient, SmallCity]) -> None:
    if shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (bash .ci/run installs it)")
    client, city = served
    r = client.get(
        f"/api/v1/analysis/reports/weekly?week_end={WEEK_END}&format=pdf",
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "weekly-briefing-2026-11-30.pdf" in r.headers["content-disposition"]
    assert r.content.startswith(b"%PDF")
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", r.content)
    assert box is not None
    w_pt, h_pt = float(box.group(1)), float(box.group(2))
    assert abs(w_pt - 595.3) < 2 and abs(h_pt - 841.9) < 2  # A4, not US Letter (612 x 792)


def test_a_briefing_is_built_once_per_scope_week_and_language(
    served: tuple[TestClient, SmallCity], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pingan.crime_analysis import report

    built: list[str] = []
    real = report.build_briefing

    def counting(session, principal, *, until=None, lang="zh-CN"):  # type: ignore[no-untyped-def]
        built.append(f"{principal.jpath}|{lang}")
        return real(session, principal, until=until, lang=lang)

    monkeypatch.setattr(report, "build_briefing", counting)
    client, city = served
    url = "/api/v1/analysis/reports/weekly?week_end=2026-11-23&lang={}"
    for user, lang in (
        ("chief0", "zh-CN"),
        ("chief0", "zh-CN"),
        ("chief0", "en"),
        ("commander", "en"),
    ):
        r = client.get(url.format(lang), headers=auth(city.tokens[user]))
        assert r.status_code == 200
    station = city.stations[0].path
    assert built == [f"{station}|zh-CN", f"{station}|en", "/|en"]
