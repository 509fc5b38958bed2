"""Imports of files as they come: an empty date in the real Portland file, GBK text, a NUL in a
row, KML ``<ExtendedData><Data>`` attributes, a category nobody mapped. Each failed before (an
OverflowError, "no CSV header", a NUL stored, a code ``K-None``, an unmapped row counted as
``other``)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.audit.service import Actor
from pingan.errors import Invalid
from pingan.incidents.importers import PRESETS, detect_encoding, import_incidents, load_mapping
from pingan.incidents.models import Incident
from pingan.jurisdictions.importers import import_jurisdictions
from tests.factories import SmallCity

SYS = Actor.system("test")


def _mapping(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(
        "name: mycity\ntimezone: Asia/Shanghai\ncolumns:\n  reported_at: time\n"
        "  subtype: kind\n  lon: x\n  lat: y\n  summary: note\n"
        "subtype_map:\n  盗窃: other_theft\n  打架: fight\n" + extra,
        encoding="utf-8",
    )
    return path


def _rows(city: SmallCity, n: int, last: str = "打架") -> str:
    lon, lat = city.cell_center(1)
    body = "".join(f"2026-01-0{1 + i % 9} 08:00,盗窃,{lon},{lat},第{i}行\n" for i in range(n))
    return "time,kind,x,y,note\n" + body + f"2026-01-02 09:00,{last},{lon},{lat},最后一行\n"


def test_an_empty_date_is_a_rejected_row(
    session: Session, city: SmallCity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "dates.csv"
    lon, lat = city.cell_center(0)
    path.write_text(
        "time,kind,x,y,note\n"
        f"2026-01-02 08:00,盗窃,{lon},{lat},ok\n"
        f",盗窃,{lon},{lat},empty\n"
        f"1812-06-24 08:00,盗窃,{lon},{lat},too early\n"
        f"9999-12-31 23:00,盗窃,{lon},{lat},too late\n",
        encoding="utf-8",
    )
    preset = load_mapping(_mapping(tmp_path))
    rep = import_incidents(session, path, preset=preset, actor=SYS, max_reject_share=1.0)
    assert rep.accepted == 1
    assert rep.reasons == {"time: not a valid date/time": 3}
    with open(tmp_path / "dates.csv.rejects.csv", encoding="utf-8") as f:
        lines = [(r[0], r[-1]) for r in list(csv.reader(f))[1:]]
    assert lines == [("3", "empty"), ("4", "too early"), ("5", "too late")]


def test_gbk_file_is_read_and_a_wrong_encoding_names_the_line(
    session: Session, city: SmallCity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "gbk.csv"
    path.write_bytes(_rows(city, 3).encode("gbk"))
    preset = load_mapping(_mapping(tmp_path))
    assert detect_encoding(path) == "gb18030"
    rep = import_incidents(session, path, preset=preset, actor=SYS)
    assert (rep.accepted, rep.encoding) == (4, "gb18030")
    summaries = set(session.scalars(select(Incident.summary).where(Incident.dataset == "mycity")))
    assert "第0行" in summaries and "最后一行" in summaries
    # only the last row holds non-ASCII (GBK) bytes: the whole file is read before choosing
    lon, lat = city.cell_center(1)
    late = tmp_path / "late.csv"
    ascii_rows = "".join(f"2026-01-02 08:0{i},theft,{lon},{lat},row {i}\n" for i in range(3))
    late.write_bytes(
        f"time,kind,x,y,note\n{ascii_rows}".encode()
        + f"2026-01-02 09:00,打架,{lon},{lat},最后一行\n".encode("gbk")
    )
    assert detect_encoding(late) == "gb18030"
    preset = load_mapping(_mapping(tmp_path, "default_subtype: other\n"))
    rep = import_incidents(session, late, preset=preset, actor=SYS, dataset="late")
    assert rep.accepted == 4
    with pytest.raises(
        Invalid,
        match=r"file: late.csv: line 5 is not utf-8 text: byte b'\\xb4\\xf2.*; give the "
        r"file's encoding with --encoding",
    ):
        import_incidents(session, late, preset=preset, actor=SYS, encoding="utf-8")
    mixed = tmp_path / "mixed.csv"  # UTF-8 rows, then a GBK one: neither decodes it all
    text = _rows(city, 3).splitlines(keepends=True)
    mixed.write_bytes("".join(text[:-1]).encode("utf-8") + text[-1].encode("gbk"))
    with pytest.raises(
        Invalid,
        match=r"file: mixed.csv: line 5 is neither UTF-8 nor GB18030 text: byte b'\\xb4",
    ):
        import_incidents(session, mixed, preset=preset, actor=SYS)
    with pytest.raises(Invalid, match=r"encoding: unknown encoding 'klingon'; e.g. utf-8"):
        import_incidents(session, mixed, preset=preset, actor=SYS, encoding="klingon")


def test_utf8_with_bom_is_read(session: Session, city: SmallCity, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _rows(city, 1).encode("utf-8"))
    assert detect_encoding(path) == "utf-8-sig"
    preset = load_mapping(_mapping(tmp_path))
    assert import_incidents(session, path, preset=preset, actor=SYS).accepted == 2


def test_cli_takes_encoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli import app
    from pingan.config import get_settings
    from pingan.store.engine import reset_engine

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINGAN_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    get_settings.cache_clear()
    reset_engine()
    try:
        gj = tmp_path / "d.geojson"
        ring = [[-87.7, 41.8], [-87.5, 41.8], [-87.5, 42.0], [-87.7, 42.0], [-87.7, 41.8]]
        gj.write_text(
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":'
            f'"1"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}]}}'
        )
        runner = CliRunner()
        assert runner.invoke(app, ["import", "jurisdictions", str(gj)]).exit_code == 0
        path = tmp_path / "c.csv"
        path.write_bytes(
            "date,loc_cat,longitude,latitude,district\n2019-07-04 21:15,街道,-87.6,41.9,2\n".encode(
                "gbk"
            )
        )
        r = runner.invoke(
            app, ["import", "incidents", str(path), "--preset", "chicago", "--encoding", "utf-8"]
        )
        assert r.exit_code == 2 and "error: file: c.csv: line 2 is not utf-8 text" in r.output
        r = runner.invoke(app, ["import", "incidents", str(path), "--preset", "chicago"])
        assert r.exit_code == 0, r.output
        assert "imported 1 of 1 rows" in r.output and "(gb18030)" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()


def test_nul_in_a_row_rejects_the_row(
    session: Session, city: SmallCity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lon, lat = city.cell_center(0)
    path = tmp_path / "nul.csv"
    path.write_text(
        f"time,kind,x,y,note\n2026-01-02 08:00,盗窃,{lon},{lat},a\x00b\n"
        f"2026-01-02 08:00,盗窃,{lon},{lat},fine\n",
        encoding="utf-8",
    )
    preset = load_mapping(_mapping(tmp_path))
    rep = import_incidents(session, path, preset=preset, actor=SYS, max_reject_share=1.0)
    assert rep.accepted == 1 and rep.reasons == {"NUL character (\\u0000) in the row": 1}


def test_unmapped_category_is_rejected_unless_the_mapping_names_a_default(
    session: Session, city: SmallCity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cats.csv"
    path.write_text(_rows(city, 2, last="纵火"), encoding="utf-8")
    rep = import_incidents(
        session, path, preset=load_mapping(_mapping(tmp_path)), actor=SYS, max_reject_share=1.0
    )
    assert rep.accepted == 2 and rep.reasons == {"subtype: category '纵火' not in the mapping": 1}
    lenient = load_mapping(_mapping(tmp_path, "default_subtype: other\n"))
    rep = import_incidents(session, path, preset=lenient, actor=SYS, dataset="lenient")
    assert rep.accepted == 3 and rep.rejected == 0
    subs = set(session.scalars(select(Incident.subtype).where(Incident.dataset == "lenient")))
    assert subs == {"other_theft", "other"}


def test_kml_extended_data_gives_the_code(session: Session, tmp_path: Path) -> None:
    ring = "10.0,10.0 10.01,10.0 10.01,10.01 10.0,10.01 10.0,10.0"
    kml = tmp_path / "k.kml"
    kml.write_text(
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        "<Placemark><name>北区</name><ExtendedData>"
        '<Data name="dist_num"><value>7</value></Data>'
        '<Data name="dist_label"><value>7TH</value></Data></ExtendedData>'
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        "</Document></kml>",
        encoding="utf-8",
    )
    made = import_jurisdictions(
        session, kml, actor=SYS, prefix="K", code_field="dist_num", bureau_name="T"
    )
    assert [j.code for j in made] == ["K-7"] and made[0].name_zh == "北区"
    with pytest.raises(
        Invalid,
        match=r"code_field: feature 1 \(北区\) has no 'DISTRICT_NO' property \(its properties: "
        r"name, description, dist_num, dist_label\); give another --code-field",
    ):
        import_jurisdictions(session, kml, actor=SYS, prefix="L", code_field="DISTRICT_NO")


def test_real_portland_whole_file(
    session: Session, tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole NIJ file: the empty occ_date on line 19,377 is one rejected row."""
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
    path = shared_data / "portland_nij" / "portland_cfs_2016_aug_sep.csv"
    rep = import_incidents(session, path, preset=PRESETS["portland-nij"], actor=SYS, dry_run=True)
    assert rep.rows == 37_819 and rep.reasons["occ_date: not a valid date/time"] == 1
    assert rep.accepted > 37_000
    assert not any(k.startswith("subtype") for k in rep.reasons)
    with open(tmp_path / (path.name + ".rejects.csv"), encoding="utf-8") as f:
        dated = [r for r in csv.reader(f) if r[1] == "occ_date: not a valid date/time"]
    assert [r[0] for r in dated] == ["19377"]
