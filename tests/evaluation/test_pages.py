"""The evaluation page: the officer's own card (phone), the chief's ranking, both languages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.evaluation.conftest import Records
from tests.web.test_pages import login


@pytest.mark.parametrize(
    "lang,ranking,mine",
    [("zh-CN", "排名", "我的工作质效评价"), ("en", "Ranking", "My work-quality")],
)
def test_pages_render_in_both_languages(
    client: TestClient, records: Records, lang: str, ranking: str, mine: str
) -> None:
    client.get(f"/lang/{lang}")
    login(client, "chief0")
    page = client.get("/evaluation")
    assert page.status_code == 200 and ranking in page.text and 'id="ranking"' in page.text
    assert "/static/js/evaluation.js" in page.text and "/static/vendor/echarts.min.js" in page.text
    assert 'href="/evaluation"' in page.text and 'id="f-level"' in page.text
    login(client, "officer0")
    page = client.get("/evaluation")
    assert page.status_code == 200 and mine in page.text
    assert 'name="viewport" content="width=device-width' in page.text
    assert 'id="f-level"' not in page.text and 'class="ev mine"' in page.text


def test_roles_without_a_scorecard_are_refused(client: TestClient, records: Records) -> None:
    login(client, "analyst")
    r = client.get("/evaluation")
    assert r.status_code == 403 and "您的角色无权查看此页面" in r.text
    assert 'href="/evaluation"' not in r.text


def test_static_files_and_translations(client: TestClient) -> None:
    assert client.get("/static/js/evaluation.js").status_code == 200
    from pingan.web.i18n import messages

    zh, en = messages("zh-CN"), messages("en")
    keys = [k for k in zh if k.startswith("ev.") or k == "nav.evaluation"]
    assert keys and all(k in en for k in keys)
