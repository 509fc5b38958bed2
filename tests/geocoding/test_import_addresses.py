"""``pingan import addresses``: CSV and GeoJSON, CRS, rejects with line and reason, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor
from pingan.errors import Invalid
from pingan.geo.crs import wgs84_to_gcj02
from pingan.geocoding.importers import import_addresses
from pingan.geocoding.models import GeocodeName
from pingan.geocoding.service import geocode
from pingan.places.models import Address
from tests.factories import SmallCity, build_small_city

SYS = Actor.system("test")


def test_csv_import_with_rejects(
    session: Session, city: SmallCity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (lon0, lat0), (lon1, lat1) = city.cell_center(0), city.cell_center(5)
    path = tmp_path / "plates.csv"
    path.write_text(
        "code,address,road,door,building,unit,lon,lat\n"
        f"X1,北京路88号,,,,,{lon0},{lat0}\n"
        f",,人民路,12,3栋,2单元,{lon1},{lat1}\n"
        f",青年路5号,,,,,abc,{lat0}\n"
        f",青年路6号,,,,,{lon0},95\n"
        f",,,,,,{lon0},{lat0}\n"
        f"X2,北京路88号,,,,,{lon0},{lat0}\n"
        f",青年路7号,,,,,-87.6,41.8\n"
        f"X1,青年路8号,,,,,{lon0},{lat0}\n",
        encoding="utf-8",
    )
    rep = import_addresses(session, path, actor=SYS)
    assert (rep.rows, rep.accepted, rep.rejected) == (8, 2, 6)
    assert rep.reasons == {
        "lon/lat: not a number": 1,
        "lon/lat: out of range (longitude first, in degrees)": 1,
        "address: empty (give address, or road and door)": 1,
        "address: repeats line 2": 1,
        "lon/lat: outside every jurisdiction of this bureau": 1,
        "code: repeats line 2": 1,
    }
    lines = (tmp_path / "plates.csv.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "line,reason,code,address,road,door,building,unit,lon,lat"
    assert lines[1].startswith("4,lon/lat: not a number,,青年路5号")
    assert [ln.split(",")[0] for ln in lines[1:]] == ["4", "5", "6", "7", "8", "9"]
    a = session.scalar(select(Address).where(Address.code == "X1"))
    assert a is not None and (a.road_zh, a.door_no, a.jurisdiction_id) == (
        "北京路",
        "88",
        city.cells[0].id,
    )
    b = session.scalar(select(Address).where(Address.text_zh == "人民路12号3栋2单元"))
    assert b is not None and (b.building, b.unit) == ("3栋", "2单元")
    assert b.code.startswith("A") and b.jpath == city.cells[5].path
    principal_found = geocode(session, principal=_bureau(city), q="人民路12")
    assert principal_found[0].label == "人民路12号3栋2单元"
    audit = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert audit is not None and audit.entity == "addresses" and '"accepted": 2' in audit.detail
    # the same file again: every plate is already registered
    rep = import_addresses(session, path, actor=SYS)
    assert rep.accepted == 0
    assert rep.reasons["address: already in the register"] == 2


def _bureau(city: SmallCity):  # type: ignore[no-untyped-def]
    from pingan.auth.service import Principal

    u = city.users["dispatcher"]
    return Principal(u.id, u.username, u.role, "/", None)


def test_geojson_gcj02(session: Session, city: SmallCity, tmp_path: Path) -> None:
    lon, lat = city.cell_center(3)
    glon, glat = wgs84_to_gcj02([lon], [lat])
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"label": "环城南路100号"},
                "geometry": {"type": "Point", "coordinates": [float(glon[0]), float(glat[0])]},
            },
            {"type": "Feature", "properties": {"label": "环城南路102号"}, "geometry": None},
        ],
    }
    path = tmp_path / "p.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    rep = import_addresses(session, path, actor=SYS, crs="gcj02", rejects_dir=tmp_path)
    assert (rep.accepted, rep.rejected) == (1, 1)
    assert rep.rejects_file is not None
    assert (
        rep.rejects_file.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith("2,lon/lat: not a number")
    )
    a = session.scalar(select(Address).where(Address.text_zh == "环城南路100号"))
    assert a is not None
    assert a.lon == pytest.approx(lon, abs=2e-5) and a.lat == pytest.approx(lat, abs=2e-5)
    assert a.road_zh == "环城南路" and a.door_no == "100"
    n = session.scalar(select(func.count(GeocodeName.id)).where(GeocodeName.address_id == a.id))
    assert n == 1


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            "a,b\n1,2\n",
            "x.csv",
            "FILE: x.csv lacks the column(s) lon, lat, address (or road and door); "
            "an address CSV needs lon, lat and address (or road and door)",
        ),
        ("{not json", "x.geojson", "FILE: cannot read x.geojson as GeoJSON: "),
        ('{"type": "Feature"}', "x.geojson", "FILE: x.geojson is not a GeoJSON FeatureCollection"),
    ],
)
def test_bad_files(session: Session, tmp_path: Path, content: str, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(Invalid, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        import_addresses(session, path, actor=SYS)
    with pytest.raises(Invalid, match="crs: 'EPSG:3857' is not supported; use one of WGS84"):
        import_addresses(session, path, actor=SYS, crs="EPSG:3857")


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli import app
    from pingan.config import get_settings
    from pingan.store.engine import make_engine, migrate, reset_engine

    url = f"sqlite:///{tmp_path / 'c.db'}"
    eng = make_engine(url)
    migrate(eng)
    with Session(eng) as s:
        city = build_small_city(s)
        lon, lat = city.cell_center(0)
        s.commit()
    eng.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINGAN_DATABASE_URL", url)
    get_settings.cache_clear()
    reset_engine()
    try:
        runner = CliRunner()
        csv = tmp_path / "a.csv"
        csv.write_text(f"address,lon,lat\n北京路1号,{lon},{lat}\n北京路2号,x,{lat}\n")
        r = runner.invoke(app, ["import", "addresses", str(csv)])
        assert r.exit_code == 0, r.output
        assert "imported 1 of 2 addresses" in r.output and "rejected 1" in r.output
        assert "1  lon/lat: not a number" in r.output
        assert "a.csv.rejects.csv" in r.output
        r = runner.invoke(app, ["import", "addresses", str(tmp_path / "missing.csv")])
        assert r.exit_code == 2 and r.output.strip().splitlines()[-1].startswith(
            "error: FILE: not found:"
        )
        bad = tmp_path / "b.csv"
        bad.write_text("x,y\n1,2\n")
        r = runner.invoke(app, ["import", "addresses", str(bad)])
        assert r.exit_code == 2
        assert r.output.strip() == (
            "error: FILE: b.csv lacks the column(s) lon, lat, address (or road and door); "
            "an address CSV needs lon, lat and address (or road and door)"
        )
        r = runner.invoke(app, ["import", "addresses", str(csv), "--crs", "mars"])
        assert r.exit_code == 2 and "error: crs: 'mars' is not supported" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()
