"""The evaluation API: scorecard CRUD (admin), scores, rankings, trend, figure sources,
exports, surveys and inspections; every user-visible error message pinned."""

from __future__ import annotations

import io
import shutil

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.conftest import auth
from tests.evaluation.conftest import Records

CARD = {
    "code": "station_s0",
    "name_zh": "一所评价",
    "name_en": "Station 1 card",
    "period_kind": "quarter",
    "indicators": [
        {
            "code": "sat",
            "name_zh": "满意率",
            "name_en": "Satisfaction",
            "source": "resident_satisfaction",
            "weight": 1,
            "target": 0.8,
            "direction": "higher",
        }
    ],
}


def test_scores_rankings_trend_and_sources(client: TestClient, records: Records) -> None:
    city = records.city
    h = auth(city.tokens["admin"])
    r = client.get("/api/v1/evaluation/scores?period=2026Q3&level=cell", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 16 and body["period"]["label"] == "2026Q3"
    cell0 = next(x for x in body["items"] if x["entity_id"] == city.cells[0].id)
    sat = next(f for f in cell0["figures"] if f["code"] == "satisfaction")
    assert (sat["value"], sat["numerator"], sat["denominator"]) == (0.9, 36, 40)
    src = client.get(sat["sources"], headers=h).json()
    assert src["total"] == 1 and src["items"][0]["link"].startswith("/api/v1/evaluation/surveys/")
    assert client.get(src["items"][0]["link"], headers=h).json()["satisfied"] == 36
    rk = client.get("/api/v1/evaluation/rankings?period=2026Q3&level=station", headers=h).json()
    assert [i["rank"] for i in rk["items"]] == [1, None]  # station 1: too little data to rank
    tr = client.get(
        f"/api/v1/evaluation/trend?period=2026Q3&level=cell&periods=2&entity_id={city.cells[0].id}",
        headers=h,
    ).json()
    assert [p["period"] for p in tr["points"]] == ["2026Q2", "2026Q3"]


def test_the_community_officer_sees_his_own_card(client: TestClient, records: Records) -> None:
    h = auth(records.city.tokens["officer0"])
    body = client.get("/api/v1/evaluation/scores?period=2026Q3&level=officer", headers=h).json()
    assert [x["entity_id"] for x in body["items"]] == [records.city.users["officer0"].id]
    other = client.get(
        "/api/v1/evaluation/sources?period=2026Q3&level=officer&indicator=sign_on_time"
        f"&entity_id={records.officer1.id}",
        headers=h,
    )
    assert other.status_code == 404


@pytest.mark.parametrize(
    "query,field,message",
    [
        (
            "period=2026-09-01..2026-08-01",
            "period",
            "period: the end 2026-08-01 is before the start",
        ),
        ("since=2026-09-01&until=2026-08-01", "until", "until: the end 2026-08-01 is before"),
        ("since=2026-09-01", "until", "until: give both since and until"),
        ("level=district", "level", "level: Input should be 'officer', 'cell', 'community' or"),
        ("period=2026Q7", "period", "period: '2026Q7' is not a period"),
    ],
)
def test_bad_queries_are_422_naming_the_field(
    client: TestClient, records: Records, query: str, field: str, message: str
) -> None:
    r = client.get(f"/api/v1/evaluation/scores?{query}", headers=auth(records.city.tokens["admin"]))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == field and err["message"].startswith(message)


def test_scorecard_crud_is_for_admins(client: TestClient, records: Records) -> None:
    city = records.city
    h = auth(city.tokens["admin"])
    r = client.post(
        "/api/v1/evaluation/scorecards",
        json=CARD | {"jurisdiction_id": city.stations[0].id},
        headers=h,
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    # the station's card now applies in station 0, the default elsewhere
    chief0 = auth(city.tokens["chief0"])
    body = client.get("/api/v1/evaluation/scores?period=2026Q3&level=cell", headers=chief0).json()
    assert body["scorecard"]["code"] == "station_s0" and len(body["items"][0]["figures"]) == 1
    chief1 = auth(city.tokens["chief1"])
    body = client.get("/api/v1/evaluation/scores?period=2026Q3&level=cell", headers=chief1).json()
    assert body["scorecard"]["code"] == "default"
    r = client.patch(
        f"/api/v1/evaluation/scorecards/{cid}", json={"achievement_cap": 1.0}, headers=chief0
    )
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "role 'station_chief' may not change scorecards (evaluation.manage); allowed: admin"
    )
    r = client.patch(
        f"/api/v1/evaluation/scorecards/{cid}", json={"achievement_cap": 1.0}, headers=h
    )
    assert r.status_code == 200 and r.json()["achievement_cap"] == 1.0
    listed = client.get("/api/v1/evaluation/scorecards", headers=h).json()
    assert [c["code"] for c in listed] == ["default", "station_s0"]
    assert client.delete(f"/api/v1/evaluation/scorecards/{cid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/evaluation/scorecards/{cid}", headers=h).status_code == 404


@pytest.mark.parametrize(
    "change,field,message",
    [
        (
            {"weight": 0},
            "indicators",
            "indicators: Value error, the weights must sum to more than 0",
        ),
        (
            {"target": 0},
            "indicators.0.target",
            "indicators.0.target: Input should be greater than 0",
        ),
        (
            {"source": "gut_feeling"},
            "indicators[0].source",
            "indicators[0].source: 'gut_feeling' is not an indicator source; use",
        ),
        ({"direction": "up"}, "indicators.0.direction", "indicators.0.direction: Input should be"),
    ],
)
def test_bad_scorecards_are_422_naming_the_field(
    client: TestClient, records: Records, change: dict[str, object], field: str, message: str
) -> None:
    card = CARD | {"indicators": [CARD["indicators"][0] | change]}  # type: ignore[index]
    r = client.post(
        "/api/v1/evaluation/scorecards", json=card, headers=auth(records.city.tokens["admin"])
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == field and err["message"].startswith(message)


def test_excel_and_csv_exports_open(client: TestClient, records: Records) -> None:
    h = auth(records.city.tokens["chief0"])
    r = client.get("/api/v1/evaluation/export?format=xlsx&period=2026Q3&level=cell", headers=h)
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="evaluation-cell-2026Q3.xlsx"'
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["得分", "指标明细", "评价方案"]
    scores = list(wb["得分"].iter_rows(values_only=True))
    assert scores[1][:6] == ("排名", "编码", "名称", "上级", "得分", "数据覆盖")
    assert len(scores) == 2 + 8  # title, header, station 0's eight cells
    figures = list(wb["指标明细"].iter_rows(values_only=True))
    assert len(figures) == 1 + 8 * 9
    r = client.get(
        "/api/v1/evaluation/export?format=csv&period=2026Q3&level=station&lang=en", headers=h
    )
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Rank,Code,Name,Parent,Score,Coverage,")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_pdf_export(client: TestClient, records: Records) -> None:
    h = auth(records.city.tokens["admin"])
    r = client.get("/api/v1/evaluation/export?format=pdf&period=2026Q3&level=station", headers=h)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_surveys_and_inspections(client: TestClient, records: Records) -> None:
    city = records.city
    h = auth(city.tokens["chief0"])
    body = {
        "cell_id": city.cells[1].id,
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "respondents": 30,
        "satisfied": 27,
    }
    r = client.post("/api/v1/evaluation/surveys", json=body, headers=h)
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/evaluation/surveys", json=body, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("period_start: cell")
    r = client.post(
        "/api/v1/evaluation/surveys", json=body | {"satisfied": 31, "period_start": "2026-06-01"},
        headers=h,
    )  # fmt: skip
    assert r.json()["error"]["message"] == "satisfied: must be between 0 and respondents (30)"
    r = client.post(
        "/api/v1/evaluation/surveys", json=body | {"cell_id": city.cells[9].id}, headers=h
    )
    assert (
        r.json()["error"]["message"]
        == f"cell_id: no grid cell {city.cells[9].id} in your jurisdiction"
    )
    r = client.post("/api/v1/evaluation/surveys", json=body, headers=auth(city.tokens["officer0"]))
    assert r.status_code == 403
    lst = client.get("/api/v1/evaluation/surveys", headers=h).json()
    assert lst["total"] == 2
    r = client.post(
        "/api/v1/evaluation/inspections",
        json={"premises_id": 999999, "inspected_at": "2026-08-01T10:00:00+08:00"},
        headers=auth(city.tokens["officer0"]),
    )
    assert r.json()["error"]["message"] == "premises_id: no premises 999999 in your jurisdiction"


def test_openapi_operation_ids(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    ids = {
        op["operationId"]
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1/evaluation")
        for op in item.values()
    }
    assert {
        "list_scorecards",
        "create_scorecard",
        "get_scorecard",
        "update_scorecard",
        "delete_scorecard",
        "compute_evaluation",
        "evaluation_rankings",
        "evaluation_trend",
        "evaluation_figure_sources",
        "export_evaluation",
        "create_satisfaction_survey",
        "list_satisfaction_surveys",
        "get_satisfaction_survey",
        "create_premises_inspection",
    } <= ids
