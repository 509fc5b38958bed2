from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.audit.service import Actor
from pingan.errors import Invalid
from pingan.incidents.importers import PRESETS, import_incidents, load_mapping
from pingan.incidents.models import Incident
from pingan.jurisdictions.importers import import_jurisdictions
from pingan.jurisdictions.models import Jurisdiction
from tests.factories import SmallCity

SYS = Actor.system("test")


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count(Incident.id))) or 0)


def test_chicago_preset_gzip_rejects_and_reimport(
    session: Session, city: SmallCity, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    lon, lat = city.cell_center(0)
    rows = [
        "date,loc_cat,longitude,latitude,district",
        f"2019-07-04 21:15,street,{lon},{lat},2",
        f"2019-07-04 21:15,street,{lon},{lat},2",  # an identical second record is kept
        f"2019-13-04 21:15,street,{lon},{lat},2",
        "2019-07-04 22:00,street,,,2",
        "2019-07-04 22:30,street,-87.6,41.8,2",
        "2019-07-04 23:00,street",
    ]
    path = tmp_path / "chi.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    rep = import_incidents(
        session, path, preset=PRESETS["chicago"], actor=SYS, max_reject_share=0.8
    )
    assert (rep.rows, rep.accepted, rep.rejected) == (6, 2, 4)
    assert rep.reasons == {
        "date: not a valid date/time": 1,
        "lon/lat: missing or out of range": 1,
        "lon/lat: outside every jurisdiction": 1,
        "malformed row: expected 5 fields": 1,
    }
    lines = (tmp_path / "chi.csv.gz.rejects.csv").read_text().splitlines()
    assert lines[0] == "line,reason,date,loc_cat,longitude,latitude,district"
    assert lines[1].startswith("4,date: not a valid date/time,2019-13-04 21:15")
    inc = session.scalars(select(Incident)).first()
    assert inc is not None and inc.subtype == "assault" and inc.state == "closed"
    assert inc.reported_at.isoformat() == "2019-07-05T02:15:00+00:00"  # CDT is UTC-5
    assert inc.summary == "street / 2"
    again = import_incidents(
        session, path, preset=PRESETS["chicago"], actor=SYS, max_reject_share=0.8
    )
    assert again.accepted == 0 and again.reasons["duplicate: already imported"] == 2
    assert _count(session) == 2


def test_vancouver_preset_projects_utm(
    session: Session, city: SmallCity, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import pyproj

    monkeypatch.chdir(tmp_path)
    lon, lat = city.cell_center(3)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True).transform(
        lon, lat
    )
    p = PRESETS["vancouver"]
    preset = type(p)(**(p.__dict__ | {"crs": "EPSG:32648"}))  # the test city lies in UTM 48N
    path = tmp_path / "van.csv"
    path.write_text(
        "TYPE,YEAR,MONTH,DAY,HOUR,MINUTE,HUNDRED_BLOCK,NEIGHBOURHOOD,X,Y\n"
        f"Theft of Bicycle,2020,2,29,13,5,11XX MAIN ST,Downtown,{x},{y}\n"
        f"Theft of Bicycle,2021,2,29,13,5,11XX MAIN ST,Downtown,{x},{y}\n"
        f"Alien Theft,2020,3,1,13,5,11XX MAIN ST,Downtown,{x},{y}\n"
    )
    rep = import_incidents(session, path, preset=preset, actor=SYS, max_reject_share=1.0)
    assert rep.accepted == 1  # 2021-02-29 does not exist; an unmapped type is rejected
    assert rep.reasons == {
        "YEAR/MONTH/DAY/HOUR/MINUTE: not a valid date/time": 1,
        "subtype: category 'Alien Theft' not in the mapping": 1,
    }
    subs = sorted(session.scalars(select(Incident.subtype)))
    assert subs == ["bicycle_theft"]
    inc = session.scalars(select(Incident).where(Incident.subtype == "bicycle_theft")).one()
    assert abs(inc.lon - lon) < 1e-6 and inc.address_text == "11XX MAIN ST"


