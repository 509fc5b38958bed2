"""Bad input is a 4xx naming the field, never a 500: integers past the columns' range, NUL in any
text, dates that overflow, null for NOT NULL fields, references to rows that do not exist.
Each test failed on the code before (500 on PostgreSQL, a stored NUL or a 404 on SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.incidents.models import Incident
from pingan.inputs import INT4_MAX
from tests.conftest import auth
from tests.error_body import plain
from tests.factories import SmallCity

NUL_REASON = "contains a NUL character (\\u0000); remove it"


def _integers(schema: dict[str, Any], doc: dict[str, Any], seen: set[str]) -> list[dict[str, Any]]:
    """Every integer schema inside ``schema`` (following $ref, anyOf, items, properties)."""
    ref = schema.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _integers(doc["components"]["schemas"][name], doc, seen)
    out = [schema] if schema.get("type") == "integer" else []
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key, []):
            out += _integers(sub, doc, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out += _integers(schema[key], doc, seen)
    for sub in schema.get("properties", {}).values():
        out += _integers(sub, doc, seen)
    return out


def test_every_integer_input_declares_its_bounds(app: FastAPI) -> None:
    """Walk the OpenAPI document: every integer in a path, query, header or request body has a
    maximum no larger than the columns' (int4 on PostgreSQL)."""
    doc = app.openapi()
    missing = []
    checked = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            places: list[tuple[str, dict[str, Any]]] = [
                (f"{p['in']} {p['name']}", p.get("schema", {})) for p in op.get("parameters", [])
            ]
            for media in op.get("requestBody", {}).get("content", {}).values():
                places.append(("body", media.get("schema", {})))
            for where, schema in places:
                for s in _integers(schema, doc, set()):
                    checked += 1
                    if s.get("maximum") is None or s["maximum"] > INT4_MAX:
                        missing.append(f"{method.upper()} {path} {where}")
    assert checked > 100
    assert missing == []


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/incidents/9223372036854775808", "incident_id"),
        ("/api/v1/incidents/2147483648", "incident_id"),
        ("/api/v1/incidents?offset=9223372036854775808", "offset"),
        ("/api/v1/audit?before_seq=9223372036854775808", "before_seq"),
        ("/api/v1/resources?station_id=2147483648", "station_id"),
        ("/api/v1/ogc/collections/incidents/items/2147483648", "feature_id"),
    ],
)
def test_integers_past_the_column_range_are_422(
    client: TestClient, city: SmallCity, url: str, field: str
) -> None:
    r = client.get(url, headers=auth(city.tokens["admin"]))
    assert r.status_code == (400 if "/ogc/" in url else 422), r.text  # OGC's rule: 400
    err = r.json()["error"]
    assert err["field"] == field
    assert err["message"] == f"{field}: Input should be less than or equal to 2147483647"


def test_an_id_at_the_bound_is_a_404(client: TestClient, city: SmallCity) -> None:
    r = client.get(f"/api/v1/incidents/{INT4_MAX}", headers=auth(city.tokens["admin"]))
    assert r.status_code == 404


def _incident(city: SmallCity, **kw: object) -> dict[str, object]:
    lon, lat = city.cell_center(0)
    return {"subtype": "fight", "lon": lon, "lat": lat, **kw}


def test_nul_in_a_body_field_is_refused_and_nothing_stored(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    before = session.scalar(select(func.count()).select_from(Incident))
    r = client.post(
        "/api/v1/incidents",
        json=_incident(city, summary="打架\u0000斗殴"),
        headers=auth(city.tokens["dispatcher"]),
    )
    assert r.status_code == 422
    assert plain(r.json()["error"]) == {
        "code": "invalid",
        "message": f"summary: {NUL_REASON}",
        "field": "summary",
    }
    assert session.scalar(select(func.count()).select_from(Incident)) == before


def test_nul_in_a_nested_body_field_names_its_path(client: TestClient, city: SmallCity) -> None:
    lon, lat = city.cell_center(0)
    body = {
        "kind": "neighbourhood",
        "source": "visit",
        "lon": lon,
        "lat": lat,
        "summary": "楼上漏水",
        "parties": [{"role": "complainant", "display_name": "张\u0000三"}],
    }
    r = client.post("/api/v1/disputes", json=body, headers=auth(city.tokens["officer0"]))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "parties.0.display_name"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/incidents?subtype=a%00b", "subtype"),
        ("/api/v1/ogc/collections/inc%00idents", "collection_id"),
        ("/api/v1/audit?entity=%00", "entity"),
    ],
)
def test_nul_in_a_query_or_path_is_refused(
    client: TestClient, city: SmallCity, url: str, field: str
) -> None:
    r = client.get(url, headers=auth(city.tokens["admin"]))
    assert r.status_code == (400 if "/ogc/" in url else 422), r.text
    assert r.json()["error"]["message"] == f"{field}: {NUL_REASON}"


