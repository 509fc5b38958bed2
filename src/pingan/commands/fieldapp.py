"""``pingan field``: the field app's server side — link an officer to the unit his phone
reports positions for; forget ``Idempotency-Key`` answers older than 48 h."""

from __future__ import annotations

import typer

from pingan.commands import cli_principal, fail
from pingan.errors import PingAnError

app = typer.Typer(help="The field app (/m/): officers' units, stored Idempotency-Key answers.",
                  no_args_is_help=True)  # fmt: skip


@app.command("link")
def link_cmd(
    officer: str = typer.Option(..., "--officer", help="the officer's username"),
    unit: str = typer.Option(..., "--unit", help="the unit's code"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Link an officer to the unit whose position his phone shares while on duty."""
    from pingan.fieldapp import flows
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with unit_of_work() as s:
        try:
            who = cli_principal(s, user, action="resource.write")
            flows.unit_link_flow(s, principal=who, username=officer, unit_code=unit)
        except PingAnError as exc:
            fail(exc.message)
    typer.echo(f"{officer} → {unit}")


@app.command("purge-keys")
def purge_cmd() -> None:
    """Forget the stored answers of Idempotency-Key requests older than 48 hours."""
    from pingan.fieldapp import service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with unit_of_work() as s:
        n = service.purge(s)
        s.commit()
    typer.echo(f"{n} keys forgotten")
