"""Casework pages: served to dispute roles, refused to others, zh-CN default and en, risk badges
and fired rules in the list, masked parties, mediation log on the case page, every string
translated and every script local."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.disputes.test_disputes_api import body, step
from tests.factories import SmallCity
from tests.web.test_pages import login

WEB = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web"


def _csrf(html: str) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert m
    return m.group(1)


def test_i18n_files_cover_every_key() -> None:
    zh = json.loads((WEB / "i18n" / "casework.zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "i18n" / "casework.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    used: set[str] = set()
    for f in [*(WEB / "templates").glob("casework_*.html"), WEB / "static/js/casework.js"]:
        used |= set(re.findall(r't\("(casework\.[a-z0-9_.]*[a-z0-9_])"\)', f.read_text("utf-8")))
    assert used and not used - set(en)
    for prefix in ("state", "kind", "risk", "outcome", "method", "vuln", "target", "to", "ev"):
        assert any(k.startswith(f"casework.{prefix}.") for k in en), prefix


def test_list_case_and_register_pages(client: TestClient, city: SmallCity) -> None:
    r = client.get("/casework", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/casework"
    h = auth(city.tokens["officer0"])
    d = client.post("/api/v1/disputes", json=body(city, weapons_mentioned=True), headers=h).json()
    client.post(f"/api/v1/disputes/{d['id']}/mediation-steps", json=step("failed"), headers=h)
    login(client, "officer0")
    page = client.get("/casework")
    assert page.status_code == 200
    assert "矛盾纠纷" in page.text and d["code"] in page.text
    assert 'class="risk risk-high"' in page.text and "提及凶器或武器" in page.text
    assert "张**" in page.text and "张三丰" not in page.text
    assert "width=device-width" in page.text
    assert client.get("/casework?risk=low").text.count(d["code"]) == 0
    case = client.get(f"/casework/disputes/{d['id']}")
    assert case.status_code == 200
    assert "调解记录" in case.text and "调解失败" in case.text and "社区调解员王" in case.text
    assert "138****5678" in case.text and "13812345678" not in case.text
    assert '<script src="/static/js/casework.js"></script>' in case.text
    assert "https://" not in case.text  # no CDN
    assert client.get("/casework/disputes/999999").status_code == 404
    new = client.get("/casework/disputes/new")
    assert new.status_code == 200 and 'id="register-form"' in new.text
    # the page's CSRF token works for a change through the API
    r = client.post(
        f"/api/v1/disputes/{d['id']}/parties/reveal",
        json={"reason": "上门调解"},
        headers={"X-CSRF-Token": _csrf(case.text)},
    )
    assert r.status_code == 200
    client.get("/lang/en")
    en = client.get("/casework")
    assert "Disputes and mediation" in en.text and "weapons were mentioned" in en.text
    assert "Neighbourhood" in en.text


def test_other_roles_are_refused(client: TestClient, city: SmallCity) -> None:
    login(client, "analyst")
    r = client.get("/casework")
    assert r.status_code == 403 and 'id="forbidden"' in r.text
    assert "/casework" not in client.get("/command").text.split("<main")[0]