def test_an_escaped_backslash_u0000_is_plain_text(client: TestClient, city: SmallCity) -> None:
    r = client.post(
        "/api/v1/incidents",
        json=_incident(city, summary="literally \\u0000"),
        headers=auth(city.tokens["dispatcher"]),
    )
    assert r.status_code == 201, r.text
    assert r.json()["summary"] == "literally \\u0000"


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "1899-12-31T23:59:59Z"])
def test_reported_at_out_of_range_is_422(client: TestClient, city: SmallCity, when: str) -> None:
    r = client.post(
        "/api/v1/incidents",
        json=_incident(city, reported_at=when),
        headers=auth(city.tokens["dispatcher"]),
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"] == (
        "reported_at: Value error, must lie between 1900-01-01 and 9999-12-30 (UTC)"
    )


@pytest.mark.parametrize("field", ["police_room", "capacity", "name"])
def test_null_for_a_not_null_premises_field_is_422(
    client: TestClient, city: SmallCity, field: str
) -> None:
    lon, lat = city.cell_center(2)
    h = auth(city.tokens["officer0"])
    made = client.post(
        "/api/v1/premises",
        headers=h,
        json={"kind": "school", "name": "翠湖小学", "lon": lon, "lat": lat},
    )
    assert made.status_code == 201, made.text
    url = f"/api/v1/premises/{made.json()['id']}"
    r = client.patch(url, headers=h, json={field: None})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"] == (
        f"{field}: Value error, may not be null: leave the field out to keep its value"
    )
    assert client.patch(url, headers=h, json={"capacity": 5}).json()["capacity"] == 5


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("address_id", "address 999999 does not exist or is outside your jurisdiction"),
        ("premises_id", "premises 999999 does not exist or is outside your jurisdiction"),
        ("incident_id", "incident 999999 does not exist or is outside your jurisdiction"),
    ],
)
def test_dispute_with_a_missing_reference_is_422(
    client: TestClient, city: SmallCity, field: str, message: str
) -> None:
    lon, lat = city.cell_center(0)
    body = {
        "kind": "neighbourhood",
        "source": "visit",
        "lon": lon,
        "lat": lat,
        "summary": "楼上漏水",
        "parties": [{"role": "complainant", "display_name": "张三"}],
        field: 999999,
    }
    r = client.post("/api/v1/disputes", json=body, headers=auth(city.tokens["officer0"]))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    assert r.json()["error"]["message"] == f"{field}: {message}"


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("get", "/api/v1/incidents?since=0001-01-01T00:00:00%2B14:00", None, "since"),
        ("get", "/api/v1/evaluation/scores?since=0001-01-01&until=0001-01-02", None, "since"),
        (
            "post",
            "/api/v1/instructions",
            {
                "title": "t",
                "text": "x",
                "recipients": [{"kind": "station", "id": 1}],
                "sign_by": "0001-01-01T00:00:00+14:00",
                "complete_by": "2026-01-01T00:00:00Z",
            },
            "sign_by",
        ),
    ],
)
def test_times_and_days_out_of_range_are_422(
    client: TestClient,
    city: SmallCity,
    method: str,
    url: str,
    body: dict[str, object] | None,
    field: str,
) -> None:
    r = client.request(method, url, json=body, headers=auth(city.tokens["admin"]))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
