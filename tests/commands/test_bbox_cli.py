"""``--bbox`` on the command line goes through the one parser (:func:`pingan.geo.parse_bbox`):
a one-line error naming the option and the fix, exit code 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pingan.cli import app


def test_roads_import_bad_bbox_names_the_option(tmp_path: Path) -> None:
    pbf = tmp_path / "x.osm.pbf"
    pbf.write_bytes(b"")
    r = CliRunner().invoke(app, ["roads", "import", str(pbf), "--bbox", "1,2,3"])
    assert r.exit_code == 2, r.output
    assert r.output.strip() == "error: --bbox: expected 4 numbers W,S,E,N, got 3"
    r = CliRunner().invoke(app, ["roads", "import", str(pbf), "--bbox", "10,2,3,4"])
    assert r.exit_code == 2, r.output
    assert "error: --bbox: boxes crossing the antimeridian (W > E)" in r.output
