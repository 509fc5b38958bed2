"""CLI command groups: each module holds module-level Typer apps that ``pingan.cli`` composes.

Shared here: :func:`fail` (one error line, exit 2) and :func:`cli_principal`, the one answer to
"who am I" for every command that reads or acts in a jurisdiction's scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from pingan.auth.service import Principal

__all__ = ["cli_principal", "fail"]


def fail(message: str) -> NoReturn:
    """Print one error line and exit with status 2 (bad input)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def cli_principal(
    session: Session | None = None, username: str | None = None, *, option: str = "--user"
) -> Principal:
    """Who a command acts as: the user named by ``option`` (their role and jurisdiction scope,
    looked up in ``session``), or, when no user is named, an administrator of the whole bureau.

    An unknown user ends the command with ``error: --user: no user 'name'`` (exit 2).
    """
    from pingan.auth.service import Principal, principal_for

    if username is None:
        return Principal(user_id=0, username="cli", role="admin", jpath="/", jurisdiction_id=None)
    if session is None:
        raise TypeError("cli_principal: a session is needed to look up a user; pass session=")
    from sqlalchemy import select

    from pingan.auth.models import User

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        fail(f"{option}: no user {username!r}")
    return principal_for(session, user)
