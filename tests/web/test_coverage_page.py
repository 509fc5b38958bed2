"""The coverage page: served to planners in zh-CN (default) and en, refused to others, every
key used is translated in both languages, scripts are local."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories import SmallCity
from tests.web.test_pages import login

WEB = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web"


def test_coverage_i18n_covers_every_key() -> None:
    zh = json.loads((WEB / "i18n" / "coverage.zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "i18n" / "coverage.en.json").read_text(encoding="utf-8"))
    core = json.loads((WEB / "i18n" / "core.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    text = (WEB / "templates" / "coverage.html").read_text(encoding="utf-8")
    text += (WEB / "static" / "js" / "coverage.js").read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\("((?:coverage|common)\.[a-z0-9_.]+[a-z0-9_])"\)', text))
    assert used and not {k for k in used if k not in en and k not in core}


def test_coverage_page_zh_and_en(client: TestClient, city: SmallCity) -> None:
    assert client.get("/coverage", follow_redirects=False).status_code == 303
    login(client, "analyst")
    r = client.get("/coverage")
    assert r.status_code == 200
    assert "1、3、5分钟快反圈" in r.text and "布点优化" in r.text
    assert "/static/js/coverage.js" in r.text and "/static/vendor/maplibre-gl.js" in r.text
    assert "https://" not in r.text.split("<main", 1)[1]
    client.get("/lang/en")
    r = client.get("/coverage")
    assert "1-3-5 minute circles" in r.text and "Siting (maximal covering)" in r.text


def test_coverage_page_refused_to_community_officers(client: TestClient, city: SmallCity) -> None:
    login(client, "officer0")
    r = client.get("/coverage")
    assert r.status_code == 403 and 'id="forbidden"' in r.text
