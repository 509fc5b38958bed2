"""``pingan tasks schedule`` (the daily checklist scheduler) and the ``pingan tasks`` group of
scheduled work, which also holds ``pingan tasks escalate`` from
:mod:`pingan.commands.instructions`."""

from __future__ import annotations

import datetime as dt

import typer

from pingan.commands import fail
from pingan.commands.instructions import escalate

__all__ = ["app", "register"]

app = typer.Typer(help="Duty checklists and escalation (scheduled work).", no_args_is_help=True)


def _day(value: str | None) -> dt.date:
    from zoneinfo import ZoneInfo

    from pingan.config import get_settings

    if value is None:
        return dt.datetime.now(ZoneInfo(get_settings().timezone)).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--day: expected YYYY-MM-DD, got {value!r}")
        raise


@app.command("schedule")
def schedule(
    day: str | None = typer.Option(None, help="local day YYYY-MM-DD (default today)"),
) -> None:
    """Materialise a day's checklist tasks into the officers' queues (idempotent)."""
    from pingan.audit.service import Actor
    from pingan.checklists.flows import checklist_schedule_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    d = _day(day)
    migrate(get_engine())
    with unit_of_work() as s:
        out = checklist_schedule_flow(s, actor=Actor.system("cli"), day=d)
    typer.echo(out.message())


app.command("escalate")(escalate)


def register(root: typer.Typer) -> None:
    """Add the ``pingan tasks`` group."""
    root.add_typer(app, name="tasks")
