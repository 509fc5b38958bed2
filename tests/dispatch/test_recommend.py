"""Dispatch with road ETAs: the assignment stores the unit's ETA by road as the recommendation
ranks it, and recommendations leave out busy units and say why each unit ranks where it does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.rapid_response import data
from tests.conftest import auth
from tests.factories import SmallCity
from tests.rapid_response.city import CoverageCity, build


@pytest.fixture()
def cov(app: Any, session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    data.clear_network_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return build(session, city, tmp_path)


def test_dispatch_top_unit_stores_road_eta_and_leaves_it_out(
    client: TestClient, city: SmallCity, cov: CoverageCity
) -> None:
    h = auth(city.tokens["dispatcher"])
    inc = cov.incident_ids[0]
    rec = client.post(f"/api/v1/incidents/{inc}/recommendations", json={"k": 3}, headers=h)
    assert rec.status_code == 200, rec.text
    body = rec.json()
    assert body["busy"] == 0
    top = body["units"][0]
    assert top["why"].startswith("预计 ") and f"第 {top['rank']}" in top["why"]
    client.cookies.set("pingan_lang", "en")
    en = client.post(f"/api/v1/incidents/{inc}/recommendations", json={"k": 3}, headers=h).json()[
        "units"
    ][0]
    client.cookies.delete("pingan_lang")
    assert en["why"].startswith("ETA ") and "#1 of" in en["why"]
    r = client.post(
        f"/api/v1/incidents/{inc}/assignments", headers=h, json={"resource_id": top["id"]}
    )
    assert r.status_code == 201, r.text
    assert r.json()["eta_s"] == pytest.approx(top["eta_s"], abs=0.2)
    again = client.post(f"/api/v1/incidents/{inc}/recommendations", json={"k": 3}, headers=h).json()
    assert top["id"] not in [u["id"] for u in again["units"]]
    assert again["busy"] == 1
