"""``pingan coverage report`` and ``pingan coverage optimise``: 1-3-5 minute coverage of key
areas, premises, grid cells and incidents, and where posts should stand (MCLP)."""

from __future__ import annotations

import csv as csvmod
import json
from pathlib import Path
from typing import Any

import typer

from pingan.commands import cli_principal, fail, fail_validation

OPTION = {
    "standard": "--standard",
    "at": "--at",
    "mode": "--mode",
    "sources": "--from",
    "posts": "--posts",
    "keep_existing": "--keep-existing",
    "method": "--method",
    "time_limit": "--time-limit",
    "candidates": "--candidates",
    "spacing": "--spacing",
    "history_days": "--history-days",
    "units": "--from",
}


def _fail_with(exc: Exception) -> None:
    """One line naming the option (``Invalid`` fields are the API's names)."""
    from pydantic import ValidationError

    from pingan.errors import PingAnError

    if isinstance(exc, ValidationError):
        fail_validation(exc, {**OPTION, "standard_s": "--standard", "time_limit_s": "--time-limit"})
    if isinstance(exc, PingAnError):
        field = exc.field or ""
        if field in OPTION:
            fail(f"{OPTION[field]}: {exc.message.split(': ', 1)[-1]}")
        fail(exc.message)
    fail(str(exc))


app = typer.Typer(help="Rapid-response coverage and post siting.", no_args_is_help=True)


@app.command("report")
def report_cmd(
    standard: str = typer.Option("60,180,300", help="response standards in seconds"),
    at: str | None = typer.Option(None, help="time of day HH:MM (speed profile)"),
    mode: str = typer.Option("car", help="car, motorcycle or foot"),
    sources: str = typer.Option("posts", "--from", help="posts (today's) or units"),
    drones: bool = typer.Option(False, help="add drones' flight-time coverage"),
    history_days: int = typer.Option(365, help="days of incident history for the weights"),
    json_out: Path | None = typer.Option(None, "--json", help="write the full report"),
    csv_out: Path | None = typer.Option(None, "--csv", help="write the table as CSV"),
    lang: str = typer.Option("zh-CN", help="names in zh-CN or en"),
) -> None:
    """Share of key areas, premises by kind, grid cells (weighted by incidents) and
    historical incidents reached within each standard by today's posts; what is outside."""
    from rich.console import Console
    from rich.table import Table

    from pingan.config import get_settings
    from pingan.errors import PingAnError
    from pingan.rapid_response import flows, service
    from pingan.store.engine import unit_of_work

    try:
        standards = service.parse_standards(standard)
        when = service.parse_at(at)
        service.check_mode(mode)
        if history_days < 1:
            fail(f"--history-days: must be >= 1, got {history_days}")
        with unit_of_work(write=False) as s:
            out = flows.report_flow(
                s,
                cli_principal(),
                data_dir=get_settings().data_dir,
                standards_s=standards,
                at=when,
                mode=mode,
                sources=sources,
                drones=drones,
                history_days=history_days,
                lang=lang,
                max_listed=10_000 if json_out else 5,
            )
    except (PingAnError, ValueError) as exc:
        _fail_with(exc)
        return
    heads = [f"≤ {s:g} s" for s in standards]
    table = Table(
        "layer",
        "count",
        *heads,
        title=f"coverage by {mode} from {out['sources']['count']} {sources}"
        + (f" at {out['at']}" if out["at"] else " (free flow)"),
    )
    for row in out["layers"]:
        cells = [f"{lv['covered_share']:.1%}" for lv in row["levels"]] or ["–"] * len(heads)
        table.add_row(row["layer"], f"{row['count']:,}", *cells)
    Console().print(table)
    ka = next((r for r in out["layers"] if r["layer"] == "key_areas"), None)
    if ka and ka["levels"]:
        lv = ka["levels"][0]
        names = ", ".join(e["name"] for e in lv["outside"][:5])
        typer.echo(
            f"key areas outside {lv['standard_s']:g} s: {lv['n_outside']}"
            + (f" (e.g. {names})" if names else "")
        )
    if out["sources"]["left_out_far_from_road"]:
        typer.echo(
            f"{len(out['sources']['left_out_far_from_road'])} {sources} are far from any road "
            "and were left out (see --json)"
        )
    if json_out:
        json_out.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
        typer.echo(f"written: {json_out}")
    if csv_out:
        with csv_out.open("w", newline="", encoding="utf-8") as fh:
            w = csvmod.writer(fh)
            w.writerow(["layer", "count", "standard_s", "covered", "covered_share", "outside"])
            for row in out["layers"]:
                for lv in row["levels"]:
                    w.writerow(
                        [
                            row["layer"],
                            row["count"],
                            lv["standard_s"],
                            lv["covered"],
                            round(lv["covered_share"], 6),
                            lv["n_outside"],
                        ]
                    )
        typer.echo(f"written: {csv_out}")


