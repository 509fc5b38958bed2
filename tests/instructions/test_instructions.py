"""Instructions: issue, per-recipient state machine, scope, deadlines, report-back, escalation,
attachments, queues and rates — through the API, with the messages pinned."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor, verify
from pingan.config import get_settings
from pingan.instructions import attachments, notices, service
from pingan.instructions.models import InstructionEvent, InstructionRecipient, Notice
from tests.conftest import auth
from tests.error_body import plain
from tests.factories import SmallCity


def _in(hours: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat()


def body(city: SmallCity, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": "夜间巡查电动车盗窃高发点",
        "text": "近一周电动车被盗 9 起，请组织夜间巡查并反馈。",
        "priority": "high",
        "recipients": [{"kind": "station", "id": city.stations[0].id}],
        "sign_by": _in(2),
        "complete_by": _in(24),
    }
    out.update(kw)
    return out


def issue(client: TestClient, city: SmallCity, who: str = "commander", **kw: Any) -> Any:
    r = client.post("/api/v1/instructions", json=body(city, **kw), headers=auth(city.tokens[who]))
    assert r.status_code == 201, r.text
    return r.json()


def step(
    client: TestClient, city: SmallCity, who: str, ins: Any, rid: int, to: str, **kw: Any
) -> Any:
    return client.post(
        f"/api/v1/instructions/{ins['id']}/recipients/{rid}/transitions",
        json={"to_state": to, **kw},
        headers=auth(city.tokens[who]),
    )


def test_issue_to_a_district_makes_one_recipient_per_station(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    ins = issue(client, city, recipients=[{"kind": "district", "id": city.district.id}])
    assert ins["recipient_count"] == 2 and ins["issuer_level"] == "bureau"
    assert sorted(r["station_id"] for r in ins["recipients"]) == sorted(s.id for s in city.stations)
    assert {r["state"] for r in ins["recipients"]} == {"issued"}
    assert ins["status_counts"] == {"issued": 2}
    n = session.scalar(
        select(func.count(AuditRecord.id)).where(
            AuditRecord.entity == "instruction", AuditRecord.action == "create"
        )
    )
    assert n == 1 and verify(session).ok


def test_full_lifecycle_with_rework_and_timeline(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    ins = issue(client, city)
    rid = ins["recipients"][0]["id"]
    assert step(client, city, "chief0", ins, rid, "signed").json()["state"] == "signed"
    assert step(client, city, "chief0", ins, rid, "in_progress").status_code == 200
    r = client.post(
        f"/api/v1/instructions/{ins['id']}/recipients/{rid}/report",
        json={"text": "已组织 3 个夜间巡组，抓获 1 人", "lon": 102.71, "lat": 25.03},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "reported" and r.json()["report_lon"] == 102.71
    # the issuer returns it with a reason, the station reworks and reports again
    r = step(client, city, "commander", ins, rid, "returned")
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "note: say why the report is returned for rework"
    assert step(client, city, "commander", ins, rid, "returned", note="缺少照片").status_code == 200
    assert step(client, city, "chief0", ins, rid, "in_progress").status_code == 200
    r = step(client, city, "chief0", ins, rid, "reported", text="补充巡查照片")
    assert r.status_code == 200 and r.json()["rework_count"] == 1
    assert step(client, city, "commander", ins, rid, "accepted").status_code == 200
    out = step(client, city, "commander", ins, rid, "closed").json()
    assert out["state"] == "closed" and out["allowed_transitions"] == []
    assert out["signed_at"] and out["accepted_at"] and out["closed_at"]
    tl = client.get(
        f"/api/v1/instructions/{ins['id']}/timeline", headers=auth(city.tokens["commander"])
    ).json()
    assert [e["to_state"] for e in tl] == [
        "issued", "signed", "in_progress", "reported", "returned", "in_progress", "reported",
        "accepted", "closed",
    ]  # fmt: skip
    assert all(tl[i]["at"] <= tl[i + 1]["at"] for i in range(len(tl) - 1))
    assert verify(session).ok


def test_illegal_transition_is_409_naming_the_allowed_ones(
    client: TestClient, city: SmallCity
) -> None:
    ins = issue(client, city)
    rid = ins["recipients"][0]["id"]
    r = step(client, city, "chief0", ins, rid, "reported", text="x")
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "illegal_transition"
    assert err["message"] == "instruction cannot go from 'issued' to 'reported'; allowed: signed"
    assert err["detail"]["allowed"] == ["signed"]
    r = step(client, city, "chief0", ins, rid, "archived")
    assert r.status_code == 422 and r.json()["error"]["field"] == "to_state"


def test_only_the_right_side_may_act(client: TestClient, city: SmallCity) -> None:
    ins = issue(client, city)
    rid = ins["recipients"][0]["id"]
    r = step(client, city, "commander", ins, rid, "signed")
    assert r.status_code == 403
    assert (
        r.json()["error"]["message"] == "only the recipient may move this instruction to 'signed'"
    )
    # another station cannot even see it
    r = step(client, city, "chief1", ins, rid, "signed")
    assert r.status_code == 404
    step(client, city, "chief0", ins, rid, "signed")
    step(client, city, "chief0", ins, rid, "in_progress")
    step(client, city, "chief0", ins, rid, "reported", text="done")
    r = step(client, city, "chief0", ins, rid, "accepted")
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "only the issuing office may move this instruction to 'accepted'"
    )


def test_recipient_outside_scope_is_403(client: TestClient, city: SmallCity) -> None:
    r = client.post(
        "/api/v1/instructions",
        json=body(city, recipients=[{"kind": "station", "id": city.stations[1].id}]),
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        f"recipient station {city.stations[1].id} is outside your jurisdiction"
    )
    r = client.post("/api/v1/instructions", json=body(city), headers=auth(city.tokens["officer0"]))
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "role 'community_officer' may not issue instructions (instruction.issue); allowed: "
        "admin, commander, station_chief"
    )


@pytest.mark.parametrize(
    "patch,field,message",
    [
        ({"sign_by": _in(-1)}, "sign_by", "sign_by: is in the past"),
        ({"complete_by": _in(-1)}, "complete_by", "complete_by: is in the past"),
        ({"complete_by": _in(1)}, "complete_by", "complete_by: must not be before sign_by"),
        (
            {"sign_by": "2030-01-01T08:00:00"},
            "sign_by",
            "sign_by: must include a timezone, e.g. 2026-12-02T18:00:00+08:00",
        ),
        ({"priority": "extreme"}, "priority", "priority: Input should be"),
        ({"recipients": []}, "recipients", "recipients: List should have at least 1 item"),
        (
            {"recipients": [{"kind": "station", "id": 99999}]},
            "recipients[0]",
            "recipients[0]: no station with id 99999",
        ),
        (
            {"incident_id": 99999},
            "incident_id",
            "incident_id: incident 99999 does not exist or is outside your jurisdiction",
        ),
        ({"link_kind": "warning"}, "body", "give link_kind and link_id together"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, city: SmallCity, patch: dict[str, Any], field: str, message: str
) -> None:
    r = client.post(
        "/api/v1/instructions", json=body(city, **patch), headers=auth(city.tokens["commander"])
    )
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["field"] == field
    assert message in err["message"]


def test_report_back_needs_text_and_nothing_is_lost(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    ins = issue(client, city, recipients=[{"kind": "officer", "id": city.users["officer0"].id}])
    rid = ins["recipients"][0]["id"]
    step(client, city, "officer0", ins, rid, "signed")
    step(client, city, "officer0", ins, rid, "in_progress")
    url = f"/api/v1/instructions/{ins['id']}/recipients/{rid}/report"
    r = client.post(url, json={"text": "  "}, headers=auth(city.tokens["officer0"]))
    assert r.status_code == 422
    assert plain(r.json()["error"]) == {
        "code": "invalid",
        "message": "text: is required to report back: say what was done",
        "field": "text",
    }
    r = client.post(url, json={"text": "ok", "lon": 102.7}, headers=auth(city.tokens["officer0"]))
    assert r.status_code == 422 and r.json()["error"]["field"] == "lat"
    assert session.get(InstructionRecipient, rid).state == "in_progress"  # type: ignore[union-attr]


def test_queue_board_and_rates(client: TestClient, city: SmallCity) -> None:
    officer = city.users["officer0"].id
    a = issue(client, city, recipients=[{"kind": "officer", "id": officer}])
    b = issue(client, city, "chief0", recipients=[{"kind": "officer", "id": officer}])
    h = auth(city.tokens["officer0"])
    q = client.get("/api/v1/instructions/queue?box=to_sign", headers=h).json()
    assert q["total"] == 2 and {i["instruction_id"] for i in q["items"]} == {a["id"], b["id"]}
    step(client, city, "officer0", a, a["recipients"][0]["id"], "signed")
    assert client.get("/api/v1/instructions/queue?box=to_do", headers=h).json()["total"] == 1
    assert client.get("/api/v1/instructions/queue?box=overdue", headers=h).json()["total"] == 0
    mine = client.get("/api/v1/instructions", headers=auth(city.tokens["chief0"])).json()
    assert mine["total"] == 1 and mine["items"][0]["status_counts"] == {"issued": 1}
    board = client.get(
        f"/api/v1/instructions/board?station_id={city.stations[0].id}",
        headers=auth(city.tokens["chief0"]),
    ).json()
    assert board["total"] == 2
    other = client.get("/api/v1/instructions/board", headers=auth(city.tokens["chief1"])).json()
    assert other["total"] == 0
    rates = client.get("/api/v1/instructions/rates", headers=auth(city.tokens["commander"]))
    out = rates.json()
    assert out["recipients"] == 2 and out["signed"] == 1 and out["signed_on_time"] == 1
    assert out["sign_rate"] == 1.0 and out["completion_rate"] is None
    r = client.get("/api/v1/instructions/queue?box=nope", headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "box"


def test_escalation_is_idempotent_and_notifies_the_issuer_level(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    ins = issue(client, city, recipients=[{"kind": "district", "id": city.district.id}])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    first = notices.escalate(session, actor=Actor.system("test"), now=later)
    assert (first.sign_overdue, first.complete_overdue) == (2, 0)
    again = notices.escalate(session, actor=Actor.system("test"), now=later)
    assert again.total == 0
    much_later = later + dt.timedelta(days=2)
    third = notices.escalate(session, actor=Actor.system("test"), now=much_later)
    assert (third.sign_overdue, third.complete_overdue) == (0, 2)
    rows = session.scalars(select(Notice).where(Notice.instruction_id == ins["id"])).all()
    assert len(rows) == 4 and {n.jpath for n in rows} == {"/"}
    assert "超期未签收" in rows[0].message_zh
    r = client.get("/api/v1/instructions/notices", headers=auth(city.tokens["commander"]))
    assert r.json()["total"] == 4
    assert (
        client.get("/api/v1/instructions/notices", headers=auth(city.tokens["chief0"])).json()[
            "total"
        ]
        == 0
    )
    kinds = session.scalars(
        select(InstructionEvent.kind).where(InstructionEvent.instruction_id == ins["id"])
    ).all()
    assert kinds.count("escalated") == 4


def test_attachments_size_type_and_report_photos(
    client: TestClient,
    city: SmallCity,
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    ins = issue(client, city)
    rid = ins["recipients"][0]["id"]
    url = f"/api/v1/instructions/{ins['id']}/attachments"
    r = client.post(
        url,
        files={"file": ("map.pdf", b"%PDF-1.4 demo", "application/pdf")},
        headers=auth(city.tokens["commander"]),
    )
    assert r.status_code == 201, r.text
    att = r.json()
    got = client.get(f"{url}/{att['id']}", headers=auth(city.tokens["chief0"]))
    assert got.status_code == 200 and got.content == b"%PDF-1.4 demo"
    r = client.post(
        url,
        files={"file": ("x.exe", b"MZ", "application/x-msdownload")},
        headers=auth(city.tokens["commander"]),
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith(
        "file: type 'application/x-msdownload' is not accepted"
    )
    big = b"0" * (attachments.MAX_ATTACHMENT_BYTES + 1)
    r = client.post(
        url, files={"file": ("big.jpg", big, "image/jpeg")}, headers=auth(city.tokens["commander"])
    )
    assert r.status_code == 422
    assert "at most 10485760 bytes (10 MiB)" in r.json()["error"]["message"]
    # a photo for the station's report
    step(client, city, "chief0", ins, rid, "signed")
    step(client, city, "chief0", ins, rid, "in_progress")
    r = client.post(
        url,
        files={"file": ("scene.jpg", b"\xff\xd8\xff", "image/jpeg")},
        data={"recipient_id": str(rid)},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 201, r.text
    photo = r.json()["id"]
    r = client.post(
        f"/api/v1/instructions/{ins['id']}/recipients/{rid}/report",
        json={"text": "现场照片见附件", "attachment_ids": [photo]},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 200, r.text
    detail = client.get(
        f"/api/v1/instructions/{ins['id']}", headers=auth(city.tokens["commander"])
    ).json()
    assert {a["filename"] for a in detail["attachments"]} == {"map.pdf", "scene.jpg"}


def test_warning_to_instruction_marks_the_warning_actioned(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    from pingan.alerts.models import EarlyWarning

    now = dt.datetime.now(dt.UTC)
    w = EarlyWarning(
        kind="ewma",
        category="theft",
        jpath=city.stations[0].path,
        jurisdiction_id=city.stations[0].id,
        window_start=now - dt.timedelta(days=7),
        window_end=now,
        observed=9,
        expected=3,
        statistic=4.2,
        explanation_zh="盗窃高于基线",
        explanation_en="theft above baseline",
        dedup_key="t-1",
    )
    session.add(w)
    session.flush()
    # the shape the analysis page's warning list sends
    r = client.post(
        "/api/v1/instructions",
        json={
            "title": "预警处置 #1",
            "body": w.explanation_zh,
            "priority": "high",
            "recipients": [{"kind": "station", "id": city.stations[0].id}],
            "sign_by": _in(2),
            "complete_by": _in(24),
            "link_kind": "warning",
            "link_id": w.id,
        },
        headers=auth(city.tokens["commander"]),
    )
    assert r.status_code == 201, r.text
    assert r.json()["warning_id"] == w.id and r.json()["text"] == "盗窃高于基线"
    session.refresh(w)
    assert w.status == "actioned" and w.instruction_id == r.json()["id"]


def test_service_signature_for_other_domains(city: SmallCity, session: Session) -> None:
    from pingan.auth.service import principal_for

    chief = principal_for(session, city.users["chief0"])
    now = dt.datetime.now(dt.UTC)
    ins = service.create_instruction(
        session,
        issuer=chief,
        title="矛盾纠纷风险上升",
        text="请社区民警上门回访",
        priority="high",
        recipients=[("officer", city.users["officer0"].id)],
        sign_by=now + dt.timedelta(hours=4),
        complete_by=now + dt.timedelta(days=3),
        dispute_id=42,
    )
    assert ins.dispute_id == 42 and ins.issuer_level == "station"
    with pytest.raises(Exception, match="recipients\\[0\\]: 'car' is not a recipient kind"):
        service.create_instruction(
            session,
            issuer=chief,
            title="t",
            text="x",
            priority="normal",
            recipients=[("car", 1)],
            sign_by=now + dt.timedelta(hours=4),
            complete_by=now + dt.timedelta(days=3),
        )
