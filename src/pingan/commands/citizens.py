"""``pingan open311`` (partner keys of the Open311 GeoReport v2 endpoint) and ``pingan
citizens`` (the public side: statistics, the escalation of overdue complaints)."""

from __future__ import annotations

import typer

from pingan.commands import one_line

open311_app = typer.Typer(
    help="The Open311 GeoReport v2 endpoint (/open311/v2).", no_args_is_help=True
)
key_app = typer.Typer(help="Partner keys (api_key) of the Open311 endpoint.", no_args_is_help=True)
open311_app.add_typer(key_app, name="key")


@key_app.command("add")
def key_add(name: str = typer.Argument(..., help="the partner's name, e.g. city-hotline")) -> None:
    """Make a key for partner NAME and print it (shown once; only its hash is kept)."""
    from pingan.audit.service import Actor
    from pingan.citizens.flows import open311_key_add_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        key = open311_key_add_flow(s, actor=Actor.system("cli"), name=name)
    typer.echo(key)


@key_app.command("revoke")
def key_revoke(name: str = typer.Argument(..., help="the partner's name")) -> None:
    """Revoke the key of partner NAME: its requests are refused from now on."""
    from pingan.audit.service import Actor
    from pingan.citizens.flows import open311_key_revoke_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        row = open311_key_revoke_flow(s, actor=Actor.system("cli"), name=name)
    typer.echo(f"revoked {row.name} ({row.prefix}…)")


@key_app.command("list")
def key_list() -> None:
    """Every key: name, prefix, created, last used, revoked."""
    from pingan.citizens.open311 import list_keys
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with unit_of_work(write=False) as s:
        for k in list_keys(s):
            used = k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "never"
            state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
            typer.echo(f"{k.name}\t{k.prefix}…\t{k.created_at:%Y-%m-%d}\tlast used {used}\t{state}")


citizens_app = typer.Typer(help="Citizen services: statistics, complaints.", no_args_is_help=True)


@citizens_app.command("stats")
def stats_cmd(
    weeks: int = typer.Option(12, min=1, max=104, help="how many weeks back"),
) -> None:
    """Online reports per week and category as CSV (counts only, no personal data)."""
    from pingan.citizens.service import stats_by_week
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    typer.echo("week,category,reports")
    with unit_of_work(write=False) as s:
        for week, cat, n in stats_by_week(s, weeks=weeks):
            typer.echo(f"{week},{cat},{n}")


@citizens_app.command("escalate")
def escalate_cmd() -> None:
    """Escalate overdue complaints now (the scheduled job ``complaints`` does it hourly)."""
    from pingan.audit.service import Actor
    from pingan.citizens.flows import complaint_escalate_flow
    from pingan.store.base import utcnow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with unit_of_work() as s:
        n = complaint_escalate_flow(s, actor=Actor.system("cli"), now=utcnow())
    typer.echo(f"escalated {n} complaint(s)")
