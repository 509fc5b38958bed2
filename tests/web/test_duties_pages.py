"""The operations pages: the officer's queue and the chief's board render in both languages,
with navigation and role checks; their scripts and styles are served locally."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import SmallCity
from tests.web.test_pages import login


@pytest.mark.parametrize(
    "lang,queue,board", [("zh-CN", "待签收", "签收与办结及时率"), ("en", "To sign", "On-time sign")]
)
def test_pages_render_in_both_languages(
    client: TestClient, city: SmallCity, lang: str, queue: str, board: str
) -> None:
    client.get(f"/lang/{lang}")
    assert login(client, "chief0") == "/command"
    page = client.get("/ops/my")
    assert page.status_code == 200 and queue in page.text
    assert 'name="viewport" content="width=device-width' in page.text
    assert "/static/js/ops.js" in page.text and 'href="/ops/board"' in page.text
    page = client.get("/ops/board")
    assert page.status_code == 200 and board in page.text
    assert city.stations[0].name_zh in page.text or city.stations[0].name_en in page.text
    assert city.stations[1].name_en not in page.text  # the other station is out of scope
    assert client.get("/ops", follow_redirects=False).headers["location"] == "/ops/board"


def test_officer_sees_the_queue_not_the_board(client: TestClient, city: SmallCity) -> None:
    login(client, "officer0")
    assert client.get("/ops", follow_redirects=False).headers["location"] == "/ops/my"
    page = client.get("/ops/my")
    assert page.status_code == 200 and 'href="/ops/board"' not in page.text
    r = client.get("/ops/board")
    assert r.status_code == 403 and "您的角色无权查看此页面" in r.text
    login(client, "analyst")
    assert client.get("/ops/my").status_code == 403


def test_login_required_and_assets_served(client: TestClient, city: SmallCity) -> None:
    assert client.get("/ops/my", follow_redirects=False).headers["location"] == (
        "/login?next=/ops/my"
    )
    assert client.get("/static/js/ops.js").status_code == 200
    assert client.get("/static/css/ops.css").status_code == 200
