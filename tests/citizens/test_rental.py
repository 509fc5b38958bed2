"""Rental housing (出租房): the plate's QR page, the landlord verified by SMS code, stays
registered, the community officer's queue (tenants masked; revealed with a reason, audited),
reminders, the purge six months after a stay ends — and a tenant's ID number never appears in
any list, export or log."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor
from pingan.citizens import rental, sms
from pingan.citizens.models import RentalStay
from pingan.places.models import Premises
from tests.conftest import auth
from tests.factories import SmallCity

ID_NO = "53010219900101123X"
NAME = "李春花"
PHONE = "13700001234"


@pytest.fixture()
def house(session: Session, city: SmallCity) -> Premises:
    lon, lat = city.cell_center(0)
    cell = city.cells[0]
    p = Premises(
        code="RH-1",
        kind="rental_house",
        name="幸福小区3栋2单元501",
        address_text="幸福路8号",
        lon=lon,
        lat=lat,
        jurisdiction_id=cell.id,
        jpath=cell.path,
        contact_name="王房东",
        contact_phone=PHONE,
    )
    session.add(p)
    session.flush()
    return p


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m is not None
    return m.group(1)


def _register(client: TestClient, token: str, **stay: str) -> None:
    page = client.get(f"/rental/{token}")
    assert page.status_code == 200
    csrf = _csrf(page.text)
    wrong = client.post(f"/rental/{token}/code", data={"csrf": csrf, "phone": "13999999999"})
    assert wrong.status_code == 422 and "不是房屋登记的房东手机号" in wrong.text
    r = client.post(f"/rental/{token}/code", data={"csrf": csrf, "phone": PHONE})
    assert r.status_code == 200 and "验证码已发送" in r.text
    code = re.search(r"验证码 (\d{6})", sms._LOG.sent[-1][1])
    assert code is not None and sms._LOG.sent[-1][0] == PHONE
    bad = client.post(f"/rental/{token}/verify", data={"csrf": csrf, "code": "000000"})
    if code.group(1) != "000000":
        assert bad.status_code == 422 and "验证码错误" in bad.text
    ok = client.post(f"/rental/{token}/verify", data={"csrf": csrf, "code": code.group(1)})
    assert ok.status_code == 200 and "验证成功" in ok.text
    today = dt.date.today()
    form = {
        "csrf": csrf,
        "tenant_count": "2",
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(days=180)).isoformat(),
        "tenant_name": NAME,
        "tenant_id_no": ID_NO,
        "consent": "true",
        **stay,
    }
    done = client.post(f"/rental/{token}/stays", data=form)
    assert done.status_code == 200, done.text
    assert "登记已提交" in done.text


def test_landlord_registers_and_the_officer_reviews(
    client: TestClient,
    city: SmallCity,
    session: Session,
    house: Premises,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = rental.make_token(house.id)
    assert rental.parse_token(token) == house.id
    assert rental.parse_token(token[:-2] + "AA") is None
    assert client.get("/rental/AAAA.BBBB").status_code == 404
    _register(client, token)
    page = client.get(f"/rental/{token}").text
    assert "李**" in page and ID_NO not in page and NAME not in page

    # no CSRF, no stay
    r = client.post(f"/rental/{token}/stays", data={"csrf": "x", "tenant_count": "1"})
    assert r.status_code == 403

    h = auth(city.tokens["officer0"])
    lst = client.get("/api/v1/rental-stays", headers=h)
    assert lst.status_code == 200
    item = lst.json()["items"][0]
    assert item["tenant_id_masked"] == "530*************3X"
    assert item["tenant_name_masked"] == "李**" and item["state"] == "submitted"
    # other station: nothing
    assert (
        client.get("/api/v1/rental-stays", headers=auth(city.tokens["chief1"])).json()["total"] == 0
    )
    # the analyst may not read stays
    assert (
        client.get("/api/v1/rental-stays", headers=auth(city.tokens["analyst"])).status_code == 403
    )
    nope = client.post(f"/api/v1/rental-stays/{item['id']}/reveal", json={"reason": " "}, headers=h)
    assert nope.status_code == 422
    seen = client.post(
        f"/api/v1/rental-stays/{item['id']}/reveal", json={"reason": "核对身份"}, headers=h
    ).json()
    assert seen["tenant_id_no"] == ID_NO
    back = client.post(
        f"/api/v1/rental-stays/{item['id']}/review", json={"to_state": "returned"}, headers=h
    )
    assert back.status_code == 422 and back.json()["error"]["field"] == "note"
    ok = client.post(
        f"/api/v1/rental-stays/{item['id']}/review", json={"to_state": "accepted"}, headers=h
    )
    assert ok.json()["state"] == "accepted"
    houses = client.get("/api/v1/rental-houses", headers=h).json()
    assert houses["total"] == 1 and houses["items"][0]["stays_in_force"] == 1
    assert houses["registered_share"] == 1.0
    assert houses["houses_with_stay"] == 1 and "not returned" in houses["registered_share_basis"]
    one = client.get(f"/api/v1/rental-stays?premises_id={house.id}", headers=h).json()
    assert one["total"] == 1 and one["items"][0]["in_force"] is True
    assert client.get("/api/v1/rental-stays?premises_id=999999", headers=h).json()["total"] == 0
    assert houses["items"][0]["qr_url"].endswith(f"/rental/{token}")
    plate = client.get(f"/api/v1/rental-houses/{house.id}/plate", headers=h)
    assert plate.status_code == 200 and "<svg" in plate.text and "出租房屋登记" in plate.text

    # never in any list, export or log
    outputs = [
        client.get("/api/v1/rental-stays", headers=h).text,
        client.get(f"/rental/{token}").text,
        client.get("/public/api/stats.csv").text,
        client.get("/open311/v2/requests.json").text,
        client.get("/api/v1/online-reports", headers=h).text,
        client.get("/rentals", headers=h).text,
        client.get("/api/v1/audit?limit=1000", headers=auth(city.tokens["admin"])).text,
        caplog.text,
    ]
    audit = client.get("/api/v1/audit?limit=1000", headers=auth(city.tokens["admin"]))
    assert audit.status_code == 200  # (on PostgreSQL the records join the chain at commit)
    outputs.append(audit.text)
    for out in outputs:
        assert ID_NO not in out and ID_NO.lower() not in out
    for rec in session.scalars(select(AuditRecord)):
        assert ID_NO not in str(rec.detail) and NAME not in str(rec.detail)
    raw = session.connection().exec_driver_sql("SELECT tenant_id_no FROM rental_stays").scalar()
    assert ID_NO not in str(raw)


def test_reminders_and_purge(
    client: TestClient, city: SmallCity, session: Session, house: Premises
) -> None:
    _register(client, rental.make_token(house.id))
    stay = session.scalar(select(RentalStay))
    assert stay is not None
    stay.state = "accepted"
    end = stay.end_date
    at = dt.datetime.combine(end - dt.timedelta(days=2), dt.time(9), tzinfo=dt.UTC)
    sent = len(sms._LOG.sent)
    assert rental.remind_stays(session, actor=Actor.system("t"), now=at) == 1
    assert "到期" in sms._LOG.sent[-1][1] and len(sms._LOG.sent) == sent + 1
    assert rental.remind_stays(session, actor=Actor.system("t"), now=at) == 0
    later = dt.datetime.combine(end + dt.timedelta(days=150), dt.time(9), tzinfo=dt.UTC)
    assert rental.purge_stays(session, actor=Actor.system("t"), now=later) == 0
    later = dt.datetime.combine(end + dt.timedelta(days=184), dt.time(9), tzinfo=dt.UTC)
    assert rental.purge_stays(session, actor=Actor.system("t"), now=later) == 1
    assert stay.tenant_id_no is None and stay.tenant_name is None and stay.purged_at is not None
    assert stay.tenant_count == 2  # the count stays


def test_bad_stays_name_the_field(
    client: TestClient, city: SmallCity, session: Session, house: Premises
) -> None:
    token = rental.make_token(house.id)
    _register(client, token)
    csrf = _csrf(client.get(f"/rental/{token}").text)
    today = dt.date.today()
    base = {
        "csrf": csrf,
        "tenant_count": "1",
        "start_date": today.isoformat(),
        "end_date": today.isoformat(),
        "tenant_name": "张三",
        "consent": "true",
    }
    r = client.post(f"/rental/{token}/stays", data={**base, "tenant_id_no": "123"})
    assert r.status_code == 422 and "身份证号" in r.text
    r = client.post(
        f"/rental/{token}/stays",
        data={
            **base,
            "tenant_id_no": ID_NO,
            "end_date": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 422 and "到期日期有误" in r.text
