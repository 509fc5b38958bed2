"""Staffing reported through the post PATCH reaches the live stream as ``event: post``: the
events' live board redraws at once instead of at the next unit or incident change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.events import service
from pingan.incidents.views import _StreamCursor
from tests.conftest import auth
from tests.events.test_events import _body
from tests.factories import SmallCity
from tests.rapid_response.city import CoverageCity, build


@pytest.fixture()
def cov(session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    return build(session, city, tmp_path, n_incidents=10)


@pytest.fixture()
def ev_app(app: Any, tmp_path: Path) -> Any:
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return app


def _principal(city: SmallCity, station: int, role: str = "dispatcher") -> Principal:
    s = city.stations[station]
    return Principal(user_id=1, username="t", role=role, jpath=s.path, jurisdiction_id=s.id)


def _posts(items: list[str]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        lines = item.splitlines()
        if "event: post" in lines:
            out.append(json.loads(next(x for x in lines if x.startswith("data: "))[6:]))
    return out


def test_staffing_change_is_a_stream_event(
    client: TestClient, ev_app: Any, session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    h = auth(city.tokens["chief0"])
    live = client.post("/api/v1/events", json=_body(hours_ago=1), headers=h)
    assert live.status_code == 201, live.text
    later = client.post("/api/v1/events", json=_body(hours_ago=-48, code="M-2"), headers=h)
    assert later.status_code == 201, later.text
    ev = live.json()
    mine = _StreamCursor(after_id=None, lang="zh-CN")
    other = _StreamCursor(after_id=None, lang="zh-CN")  # the other station: not in scope
    p0, p1 = _principal(city, 0), _principal(city, 1)
    # the first poll takes note of the posts (the city's fresh incidents and units may come)
    assert _posts(mine.poll(session, p0)) == [] and _posts(other.poll(session, p1)) == []
    # only the event under way is watched: its posts, not the upcoming one's
    states = service.live_post_states(session, principal=p0)
    assert {s["event_id"] for s in states.values()} == {ev["id"]}
    assert len(states) == len(ev["posts"])
    assert service.live_post_states(session, principal=p1) == {}
    post = ev["posts"][0]
    cmd = auth(city.tokens["commander"])
    r = client.patch(f"/api/v1/events/posts/{post['id']}", json={"staffed": True}, headers=cmd)
    assert r.status_code == 200, r.text
    got = _posts(mine.poll(session, p0))
    assert [g["id"] for g in got] == [post["id"]]
    assert got[0]["event_id"] == ev["id"] and got[0]["staffed_at"] is not None
    assert _posts(mine.poll(session, p0)) == []  # sent once
    assert _posts(other.poll(session, p1)) == []
    # reported not staffed again: one more event; an upcoming event's post sends none
    r = client.patch(f"/api/v1/events/posts/{post['id']}", json={"staffed": False}, headers=cmd)
    assert r.status_code == 200, r.text
    upcoming = later.json()["posts"][0]["id"]
    r = client.patch(f"/api/v1/events/posts/{upcoming}", json={"staffed": True}, headers=cmd)
    assert r.status_code == 200, r.text
    got = _posts(mine.poll(session, p0))
    assert [(g["id"], g["staffed_at"]) for g in got] == [(post["id"], None)]
