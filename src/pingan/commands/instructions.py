"""``pingan tasks schedule|escalate`` and ``pingan instructions list|issue``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import typer

from pingan.commands import fail
from pingan.errors import PingAnError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from pingan.auth.service import Principal


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


def _when(name: str, value: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    from pingan.config import get_settings

    try:
        out = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name}: expected an ISO date-time like 2026-12-02T18:00, got {value!r}")
        raise
    if out.tzinfo is None:
        out = out.replace(tzinfo=ZoneInfo(get_settings().timezone))
    return out


_OPTIONS = {
    "sign_by": "--sign-by",
    "complete_by": "--complete-by",
    "priority": "--priority",
    "title": "--title",
    "text": "--text",
    "recipients": "--to",
    "role": "--user",
}


def _fail_on(exc: PingAnError) -> None:
    """One line naming the option: the service names its fields (``sign_by``,
    ``recipients[0]``); the command line names them as options (``--sign-by``, ``--to``)."""
    field = (exc.field or "").split("[", 1)[0]
    option = _OPTIONS.get(field)
    message = exc.message
    if option is None:
        fail(message)
        return
    if exc.field and message.startswith(f"{exc.field}: "):
        message = message[len(exc.field) + 2 :]
    for name, opt in _OPTIONS.items():
        if name in ("sign_by", "complete_by"):
            message = message.replace(name, opt)
    fail(f"{option}: {message}")


def register(app: typer.Typer) -> None:
    """Add the tasks and instructions commands."""
    tasks = typer.Typer(
        help="Duty checklists and escalation (scheduled work).", no_args_is_help=True
    )
    app.add_typer(tasks, name="tasks")
    instructions = typer.Typer(
        help="Instructions (指令) to stations, units and officers.", no_args_is_help=True
    )
    app.add_typer(instructions, name="instructions")

    @tasks.command("schedule")
    def schedule(
        day: str | None = typer.Option(None, help="local day YYYY-MM-DD (default today)"),
    ) -> None:
        """Materialise a day's checklist tasks into the officers' queues (idempotent)."""
        from pingan.audit.service import Actor
        from pingan.store.engine import get_engine, migrate, unit_of_work
        from pingan.tasks.flows import checklist_schedule_flow

        d = _day(day)
        migrate(get_engine())
        with unit_of_work() as s:
            out = checklist_schedule_flow(s, actor=Actor.system("cli"), day=d)
        typer.echo(out.message())

    @tasks.command("escalate")
    def escalate() -> None:
        """Escalate instructions overdue to sign or to complete (idempotent)."""
        from pingan.audit.service import Actor
        from pingan.store.engine import get_engine, migrate, unit_of_work
        from pingan.tasks.flows import instruction_escalate_flow

        migrate(get_engine())
        with unit_of_work() as s:
            out = instruction_escalate_flow(s, actor=Actor.system("cli"))
        typer.echo(
            f"{out.sign_overdue} overdue to sign, {out.complete_overdue} overdue to complete "
            "escalated"
        )

    def _principal(s: Session, username: str) -> Principal:
        from sqlalchemy import select

        from pingan.auth.models import User
        from pingan.auth.service import principal_for

        u = s.scalar(select(User).where(User.username == username))
        if u is None:
            fail(f"--user: no user {username!r}")
            raise typer.Exit(2)
        return principal_for(s, u)

    @instructions.command("list")
    def list_cmd(
        user: str = typer.Option(..., "--user", help="whose view: issued by, or queue of, user"),
        box: str = typer.Option(
            "issued", help="issued, to_sign, to_do, overdue, done or all (the user's queue)"
        ),
        limit: int = typer.Option(50, help="at most this many rows, 1 … 1000"),
    ) -> None:
        """List instructions issued by a user, or the user's queue."""
        from rich.console import Console
        from rich.table import Table

        from pingan.store.engine import unit_of_work
        from pingan.tasks import service

        boxes = ("issued", "to_sign", "to_do", "overdue", "done", "all")
        if box not in boxes:
            fail(f"--box: {box!r} is not a box; use {', '.join(boxes)}")
        if not 1 <= limit <= 1000:
            fail(f"--limit: use 1 … 1000, got {limit}")
        with unit_of_work(write=False) as s:
            p = _principal(s, user)
            if box == "issued":
                table = Table("id", "code", "priority", "title", "recipients", "states")
                rows = list(s.scalars(service.issued_query(p, issuer="me").limit(limit)))
                recs = service.recipients_for(s, [r.id for r in rows])
                for r in rows:
                    states: dict[str, int] = {}
                    for x in recs[r.id]:
                        states[x.state] = states.get(x.state, 0) + 1
                    table.add_row(
                        str(r.id),
                        r.code,
                        r.priority,
                        r.title,
                        str(r.recipient_count),
                        ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
                    )
            else:
                table = Table(
                    "instruction", "recipient", "title", "state", "sign by", "complete by"
                )
                q = service.queue_query(p, box=box).limit(limit)  # type: ignore[arg-type]
                for rec, ins in s.execute(q):
                    table.add_row(
                        ins.code,
                        str(rec.id),
                        ins.title,
                        rec.state,
                        rec.sign_by.isoformat(timespec="minutes"),
                        rec.complete_by.isoformat(timespec="minutes"),
                    )
        Console().print(table)

    @instructions.command("issue")
    def issue(
        user: str = typer.Option(..., "--user", help="the issuer (commander or station chief)"),
        to: list[str] = typer.Option(
            ..., "--to", help="recipient KIND:ID, e.g. station:17, district:3, officer:250, unit:9"
        ),
        title: str = typer.Option(..., help="short title"),
        text: str = typer.Option(..., help="what is to be done"),
        sign_by: str = typer.Option(..., help="sign-by deadline, ISO (local time if no zone)"),
        complete_by: str = typer.Option(..., help="complete-by deadline, ISO"),
        priority: str = typer.Option("normal", help="low, normal, high or urgent"),
    ) -> None:
        """Issue an instruction."""
        from pingan.store.engine import unit_of_work
        from pingan.tasks.flows import instruction_issue_flow

        recipients: list[tuple[str, int]] = []
        for item in to:
            kind, _, rid = item.partition(":")
            if not rid.isdigit():
                fail(f"--to: expected KIND:ID like station:17, got {item!r}")
            recipients.append((kind, int(rid)))
        sb, cb = _when("--sign-by", sign_by), _when("--complete-by", complete_by)
        with unit_of_work() as s:
            p = _principal(s, user)
            try:
                ins = instruction_issue_flow(
                    s,
                    principal=p,
                    title=title,
                    text=text,
                    priority=priority,
                    recipients=recipients,
                    sign_by=sb,
                    complete_by=cb,
                )
            except PingAnError as exc:
                _fail_on(exc)
                raise
            typer.echo(
                f"instruction {ins.code} (id {ins.id}) issued to {ins.recipient_count} recipients"
            )
