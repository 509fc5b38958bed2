from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import SmallCity

WEB = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web"


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the form"
    return m.group(1)


def login(client: TestClient, username: str, password: str = "correct-horse-1") -> str:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf": _csrf(page.text),
            "next": "/command",
        },
        follow_redirects=False,
    )
    return r.headers.get("location", str(r.status_code))


def test_login_logout_and_command_page(client: TestClient, city: SmallCity) -> None:
    assert client.get("/command", follow_redirects=False).headers["location"] == (
        "/login?next=/command"
    )
    assert login(client, "dispatcher") == "/command"
    page = client.get("/command")
    assert page.status_code == 200
    assert "警情队列" in page.text and "maplibre-gl.js" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-frame-options"] == "DENY"
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/logout", data={"csrf": csrf})
    assert client.get("/command", follow_redirects=False).status_code == 303


def test_wrong_password_and_lockout_messages(client: TestClient, city: SmallCity) -> None:
    for _ in range(5):
        page = client.get("/login")
        r = client.post(
            "/login", data={"username": "chief0", "password": "wrong-one", "csrf": _csrf(page.text)}
        )
        assert r.status_code == 401 and "用户名或密码错误" in r.text
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": "chief0", "password": "correct-horse-1", "csrf": _csrf(page.text)},
    )
    assert r.status_code == 423 and "账号已锁定" in r.text


def test_login_without_csrf_is_refused(client: TestClient, city: SmallCity) -> None:
    client.get("/login")
    r = client.post(
        "/login", data={"username": "dispatcher", "password": "correct-horse-1", "csrf": "forged"}
    )
    assert r.status_code == 403 and "页面已过期" in r.text


def test_cookie_session_api_changes_need_the_csrf_header(
    client: TestClient, city: SmallCity
) -> None:
    login(client, "dispatcher")
    lon, lat = city.cell_center(0)
    body = {"subtype": "fight", "lon": lon, "lat": lat}
    r = client.post("/api/v1/incidents", json=body)
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "missing or wrong X-CSRF-Token header for a cookie-authenticated change"
    )
    page = client.get("/command")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    assert client.get("/api/v1/incidents").json()["total"] == 1  # reads need no header


def test_english_pages(client: TestClient, city: SmallCity) -> None:
    client.get("/lang/en")
    assert "Sign in" in client.get("/login").text
    login(client, "dispatcher")
    assert "Incident queue" in client.get("/command").text
    client.get("/lang/zh-CN")
    assert "警情队列" in client.get("/command").text


def test_open_redirect_is_refused(client: TestClient, city: SmallCity) -> None:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": "dispatcher",
            "password": "correct-horse-1",
            "csrf": _csrf(page.text),
            "next": "//evil.example",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/command"


@pytest.mark.parametrize("folder", ["templates", "static/js", "static/css"])
def test_nothing_loads_from_another_host(folder: str) -> None:
    for path in (WEB / folder).rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            hits = re.findall(r"""(?:src|href|url)\s*[=(]\s*["']?(https?:)?//""", text)
            assert not hits, f"{path} refers to another host"


def test_a_volunteer_lands_on_the_field_app(client: TestClient, city: SmallCity) -> None:
    """A volunteer may use only the field app's check-in screen: sign-in and ``/`` go there,
    not to the command center (a 403 for him); other roles still land on ``/command``."""
    assert login(client, "volunteer0") == "/m/"
    assert client.get("/", follow_redirects=False).headers["location"] == "/m/"
    assert client.get("/command").status_code == 403
    client.cookies.clear()
    assert login(client, "dispatcher") == "/command"
    assert client.get("/", follow_redirects=False).headers["location"] == "/command"
    client.cookies.clear()
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_every_page_shows_the_drill_banner_while_a_drill_runs(
    client: TestClient, city: SmallCity
) -> None:
    login(client, "commander")
    pages = ("/command", "/analysis", "/coverage", "/casework")
    for path in pages:  # no drill: no banner
        assert 'id="drill-banner"' not in client.get(path).text, path
    client.app.state.drill = object()  # type: ignore[attr-defined]  # what drill_feed sets
    try:
        for path in pages:
            html = client.get(path).text
            assert html.count('id="drill-banner"') == 1, path
            assert "演练进行中" in html, path
    finally:
        del client.app.state.drill  # type: ignore[attr-defined]


def test_address_suggestions_name_their_kind_in_both_languages() -> None:
    """The intake's suggestions show each candidate's kind (command-intake.js reads
    ``dispatch.kind.<kind>``); a missing key showed the code, "address", on a Chinese page."""
    import json
    from typing import get_args

    from pingan.geocoding.schemas import Kind

    for lang in ("zh-CN", "en"):
        texts = json.loads((WEB / "i18n" / f"dispatch.{lang}.json").read_text(encoding="utf-8"))
        for kind in get_args(Kind):
            assert f"dispatch.kind.{kind}" in texts, (lang, kind)
            assert texts[f"dispatch.kind.{kind}"] != kind, (lang, kind)
