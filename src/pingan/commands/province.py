"""``pingan province build`` (a synthetic province on Parquet), ``pingan export parquet`` (a
database's incidents in the same layout) and the ``--data DIR`` path of ``pingan analyze``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import typer

from pingan.commands import cli_principal, fail

__all__ = ["analyze_province", "export_app", "province_app"]

province_app = typer.Typer(help="A province of cities on Parquet (issue 25).", no_args_is_help=True)
export_app = typer.Typer(help="Export data in open formats.", no_args_is_help=True)


def _when(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"--{name}: expected a date or time like 2026-11-01T08:00+08:00, got {value!r}")
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


@province_app.command("build")
def build_cmd(
    cities: int = typer.Option(16, help="number of cities (1..64)"),
    scale: float = typer.Option(1.0, help="incident rate of each city (1 = the demo city)"),
    seed: int = typer.Option(20261122, help="seed of the province (city k: seed + 7919 k)"),
    out: Path = typer.Option(..., help="folder to write (incidents/city=…/month=…)"),
    years: float = typer.Option(2.0, help="years of history"),
    end: str | None = typer.Option(
        None, help="end of the history (ISO time; default now, to the minute)"
    ),
) -> None:
    """Generate the cities (each a demo city with its own seed and offset, on one metric
    frame) and write their incidents as Parquet partitioned by city and month."""
    import time

    from pingan.demo.province import build_province

    if not 1 <= cities <= 64:
        fail(f"--cities: must be 1..64, got {cities}")
    if not 0 < scale <= 100:
        fail(f"--scale: must be in (0, 100], got {scale}")
    if seed < 0:
        fail(f"--seed: must be >= 0, got {seed}")
    if not 0 < years <= 10:
        fail(f"--years: must be in (0, 10], got {years}")
    t_end = _when(end, "end") or dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    if out.exists() and any((out / "incidents").glob("city=*")):
        fail(f"--out: {out} already holds a province; choose an empty folder")
    t = time.perf_counter()
    man = build_province(
        out,
        cities=cities,
        scale=scale,
        seed=seed,
        end=t_end,
        years=years,
        progress=typer.echo,
    )
    typer.echo(
        f"{len(man.cities)} cities written to {out} in {time.perf_counter() - t:.1f} s "
        f"(end {t_end.isoformat()})"
    )


@export_app.command("parquet")
def export_parquet_cmd(
    out: Path = typer.Option(..., help="folder to write (incidents/city=…/month=…)"),
    since: str | None = typer.Option(None, help="first report time (ISO; default 2 years back)"),
    until: str | None = typer.Option(None, help="end of the export (ISO; default now)"),
    city: str | None = typer.Option(None, help="city code in the layout (default the bureau's)"),
) -> None:
    """Write this database's incidents (no repeat calls, cancelled or duplicates) in the
    province layout, one city, with its manifest; ``pingan analyze … --data OUT`` reads it.
    A province already in OUT (same frame) keeps its other cities."""
    from pingan.audit.service import Actor
    from pingan.errors import Invalid
    from pingan.province_jobs import export_incidents

    t1 = _when(until, "until") or dt.datetime.now(dt.UTC).replace(microsecond=0)
    t0 = _when(since, "since") or t1 - dt.timedelta(days=730)
    if t1 <= t0:
        fail("--until: must be after --since")
    try:
        ex = export_incidents(
            out,
            principal=cli_principal(),
            actor=Actor.system("cli"),
            since=t0,
            until=t1,
            city=city,
        )
    except Invalid as exc:
        fail(f"--{exc.message}")
    typer.echo(f"{ex.rows:,} incidents in {ex.files} monthly files written to {out}")


def analyze_province(
    analysis: str,
    *,
    data: Path | None,
    engine: str,
    json_out: Path | None,
    workers: int = 2,
    **params: Any,
) -> dict[str, Any] | None:
    """The ``--data``/``--engine`` path of ``pingan analyze``: None when neither is given
    (today's database path runs), else the province answer, printed, stored in
    ``DATA/results`` and written to ``--json``."""
    if engine not in ("local", "dask"):
        fail(f"--engine: {engine!r}; use local or dask")
    if data is None:
        if engine == "dask":
            fail(
                "--data: the dask engine reads a province folder "
                "(pingan province build or pingan export parquet)"
            )
        return None
    if not (data / "province.json").is_file():
        fail(f"--data: {data} has no province.json (pingan province build --out {data})")
    if workers < 1:
        fail(f"--workers: must be >= 1, got {workers}")
    from pingan.province.engine import Params, run
    from pingan.province.results import write_result

    try:
        answer = run(analysis, data, engine=engine, params=Params(**params), workers=workers)
    except ValueError as exc:
        msg = str(exc)
        name = msg.split(":", 1)[0].replace("_", "-")
        fail(f"--{name}: {msg.split(':', 1)[-1].strip()}")
    tm = answer["timing"]
    typer.echo(
        f"{analysis} on {len(answer['cities'])} cities, {answer['partitions']} partitions, "
        f"engine {engine}: {tm['wall_s']:.2f} s (read {tm['read_s']:.2f}, map "
        f"{tm['map_s']:.2f}, reduce {tm['reduce_s']:.2f}, kernel {tm['kernel_s']:.2f} "
        f"task-seconds); as of {answer['as_of']}"
    )
    _print(analysis, answer)
    typer.echo(f"stored: {write_result(data, answer)}")
    if json_out is not None:
        body: Any = answer
        if analysis == "hotspots":
            body = {
                "type": "FeatureCollection",
                "features": [f for c in answer["cities"] for f in c["features"]],
                "properties": {k: v for k, v in answer.items() if k != "cities"},
            }
        json_out.write_text(json.dumps(body, ensure_ascii=False, default=str), encoding="utf-8")
        typer.echo(f"written: {json_out}")
    return answer


def _print(analysis: str, answer: dict[str, Any]) -> None:
    for c in answer["cities"]:
        if analysis == "hotspots":
            typer.echo(
                f"  {c['city']}: {c['hot_cells']} hot cells of {c['cells']}, "
                f"{c['hot_share_of_incidents']:.1%} of {c['n_incidents']:,} incidents"
            )
        elif analysis == "warnings":
            for w in c:
                typer.echo(
                    f"  {w['city']} {w['station']} {w['group']}: {w['observed']:.0f} vs "
                    f"{w['expected']:.1f} expected, {w['method']} {w['statistic']:.2f} > "
                    f"{w['threshold']:.2f}"
                )
        elif analysis == "trends":
            row = next(r for r in c["compstat"] if r["group"] == "all")
            d = row["days28"]
            pct = "–" if d["change_pct"] is None else f"{d['change_pct']:+.1f}%"
            typer.echo(f"  {c['city']}: 28 days {d['current']:,} vs {d['previous']:,} ({pct})")
        elif analysis == "forecast":
            typer.echo(f"  {c['city']}: top {len(c['cells'])} cells, first {c['cells'][:5]}")
        else:
            typer.echo(
                f"  {c['city']} {c['method']}: PAI "
                + " ".join(
                    f"{cov:.0%}={p:.2f}"
                    for cov, p in zip(c["coverages"], c["mean_pai"], strict=True)
                )
            )
