"""The staff pages of the citizen services, without a browser: who opens them, the texts in
both languages, and no personal data in the page itself (the tables are filled by the API,
masked)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories import SmallCity
from tests.web.test_pages import login

WEB = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web"


def _keys(text: str) -> set[str]:
    return set(re.findall(r'\bt\("((?:or|rn|pr\.rental|pub)\.[a-z0-9_.]+[a-z0-9_])"\)', text))


def test_i18n_files_cover_every_key() -> None:
    zh = json.loads((WEB / "i18n" / "citizens.zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "i18n" / "citizens.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    pub_zh = json.loads((WEB / "i18n" / "public.zh-CN.json").read_text(encoding="utf-8"))
    pub_en = json.loads((WEB / "i18n" / "public.en.json").read_text(encoding="utf-8"))
    assert set(pub_zh) == set(pub_en)
    used: set[str] = set()
    for rel in (
        "templates/online_reports.html",
        "templates/rentals.html",
        "templates/public_notices.html",
        "static/js/online_reports.js",
        "static/js/rentals.js",
        "static/js/premises.js",
    ):
        used |= _keys((WEB / rel).read_text(encoding="utf-8"))
    missing = {k for k in used if k not in en and k not in pub_en}
    assert not missing
    for prefix in ("or.tr.", "rn.st.", "pub.stars.status.", "pub.kind."):
        assert any(k.startswith(prefix) for k in {**en, **pub_en})


def test_who_opens_the_queues(client: TestClient, city: SmallCity) -> None:
    r = client.get("/online-reports", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/online-reports"
    login(client, "chief0")
    page = client.get("/online-reports")
    assert page.status_code == 200 and "网上报警受理" in page.text
    assert '<a href="/online-reports"' in page.text and '<a href="/rentals"' in page.text
    assert client.get("/rentals").status_code == 200
    client.cookies.clear()
    login(client, "officer0")
    assert client.get("/online-reports").status_code == 403
    page = client.get("/rentals")
    assert page.status_code == 200 and "出租房登记审核" in page.text
    assert '<a href="/online-reports"' not in page.text
    client.cookies.clear()
    login(client, "analyst")
    assert client.get("/rentals").status_code == 403
    client.get("/lang/en")
    page = client.get("/online-reports")
    assert page.status_code == 403 and "may not triage online reports" in page.text
