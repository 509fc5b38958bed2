"""CLI command groups: each module holds module-level Typer apps that ``pingan.cli`` composes.

Shared here: :func:`fail` (one error line, exit 2), :func:`validated` (structured input checked
by the API's own pydantic model, its first error named by the option) and :func:`cli_principal`,
the one answer to "who am I" for every command that reads or acts in a jurisdiction's scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError
    from sqlalchemy.orm import Session

    from pingan.auth.service import Principal
    from pingan.geo.bbox import BBox

__all__ = [
    "bbox_option",
    "cli_principal",
    "date_option",
    "fail",
    "fail_validation",
    "one_line",
    "validated",
]

M = TypeVar("M", bound="BaseModel")


def fail(message: str) -> NoReturn:
    """Print one error line and exit with status 2 (bad input)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@contextmanager
def one_line() -> Iterator[None]:
    """A pingan error ends the command with its one-line message (exit 2)."""
    from pingan.errors import PingAnError

    try:
        yield
    except PingAnError as exc:
        fail(exc.message)


def date_option(text: str | None, option: str) -> dt.date | None:
    """An optional ``YYYY-MM-DD`` option (None when not given); exit 2 naming ``option``."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date; write YYYY-MM-DD")


def fail_validation(exc: ValidationError, options: Mapping[str, str] | None = None) -> NoReturn:
    """Exit 2 with the first error of ``exc`` as ``--option: message``; ``options`` maps a model
    field to its option where the names differ (default: ``--`` + the field with dashes)."""
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err.get("loc") else "input"
    option = (options or {}).get(name, "--" + name.replace("_", "-"))
    fail(f"{option}: {err['msg']}")


def validated(
    model: type[M], data: Mapping[str, Any], options: Mapping[str, str] | None = None
) -> M:
    """``data`` checked by ``model`` (the model the API validates the same input with); bad input
    exits 2 naming the option (see :func:`fail_validation`)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fail_validation(exc, options)


def bbox_option(text: str | None, option: str = "--bbox") -> BBox | None:
    """A ``W,S,E,N`` option read by the one parser (:func:`pingan.geo.parse_bbox`), None when
    absent; a bad box exits 2 naming the option: ``error: --bbox: expected 4 numbers …``."""
    from pingan.geo.bbox import BBoxError, parse_bbox

    try:
        return parse_bbox(text, field=option)
    except BBoxError as exc:
        fail(str(exc))


def cli_principal(
    session: Session | None = None,
    username: str | None = None,
    *,
    option: str = "--user",
    action: str | None = None,
) -> Principal:
    """Who a command acts as: the user named by ``option`` (their role and jurisdiction scope,
    looked up in ``session``), or, when no user is named, an administrator of the whole bureau.

    With ``action``, the permission table (:mod:`pingan.permissions`) must let the user's role
    do it, as the API's ``allowed(action)`` does for a route.

    An unknown user ends the command with ``error: --user: no user 'name'`` (exit 2), a role
    the table refuses with ``error: --user: role 'x' may not …`` (exit 2).
    """
    from pingan.auth.service import Principal, principal_for

    if username is None:
        principal = Principal(
            user_id=0, username="cli", role="admin", jpath="/", jurisdiction_id=None
        )
    elif session is None:
        raise TypeError("cli_principal: a session is needed to look up a user; pass session=")
    else:
        from sqlalchemy import select

        from pingan.auth.models import User

        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            fail(f"{option}: no user {username!r}")
        principal = principal_for(session, user)
    if action is not None:
        from pingan.errors import PermissionDenied
        from pingan.permissions import check

        try:
            check(principal.role, action)
        except PermissionDenied as exc:
            fail(f"{option}: {exc.message}")
    return principal
