"""``pingan events``: large-event security (赛事安保): list events, create one with its plan
from a key area, show the live board and write the after-action report (A4 PDF)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from pingan.commands import cli_principal, fail, one_line

app = typer.Typer(help="Large-event security (赛事安保): plans, live board, reports.",
                  no_args_is_help=True)  # fmt: skip


def _when(option: str, text: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a time; use YYYY-MM-DDTHH:MM+08:00")
    if t.tzinfo is None:
        fail(f"{option}: {text!r} has no time zone; add +08:00")
    return t


@app.command("list")
def list_cmd(
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Events, newest first, with their phase."""
    from pingan.events import service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        for e in service.list_events(s, principal=cli_principal(s, user)):
            typer.echo(
                f"{e.id}\t{e.code}\t{e.kind}\t{service.phase(e)}\t"
                f"{e.starts_at.isoformat(timespec='minutes')}\t{e.expected_crowd:,}\t{e.name}"
            )


@app.command("create")
def create_cmd(
    code: str = typer.Option(..., help="a unique code, e.g. M-2026-12-20"),
    name: str = typer.Option(..., help="the event's name"),
    kind: str = typer.Option("match", help="match, concert, exam or festival"),
    key_area: int = typer.Option(..., "--key-area", min=1, help="the venue's key area id"),
    crowd: int = typer.Option(..., min=1, help="expected crowd"),
    arrival: str = typer.Option(..., help="gates open (ISO time with zone)"),
    start: str = typer.Option(..., help="the event starts"),
    end: str = typer.Option(..., help="the event ends"),
    dispersal: str = typer.Option(..., help="the crowd is gone"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Create an event and draw up its plan (zones, posts, detours, checks, checklist)."""
    from pydantic import ValidationError

    from pingan.commands import fail_validation
    from pingan.config import get_settings
    from pingan.events.flows import event_create_flow
    from pingan.events.schemas import EventCreate
    from pingan.store.engine import get_engine, migrate, unit_of_work

    try:
        data = EventCreate(
            code=code,
            name=name,
            kind=kind,  # type: ignore[arg-type]
            key_area_id=key_area,
            expected_crowd=crowd,
            arrival_at=_when("--arrival", arrival),
            starts_at=_when("--start", start),
            ends_at=_when("--end", end),
            dispersal_until=_when("--dispersal", dispersal),
        )
    except ValidationError as exc:
        fail_validation(exc)
    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        e = event_create_flow(
            s, principal=cli_principal(s, user), data=data, data_dir=get_settings().data_dir
        )
        typer.echo(f"event {e.id} {e.code} created with its plan (station {e.station_id})")


@app.command("board")
def board_cmd(
    event_id: int = typer.Argument(..., min=1, max=2**31 - 1),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """The live board: incidents by zone, posts staffed, 1-3-5 minute coverage of the venue."""
    from pingan.config import get_settings
    from pingan.events import service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        e = service.get_or_raise(s, principal=p, event_id=event_id)
        b = service.board(s, principal=p, event=e, data_dir=get_settings().data_dir)
    zones = ", ".join(f"{k} {v}" for k, v in b.incidents_by_zone.items()) or "none"
    cov = ", ".join(f"≤{c['standard_s']}s {c['share']:.0%}" for c in b.coverage) or "—"
    typer.echo(
        f"{e.name} ({b.phase}, shift {b.shift or '—'}): incidents {zones}; posts staffed "
        f"{b.posts_staffed}/{b.posts_total}; venue coverage {cov}; {len(b.log)} log entries"
    )


@app.command("report")
def report_cmd(
    event_id: int = typer.Argument(..., min=1, max=2**31 - 1),
    out: Path | None = typer.Option(None, "--out", help="write the A4 PDF here"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """The after-action report: incidents by zone and hour, response times, staffing, issues."""
    if out is not None and out.suffix.lower() != ".pdf":
        fail(f"--out: {out.name!r} must end in .pdf")
    if out is not None and not out.resolve().parent.is_dir():
        fail(f"--out: the folder {out.resolve().parent} does not exist")
    from pingan.events import report, service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        e = service.get_or_raise(s, principal=p, event_id=event_id)
        r = service.report(s, principal=p, event=e)
        if out is not None:
            out.write_bytes(report.report_pdf(s, principal=p, event=e))
    med = r.response["median_s"]
    typer.echo(
        f"{e.name}: {r.incidents} incidents, median response "
        f"{'—' if med is None else f'{med / 60:.1f} min'}, checks {r.checks_done}/"
        f"{r.checks_total}; " + ("; ".join(r.issues) or "no issues")
    )
    if out is not None:
        typer.echo(f"report written to {out}")
