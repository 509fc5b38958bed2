"""``pingan instructions list|issue`` and ``pingan tasks escalate`` (the escalation pass of
instructions; ``pingan tasks schedule`` is in :mod:`pingan.commands.checklists`)."""

from __future__ import annotations

import datetime as dt

import typer

from pingan.commands import cli_principal, fail
from pingan.errors import PingAnError

__all__ = ["app", "escalate", "register"]

app = typer.Typer(help="Instructions (指令) to stations, units and officers.", no_args_is_help=True)


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


def escalate() -> None:
    """Escalate instructions overdue to sign or to complete (idempotent)."""
    from pingan.audit.service import Actor
    from pingan.instructions.flows import instruction_escalate_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with unit_of_work() as s:
        out = instruction_escalate_flow(s, actor=Actor.system("cli"))
    typer.echo(
        f"{out.sign_overdue} overdue to sign, {out.complete_overdue} overdue to complete escalated"
    )


@app.command("list")
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

    from pingan.instructions import queries
    from pingan.store.engine import unit_of_work

    boxes = ("issued", "to_sign", "to_do", "overdue", "done", "all")
    if box not in boxes:
        fail(f"--box: {box!r} is not a box; use {', '.join(boxes)}")
    if not 1 <= limit <= 1000:
        fail(f"--limit: use 1 … 1000, got {limit}")
    with unit_of_work(write=False) as s:
        p = cli_principal(s, user, action="instruction.handle")
        if box == "issued":
            table = Table("id", "code", "priority", "title", "recipients", "states")
            rows = list(s.scalars(queries.issued_query(p, issuer="me").limit(limit)))
            recs = queries.recipients_for(s, [r.id for r in rows])
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
            table = Table("instruction", "recipient", "title", "state", "sign by", "complete by")
            q = queries.queue_query(p, box=box).limit(limit)  # type: ignore[arg-type]
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


@app.command("issue")
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
    from pingan.instructions.flows import instruction_issue_flow
    from pingan.store.engine import unit_of_work

    recipients: list[tuple[str, int]] = []
    for item in to:
        kind, _, rid = item.partition(":")
        if not rid.isdigit():
            fail(f"--to: expected KIND:ID like station:17, got {item!r}")
        recipients.append((kind, int(rid)))
    sb, cb = _when("--sign-by", sign_by), _when("--complete-by", complete_by)
    with unit_of_work() as s:
        p = cli_principal(s, user, action="instruction.issue")
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


def register(root: typer.Typer) -> None:
    """Add ``pingan instructions`` (``pingan tasks escalate`` is added with the tasks group by
    :mod:`pingan.commands.checklists`)."""
    root.add_typer(app, name="instructions")
