"""Every API error carries a stable key, its params and a text in the page's language
(pingan.api.error_text): a Chinese page never shows an English message."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pingan.api.error_text import TEXTS, explain
from pingan.api.errors import install_error_handlers
from pingan.errors import Overloaded, TooManyRequests
from tests.conftest import auth
from tests.factories import SmallCity

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def assert_chinese(err: dict[str, Any]) -> None:
    """The text is Chinese: after taking out the codes it names (its params), no Latin word."""
    text = err["display"]
    assert re.search(r"[\u4e00-\u9fff]", text), text
    for value in sorted((str(v) for v in err["params"].values()), key=len, reverse=True):
        text = text.replace(value, "")
    text = text.replace("UTC", "")
    assert not re.search(r"[A-Za-z]{2,}", text), (err["display"], text)


def _incident(client: TestClient, city: SmallCity) -> dict[str, Any]:
    lon, lat = city.cell_center(0)
    r = client.post(
        "/api/v1/incidents",
        json={"subtype": "pickpocketing", "lon": lon, "lat": lat, "caller_phone": "13812345678"},
        headers=auth(city.tokens["dispatcher"]),
    )
    assert r.status_code == 201
    return dict(r.json())


def test_a_refused_role_reads_chinese_on_a_chinese_page(
    client: TestClient, city: SmallCity
) -> None:
    inc = _incident(client, city)
    url = f"/api/v1/incidents/{inc['id']}/caller"
    r = client.post(url, json={"reason": "看看"}, headers={**auth(city.tokens["analyst"]), **ZH})
    assert r.status_code == 403
    err = r.json()["error"]
    # the English message and the code stay as they were
    assert err["code"] == "forbidden" and err["message"].startswith("role 'analyst' may not")
    assert err["key"] == "forbidden_role"
    assert err["params"] == {
        "field": "role",
        "role": "analyst",
        "action": "incident.reveal_caller",
    }
    assert err["display"] == "您的角色（研判分析员）无权执行此操作（incident.reveal_caller）"
    assert_chinese(err)
    r = client.post(url, json={"reason": "看看"}, headers={**auth(city.tokens["analyst"]), **EN})
    assert r.json()["error"]["display"] == (
        "Your role (analyst) may not do this (incident.reveal_caller)"
    )


def test_the_page_language_wins_over_the_browser(client: TestClient, city: SmallCity) -> None:
    inc = _incident(client, city)
    url = f"/api/v1/incidents/{inc['id']}/caller"
    h = {**auth(city.tokens["analyst"]), **EN}
    client.cookies.set("pingan_lang", "zh-CN")
    try:
        r = client.post(url, json={"reason": "看看"}, headers=h)
    finally:
        client.cookies.clear()
    assert_chinese(r.json()["error"])
    # no language at all: the bureau's default, zh-CN
    r = client.post(url, json={"reason": "看看"}, headers=auth(city.tokens["analyst"]))
    assert_chinese(r.json()["error"])


def test_scope_validation_conflict_and_not_found_in_chinese(
    client: TestClient, city: SmallCity
) -> None:
    h = {**auth(city.tokens["dispatcher"]), **ZH}
    # validation: a missing field and a too-long one name the field and the reason
    r = client.post("/api/v1/incidents", json={"lon": 102.7, "lat": 25.0}, headers=h)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["key"] == "invalid_missing" and err["params"]["field"] == "subtype"
    assert err["display"] == "请填写 subtype（必填）"
    assert_chinese(err)
    lon, lat = city.cell_center(0)
    body = {"subtype": "fight", "lon": lon, "lat": lat, "summary": "长" * 10_001}
    err = client.post("/api/v1/incidents", json=body, headers=h).json()["error"]
    assert err["key"] == "invalid_too_long" and err["params"]["field"] == "summary"
    assert_chinese(err)
    # conflict: an idempotency key reused with another body
    key = {"Idempotency-Key": "k-text-1"}
    body = {"subtype": "fight", "lon": lon, "lat": lat}
    assert client.post("/api/v1/incidents", json=body, headers={**h, **key}).status_code == 201
    r = client.post("/api/v1/incidents", json={**body, "subtype": "theft"}, headers={**h, **key})
    assert r.status_code in (409, 422)
    if r.status_code == 409:
        assert r.json()["error"]["key"] == "conflict_idempotency"
    assert_chinese(r.json()["error"])
    # not found (or outside the caller's scope: no existence leak)
    r = client.get("/api/v1/incidents/999999", headers=h)
    assert r.status_code == 404 and r.json()["error"]["key"] == "not_found"
    assert_chinese(r.json()["error"])
    # scope: a station chief files an incident in the other station's area
    olon, olat = city.cell_center(8)  # cells 8-15 are the second station's
    r = client.post(
        "/api/v1/incidents",
        json={"subtype": "fight", "lon": olon, "lat": olat},
        headers={**auth(city.tokens["chief0"]), **ZH},
    )
    assert r.status_code == 403, r.text
    assert r.json()["error"]["key"] == "forbidden_scope"
    assert_chinese(r.json()["error"])


def test_a_busy_unit_and_a_no_route_are_chinese(client: TestClient, city: SmallCity) -> None:
    h = {**auth(city.tokens["dispatcher"]), **ZH}
    r = client.get("/api/v1/no-such-thing", headers=h)
    assert r.status_code == 404
    assert_chinese(r.json()["error"])
    err = explain(
        {
            "code": "conflict",
            "message": "unit P-01 is dispatched on incident JQ-1; clear or cancel that "
            "assignment first, or send another unit",
            "field": "resource_id",
            "detail": {"status": "dispatched", "incident_id": 1, "incident_code": "JQ-1"},
        },
        "zh-CN",
    )
    assert err["key"] == "conflict_unit_busy" and err["params"]["status"] == "dispatched"
    assert_chinese(err)
    # the dispatcher reads which incident holds the unit, and its status in Chinese
    assert err["params"]["incident_code"] == "JQ-1"
    assert "JQ-1" in err["display"] and "已派出" in err["display"]
    assert "dispatched" not in err["display"]
    en = explain({**err, "key": None, "params": None, "display": None}, "en")
    assert "on incident JQ-1" in en["display"], en["display"]
    idle = explain(
        {
            "code": "conflict",
            "message": "unit P-02 is off_duty, not available; make it available first, or "
            "send another unit",
            "field": "resource_id",
            "detail": {"status": "off_duty", "incident_id": None, "incident_code": None},
        },
        "zh-CN",
    )
    assert idle["key"] == "conflict_unit_busy" and "下勤" in idle["display"]
    assert "—" not in idle["display"] and "警情" not in idle["display"], idle["display"]


def test_rate_limit_and_overload_in_both_languages() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/login")
    async def login() -> None:
        raise TooManyRequests("too many failed sign-ins from your address", retry_after_s=30)

    @app.get("/busy")
    async def busy() -> None:
        raise Overloaded("the server is busy (8 reads running, 16 waiting)")

    c = TestClient(app)
    r = c.post("/login", headers=ZH)
    assert r.status_code == 429 and r.headers["retry-after"] == "30"
    err = r.json()["error"]
    assert err["key"] == "too_many_requests" and err["params"] == {"retry_after_s": 30}
    assert err["display"] == "请求过于频繁，请 30 秒后再试"
    assert c.post("/login", headers=EN).json()["error"]["display"] == (
        "Too many attempts: try again in 30 s"
    )
    err = c.get("/busy", headers=ZH).json()["error"]
    assert err["code"] == "overloaded" and err["key"] == "overloaded"
    assert_chinese(err)


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_text_is_chinese_in_chinese(key: str) -> None:
    zh, en = TEXTS[key]
    assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[\u4e00-\u9fff]", en)
    assert set(re.findall(r"\{(\w+)\}", zh)) == set(re.findall(r"\{(\w+)\}", en))
    stripped = re.sub(r"\{\w+\}|UTC", "", zh)
    assert not re.search(r"[A-Za-z]{2,}", stripped), zh
