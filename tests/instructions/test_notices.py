"""Escalation notices can be marked read — one, or all of the caller's office at once — with
an audit record, scoped to the office the notices are addressed to."""

from __future__ import annotations

import datetime as dt
import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor, verify
from pingan.instructions import notices
from tests.conftest import auth
from tests.factories import SmallCity
from tests.instructions.test_instructions import issue


def _escalated(client: TestClient, city: SmallCity, session: Session) -> list[int]:
    """Two stations overdue to sign and to complete: four notices to the bureau."""
    issue(client, city, recipients=[{"kind": "district", "id": city.district.id}])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert notices.escalate(session, actor=Actor.system("test"), now=later).total == 4
    h = auth(city.tokens["commander"])
    r = client.get("/api/v1/instructions/notices", headers=h)
    return [n["id"] for n in r.json()["items"]]


def _audits(session: Session, action: str) -> list[AuditRecord]:
    return list(
        session.scalars(
            select(AuditRecord).where(
                AuditRecord.entity == "instruction_notice", AuditRecord.action == action
            )
        )
    )


def test_mark_one_notice_read_is_audited_and_idempotent(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    ids = _escalated(client, city, session)
    h = auth(city.tokens["commander"])
    r = client.post(f"/api/v1/instructions/notices/{ids[0]}/read", headers=h)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["id"] == ids[0] and first["read_at"] is not None
    again = client.post(f"/api/v1/instructions/notices/{ids[0]}/read", headers=h).json()
    assert again["read_at"] == first["read_at"]  # the first reading is kept
    recs = _audits(session, "read")
    assert len(recs) == 1 and recs[0].entity_id == str(ids[0])
    assert recs[0].actor == "commander" and verify(session).ok
    r = client.get("/api/v1/instructions/notices?unread_only=true", headers=h)
    assert r.json()["total"] == 3 and ids[0] not in [n["id"] for n in r.json()["items"]]


def test_mark_all_read_covers_only_the_callers_office(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    ids = _escalated(client, city, session)
    # the station chief's office has no notices: nothing to mark, nothing audited
    r = client.post("/api/v1/instructions/notices/read-all", headers=auth(city.tokens["chief0"]))
    assert r.status_code == 200 and r.json() == {"marked": 0, "message": "0 notices marked read"}
    assert _audits(session, "read_all") == []
    h = auth(city.tokens["commander"])
    client.post(f"/api/v1/instructions/notices/{ids[1]}/read", headers=h)
    r = client.post("/api/v1/instructions/notices/read-all", headers=h)
    assert r.json() == {"marked": 3, "message": "3 notices marked read"}
    assert client.get("/api/v1/instructions/notices?unread_only=true", headers=h).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    (rec,) = _audits(session, "read_all")
    detail = json.loads(rec.detail)
    assert detail["count"] == 3 and detail["ids"] == sorted(i for i in ids if i != ids[1])
    r = client.post("/api/v1/instructions/notices/read-all", headers=h)
    assert r.json()["marked"] == 0 and len(_audits(session, "read_all")) == 1


def test_a_notice_to_another_office_is_404_and_stays_unread(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    ids = _escalated(client, city, session)
    for who in ("chief0", "officer0"):
        r = client.post(
            f"/api/v1/instructions/notices/{ids[0]}/read", headers=auth(city.tokens[who])
        )
        assert r.status_code == 404
        assert r.json()["error"]["message"] == (
            f"notice {ids[0]} does not exist or is not addressed to your office"
        )
    r = client.post("/api/v1/instructions/notices/999999/read", headers=auth(city.tokens["admin"]))
    assert r.status_code == 404
    h = auth(city.tokens["commander"])
    assert (
        client.get("/api/v1/instructions/notices?unread_only=true", headers=h).json()["total"] == 4
    )
    assert _audits(session, "read") == []


def test_notices_and_recipients_carry_names_and_local_deadlines(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    _escalated(client, city, session)
    h = auth(city.tokens["commander"])
    items = client.get("/api/v1/instructions/notices", headers=h).json()["items"]
    st = city.stations[0]
    sign = next(n for n in items if n["kind"] == "sign_overdue" and st.name_zh in n["message_zh"])
    assert "超期未签收（时限 " in sign["message_zh"] and "+00:00" not in sign["message_zh"]
    assert f": {st.name_en} is overdue to sign (deadline 20" in sign["message_en"]
    page = client.get("/api/v1/instructions?issuer=me", headers=h).json()
    names = {(r["name_zh"], r["name_en"]) for r in page["items"][0]["recipients"]}
    assert names == {(s.name_zh, s.name_en) for s in city.stations}
