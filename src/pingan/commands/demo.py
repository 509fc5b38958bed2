"""``pingan demo``: build the demo city into the database and serve it."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import typer

from pingan.commands import bbox_option, fail

# root-level commands: pingan.cli merges this app's commands into the root
app = typer.Typer()


@app.command("demo")
def demo_cmd(
    seed: int = typer.Option(20261122, help="random seed: the same seed gives the same city"),
    scale: float = typer.Option(1.0, help="incident volume multiplier (10 = ten times)"),
    years: float = typer.Option(2.0, help="years of incident history"),
    osm: Path | None = typer.Option(None, help="build on a real OSM road network (.osm.pbf)"),
    bbox: str | None = typer.Option(None, help="W,S,E,N of the area to use with --osm"),
    rebuild: bool = typer.Option(False, help="delete the existing demo database first"),
    end: str | None = typer.Option(
        None, help="last day of the history (YYYY-MM-DD, Asia/Shanghai); default today"
    ),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="serve it when built"),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
) -> None:
    """Build a realistic fictional city (roads, jurisdictions, places, forces, cameras and two
    years of incidents), deterministically from a seed, and serve the command center."""
    if scale <= 0:
        fail(f"--scale: must be > 0, got {scale}")
    if not 0 < years <= 10:
        fail(f"--years: must be in (0, 10], got {years}")
    if osm is not None and not osm.is_file():
        fail(f"--osm: file not found: {osm}")
    box = bbox_option(bbox)
    end_at = _parse_end(end)
    from pingan.config import get_settings

    settings = get_settings()
    url = settings.resolved_database_url
    meta_path = settings.data_dir / "demo.json"
    built = _existing_build(meta_path)
    params: dict[str, Any] = {
        "seed": seed,
        "scale": scale,
        "years": years,
        "osm": str(osm) if osm else None,
        "bbox": list(box) if box else None,
    }
    if built is not None and not rebuild:
        if built.get("params") != params:
            typer.echo(
                "a demo city with other parameters is already built; add --rebuild to replace it"
            )
        else:
            typer.echo(
                f"demo city already built on {built.get('built_at')} "
                f"({built.get('counts', {}).get('incidents', 0):,} incidents); "
                "use --rebuild to build it again"
            )
    else:
        _build(
            url,
            settings.data_dir,
            meta_path,
            params,
            seed=seed,
            scale=scale,
            years=years,
            osm=osm,
            bbox=box,
            end=end_at,
        )
    if serve:
        import uvicorn

        typer.echo(f"\ncommand center: http://{host}:{port}/  (API docs: /api/v1/docs)")
        uvicorn.run("pingan.server:app", host=host, port=port, log_level="warning")


def _parse_end(end: str | None) -> Any:
    """The end of the history: midnight (Asia/Shanghai) after the given or current day, in UTC.

    The same seed and the same end day give byte-identical data."""
    import datetime as dt
    import zoneinfo

    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    if end is None:
        day = dt.datetime.now(tz).date()
    else:
        try:
            day = dt.date.fromisoformat(end)
        except ValueError:
            fail(f"--end: expected YYYY-MM-DD, got {end!r}")
            raise
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)


def _existing_build(meta_path: Path) -> dict[str, Any] | None:
    if not meta_path.is_file():
        return None
    try:
        data = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _build(
    url: str,
    data_dir: Path,
    meta_path: Path,
    params: dict[str, Any],
    *,
    seed: int,
    scale: float,
    years: float,
    osm: Path | None,
    bbox: tuple[float, float, float, float] | None,
    end: Any,
) -> None:
    import datetime as dt

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from pingan.demo.citizens import seed_citizens
    from pingan.demo.city import build_city
    from pingan.demo.load import load_city
    from pingan.demo.ratings import seed_ratings
    from pingan.demo.simulate import simulate_incidents
    from pingan.store.engine import get_engine, migrate, reset_engine

    console = Console()
    t0 = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        db = Path(url.split("///", 1)[1])
        reset_engine()
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    else:
        _drop_all(url)
    meta_path.unlink(missing_ok=True)
    now = dt.datetime.now(dt.UTC)
    if end > now:  # the current day is simulated up to now, not into the future
        end = now.replace(second=0, microsecond=0)
    cols = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
    )
    with Progress(*cols, console=console) as prog:
        t = prog.add_task("city: roads, jurisdictions, places, forces", total=4, info="")
        city = build_city(seed=seed, osm_path=osm, bbox=bbox)
        prog.update(
            t,
            advance=1,
            info=f"{len(city.roads.node_lon):,} road nodes, {len(city.cells):,} grid cells",
        )
        incidents = simulate_incidents(city, seed=seed, end=end, years=years, scale=scale)
        prog.update(t, advance=1, info=f"{len(incidents):,} incidents simulated")
        engine = get_engine()
        migrate(engine)
        summary = load_city(
            engine,
            city,
            incidents,
            progress=lambda label, n: prog.update(t, info=f"{label}: {n:,}"),
        )
        prog.update(t, advance=1, info="database loaded")
        prog.update(t, info=seed_ratings(engine, seed=seed))  # issue 21: every premises rated
        prog.update(  # issue 23: reports, complaints, rental stays, notices, the supervisors
            t,
            info=seed_citizens(
                engine, seed=seed, supervisor_password=summary.passwords.get("supervisor")
            ),
        )
        summary.usernames.setdefault("supervisor", ["supervisor"])
        from pingan.demo.ledger import seed_ledger

        prog.update(  # issue 24: the services ledger, volunteer teams, volunteer_01
            t,
            info=seed_ledger(
                engine, seed=seed, volunteer_password=summary.passwords.get("volunteer")
            ),
        )
        summary.usernames.setdefault("volunteer", ["volunteer_01"])
        from pingan.demo.field import link_field_units

        prog.update(t, info=link_field_units(engine))  # issue 24: officers' phones share a unit
        prog.update(t, info=_count_incidents(engine))  # issue 19: the analyses' counts
        roads_info = _save_roads(city, data_dir)
        prog.update(t, advance=1, info=roads_info)
        p = prog.add_task("patrol plans and event security", total=1, info="")
        from pingan.demo.events import seed_events
        from pingan.demo.footprints import seed_footprints
        from pingan.demo.patrols import seed_patrols
        from pingan.errors import PingAnError

        for step in (seed_footprints, seed_patrols, seed_events):  # issue 22; optional steps
            try:
                prog.update(p, info=step(engine, data_dir, seed=seed))
            except PingAnError as exc:
                console.print(f"{step.__name__}: skipped ({exc.message})")
        prog.update(p, advance=1)
        w = prog.add_task("early warnings", total=1, info="")
        warned = _first_warnings(engine)
        prog.update(w, advance=1, info=warned)
        c = prog.add_task("1/3/5-minute layers", total=1, info="")
        prog.update(c, advance=1, info=_first_coverage_layers(engine))
        from pingan.demo.province import seed_province

        v = prog.add_task("province: cities ranked, warnings", total=2, info="")
        prog.update(  # issue 25: three generated cities beside this one, analysed
            v,
            advance=1,
            info=seed_province(engine, data_dir, city, seed=seed, end=end, years=years),
        )
        prog.update(v, advance=1, info=_first_province(engine))
    elapsed = time.perf_counter() - t0
    meta = {
        "params": params,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "counts": summary.counts,
        "build_seconds": round(elapsed, 1),
        "end": end.isoformat(),
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    console.print(
        f"[bold]demo city built in {elapsed:.0f} s[/bold]: "
        + ", ".join(f"{k} {v:,}" for k, v in summary.counts.items())
    )
    table = Table("role", "user names", "password (shown once)", title="demo users")
    for role, names in summary.usernames.items():
        shown = ", ".join(names[:3]) + (f" … ({len(names)})" if len(names) > 3 else "")
        table.add_row(role, shown, summary.passwords.get(role, ""))
    console.print(table)
    console.print(
        "every user of a role shares that role's password; only the argon2 hash is "
        "stored. Change them with `pingan users passwd` in a real deployment."
    )


def _count_incidents(engine: Any) -> str:
    """The precomputed incident counts that trends, hot spots and the heat map read."""
    from pingan.aggregates.flows import aggregates_rebuild_flow
    from pingan.audit.service import Actor
    from pingan.store.engine import unit_of_work

    with unit_of_work(engine) as s:
        out = aggregates_rebuild_flow(s, actor=Actor.system("demo"))
    return f"{out.incidents:,} incidents counted in {out.seconds:.0f} s"


def _first_warnings(engine: Any) -> str:
    """Run the scheduler's warnings job once, as ``pingan serve`` would within its first
    seconds, so that the analyst sees warnings and clusters right after the build."""
    return _first_run(engine, "warnings", "{stored} warnings stored")


def _first_coverage_layers(engine: Any) -> str:
    """Run the scheduler's job ``coverage_layers`` once: the 1/3/5-minute layers of every mode
    and time slot are on disk before the first page asks for them."""
    return _first_run(engine, "coverage_layers", "{computed} layer sets in {seconds} s")


def _first_province(engine: Any) -> str:
    """Run the scheduler's job ``province`` once: this city's incidents join the generated
    cities in ``data_dir/province`` and ``/province`` has its ranking, warnings and coverage."""
    return _first_run(
        engine, "province", "{cities} cities, {warnings} warnings, analysed in {analyses_s} s"
    )


def _first_run(engine: Any, name: str, shown: str) -> str:
    from pingan.scheduler.flows import run_job_flow
    from pingan.scheduler.jobs import get_job
    from pingan.scheduler.models import ScheduledRun
    from pingan.store.base import utcnow
    from pingan.store.engine import unit_of_work

    job = get_job(name)
    assert job is not None
    from zoneinfo import ZoneInfo

    from pingan.config import get_settings

    # recorded as this hour's scheduled run, so the server does not run it again at once
    slot = job.schedule.latest_slot(utcnow(), ZoneInfo(get_settings().timezone))
    run_id = run_job_flow(engine, job, slot_at=slot, started_by="demo")
    with unit_of_work(engine, write=False) as s:
        run = s.get(ScheduledRun, run_id)
        if run is None or run.status != "ok":
            return f"failed: {run.error if run else '?'}"
        return shown.format_map(defaultdict(int, json.loads(run.result or "{}")))


def _save_roads(city: object, data_dir: Path) -> str:
    try:
        from pingan.roads import RoadNetwork  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return "road network: pingan.roads not available"
    r = city.roads  # type: ignore[attr-defined]
    net = RoadNetwork.from_classified_edges(
        r.u,
        r.v,
        road_class=r.road_class,
        length_m=r.length_m,
        node_lon=r.node_lon,
        node_lat=r.node_lat,
        oneway=r.oneway,
        name_zh=r.name_zh,
        name_en=r.name_en,
    )
    net.save(data_dir / "roads.npz")
    return f"road network saved: {data_dir / 'roads.npz'}"


def _drop_all(url: str) -> None:
    from sqlalchemy import text

    from pingan.store.engine import make_engine

    eng = make_engine(url)
    with eng.begin() as c:
        if eng.dialect.name == "postgresql":
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
    eng.dispose()
