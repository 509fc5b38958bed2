"""The audit log page (``/audit``, administrators): records newest first with filters and
paging, the chain's anchor, the check of the chain with anchors, in zh-CN and en."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, Entry, record_many, seal
from tests.audit.tamper import as_forger
from tests.factories import SmallCity
from tests.web.test_pages import login


def _records(session: Session, n: int) -> None:
    record_many(
        session, [Entry(Actor.system("clerk"), "test", "widget", entity_id=i) for i in range(n)]
    )
    seal(session)


def test_admin_reads_checks_and_pages_the_audit_log(
    client: TestClient, session: Session, city: SmallCity
) -> None:
    _records(session, 60)
    record_many(session, [Entry(Actor.system("clerk"), "note", "memo", detail={"说明": "中文"})])
    login(client, "admin")
    page = client.get("/audit")
    assert page.status_code == 200
    assert "审计日志" in page.text and 'href="/audit"' in page.text
    anchor = re.search(r'<code id="anchor-now">([0-9]+:[0-9a-f]{64})</code>', page.text)
    assert anchor is not None
    seq = int(anchor.group(1).split(":")[0])
    assert f"审计链止于第 {seq} 条记录" in page.text
    assert page.text.count("<tr data-seq=") == 50 and f'data-seq="{seq}"' in page.text
    assert "{&#34;说明&#34;: &#34;中文&#34;}" in page.text  # the detail as stored, escaped once
    older = client.get(f"/audit?entity=widget&before_seq={seq - 49}")
    # widgets hold seq - 61 … seq - 2 (then the memo and the login): 12 lie below seq - 49
    assert older.text.count("<tr data-seq=") == 12
    assert 'id="older"' not in older.text

    ok = client.get("/audit", params={"check": "true", "anchor": anchor.group(1)})
    assert f"审计日志完好：已校验 {seq} 条记录。" in ok.text
    bad = client.get("/audit", params={"check": "true", "anchor": "7"})
    assert bad.status_code == 422
    assert "anchor: &#39;7&#39; is not SEQ:HASH" in bad.text

    as_forger(session)
    session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = :s"), {"s": seq - 3})
    session.expire_all()
    broken = client.get("/audit", params={"check": "true"})
    assert f"审计日志在第 {seq - 3} 条记录处被破坏：" in broken.text
    assert "其内容与哈希不符（已被篡改）。" in broken.text
    client.get("/lang/en")
    broken = client.get("/audit", params={"check": "true"})
    assert f"Audit log BROKEN at record {seq - 3}:" in broken.text
    assert "its content does not match its hash (altered)." in broken.text
    assert "audit." not in re.sub(r"<[^>]+>", "", broken.text).replace("/audit", "")


def test_audit_page_is_for_administrators_only(client: TestClient, city: SmallCity) -> None:
    assert client.get("/audit", follow_redirects=False).headers["location"] == (
        "/login?next=/audit"
    )
    login(client, "commander")
    page = client.get("/audit")
    assert page.status_code == 403 and "只有系统管理员可以查看审计日志" in page.text
    assert 'href="/audit"' not in page.text.split("</nav>")[0]
