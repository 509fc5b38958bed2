"""``pingan patrols``: make a station's patrol plan for a time block from the forecast (点线面),
list and show plans, planned against actual, and print a unit's patrol card."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from pingan.commands import cli_principal, fail, one_line


def _day(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--day: {text!r} is not a date; use YYYY-MM-DD")


app = typer.Typer(help="Patrol plans: points, lines and areas (点线面).", no_args_is_help=True)


@app.command("generate")
def generate_cmd(
    station: str = typer.Option(..., help="station code"),
    day: str | None = typer.Option(None, help="YYYY-MM-DD (default today)"),
    block: int = typer.Option(3, min=0, max=3, help="0: 00-06, 1: 06-12, 2: 12-18, 3: 18-24"),
    cells: int = typer.Option(80, min=5, max=400, help="hot cells (at least; 15 per unit)"),
    time_limit: float = typer.Option(3.0, min=0.1, max=600, help="search seconds per mode"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Make (or remake) the station's draft plan for a block and print its lines."""
    from pingan.config import get_settings
    from pingan.patrols.flows import patrol_plan_generate_flow
    from pingan.patrols.service import items_of
    from pingan.store.engine import get_engine, migrate, unit_of_work

    d = _day(day)
    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        plan = patrol_plan_generate_flow(
            s,
            principal=cli_principal(s, user),
            station=station,
            day=d,
            block=block,
            data_dir=get_settings().data_dir,
            n_cells=cells,
            time_limit_s=time_limit,
        )
        items = items_of(s, plan_id=plan.id)
        typer.echo(
            f"plan {plan.id}: {station} {d} block {block}: {len(items)} items, expected "
            f"incidents covered {plan.prize:.2f} (bound {plan.bound:.2f})"
        )
        for it in items:
            if it.kind == "line":
                n = len(json.loads(it.stops))
                what = f"{n} stops, {it.duration_s / 60:.0f} min" if n else "reserve (no stop left)"
                typer.echo(f"  line {it.id} {it.mode:5s} {it.label}: {what}, prize {it.prize:.2f}")


@app.command("list")
def list_cmd(
    station: str | None = typer.Option(None, help="station code"),
    day: str | None = typer.Option(None, help="YYYY-MM-DD"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """List plans (newest day first)."""
    from pingan.patrols import service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    d = None if day is None else _day(day)
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        sid = None
        if station is not None:
            sid = service.station_or_raise(s, principal=p, station=station).id
        for plan in service.list_plans(s, principal=p, station_id=sid, day=d):
            typer.echo(
                f"{plan.id}\t{plan.day}\tblock {plan.block}\tstation {plan.station_id}\t"
                f"{plan.status}\tprize {plan.prize:.2f}"
            )


@app.command("actual")
def actual_cmd(
    plan_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="the plan id"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Planned against actual: stops visited in their window, time in hot cells per unit."""
    from pingan.patrols import service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        plan = service.get_plan_or_raise(s, principal=p, plan_id=plan_id)
        a = service.actual_read(s, principal=p, plan=plan)
    share = "—" if a.visited_share is None else f"{a.visited_share:.0%}"
    typer.echo(
        f"plan {plan_id}: {a.stops_visited} of {a.stops_planned} stops visited ({share}), "
        f"{a.hot_cell_s / 3600:.1f} h in hot cells"
    )
    for r in a.items:
        typer.echo(
            f"  {r.kind:5s} {r.mode:5s} {r.label}: {r.stops_visited}/{r.stops_planned} stops, "
            f"{r.hot_cell_s / 60:.0f} min in hot cells, {r.positions} positions"
        )


@app.command("card")
def card_cmd(
    item_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="the plan item id"),
    out: Path = typer.Option(..., "--out", help="the PDF to write"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Write a unit's patrol card (A5 PDF)."""
    if out.suffix.lower() != ".pdf":
        fail(f"--out: {out.name!r} must end in .pdf")
    if not out.resolve().parent.is_dir():
        fail(f"--out: the folder {out.resolve().parent} does not exist")
    from pingan.patrols import card, service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        it, plan = service.get_item_or_raise(s, principal=cli_principal(s, user), item_id=item_id)
        out.write_bytes(card.card_pdf(s, it, plan))
    typer.echo(f"patrol card of item {item_id} ({it.label}) written to {out}")
