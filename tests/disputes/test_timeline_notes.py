"""Timeline notes in the reader's language: system notes carry a code with parameters (or a text
per language); the case page shows them in the page language, the API keeps a readable text and
adds the code; a user's own note is shown as typed; rows written before the codes still show
translated."""

from __future__ import annotations

import datetime as dt
import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.demo.ops_disputes import load_disputes
from pingan.disputes.models import DisputeEvent
from pingan.web.disputes import event_note
from tests.conftest import auth
from tests.disputes.test_disputes_api import register, step
from tests.factories import SmallCity
from tests.web.test_pages import login


def _timeline_html(client: TestClient, dispute_id: int) -> str:
    html = client.get(f"/casework/disputes/{dispute_id}").text
    return html.split('id="timeline"', 1)[1].split("</section>", 1)[0]


def test_api_keeps_readable_text_and_adds_the_code(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["officer0"])
    d = register(client, city)
    url = f"/api/v1/disputes/{d['id']}"
    for _ in range(2):
        assert client.post(url + "/mediation-steps", json=step("failed"), headers=h).status_code
    tl = client.get(url + "/timeline", headers=h).json()
    first = next(e for e in tl if e["to_state"] == "mediating")
    assert first["note"] == "first mediation step"
    assert first["note_code"] == "first_step" and first["note_params"] == {}
    med = [e for e in tl if e["kind"] == "mediation"]
    assert [e["note"] for e in med] == ["on_site: failed"] * 2
    assert med[0]["note_code"] == "mediation"
    assert med[0]["note_params"] == {"method": "on_site", "outcome": "failed"}
    risk = next(e for e in tl if e["kind"] == "risk")
    assert risk["note"] == "medium: failed_mediations fired"
    assert risk["note_texts"] == {
        "zh-CN": "中：触发规则「多次调解失败」",
        "en": "medium: failed_mediations fired",
    }
    registered = tl[0]
    assert registered["note"] == "" and registered["note_code"] is None


def test_case_page_shows_notes_in_the_page_language(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["officer0"])
    d = register(client, city)
    url = f"/api/v1/disputes/{d['id']}"
    for _ in range(2):
        client.post(url + "/mediation-steps", json=step("failed"), headers=h)
    r = client.post(
        url + "/transitions", json={"to_state": "resolved", "note": "双方签字"}, headers=h
    )
    assert r.status_code == 200, r.text
    fu = client.get(url, headers=h).json()["follow_ups"][0]
    client.post(f"{url}/follow-ups/{fu['id']}/record", json={"outcome": "stable"}, headers=h)
    login(client, "officer0")
    zh = _timeline_html(client, d["id"])
    for text in (
        "首次调解",
        "现场调解：调解失败",
        "中：触发规则「多次调解失败」",
        "回访结果：稳定",
    ):
        assert text in zh, text
    assert "双方签字" in zh  # the user's own words, as typed
    for english in ("first mediation step", "on_site", "failed_mediations", "stable"):
        assert english not in zh, english
    client.get("/lang/en")
    en = _timeline_html(client, d["id"])
    for text in (
        "first mediation step",
        "On site: Failed",
        "medium: failed_mediations fired",
        "outcome: Stable",
        "双方签字",
    ):
        assert text in en, text


def test_rows_without_a_code_still_show(session: Session) -> None:
    legacy = DisputeEvent(kind="transition", note="first mediation step", data="{}")
    assert event_note(legacy, "zh-CN") == "首次调解"
    assert event_note(legacy, "en") == "first mediation step"
    typed = DisputeEvent(kind="transition", note="上门未遇", data="not json")
    assert event_note(typed, "en") == "上门未遇"
    # a code the pages do not know, or parameters that do not fit its message: the stored text
    unknown = DisputeEvent(
        kind="mediation", note="x: y", data=json.dumps({"note_code": "nope", "note_params": {}})
    )
    assert event_note(unknown, "zh-CN") == "x: y"
    misfit = DisputeEvent(
        kind="mediation", note="on_site: failed", data=json.dumps({"note_code": "mediation"})
    )
    assert event_note(misfit, "zh-CN") == "on_site: failed"


def test_demo_timeline_notes_carry_codes(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    lon, lat = city.cell_center(0)
    now = dt.datetime.now(dt.UTC)
    for i, sub in enumerate(["neighbour_dispute", "family_dispute", "labour_dispute"] * 4):
        r = client.post(
            "/api/v1/incidents",
            json={
                "subtype": sub,
                "lon": lon + 0.001 * (i % 3),
                "lat": lat,
                "reported_at": (now - dt.timedelta(days=5 + 11 * i)).isoformat(),
            },
            headers=auth(city.tokens["dispatcher"]),
        )
        assert r.status_code == 201, r.text
    load_disputes(session.connection(), seed=7, target=8, now=now)
    events = session.scalars(select(DisputeEvent)).all()
    noted = [e for e in events if e.note]  # every note the demo writes is a system note
    assert noted
    for e in noted:
        data = json.loads(e.data)
        assert data.get("note_code") or data.get("note_texts"), (e.kind, e.note)
        shown = event_note(e, "zh-CN")
        assert "first mediation step" not in shown and "on_site" not in shown, shown
