"""``pingan users add|list|token|passwd|disable|revoke``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from pingan.commands import fail

app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from pingan.auth.models import User


def _user(session: Session, username: str) -> User:
    """The user a command acts on (not the caller: see :func:`pingan.commands.cli_principal`);
    an unknown name exits 2 with ``error: username: no user 'x'``."""
    from sqlalchemy import select

    from pingan.auth.models import User

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        fail(f"username: no user {username!r}")
    return user


@app.command("add")
def add(
    username: str,
    role: str = typer.Option(
        ..., help="admin, commander, dispatcher, station_chief, community_officer or analyst"
    ),
    jurisdiction: str | None = typer.Option(None, help="jurisdiction code (scope); none = all"),
    display_name: str | None = typer.Option(None),
    password: str | None = typer.Option(
        None, help="prompted for when omitted", envvar="PINGAN_NEW_PASSWORD"
    ),
) -> None:
    """Create a user."""
    from pingan.audit.service import Actor
    from pingan.auth import service
    from pingan.errors import PingAnError
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    migrate(get_engine())
    try:
        with unit_of_work() as s:
            u = service.create_user(
                s,
                actor=Actor.system("cli"),
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                jurisdiction_code=jurisdiction,
            )
            s.commit()
            typer.echo(f"user {u.username} ({u.role}) created")
    except PingAnError as exc:
        fail(exc.message)


@app.command("token")
def token(
    username: str,
    name: str = typer.Option("cli", help="token label"),
    days: int = typer.Option(365, help="days until it expires"),
) -> None:
    """Create an API bearer token for a user (printed once)."""

    from pingan.audit.service import Actor
    from pingan.auth import service
    from pingan.store.engine import unit_of_work

    with unit_of_work() as s:
        u = _user(s, username)
        t = service.create_token(s, actor=Actor.system("cli"), user=u, name=name, ttl_days=days)
        s.commit()
    typer.echo(t)


@app.command("passwd")
def passwd(
    username: str,
    password: str | None = typer.Option(
        None, help="prompted for when omitted", envvar="PINGAN_NEW_PASSWORD"
    ),
) -> None:
    """Set a user's password (and unlock the account)."""

    from pingan.audit.service import Actor
    from pingan.auth import service
    from pingan.errors import PingAnError
    from pingan.store.engine import unit_of_work

    if password is None:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as s:
        u = _user(s, username)
        try:  # also unlocks the account and ends every session of the user
            service.set_password(s, actor=Actor.system("cli"), user=u, password=password)
        except PingAnError as exc:
            fail(exc.message)
        s.commit()
    typer.echo(f"password of {username} changed")


@app.command("disable")
def disable(username: str) -> None:
    """Disable a user: its web sessions end and its bearer tokens are refused at once."""

    from pingan.audit.service import Actor
    from pingan.auth import service
    from pingan.store.engine import unit_of_work

    with unit_of_work() as s:
        u = _user(s, username)
        service.set_active(s, actor=Actor.system("cli"), user=u, active=False)
        s.commit()
    typer.echo(f"user {username} disabled")


@app.command("revoke")
def revoke(
    username: str,
    token_id: int | None = typer.Option(None, help="the token's id; all tokens when omitted"),
) -> None:
    """Revoke a user's bearer tokens: every server process refuses them within 0.2 s."""

    from pingan.audit.service import Actor
    from pingan.auth import service
    from pingan.errors import PingAnError
    from pingan.store.engine import unit_of_work

    with unit_of_work() as s:
        u = _user(s, username)
        try:
            n = service.revoke_tokens(s, actor=Actor.system("cli"), user=u, token_id=token_id)
        except PingAnError as exc:
            fail(exc.message)
        s.commit()
    typer.echo(f"{n} token(s) of {username} revoked")


@app.command("list")
def list_cmd() -> None:
    """List users."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from pingan.auth.models import User
    from pingan.store.engine import unit_of_work

    table = Table("id", "username", "role", "jurisdiction", "active")
    with unit_of_work(write=False) as s:
        for u in s.scalars(select(User).order_by(User.id)):
            table.add_row(
                str(u.id),
                u.username,
                u.role,
                str(u.jurisdiction_id or "all"),
                "yes" if u.is_active else "no",
            )
    Console().print(table)