def test_too_many_rejects_rolls_back(
    session: Session, city: SmallCity, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    lon, lat = city.cell_center(0)
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,loc_cat,longitude,latitude,district\n"
        f"2019-07-04 21:15,street,{lon},{lat},2\n" + "nonsense,x,1,2,3\n" * 3
    )
    before = _count(session)
    with pytest.raises(
        Invalid,
        match=r"file: 3 of 4 rows rejected \(75% > 50%\); nothing "
        r"imported. Main reasons: date: not a valid date/time \(3\)",
    ):
        import_incidents(session, path, preset=PRESETS["chicago"], actor=SYS)
    session.rollback()
    assert _count(session) == before


def test_missing_columns_and_files(session: Session, city: SmallCity, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("when,where\n1,2\n")
    with pytest.raises(
        Invalid,
        match=r"file: wrong.csv: columns missing for preset 'chicago': date, longitude, latitude",
    ):
        import_incidents(session, path, preset=PRESETS["chicago"], actor=SYS)
    with pytest.raises(Invalid, match="file: not found: "):
        import_incidents(session, tmp_path / "nope.csv", preset=PRESETS["chicago"], actor=SYS)


def test_generic_mapping_and_police_uk(
    session: Session, city: SmallCity, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    lon, lat = city.cell_center(5)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "name: mycity\ntimezone: Asia/Shanghai\ncolumns:\n  id: case_no\n"
        "  reported_at: time\n  subtype: kind\n  lon: x\n  lat: y\n"
        "subtype_map:\n  盗窃: other_theft\n"
    )
    preset = load_mapping(mapping)
    path = tmp_path / "mine.csv"
    path.write_text(
        f"case_no,time,kind,x,y\nA1,2026-01-02 08:00,盗窃,{lon},{lat}\n"
        f"A1,2026-01-02 08:00,盗窃,{lon},{lat}\n"
    )
    rep = import_incidents(session, path, preset=preset, actor=SYS, max_reject_share=1.0)
    assert rep.accepted == 1
    assert rep.reasons == {"duplicate: the same id appears earlier in the file": 1}
    uk = tmp_path / "uk.csv"
    uk.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n"
        f",2024-05,Met,Met,{lon},{lat},On or near X,E1,N,Anti-social behaviour,,\n"
        f"abc,2024-05,Met,Met,{lon},{lat},On or near X,E1,N,Robbery,Under "
        "investigation,\n"
    )
    rep = import_incidents(session, uk, preset=PRESETS["police-uk"], actor=SYS)
    assert rep.accepted == 2
    subs = set(session.scalars(select(Incident.subtype).where(Incident.dataset == "police-uk")))
    assert subs == {"disturbance", "robbery"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  lon: x\n")
    with pytest.raises(Invalid, match=r"mapping: .*bad.yaml: columns.reported_at is required"):
        load_mapping(bad)


def _square(x0: float, y0: float, d: float = 0.01) -> list[list[float]]:
    return [[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]


def test_jurisdictions_geojson_kml_gpkg(session: Session, tmp_path: Path) -> None:
    gj = tmp_path / "areas.geojson"
    gj.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "A", "name": "甲区"},
                        "geometry": {"type": "Polygon", "coordinates": [_square(10.0, 10.0)]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"code": "B", "name": "乙区"},
                        "geometry": {"type": "Polygon", "coordinates": [_square(10.01, 10.0)]},
                    },
                ],
            }
        )
    )
    made = import_jurisdictions(session, gj, actor=SYS, prefix="T", bureau_name="Test")
    assert [j.code for j in made] == ["T-A", "T-B"] and made[0].name_zh == "甲区"
    root = session.scalar(select(Jurisdiction).where(Jurisdiction.parent_id.is_(None)))
    assert root is not None and root.level == "bureau" and made[0].path.startswith(root.path)
    ring = " ".join(f"{x},{y}" for x, y in _square(10.0, 10.01))
    kml = tmp_path / "k.kml"
    kml.write_text(
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<Placemark><name>9</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        "</Document></kml>"
    )
    made = import_jurisdictions(session, kml, actor=SYS, level="station", parent="T-A", prefix="K")
    assert made[0].code == "K-9" and made[0].level == "station"
    gpkg = tmp_path / "g.gpkg"
    con = sqlite3.connect(gpkg)
    con.executescript(
        "CREATE TABLE gpkg_geometry_columns (table_name, column_name, srs_id);"
        "INSERT INTO gpkg_geometry_columns VALUES ('areas', 'geom', 4326);"
        "CREATE TABLE areas (fid INTEGER PRIMARY KEY, name TEXT, geom BLOB);"
    )
    wkb = shapely.to_wkb(shapely.Polygon(_square(10.02, 10.0)))
    header = b"GP\x00\x01" + (4326).to_bytes(4, "little")
    con.execute("INSERT INTO areas (name, geom) VALUES (?, ?)", ("丙区", header + wkb))
    con.commit()
    con.close()
    made = import_jurisdictions(session, gpkg, actor=SYS, prefix="G")
    assert made[0].name_zh == "丙区" and made[0].min_lon == pytest.approx(10.02)


