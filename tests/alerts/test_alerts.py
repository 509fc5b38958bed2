from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.alerts.service import NewWarning, store_warnings
from pingan.audit.service import Actor
from tests.conftest import auth
from tests.factories import SmallCity


def _warning(city: SmallCity, station: int, key: str) -> NewWarning:
    t1 = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    return NewWarning(
        kind="ewma",
        category="pickpocketing",
        jpath=city.stations[station].path,
        jurisdiction_id=city.stations[station].id,
        window_start=t1 - dt.timedelta(days=1),
        window_end=t1,
        observed=14,
        expected=4.2,
        statistic=3.1,
        p_value=0.001,
        explanation_zh="扒窃 14 起，预期 4.2 起",
        explanation_en="14 pickpocketings, 4.2 expected",
        dedup_key=key,
        detail={"lambda": 0.3, "threshold": 2.8},
    )


def test_store_is_idempotent_and_scoped(
    client: TestClient, session: Session, city: SmallCity
) -> None:
    stored, skipped = store_warnings(
        session, actor=Actor.system(), warnings=[_warning(city, 0, "a"), _warning(city, 1, "b")]
    )
    assert (len(stored), skipped) == (2, 0)
    stored, skipped = store_warnings(
        session, actor=Actor.system(), warnings=[_warning(city, 0, "a")]
    )
    assert (len(stored), skipped) == (0, 1)
    page = client.get("/api/v1/warnings", headers=auth(city.tokens["chief0"])).json()
    assert page["total"] == 1 and page["items"][0]["detail"]["threshold"] == 2.8
    # the owning station (to which an instruction goes) comes from the warning's path
    assert page["items"][0]["station_id"] == city.stations[0].id
    assert page["items"][0]["jpath"] == city.stations[0].path
    assert page["items"][0]["allowed_actions"] == ["acknowledged", "dismissed", "actioned"]
    assert (
        client.get("/api/v1/warnings", headers=auth(city.tokens["commander"])).json()["total"] == 2
    )


def test_dismiss_needs_reason_and_final_states(
    client: TestClient, session: Session, city: SmallCity
) -> None:
    (w,), _ = store_warnings(session, actor=Actor.system(), warnings=[_warning(city, 0, "c")])
    h = auth(city.tokens["chief0"])
    url = f"/api/v1/warnings/{w.id}/transitions"
    r = client.post(url, json={"to_state": "dismissed"}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "reason: say why the warning is dismissed"
    r = client.post(url, json={"to_state": "acknowledged"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    r = client.post(url, json={"to_state": "dismissed", "reason": "market day crowd"}, headers=h)
    assert r.status_code == 200 and r.json()["reason"] == "market day crowd"
    r = client.post(url, json={"to_state": "actioned"}, headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["message"] == (
        "warning cannot go from 'dismissed' to 'actioned'; allowed: none (final state)"
    )
    r = client.post(url, json={"to_state": "acknowledged"}, headers=auth(city.tokens["officer0"]))
    assert r.status_code == 403
