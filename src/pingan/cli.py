"""The ``pingan`` command line (Typer).

Commands live in ``pingan/commands/<name>.py``, each exposing ``register(app)``; this module only
composes them, importing heavy modules lazily so that ``pingan --help`` stays fast.
Bad input exits with code 2 and one line naming the field and the reason.
"""

from __future__ import annotations

import importlib
import sys

import typer

from pingan.errors import PingAnError

__all__ = ["app", "main"]

app = typer.Typer(
    name="pingan",
    help="pingan 平安: command center, stations and analysis for a city public-security bureau.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_COMMAND_MODULES = (
    "pingan.commands.core",
    "pingan.commands.users",
    "pingan.commands.audit",
    "pingan.commands.importing",
    "pingan.commands.addresses",
    "pingan.commands.demo",
    "pingan.commands.roads",
    "pingan.commands.coverage",
    "pingan.commands.analyze",
    "pingan.commands.operations",
    "pingan.commands.casework",
    "pingan.commands.places",
    "pingan.commands.evaluation",
)

for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name is not None and _name.startswith(_exc.name):
            continue  # not built yet
        raise
    _module.register(app)


def main() -> None:
    """Entry point: run the CLI; pingan errors print one line and exit 2."""
    try:
        app()
    except PingAnError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