def test_jurisdiction_polygon_errors(session: Session, tmp_path: Path) -> None:
    open_ring = _square(10.0, 10.0)[:-1]
    gj = tmp_path / "bad.geojson"
    gj.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "ok"},
                        "geometry": {"type": "Polygon", "coordinates": [_square(10.0, 10.0)]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"name": "broken"},
                        "geometry": {"type": "Polygon", "coordinates": [open_ring]},
                    },
                ],
            }
        )
    )
    with pytest.raises(
        Invalid,
        match=r"geometry: feature 2 \(broken\): the polygon ring does "
        r"not close \(first and last points differ\)",
    ):
        import_jurisdictions(session, gj, actor=SYS)
    assert session.scalar(select(func.count(Jurisdiction.id))) == 0
    bow = tmp_path / "bow.geojson"
    bow.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "bow"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                        },
                    }
                ],
            }
        )
    )
    with pytest.raises(
        Invalid,
        match=r"geometry: feature 1 \(bow\): invalid polygon "
        r"\(Self-intersection.*use --repair to fix it with make_valid",
    ):
        import_jurisdictions(session, bow, actor=SYS)
    with pytest.raises(Invalid, match=r"file: x.shp: use a .geojson, .kml or .gpkg file"):
        (tmp_path / "x.shp").write_text("")
        import_jurisdictions(session, tmp_path / "x.shp", actor=SYS)


def test_cli_import_exit_codes(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pingan.cli import app
    from pingan.config import get_settings
    from pingan.store.engine import reset_engine

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINGAN_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    get_settings.cache_clear()
    reset_engine()
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["import", "incidents", "x.csv", "--preset", "atlantis"])
        assert r.exit_code == 2 and "error: --preset: 'atlantis'; use one of chicago" in r.output
        r = runner.invoke(app, ["import", "incidents", "x.csv"])
        assert r.exit_code == 2
        assert "error: --mapping: the generic preset needs a YAML mapping file" in r.output
        gj = tmp_path / "d.geojson"
        gj.write_text(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"name": "1"},
                            "geometry": {
                                "type": "Polygon",
                                "coordinates": [_square(-87.7, 41.8, 0.2)],
                            },
                        }
                    ],
                }
            )
        )
        r = runner.invoke(app, ["import", "jurisdictions", str(gj), "--prefix", "C"])
        assert r.exit_code == 0 and "imported 1 district polygons" in r.output
        csv = tmp_path / "c.csv"
        csv.write_text(
            "date,loc_cat,longitude,latitude,district\n2019-07-04 21:15,street,-87.6,41.9,2\n"
        )
        r = runner.invoke(app, ["import", "incidents", str(csv), "--preset", "chicago"])
        assert r.exit_code == 0 and "imported 1 of 1 rows into dataset 'chicago'" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()


def test_real_portland_head(
    session: Session, tmp_path: Path, shared_data: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    import_jurisdictions(
        session,
        shared_data / "portland_nij" / "portland_police_districts_wgs84.geojson",
        actor=SYS,
        code_field="DISTRICT",
        prefix="PDX",
        bureau_name="Portland PB",
        repair=True,
    )
    head = tmp_path / "pdx.csv"
    lines = (
        (shared_data / "portland_nij" / "portland_cfs_2016_aug_sep.csv")
        .read_text()
        .splitlines()[:3001]
    )
    head.write_text("\n".join(lines) + "\n")
    rep = import_incidents(session, head, preset=PRESETS["portland-nij"], actor=SYS)
    assert rep.rows == 3000 and rep.accepted > 2800
    assert set(session.scalars(select(Incident.subtype).distinct())) <= {
        "burglary",
        "vehicle_theft",
        "assault",
        "other_theft",
        "disturbance",
        "traffic_accident",
        "other_assistance",
        "other",
    }
