"""``pingan analyze`` (trends, hotspots, warnings, scan, forecast, backtest), ``pingan report``."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import typer

from pingan.commands import cli_principal, fail, validated


def _parse_time(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(
            f"--{name}: expected a date or time like 2026-11-01 or 2026-11-01T08:00+08:00, "
            f"got {value!r}"
        )
        raise
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _write(obj: Any, path: Path | None) -> None:
    if path is None:
        return
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    typer.echo(f"written: {path}")


analyze_app = typer.Typer(help="Incident analysis and early warning.", no_args_is_help=True)


def _frame(
    since: str | None,
    until: str | None,
    group: str | None,
    klass: str | None,
    subtype: str | None,
    area: str | None,
    default_days: int,
) -> Any:
    from pingan.crime_analysis.data import load
    from pingan.crime_analysis.schemas import Selection
    from pingan.store.engine import unit_of_work

    sel = validated(
        Selection,
        {
            "since": _parse_time(since, "since"),
            "until": _parse_time(until, "until"),
            "group": group,
            "class": klass,
            "subtype": subtype,
            "area": area,
        },
    )
    with unit_of_work(write=False) as s:
        return load(s, cli_principal(), sel, default_days=default_days)


sel_opts = {
    "since": typer.Option(None, help="start (ISO date/time; default depends on analysis)"),
    "until": typer.Option(None, help="end (ISO date/time; default now)"),
    "group": typer.Option(None, help="named group, e.g. two_robberies_one_theft"),
    "klass": typer.Option(None, "--class", help="top class, e.g. criminal"),
    "subtype": typer.Option(None, help="incident subtype"),
    "area": typer.Option(None, help="jurisdiction code to narrow to"),
}
prov_opts = {
    "engine": typer.Option(
        "local", help="local (this process) or dask (PINGAN_DASK_SCHEDULER or a LocalCluster)"
    ),
    "data": typer.Option(
        None, help="a province folder (pingan province build / export parquet) instead of the db"
    ),
    "workers": typer.Option(2, help="LocalCluster workers for --engine dask"),
}


def _as_of_date(value: str | None, name: str) -> dt.date | None:
    t = _parse_time(value, name)
    return None if t is None else t.date()


@analyze_app.command("trends")
def trends_cmd(
    since: str | None = sel_opts["since"],
    until: str | None = sel_opts["until"],
    group: str | None = sel_opts["group"],
    klass: str | None = sel_opts["klass"],
    subtype: str | None = sel_opts["subtype"],
    area: str | None = sel_opts["area"],
    period: str = typer.Option("month", help="day, week, 28d, month, quarter or year"),
    by: str = typer.Option(
        "class", help="class, subtype, group, district, station, community, cell or all"
    ),
    csv: Path | None = typer.Option(None, help="write the period × group counts as CSV"),
    xlsx: Path | None = typer.Option(None, help="write counts and CompStat to Excel"),
    json_out: Path | None = typer.Option(None, "--json", help="write everything as JSON"),
    engine: str = prov_opts["engine"],
    data: Path | None = prov_opts["data"],
    workers: int = prov_opts["workers"],
) -> None:
    """Counts by period and group with the CompStat table (exact Poisson tests); with
    ``--data`` the CompStat of every city of a province."""
    from pingan.commands.province import analyze_province

    if analyze_province(
        "trends",
        data=data,
        engine=engine,
        json_out=json_out,
        workers=workers,
        as_of=_as_of_date(until, "until"),
    ):
        return
    from rich.console import Console
    from rich.table import Table

    from pingan.crime_analysis import service
    from pingan.crime_analysis.flows import as_of_of
    from pingan.store.engine import unit_of_work

    if period not in ("day", "week", "28d", "month", "quarter", "year"):
        fail(f"--period: {period!r}; use day, week, 28d, month, quarter or year")
    frame = _frame(since, until, group, klass, subtype, area, 731)
    with unit_of_work(write=False) as s:
        out = service.trends(s, frame, period=period, by=by, as_of=as_of_of(frame))
    table = Table(
        "group",
        "week",
        "Δ%",
        "p",
        "28 days",
        "Δ%",
        "p",
        "year to date",
        "Δ%",
        "p",
        title=f"CompStat to {as_of_of(frame)} ({len(frame):,} incidents)",
    )
    for row in out["compstat"]:
        cells = [row["group"]]
        for k in ("week", "days28", "ytd"):
            t = row.get(k, {})
            pct = t.get("change_pct")
            mark = "*" if t.get("significant") else ""
            cells += [
                str(t.get("current", "")),
                "–" if pct is None else f"{pct:+.1f}{mark}",
                f"{t.get('p_value', 1):.3g}",
            ]
        table.add_row(*cells)
    Console().print(table)
    typer.echo("* significant at p < 0.05 (exact conditional Poisson test)")
    if csv is not None:
        lines = ["period," + ",".join(out["groups"])]
        for i, p in enumerate(out["periods"]):
            lines.append(p + "," + ",".join(str(row[i]) for row in _by_period(out)))
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        typer.echo(f"written: {csv}")
    if xlsx is not None:
        _xlsx(out, xlsx)
    _write(out, json_out)


@analyze_app.command("hotspots")
def hotspots_cmd(
    since: str | None = sel_opts["since"],
    until: str | None = sel_opts["until"],
    group: str | None = sel_opts["group"],
    klass: str | None = sel_opts["klass"],
    subtype: str | None = sel_opts["subtype"],
    area: str | None = sel_opts["area"],
    cell_m: float = typer.Option(250.0, help="grid cell size in metres"),
    bandwidth_m: float = typer.Option(300.0, help="KDE bandwidth in metres"),
    geojson: Path | None = typer.Option(None, help="write Gi* hot cells as GeoJSON"),
    kde_geojson: Path | None = typer.Option(None, help="write the KDE cells as GeoJSON"),
    json_out: Path | None = typer.Option(
        None, "--json", help="with --data: every city's grid cells (city, cell, z, p, hot)"
    ),
    days: int = typer.Option(28, help="with --data: days up to --until (default the data's end)"),
    engine: str = prov_opts["engine"],
    data: Path | None = prov_opts["data"],
    workers: int = prov_opts["workers"],
) -> None:
    """KDE surface and Getis-Ord Gi* hot spots with FDR control (default: last 28 days)."""
    from pingan.commands.province import analyze_province

    if days < 1:
        fail(f"--days: must be >= 1, got {days}")
    if analyze_province(
        "hotspots",
        data=data,
        engine=engine,
        json_out=json_out,
        workers=workers,
        as_of=_as_of_date(until, "until"),
        cell_m=cell_m,
        days=days,
    ):
        return
    if json_out is not None:
        fail("--json: needs --data (the database path writes --geojson)")
    from pingan.crime_analysis import service
    from pingan.store.engine import unit_of_work

    if cell_m <= 0:
        fail(f"--cell-m: must be > 0, got {cell_m}")
    if bandwidth_m <= 0:
        fail(f"--bandwidth-m: must be > 0, got {bandwidth_m}")
    frame = _frame(since, until, group, klass, subtype, area, 28)
    with unit_of_work(write=False) as s:
        out = service.hotspots(s, frame, cell_m=cell_m, bandwidth_m=bandwidth_m)
    typer.echo(out["how"])
    feats = sorted(out["gi_star"]["features"], key=lambda f: -f["properties"]["z"])[:10]
    for f in feats:
        ring = f["geometry"]["coordinates"][0]
        typer.echo(
            f"  z={f['properties']['z']:6.2f} count={f['properties']['count']:4d} "
            f"q={f['properties']['q_value']:.2g} at {ring[0][0]:.5f},{ring[0][1]:.5f}"
        )
    _write(out["gi_star"], geojson)
    _write(out["kde"], kde_geojson)


@analyze_app.command("warnings")
def warnings_cmd(
    as_of: str | None = typer.Option(None, help="evaluate this local day (default today)"),
    by: str = typer.Option("station", help="district, station or community"),
    method: str = typer.Option("cusum", help="cusum or ewma"),
    false_alarms_per_year: float = typer.Option(1.0, help="stated false-alarm rate per series"),
    replications: int = typer.Option(999, help="scan Monte Carlo replications"),
    no_scan: bool = typer.Option(False, help="skip the space-time scan"),
    every: int = typer.Option(0, help="repeat every N minutes (0 = run once)"),
    json_out: Path | None = typer.Option(None, "--json", help="with --data: the warnings"),
    engine: str = prov_opts["engine"],
    data: Path | None = prov_opts["data"],
    workers: int = prov_opts["workers"],
) -> None:
    """Evaluate the latest data and store early warnings (idempotent); with ``--data`` the
    warnings of every station of a province (stored in DATA/results)."""
    from pingan.commands.province import analyze_province

    if data is not None and method not in ("cusum", "ewma"):
        fail(f"--method: {method!r}; use cusum or ewma")
    if analyze_province(
        "warnings",
        data=data,
        engine=engine,
        json_out=json_out,
        workers=workers,
        as_of=_as_of_date(as_of, "as-of"),
        method=method,
        false_alarms_per_year=false_alarms_per_year,
    ):
        return
    from pingan.crime_analysis.flows import WarningRun, warnings_run_flow
    from pingan.store.engine import get_engine

    body = validated(
        WarningRun,
        {
            "as_of": as_of,
            "by": by,
            "method": method,
            "scan": not no_scan,
            "false_alarms_per_year": false_alarms_per_year,
            "replications": replications,
        },
        {"scan": "--no-scan"},
    )
    while True:
        t = time.perf_counter()
        res = warnings_run_flow(get_engine(), cli_principal(), body, lambda f, m: None)
        typer.echo(
            f"{res['as_of']}: {res['raised']} warnings raised, {res['stored']} new, "
            f"{res['already_stored']} already stored ({time.perf_counter() - t:.1f} s)"
        )
        if every <= 0:
            return
        time.sleep(every * 60)


@analyze_app.command("scan")
def scan_cmd(
    satscan: Path | None = typer.Option(
        None, help="a SaTScan .prm file (space-time permutation); reads the .cas/.geo it names"
    ),
    replications: int | None = typer.Option(None, help="Monte Carlo replications"),
    json_out: Path | None = typer.Option(None, "--json", help="write the cluster table"),
    as_of: str | None = typer.Option(None, help="database mode: last day of the scan"),
    max_radius_m: float = typer.Option(1000.0, help="database mode: largest circle"),
    max_window_days: int = typer.Option(7, help="database mode: longest window"),
    study_days: int = typer.Option(60, help="database mode: days of data"),
    group: str | None = sel_opts["group"],
    klass: str | None = sel_opts["klass"],
    subtype: str | None = sel_opts["subtype"],
) -> None:
    """Prospective space-time permutation scan (Kulldorff 2005): on SaTScan input files,
    or on the incidents in the database."""
    if satscan is not None:
        from pingan.analytics.satscan import SatscanError
        from pingan.analytics.satscan_files import run_satscan_prm

        if not satscan.is_file():
            fail(f"--satscan: file not found: {satscan}")
        if replications is not None and replications != 0 and replications < 9:
            fail(f"--replications: must be 0 or >= 9, got {replications}")
        try:
            out = run_satscan_prm(satscan, replications=replications)
        except SatscanError as exc:
            fail(str(exc))
            return
    else:
        from pingan.crime_analysis import service
        from pingan.store.engine import unit_of_work

        end = _parse_time(as_of, "as-of") or dt.datetime.now(dt.UTC)
        frame = _frame(
            (end - dt.timedelta(days=study_days + 1)).isoformat(),
            end.isoformat(),
            group,
            klass,
            subtype,
            None,
            study_days + 1,
        )
        from pingan.crime_analysis.flows import as_of_of

        with unit_of_work(write=False) as s:
            out = service.scan_clusters(
                frame,
                s,
                as_of=as_of_of(frame),
                max_radius_m=max_radius_m,
                max_window_days=max_window_days,
                study_days=study_days,
                replications=replications or 999,
            )
    for c in out["clusters"][:10]:
        typer.echo(
            f"{c['center']:>16}  {len(c['location_ids']):3d} locations  "
            f"{c['start_date']}..{c['end_date']}  obs {c['observed']} exp "
            f"{c['expected']:.2f}  LLR {c['llr']:.3f}  "
            + ("p –" if c["p_value"] is None else f"p {c['p_value']:.4f}")
        )
    _write(out, json_out)


@analyze_app.command("forecast")
def forecast_cmd(
    method: str = typer.Option("kde", help="naive, kde or sepp"),
    horizon_days: float = typer.Option(7.0, help="forecast horizon"),
    cell_m: float = typer.Option(250.0, help="grid cell size"),
    top_share: float = typer.Option(0.01, help="share of the area to return"),
    group: str | None = sel_opts["group"],
    klass: str | None = sel_opts["klass"],
    subtype: str | None = sel_opts["subtype"],
    area: str | None = sel_opts["area"],
    geojson: Path | None = typer.Option(None, help="write the top cells as GeoJSON"),
    json_out: Path | None = typer.Option(None, "--json", help="with --data: every city's cells"),
    engine: str = prov_opts["engine"],
    data: Path | None = prov_opts["data"],
    workers: int = prov_opts["workers"],
) -> None:
    """Rank grid cells for the next days (fitted on the last year)."""
    from pingan.commands.province import analyze_province

    if analyze_province(
        "forecast",
        data=data,
        engine=engine,
        json_out=json_out,
        workers=workers,
        forecast_method=method,
        horizon_days=horizon_days,
        cell_m=cell_m,
        top_share=top_share,
    ):
        return
    from pingan.crime_analysis import service
    from pingan.crime_analysis.flows import as_of_of
    from pingan.store.engine import unit_of_work

    frame = _frame(None, None, group, klass, subtype, area, 365)
    with unit_of_work(write=False) as s:
        out = service.forecast_cells(
            s,
            frame,
            method=method,
            as_of=as_of_of(frame),
            horizon_days=horizon_days,
            cell_m=cell_m,
            top_share=top_share,
        )
    typer.echo(out["how"])
    _write(out["cells"], geojson)


@analyze_app.command("backtest")
def backtest_cmd(
    method: str = typer.Option("all", help="naive, kde, sepp or all"),
    start: str = typer.Option(..., help="first forecast day (ISO date)"),
    end: str = typer.Option(..., help="last forecast day (ISO date)"),
    step_days: float = typer.Option(7.0, help="walk forward by this many days"),
    cell_m: float = typer.Option(250.0, help="grid cell size"),
    group: str | None = sel_opts["group"],
    klass: str | None = sel_opts["klass"],
    subtype: str | None = sel_opts["subtype"],
    json_out: Path | None = typer.Option(None, "--json"),
    engine: str = prov_opts["engine"],
    data: Path | None = prov_opts["data"],
    workers: int = prov_opts["workers"],
) -> None:
    """Walk forward over history: hit rate, PAI and PEI at 1%, 2% and 5% of the area."""
    from pingan.commands.province import analyze_province

    t_start, t_end = _parse_time(start, "start"), _parse_time(end, "end")
    assert t_start is not None and t_end is not None
    if t_end <= t_start:
        fail("--end: must be after --start")
    if data is not None and method == "all":
        typer.echo("--method all: a province backtest runs one method a run; running kde")
        method = "kde"
    if analyze_province(
        "backtest",
        data=data,
        engine=engine,
        json_out=json_out,
        workers=workers,
        forecast_method=method,
        start=t_start,
        end=t_end,
        step_days=step_days,
        cell_m=cell_m,
    ):
        return
    from pingan.crime_analysis import service
    from pingan.store.engine import unit_of_work

    methods = list(service.BACKTEST_METHODS) if method == "all" else [method]
    for m in methods:
        if m not in service.BACKTEST_METHODS:
            fail(f"--method: {m!r}; use naive, kde, sepp or all")
    frame = _frame(
        (t_start - dt.timedelta(days=400)).isoformat(),
        (t_end + dt.timedelta(days=step_days)).isoformat(),
        group,
        klass,
        subtype,
        None,
        400,
    )
    with unit_of_work(write=False) as s:
        out = service.backtest_methods(
            s,
            frame,
            methods=methods,
            start=t_start,
            end=t_end,
            step_days=step_days,
            cell_m=cell_m,
        )
    for m, r in out["methods"].items():
        typer.echo(f"{m:6s} {r['summary']}")
    typer.echo(out["how"])
    _write(out["methods"], json_out)


report_app = typer.Typer(help="Briefings for commanders.", no_args_is_help=True)


@report_app.command("weekly")
def weekly_cmd(
    html: Path = typer.Option(Path("weekly.html"), help="write the briefing as HTML"),
    pdf: Path | None = typer.Option(None, help="also print it to PDF (needs Chromium)"),
    as_of: str | None = typer.Option(
        None, help="last local day covered, YYYY-MM-DD (default yesterday)"
    ),
    lang: str = typer.Option("zh-CN", help="zh-CN or en"),
) -> None:
    """The weekly briefing: CompStat, trend and hour × weekday charts, hot spots and the
    week's warnings, in one self-contained HTML page (and an A4 PDF)."""
    from pingan.crime_analysis.report import local_week_end, weekly_briefing

    day = None
    if as_of is not None:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of: expected a date like 2026-11-30, got {as_of!r}")
    if lang not in ("zh-CN", "en"):
        fail(f"--lang: expected zh-CN or en, got {lang!r}")
    page = weekly_briefing(cli_principal(), until=local_week_end(day), lang=lang)
    html.write_text(page, encoding="utf-8")
    typer.echo(f"written: {html}")
    if pdf is not None:
        from pingan.crime_analysis.report import print_pdf

        print_pdf(html, pdf)
        typer.echo(f"written: {pdf}")


def _by_period(out: dict[str, Any]) -> list[list[int]]:
    counts = out["counts"]
    n_p, n_g = len(out["periods"]), len(out["groups"])
    if len(counts) == n_g and (n_g == 0 or len(counts[0]) == n_p):
        return [list(r) for r in counts]
    return [list(r) for r in zip(*counts, strict=True)]


def _xlsx(out: dict[str, Any], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "counts"
    ws.append(["period", *out["groups"]])
    rows = _by_period(out)
    for i, p in enumerate(out["periods"]):
        ws.append([p, *[r[i] for r in rows]])
    cs = wb.create_sheet("compstat")
    cs.append(["group", "window", "current", "previous", "change %", "p value", "significant"])
    for row in out["compstat"]:
        for k in ("week", "days28", "ytd", "yoy_28d"):
            if k in row:
                t = row[k]
                cs.append(
                    [
                        row["group"],
                        k,
                        t["current"],
                        t["previous"],
                        t["change_pct"],
                        t["p_value"],
                        t["significant"],
                    ]
                )
    hw = wb.create_sheet("hour_by_weekday")
    for r in out["hour_by_weekday"]:
        hw.append(list(r))
    wb.save(path)
    typer.echo(f"written: {path}")
