"""The public side's limits and boundary: 1,000 reports from one address are throttled (429
with Retry-After), a device is limited on its own, reads are limited per minute, spent or forged
challenges are refused, and no staff API answers without a token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.citizens import pow
from pingan.citizens.models import OnlineReport
from pingan.citizens.throttle import ReadLimiter
from tests.citizens.conftest import solved
from tests.factories import SmallCity


def _flood(client: TestClient, city: SmallCity, session: Session, total: int) -> None:
    lon, lat = city.cell_center(0)
    form = {
        "category": "noise",
        "description": "楼上每天深夜施工",
        "lon": str(lon),
        "lat": str(lat),
    }
    statuses: list[int] = []
    retry_after: set[str] = set()
    for i in range(total):
        # a new device every time: only the address can stop this flood
        client.cookies.set("pingan_dev", f"device-{i:06d}-xxxxxxxxxxxx")
        fields = solved(client) if i < 25 else {"pow_challenge": "x", "pow_counter": "0"}
        r = client.post("/public/api/reports", data={**form, **fields})
        statuses.append(r.status_code)
        if r.status_code == 429:
            retry_after.add(r.headers["Retry-After"])
            assert r.json()["error"]["field"] == "client address"
    assert statuses[:20] == [201] * 20
    assert statuses[20:] == [429] * (total - 20)
    assert all(1 <= int(s) <= 3600 for s in retry_after)
    n = session.scalar(select(func.count()).select_from(OnlineReport))
    assert n == 20


@pytest.mark.slow
def test_a_thousand_reports_from_one_address_are_throttled(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    _flood(client, city, session, 1000)


def test_a_flood_from_one_address_is_throttled(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    _flood(client, city, session, 60)


def test_one_device_is_limited_below_the_address(client: TestClient, city: SmallCity) -> None:
    lon, lat = city.cell_center(1)
    form = {
        "category": "noise",
        "description": "楼上每天深夜施工",
        "lon": str(lon),
        "lat": str(lat),
    }
    client.cookies.set("pingan_dev", "one-device-0123456789")
    codes = [
        client.post("/public/api/reports", data={**form, **solved(client)}).status_code
        for _ in range(7)
    ]
    assert codes == [201] * 5 + [429] * 2
    r = client.post("/public/api/reports", data={**form, **solved(client)})
    assert r.json()["error"]["field"] == "device"


def test_reads_are_limited_per_minute() -> None:
    lim = ReadLimiter(3)
    assert [lim.check("a", now_s=0.0) for _ in range(3)] == [0, 0, 0]
    assert lim.check("a", now_s=1.0) > 0
    assert lim.check("b", now_s=1.0) == 0
    assert lim.check("a", now_s=61.0) == 0


def test_challenges_cannot_be_forged_or_reused() -> None:
    key = b"k" * 32
    c = pow.issue(key, bits=8, now_s=1000.0)
    n = pow.solve(c)
    assert not pow.verify(key, c, n, now_s=1001.0).startswith("!")
    assert pow.verify(b"x" * 32, c, n, now_s=1001.0) == "!forged"
    assert pow.verify(key, c, n, now_s=1000.0 + 16 * 60) == "!expired"
    easier = c.replace("8.", "0.", 1)
    assert pow.verify(key, easier, "0", now_s=1001.0) == "!forged"


def test_pages_carry_the_public_csp_and_a_device_cookie(
    client: TestClient, city: SmallCity
) -> None:
    for path in ("/report", "/track", "/complaints", "/notices", "/officer"):
        client.cookies.clear()
        r = client.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "script-src 'self' 'nonce-" in csp and "'unsafe-inline'" not in csp
        assert "pingan_dev=" in r.headers.get("set-cookie", "")
        assert re.search(r"\son[a-z]+=", r.text) is None  # no inline handlers
        assert " style=" not in r.text
        nonce = re.search(r"'nonce-([^']+)'", csp)
        assert nonce is not None
        blocks = re.findall(r"<(style|script)([^>]*)>", r.text)
        for _tag, attrs in blocks:  # each inline block carries this response's nonce
            assert f'nonce="{nonce.group(1)}"' in attrs or 'type="application/json"' in attrs
        assert len(blocks) == 3


def test_no_staff_api_answers_without_a_token(
    app: Any, client: TestClient, city: SmallCity
) -> None:
    open_ = {"/api/v1/auth/token", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/redoc"}
    checked = 0
    for c in iter_route_contexts(app.routes):
        if not isinstance(c.route, APIRoute) or not str(c.path).startswith("/api/v1"):
            continue
        if str(c.path) in open_:
            continue
        path = re.sub(r"\{[^}]+\}", "1", str(c.path))
        for method in (c.methods or set()) - {"HEAD"}:
            r = client.request(method, path)
            assert r.status_code == 401, (method, c.path, r.status_code)
            checked += 1
    assert checked > 100
