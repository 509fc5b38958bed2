"""``pingan audit verify``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the audit commands."""
    audit = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
    app.add_typer(audit, name="audit")

    @audit.command("verify")
    def verify_cmd() -> None:
        """Check the hash chain; exit 1 and name the first broken record if any was altered or
        removed."""
        from pingan.audit.service import verify
        from pingan.store.engine import unit_of_work

        with unit_of_work(write=False) as s:
            rep = verify(s)
        if rep.ok:
            typer.echo(f"audit log intact: {rep.checked} records verified")
            return
        typer.echo(
            f"audit log BROKEN at record {rep.first_bad_seq}: {rep.reason} "
            f"({rep.checked} records before it verified)",
            err=True,
        )
        raise typer.Exit(code=1)
