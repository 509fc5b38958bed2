"""Online reports: the public form to the station's queue, tracking, replies, duplicates,
photos stripped of their location, the source filter, and the public statistics."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.citizens.models import OnlineReport, ReportPhoto
from pingan.incidents.models import Incident
from tests.citizens.conftest import post_report, solved
from tests.conftest import auth
from tests.factories import SmallCity


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), "navy")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (25.0, 1.0, 2.0), 3: "E", 4: (102.0, 42.0, 7.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_report_goes_to_the_station_queue_and_is_tracked(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    lon, lat = city.cell_center(0)
    r = post_report(
        client,
        lon=lon,
        lat=lat,
        phone="13812345678",
        consent="true",
        address_text="测试路1号",
        files=[("photos", ("a.jpg", _jpeg_with_gps(), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert code.startswith("WB") and len(code) == 12
    report = session.scalar(select(OnlineReport).where(OnlineReport.code == code))
    assert report is not None
    inc = session.get(Incident, report.incident_id)
    assert inc is not None and inc.source == "online" and inc.subtype == "other_theft"
    assert inc.jpath.startswith(city.stations[0].path)
    photo = session.scalar(select(ReportPhoto).where(ReportPhoto.report_id == report.id))
    assert photo is not None
    assert dict(Image.open(io.BytesIO(photo.data)).getexif()) == {}

    # the station sees it; the other station does not
    rows = client.get("/api/v1/incidents?source=online", headers=auth(city.tokens["chief0"])).json()
    assert [i["code"] for i in rows["items"]] == [inc.code]
    assert rows["items"][0]["caller_phone_masked"] == "138****5678"
    assert (
        client.get("/api/v1/incidents?source=online", headers=auth(city.tokens["chief1"])).json()[
            "total"
        ]
        == 0
    )
    bad = client.get("/api/v1/incidents?source=web", headers=auth(city.tokens["chief0"]))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "source"
    queue = client.get("/api/v1/online-reports", headers=auth(city.tokens["chief0"])).json()
    assert queue["total"] == 1 and queue["items"][0]["photos"] == 1
    assert queue["items"][0]["phone_masked"] == "138****5678"

    # the public tracking page: state, then a public reply; an internal one stays inside
    t = client.get(f"/public/api/track/{code}").json()
    assert t["state"] == "received" and t["replies"] == [] and t["station"] == "第1派出所"
    h = auth(city.tokens["chief0"])
    ok = client.post(
        f"/api/v1/online-reports/{inc.id}/replies", json={"text": "已派民警核实"}, headers=h
    )
    assert ok.status_code == 201, ok.text
    client.post(
        f"/api/v1/online-reports/{inc.id}/replies",
        json={"text": "内部：嫌疑人可能是惯犯", "public": False},
        headers=h,
    )
    t = client.get(f"/public/api/track/{code}").json()
    assert [x["text"] for x in t["replies"]] == ["已派民警核实"]
    page = client.get(f"/track/{code}")
    assert page.status_code == 200 and "已派民警核实" in page.text and "惯犯" not in page.text
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert client.get("/track/WB0000000000").status_code == 404

    # the photo, viewed by staff, audited
    p = client.get(f"/api/v1/online-reports/{inc.id}/photos/1", headers=h)
    assert p.status_code == 200 and p.headers["content-type"] == "image/jpeg"
    audits = session.scalars(
        select(AuditRecord.action).where(AuditRecord.entity == "online_report")
    ).all()
    assert "view_personal" in audits and "create" in audits


def test_duplicates_merge_and_tracking_follows(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    lon, lat = city.cell_center(1)
    a = post_report(client, lon=lon, lat=lat).json()["code"]
    b = post_report(client, lon=lon + 0.004, lat=lat, category="noise").json()["code"]
    ia = session.scalar(select(OnlineReport.incident_id).where(OnlineReport.code == a))
    ib = session.scalar(select(OnlineReport.incident_id).where(OnlineReport.code == b))
    h = auth(city.tokens["chief0"])
    r = client.post(f"/api/v1/online-reports/{ib}/merge", json={"into_incident_id": ia}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "duplicate"
    t = client.get(f"/public/api/track/{b}").json()
    assert t["state"] == "merged" and t["merged_into"] == a
    again = client.post(
        f"/api/v1/online-reports/{ia}/merge", json={"into_incident_id": ia}, headers=h
    )
    assert again.status_code == 422
    assert again.json()["error"]["field"] == "into_incident_id"


def test_nearby_shows_open_reports_of_the_same_kind(client: TestClient, city: SmallCity) -> None:
    lon, lat = city.cell_center(2)
    post_report(client, lon=lon, lat=lat, address_text="幸福路8号")
    near = client.get(f"/public/api/nearby?category=theft&lon={lon + 0.001}&lat={lat}").json()
    assert len(near) == 1 and near[0]["address"] == "幸福路8号"
    assert 90 <= near[0]["distance_m"] <= 110
    assert "description" not in near[0] and "code" not in near[0]
    other = client.get(f"/public/api/nearby?category=noise&lon={lon}&lat={lat}").json()
    assert other == []


def test_bad_forms_name_the_field(client: TestClient, city: SmallCity) -> None:
    lon, lat = city.cell_center(0)
    r = post_report(client, lon=lon, lat=lat, category="murder")
    assert r.status_code == 422 and r.json()["error"]["field"] == "category"
    r = post_report(client, lon=lon, lat=lat, phone="13812345678")
    assert r.status_code == 422 and r.json()["error"]["field"] == "consent"
    r = post_report(
        client, lon=lon, lat=lat, files=[("photos", ("a.jpg", b"GIF89a....", "image/jpeg"))]
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "photos"
    r = post_report(client, lon=99.0, lat=10.0)
    assert r.status_code == 422 and r.json()["error"]["field"] == "lon"
    fields = solved(client)
    data = {"category": "theft", "description": "电瓶被偷了", "lon": str(lon), "lat": str(lat)}
    r = client.post("/public/api/reports", data={**data, **fields, "pow_counter": "0"})
    if r.status_code != 201:  # a counter of 0 may solve 4 bits by luck
        assert r.status_code == 422 and r.json()["error"]["field"] == "pow"
    ok = client.post("/public/api/reports", data={**data, **solved(client)})
    assert ok.status_code == 201
    spent = client.post("/public/api/reports", data={**data, **fields})
    if r.status_code != 201:
        assert spent.status_code == 201  # the refused try did not spend it
    replay = client.post("/public/api/reports", data={**data, **fields})
    assert replay.status_code == 422 and replay.json()["error"]["field"] == "pow"


def test_public_statistics_have_no_personal_data(client: TestClient, city: SmallCity) -> None:
    lon, lat = city.cell_center(3)
    post_report(client, lon=lon, lat=lat, phone="13812345678", consent="true")
    post_report(client, lon=lon, lat=lat, category="noise")
    r = client.get("/public/api/stats.csv")
    assert r.status_code == 200
    lines = r.text.strip().splitlines()
    assert lines[0] == "week,category,reports"
    assert {ln.split(",")[1] for ln in lines[1:]} == {"theft", "noise"}
    assert "1381234" not in r.text and "电瓶" not in r.text
