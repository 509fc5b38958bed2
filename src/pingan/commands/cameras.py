"""``pingan cameras``: the camera registry (视频监控) — list, show, add, edit, retire, import —
its coverage figures per station and key area, the blind-spot map, and the siting of new cameras
(补盲补漏) with the plan written as GeoJSON or Excel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from pingan.commands import cli_principal, fail, one_line, validated

app = typer.Typer(
    help="Cameras (视频监控): registry, coverage figures, blind spots, siting of new cameras.",
    no_args_is_help=True,
)

_USER = typer.Option(None, "--user", help="act as this user (default: an administrator)")
_STATUSES = ("online", "offline", "maintenance", "retired")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _data_dir() -> Path:
    from pingan.config import get_settings

    return Path(get_settings().data_dir)


@app.command("list")
def list_cmd(
    bbox: str | None = typer.Option(None, help="W,S,E,N in WGS-84 degrees"),
    status: list[str] = typer.Option([], "--status", help="online, offline, maintenance, retired"),
    station: str | None = typer.Option(None, help="station code"),
    owner: str | None = typer.Option(None, help="public or social"),
    limit: int = typer.Option(50, min=1, max=5000),
    offset: int = typer.Option(0, min=0, max=2**31 - 1),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
    user: str | None = _USER,
) -> None:
    """Cameras in your jurisdiction (default: every status but retired)."""
    from sqlalchemy import func, select

    from pingan.cameras import service
    from pingan.cameras.models import Camera
    from pingan.cameras.schemas import CameraRead
    from pingan.geo.bbox import BBoxError, parse_bbox
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.store.engine import get_engine, migrate, unit_of_work

    try:
        box = parse_bbox(bbox, field="--bbox")
    except BBoxError as exc:
        fail(str(exc))
    bad = [s for s in status if s not in _STATUSES]
    if bad:
        fail(f"--status: {bad[0]!r} is not a camera status; use {', '.join(_STATUSES)}")
    if owner is not None and owner not in ("public", "social"):
        fail(f"--owner: {owner!r}; use public or social")
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        sid = None
        if station is not None:
            sid = s.scalar(
                select(Jurisdiction.id).where(
                    Jurisdiction.code == station, Jurisdiction.level == "station"
                )
            )
            if sid is None:
                fail(f"--station: no station {station!r}")
        q = service.list_query(principal=p, bbox=box, status=status, station_id=sid, owner=owner)
        total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
        rows = s.scalars(q.order_by(Camera.id).limit(limit).offset(offset)).all()
        for c in rows:
            if as_json:
                typer.echo(CameraRead.model_validate(c).model_dump_json())
            else:
                typer.echo(
                    f"{c.id:>6} {c.code:<14} {c.status:<11} {c.lon:.6f},{c.lat:.6f} "
                    f"{c.heading_deg:5.1f}° fov {c.fov_deg:5.1f}° {c.range_m:5.0f} m "
                    f"{c.owner}/{c.resolution}"
                )
    if not as_json:
        typer.echo(f"{len(rows)} of {total} cameras (offset {offset})")


@app.command("show")
def show_cmd(
    camera_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="the camera id"),
    user: str | None = _USER,
) -> None:
    """One camera as JSON."""
    from pingan.cameras import service
    from pingan.cameras.schemas import CameraRead
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        c = service.get_or_raise(s, principal=cli_principal(s, user), camera_id=camera_id)
        typer.echo(CameraRead.model_validate(c).model_dump_json(indent=2))


@app.command("add")
def add_cmd(
    lon: float = typer.Option(..., help="longitude"),
    lat: float = typer.Option(..., help="latitude"),
    heading: float = typer.Option(..., "--heading", help="degrees clockwise from north, 0-360"),
    fov: float = typer.Option(..., "--fov", help="field of view in degrees (360: a dome)"),
    range_m: float = typer.Option(..., "--range", help="range in metres"),
    code: str | None = typer.Option(None, help="code (default: generated)"),
    name: str | None = typer.Option(None, help="label"),
    crs: str = typer.Option("WGS84", help="WGS84, GCJ02 or BD09"),
    resolution: str = typer.Option("hd", help="sd, hd or uhd"),
    owner: str = typer.Option("public", help="public or social"),
    status: str = typer.Option("online", help="online, offline or maintenance"),
    premises_id: int | None = typer.Option(None, "--premises-id", min=1, max=2**31 - 1),
    user: str | None = _USER,
) -> None:
    """Register a camera."""
    from pingan.cameras.flows import camera_create_flow
    from pingan.cameras.schemas import CameraCreate
    from pingan.store.engine import get_engine, migrate, unit_of_work

    data = validated(
        CameraCreate,
        {
            "lon": lon,
            "lat": lat,
            "heading_deg": heading,
            "fov_deg": fov,
            "range_m": range_m,
            "code": code,
            "name": name,
            "crs": crs.upper(),
            "resolution": resolution,
            "owner": owner,
            "status": status,
            "premises_id": premises_id,
        },
        {"heading_deg": "--heading", "fov_deg": "--fov", "range_m": "--range"},
    )
    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        c = camera_create_flow(s, principal=cli_principal(s, user), data=data)
        typer.echo(f"camera {c.id} {c.code} registered (station {c.station_id})")


@app.command("edit")
def edit_cmd(
    camera_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="the camera id"),
    heading: float | None = typer.Option(None, "--heading"),
    fov: float | None = typer.Option(None, "--fov"),
    range_m: float | None = typer.Option(None, "--range"),
    status: str | None = typer.Option(None, help="online, offline or maintenance"),
    resolution: str | None = typer.Option(None),
    owner: str | None = typer.Option(None),
    name: str | None = typer.Option(None),
    user: str | None = _USER,
) -> None:
    """Change a camera (only the options given)."""
    from pingan.cameras.flows import camera_update_flow
    from pingan.cameras.schemas import CameraUpdate
    from pingan.store.engine import get_engine, migrate, unit_of_work

    given: dict[str, Any] = {
        k: v
        for k, v in {
            "heading_deg": heading,
            "fov_deg": fov,
            "range_m": range_m,
            "status": status,
            "resolution": resolution,
            "owner": owner,
            "name": name,
        }.items()
        if v is not None
    }
    if not given:
        fail("nothing to change: give at least one of --heading, --fov, --range, --status, …")
    data = validated(
        CameraUpdate, given, {"heading_deg": "--heading", "fov_deg": "--fov", "range_m": "--range"}
    )
    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        c = camera_update_flow(s, principal=cli_principal(s, user), camera_id=camera_id, data=data)
        typer.echo(f"camera {c.id} {c.code}: {', '.join(sorted(given))} changed")


@app.command("retire")
def retire_cmd(
    camera_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="the camera id"),
    reason: str = typer.Option(..., help="why it is taken off the network"),
    user: str | None = _USER,
) -> None:
    """Take a camera off the network (kept for the record)."""
    from pingan.cameras.flows import camera_retire_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        c = camera_retire_flow(
            s, principal=cli_principal(s, user), camera_id=camera_id, reason=reason
        )
        typer.echo(f"camera {c.id} {c.code} retired")


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="a CSV or GeoJSON file of cameras"),
    fmt: str | None = typer.Option(None, "--format", help="csv or geojson (default: by suffix)"),
    crs: str = typer.Option("WGS84", help="coordinates: WGS84, GCJ02 (AMap) or BD09 (Baidu)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check only, write nothing"),
    rejects: Path | None = typer.Option(None, help="write the rejected rows to this CSV"),
    user: str | None = _USER,
) -> None:
    """Create or update cameras from a file; every rejected row with its field and reason."""
    import csv

    from pingan.cameras.flows import cameras_import_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if not file.is_file():
        fail(f"FILE: {file} does not exist")
    if crs.upper() not in ("WGS84", "GCJ02", "BD09"):
        fail(f"--crs: {crs!r}; use WGS84, GCJ02 or BD09")
    kind = fmt or ("geojson" if file.suffix.lower() in (".geojson", ".json") else "csv")
    if kind not in ("csv", "geojson"):
        fail(f"--format: {kind!r}; use csv or geojson")
    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        rep = cameras_import_flow(
            s,
            principal=cli_principal(s, user),
            content=file.read_bytes(),
            fmt=kind,
            crs=crs.upper(),
            dry_run=dry_run,
        )
    typer.echo(
        f"{rep.rows} rows: {rep.created} created, {rep.updated} updated, {rep.rejected} rejected"
        + (" (dry run: nothing written)" if dry_run else "")
    )
    for r in rep.rejects[:20]:
        typer.echo(f"  row {r.row} {r.code or ''}: {r.field}: {r.reason}")
    if rep.rejected > 20:
        typer.echo(f"  … {rep.rejected - 20} more" + ("" if rejects else " (see --rejects)"))
    if rejects is not None:
        with rejects.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["row", "code", "field", "reason"])
            for r in rep.rejects:
                w.writerow([r.row, r.code or "", r.field, r.reason])


@app.command("figures")
def figures_cmd(
    history_days: int = typer.Option(365, min=1, max=3650, help="incidents of the last N days"),
    key_areas: bool = typer.Option(False, "--key-areas", help="also every key area"),
    as_json: bool = typer.Option(False, "--json"),
    user: str | None = _USER,
) -> None:
    """Per station (and key area): cameras, down, share of incidents and road length seen."""
    from pingan.cameras import figures
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        snap = figures.snapshot(
            s, principal=cli_principal(s, user), data_dir=_data_dir(), history_days=history_days
        )
        fig = figures.figures(snap)
    if as_json:
        typer.echo(fig.model_dump_json(indent=2))
        return
    rows = [fig.total, *fig.stations, *(fig.key_areas if key_areas else [])]
    typer.echo(f"{'area':<24} {'cameras':>7} {'down':>5} {'incidents seen':>15} {'road seen':>10}")
    for f in rows:
        typer.echo(
            f"{f.name[:24]:<24} {f.cameras:>7} {f.down:>5} "
            f"{_pct(f.incidents_seen_share):>15} {_pct(f.road_seen_share):>10}"
        )
    for k, v in fig.explanation.items():
        typer.echo(f"- {k}: {v}")


@app.command("blind-spots")
def blind_spots_cmd(
    out: Path = typer.Option(..., "--out", help="the GeoJSON file to write"),
    cell_size_m: float = typer.Option(250.0, "--cell-size-m", min=50, max=5000),
    history_days: int = typer.Option(365, min=1, max=3650),
    user: str | None = _USER,
) -> None:
    """Write the blind-spot map: cells weighted by the incidents no working camera sees."""
    from pingan.cameras import figures
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if not out.resolve().parent.is_dir():
        fail(f"--out: the folder {out.resolve().parent} does not exist")
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        snap = figures.snapshot(
            s, principal=cli_principal(s, user), data_dir=_data_dir(), history_days=history_days
        )
        fc = figures.blind_spots(snap, cell_size_m=cell_size_m)
    out.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    n = sum(f["properties"]["unseen"] for f in fc["features"])
    typer.echo(f"{len(fc['features'])} cells with {n} unseen incidents written to {out}")


@app.command("site")
def site_cmd(
    n: int = typer.Option(20, "--n", min=1, max=500, help="how many new cameras"),
    station: str | None = typer.Option(None, help="station code (default: your jurisdiction)"),
    headings: int = typer.Option(8, min=1, max=36, help="headings tried per candidate site"),
    fov: float = typer.Option(90.0, "--fov", help="field of view of the new cameras"),
    range_m: float = typer.Option(80.0, "--range", help="range of the new cameras (m)"),
    time_limit_s: float = typer.Option(10.0, "--time-limit-s", help="solver budget"),
    out: Path | None = typer.Option(None, "--out", help="write the plan: .geojson or .xlsx"),
    user: str | None = _USER,
) -> None:
    """Site new cameras over today's blind spots (MCLP); before/after and the plan."""
    from sqlalchemy import select

    from pingan.cameras import figures, siting
    from pingan.cameras.schemas import SitingRequest
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if out is not None and out.suffix.lower() not in (".geojson", ".xlsx", ".json"):
        fail(f"--out: {out.name!r} must end in .geojson or .xlsx")
    if out is not None and not out.resolve().parent.is_dir():
        fail(f"--out: the folder {out.resolve().parent} does not exist")
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        sid = None
        if station is not None:
            sid = s.scalar(
                select(Jurisdiction.id).where(
                    Jurisdiction.code == station, Jurisdiction.level == "station"
                )
            )
            if sid is None:
                fail(f"--station: no station {station!r}")
        req = validated(
            SitingRequest,
            {
                "n_cameras": n,
                "station_id": sid,
                "headings": headings,
                "fov_deg": fov,
                "range_m": range_m,
                "time_limit_s": time_limit_s,
            },
            {"n_cameras": "--n", "fov_deg": "--fov", "range_m": "--range"},
        )
        snap = figures.snapshot(s, principal=p, data_dir=_data_dir(), history_days=365)
        ans = siting.siting(snap, req)
    b, a = ans["before"], ans["after"]
    typer.echo(
        f"{len(ans['cameras'])} new cameras in {ans['solve_time_s']} s: incidents seen "
        f"{_pct(b['incidents_seen_share'])} → {_pct(a['incidents_seen_share'])}, road seen "
        f"{_pct(b['road_seen_share'])} → {_pct(a['road_seen_share'])}"
    )
    for c in ans["cameras"][:10]:
        typer.echo(
            f"  {c['rank']:>3}. {c['lon']:.6f},{c['lat']:.6f} heading {c['heading_deg']:5.1f}° "
            f"+{c['incidents_newly_seen']} incidents, +{c['road_newly_seen_m']:.0f} m road"
        )
    typer.echo(ans["explanation"])
    if out is not None:
        if out.suffix.lower() == ".xlsx":
            out.write_bytes(siting.plan_xlsx(ans))
        else:
            out.write_text(
                json.dumps(siting.plan_geojson(ans), ensure_ascii=False), encoding="utf-8"
            )
        typer.echo(f"plan written to {out}")