@app.command("optimise")
def optimise_cmd(
    posts: int = typer.Option(..., help="number of posts in the plan"),
    standard: float = typer.Option(180.0, help="response standard in seconds"),
    keep_existing: int = typer.Option(0, help="today's posts that must stay"),
    out: Path = typer.Option(Path("plan.geojson"), help="where to write the plan"),
    candidates: str = typer.Option(
        "road_nodes", help="road_nodes, premises, or a .geojson/.csv file of sites"
    ),
    spacing: float = typer.Option(300.0, help="road-node candidates: one per N metres"),
    mode: str = typer.Option("car", help="car, motorcycle or foot"),
    at: str | None = typer.Option(None, help="time of day HH:MM (speed profile)"),
    method: str = typer.Option("exact", help="exact (HiGHS) or heuristic"),
    time_limit: float | None = typer.Option(60.0, help="seconds for the solver"),
    history_days: int = typer.Option(365, help="days of incident history for the demand"),
) -> None:
    """Where ``--posts`` posts should stand so that the most historical demand (grid
    cells weighted by their incidents) is reached within ``--standard`` (MCLP), keeping
    ``--keep-existing`` of today's posts; writes the proposed posts as GeoJSON with the
    before/after coverage in its properties."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from pingan.config import get_settings
    from pingan.errors import PingAnError
    from pingan.rapid_response import flows, service
    from pingan.rapid_response.schemas import OptimiseRun
    from pingan.store.engine import get_engine

    if standard <= 0:
        fail(f"--standard: must be > 0 seconds, got {standard:g}")
    if posts < 1:
        fail(f"--posts: must be >= 1, got {posts}")
    if keep_existing < 0:
        fail(f"--keep-existing: must be >= 0, got {keep_existing}")
    if time_limit is not None and time_limit <= 0:
        fail(f"--time-limit: must be > 0 seconds, got {time_limit:g}")
    if method not in ("exact", "heuristic"):
        fail(f"--method: {method!r}; use exact or heuristic")
    if spacing <= 0:
        fail(f"--spacing: must be > 0 metres, got {spacing:g}")
    kind = candidates if candidates in ("road_nodes", "premises") else "sites"
    try:
        service.parse_at(at)
        service.check_mode(mode)
        sites = _read_sites(Path(candidates)) if kind == "sites" else None
        body = OptimiseRun(
            posts=posts,
            standard_s=standard,
            keep_existing=keep_existing,
            candidates=kind,  # type: ignore[arg-type]
            spacing_m=spacing,
            mode=mode,  # type: ignore[arg-type]
            at=at,
            method=method,  # type: ignore[arg-type]
            time_limit_s=time_limit,
            history_days=history_days,
        )
    except (PingAnError, ValueError) as exc:
        _fail_with(exc)
        return
    cols = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    console = Console()
    try:
        with Progress(*cols, console=console, transient=True) as prog:
            task = prog.add_task("siting", total=1.0)
            plan = flows.optimise_flow(
                get_engine(),
                cli_principal(),
                body,
                data_dir=get_settings().data_dir,
                report=lambda f, m: prog.update(task, completed=f, description=m),
                candidates=sites,
            )
    except (PingAnError, ValueError) as exc:
        _fail_with(exc)
        return
    out.write_text(json.dumps(plan["geojson"], ensure_ascii=False, indent=1), "utf-8")
    m = plan["model"]
    table = Table("layer", "count", "today", "plan", title=f"coverage within {standard:g} s")
    for row in plan["before_after"]:
        table.add_row(
            row["layer"],
            f"{row['count']:,}",
            f"{row['before_share']:.1%}",
            f"{row['after_share']:.1%}",
        )
    console.print(table)
    typer.echo(
        f"{plan['posts']} posts ({plan['existing_kept']} of today's kept, "
        f"{plan['new_sites']} new) cover {m['covered_share']:.2%} of the demand; "
        f"{m['method']} {m['status']}, gap {m['gap']:.3%}, {m['solve_time_s']:.2f} s"
    )
    typer.echo(f"written: {out}")


def _read_sites(path: Path) -> Any:
    """Candidate sites from a GeoJSON FeatureCollection of points or a CSV with lon,lat
    columns (WGS-84)."""
    from pingan.errors import Invalid
    from pingan.rapid_response import siting

    if not path.is_file():
        raise Invalid("candidates", f"road_nodes, premises or a file of sites; {path} not found")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            return siting.candidates_from_geojson(json.loads(text))
        except json.JSONDecodeError as exc:
            raise Invalid("candidates", f"{path.name} is not JSON ({exc.msg})") from None
    rows = list(csvmod.DictReader(text.splitlines()))
    if not rows or not {"lon", "lat"} <= set(rows[0]):
        raise Invalid("candidates", f"{path.name} needs lon and lat columns")
    try:
        lon = [float(r["lon"]) for r in rows]
        lat = [float(r["lat"]) for r in rows]
    except ValueError:
        raise Invalid("candidates", f"{path.name} has a lon/lat that is not a number") from None
    names = [r.get("name") or r.get("code") or f"site {i + 1}" for i, r in enumerate(rows)]
    return siting.point_candidates(lon, lat, source="file", labels=names)
