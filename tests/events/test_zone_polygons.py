"""A zone reshaped by a polygon (as the page's vertex editor sends it): refusals name the field
and say why in the page's language, the shape is kept as sent, holes and all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import auth
from tests.events.test_events import _body
from tests.factories import SmallCity
from tests.rapid_response.city import CoverageCity, build

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture()
def cov(session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    return build(session, city, tmp_path, n_incidents=10)


@pytest.fixture()
def event(app: Any, client: TestClient, city: SmallCity, cov: CoverageCity, tmp_path: Path) -> Any:
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    r = client.post(
        "/api/v1/events", json=_body(hours_ago=-24), headers=auth(city.tokens["chief0"])
    )
    assert r.status_code == 201, r.text
    return r.json()


def _zones(event: Any) -> dict[str, Any]:
    return {z["kind"]: z for z in event["zones"]}


def test_vertex_edits_refused_in_the_pages_language(
    client: TestClient, city: SmallCity, event: Any
) -> None:
    h = auth(city.tokens["chief0"])
    zones = _zones(event)
    ring = zones["control"]["geometry"]["coordinates"][0]
    url = f"/api/v1/events/zones/{zones['control']['id']}"
    # a vertex dragged into the venue: the ring no longer holds the perimeter
    c = shapely.geometry.shape(zones["venue"]["geometry"]).centroid
    inward = [list(p) for p in ring]
    inward[0] = inward[-1] = [c.x, c.y]
    for headers, text in ((ZH, "管制圈必须完整包含安检圈"), (EN, "control ring must hold")):
        r = client.put(url, json={"geometry": {"type": "Polygon", "coordinates": [inward]}},
                       headers={**h, **headers})  # fmt: skip
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["field"] == "geometry" and err["key"] == "invalid_control_perimeter"
        assert text in err["display"]
    # two vertices swapped: the edges cross
    crossed = [list(p) for p in ring]
    crossed[1], crossed[2] = crossed[2], crossed[1]
    r = client.put(url, json={"geometry": {"type": "Polygon", "coordinates": [crossed]}},
                   headers={**h, **ZH})  # fmt: skip
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["key"] == "invalid_polygon" and "不是有效的多边形" in err["display"]
    assert err["field"] == "geometry"
    # a vertex pulled outward and one deleted: saved as sent
    out = [list(p) for p in ring[:-1]]
    out[0] = [out[0][0] + 0.002, out[0][1]]
    del out[5]
    out.append(out[0])
    r = client.put(url, json={"geometry": {"type": "Polygon", "coordinates": [out]}}, headers=h)
    assert r.status_code == 200, r.text
    got = _zones(client.get(f"/api/v1/events/{event['id']}", headers=h).json())["control"]
    saved = shapely.geometry.shape(got["geometry"])
    assert saved.equals(shapely.Polygon(out))
