"""CLI command groups; each module has ``register(app)``."""

from __future__ import annotations

import typer

__all__ = ["fail"]


def fail(message: str) -> None:
    """Print one error line and exit with status 2 (bad input)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)
