"""Signs: the signed token, the public page (no sign-in) and its 「已撤销」, and the printed PDF
whose QR code, rasterised and decoded by a real decoder, opens the page with the stars."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.ratings import service, signs
from pingan.ratings.models import PremisesFeature
from pingan.store.base import utcnow
from tests.conftest import auth
from tests.ratings.conftest import Schools


def _compute(client: TestClient, token: str) -> None:
    r = client.post("/api/v1/ratings/compute", json={}, headers=auth(token))
    assert r.status_code == 200, r.text


def _token(session: Session, schools: Schools, premises_id: int) -> str:
    from pingan.auth.service import Principal

    admin = Principal(0, "t", "admin", "/", None)
    r = service.current_rating(session, principal=admin, premises_id=premises_id)
    return signs.make_token(premises_id, r.id)


def test_token_is_signed_and_forgeries_are_bare_404s(
    client: TestClient, session: Session, schools: Schools
) -> None:
    _compute(client, schools.city.tokens["admin"])
    tok = _token(session, schools, schools.good.id)
    assert signs.parse_token(tok) is not None
    page = client.get(f"/v/{tok}")
    assert page.status_code == 200
    assert 'data-stars="5"' in page.text and "★★★★★" in page.text
    assert "学校S-GOOD" in page.text and "有效" in page.text
    head, mac = tok.split(".")
    other = signs.make_token(schools.poor.id, 1).split(".")[0]
    flipped = mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB")
    for forged in (f"{other}.{mac}", f"{head}.{flipped}", "garbage", f"{head}.", "x" * 80):
        r = client.get(f"/v/{forged}")
        assert r.status_code == 404
        assert "学校" not in r.text and "★" not in r.text
    # a genuine token for a rating that does not exist leaks nothing either
    r = client.get(f"/v/{signs.make_token(schools.good.id, 999_999)}")
    assert r.status_code == 404 and r.text == "<!doctype html><title>404</title><p>404</p>"


def test_sign_is_revoked_when_the_rating_drops_or_is_revoked(
    client: TestClient, session: Session, schools: Schools
) -> None:
    toks = schools.city.tokens
    _compute(client, toks["admin"])
    tok = _token(session, schools, schools.good.id)
    _compute(client, toks["admin"])  # re-rated, same stars: the printed sign stays valid
    assert "有效" in client.get(f"/v/{tok}").text
    f = (
        session.query(PremisesFeature)
        .filter_by(premises_id=schools.good.id, code="alarm_link")
        .one()
    )
    f.present = False
    session.flush()
    _compute(client, toks["admin"])  # 85 / 100: four stars now
    page = client.get(f"/v/{tok}").text
    assert "已撤销" in page and 'data-stars="5"' in page
    tok4 = _token(session, schools, schools.good.id)
    assert "有效" in client.get(f"/v/{tok4}").text
    r = client.post(
        f"/api/v1/premises/{schools.good.id}/rating/revoke",
        json={"reason": "检查发现门卫脱岗"},
        headers=auth(toks["chief0"]),
    )
    assert r.status_code == 200 and r.json()["revoked"] is True
    assert "已撤销" in client.get(f"/v/{tok4}").text
    r = client.post(
        f"/api/v1/premises/{schools.good.id}/rating/revoke",
        json={"reason": "x"},
        headers=auth(toks["officer0"]),
    )
    assert r.status_code == 403


NEEDS = [shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("pdftoppm")]


@pytest.mark.skipif(not all(NEEDS), reason="needs Chromium and pdftoppm (poppler-utils)")
def test_printed_sign_qr_decodes_to_the_public_page(
    client: TestClient, session: Session, schools: Schools, tmp_path: Path
) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    _compute(client, schools.city.tokens["admin"])
    r = client.get(
        f"/api/v1/premises/{schools.fair.id}/rating/sign.pdf?size=A4",
        headers=auth(schools.city.tokens["admin"]),
    )
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    pdf = tmp_path / "sign.pdf"
    pdf.write_bytes(r.content)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), str(tmp_path / "sign")],
        check=True,
        timeout=60,
    )
    img = Image.open(tmp_path / "sign.png")
    assert abs(img.width / img.height - 210 / 297) < 0.01  # one A4 page
    found = zxingcpp.read_barcodes(img)
    assert len(found) == 1
    url = found[0].text
    assert url.startswith("http://localhost:8000/v/")
    page = client.get(urlsplit(url).path)
    assert page.status_code == 200
    assert 'data-stars="3"' in page.text and "★★★☆☆" in page.text
    forged = urlsplit(url).path[:-3] + "AAA"
    assert client.get(forged).status_code == 404
    a3 = client.get(
        f"/api/v1/premises/{schools.fair.id}/rating/sign.pdf?size=A5",
        headers=auth(schools.city.tokens["admin"]),
    )
    assert a3.status_code == 422
    assert utcnow()  # the sign's valid-until is in the future (checked by the page: 有效)
    assert "有效" in page.text