@app.command("footprints")
def footprints_cmd(
    file: Path = typer.Argument(..., help="a GeoJSON FeatureCollection of building polygons"),
    crs: str = typer.Option("WGS84", help="coordinates: WGS84, GCJ02 (AMap) or BD09 (Baidu)"),
    replace: bool = typer.Option(False, "--replace", help="delete every footprint first"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check only, write nothing"),
    user: str | None = _USER,
) -> None:
    """Load building footprints, the occlusion layer: a building between a camera and a point
    hides it in the coverage figures and the siting. Same as ``pingan import footprints``."""
    import_footprints(file, crs=crs, replace=replace, dry_run=dry_run, user=user)


def import_footprints(
    file: Path, *, crs: str, replace: bool, dry_run: bool, user: str | None
) -> None:
    """The body of ``pingan import footprints`` and ``pingan cameras footprints``."""
    from pingan.cameras.flows import footprints_import_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if not file.is_file():
        fail(f"FILE: {file} does not exist")
    if crs.upper() not in ("WGS84", "GCJ02", "BD09"):
        fail(f"--crs: {crs!r}; use WGS84, GCJ02 or BD09")
    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        rep = footprints_import_flow(
            s,
            principal=cli_principal(s, user),
            content=file.read_bytes(),
            crs=crs.upper(),
            replace=replace,
            dry_run=dry_run,
        )
    typer.echo(
        f"{rep.rows} features: {rep.created} footprints loaded, {rep.rejected} rejected"
        + (" (dry run: nothing written)" if dry_run else "")
    )
    for r in rep.rejects[:20]:
        typer.echo(f"  feature {r.row} {r.code or ''}: {r.field}: {r.reason}")
    if rep.rejected > 20:
        typer.echo(f"  … {rep.rejected - 20} more")
