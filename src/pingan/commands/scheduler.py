"""``pingan jobs``: the scheduled jobs that ``pingan serve`` runs on its own, listed and run now."""

from __future__ import annotations

import typer

from pingan.commands import fail

__all__ = ["jobs_app", "register"]

jobs_app = typer.Typer(help="Scheduled jobs (run inside `pingan serve`; no cron needed).")


@jobs_app.command("list")
def list_cmd(lang: str = typer.Option("zh-CN", help="zh-CN or en")) -> None:
    """Every job, its schedule, next run and newest run."""
    from rich.console import Console
    from rich.table import Table

    from pingan.scheduler.flows import job_rows
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if lang not in ("zh-CN", "en"):
        fail(f"--lang: expected zh-CN or en, got {lang!r}")
    migrate(get_engine())
    with unit_of_work(write=False) as s:
        rows = job_rows(s, lang)
    table = Table("name", "job", "schedule", "next (UTC)", "last run", "status")
    for j in rows:
        last = j.last_run
        table.add_row(
            j.name,
            j.label,
            j.schedule,
            j.next_at.strftime("%Y-%m-%d %H:%M"),
            last.started_at.strftime("%Y-%m-%d %H:%M:%S") if last else "-",
            last.status if last else "-",
        )
    Console().print(table)


@jobs_app.command("run")
def run_cmd(
    name: str = typer.Argument(..., help="the job's name (see `pingan jobs list`)"),
) -> None:
    """Run a job now, in this process, and record the run (as the page's button does)."""
    import json

    from pingan.audit.service import Actor
    from pingan.errors import PingAnError
    from pingan.scheduler.flows import job_or_raise, run_job_flow, start_manual_run_flow
    from pingan.scheduler.models import ScheduledRun
    from pingan.store.base import utcnow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    engine = get_engine()
    migrate(engine)
    try:
        job = job_or_raise(name)
        with unit_of_work(engine) as s:  # a run of it under way: exit 2, one line
            run_id = start_manual_run_flow(s, job, actor=Actor.system("cli")).id
    except PingAnError as exc:
        fail(exc.message)
        return
    run_job_flow(engine, job, slot_at=utcnow(), run_id=run_id)
    with unit_of_work(engine, write=False) as s:
        run = s.get(ScheduledRun, run_id)
        assert run is not None
        if run.status != "ok":
            typer.echo(f"error: {name} failed: {run.error}", err=True)
            raise typer.Exit(code=1)
        typer.echo(
            f"{name}: {run.status} {json.dumps(json.loads(run.result or '{}'), ensure_ascii=False)}"
        )


def register(app: typer.Typer) -> None:
    """Add the ``jobs`` group."""
    app.add_typer(jobs_app, name="jobs")
