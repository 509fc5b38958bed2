"""``pingan import addresses FILE``: door plates into the standard-address register."""

from __future__ import annotations

from pathlib import Path

import typer

from pingan.commands import fail

__all__ = ["app", "register"]

app = typer.Typer(help="Import standard addresses.", no_args_is_help=True)


@app.command("addresses")
def addresses_cmd(
    file: Path,
    crs: str = typer.Option(
        "WGS84", help="coordinates of the file: WGS84, GCJ02 (AMap, Tencent) or BD09 (Baidu)"
    ),
    dry_run: bool = typer.Option(False, help="check everything, write nothing"),
) -> None:
    """Import door plates from a CSV (lon, lat, address or road+door[, building, unit, code])
    or GeoJSON points: all rows or none; rejected rows are listed with their line number and
    reason in FILE.rejects.csv."""
    from pingan.audit.service import Actor
    from pingan.errors import PingAnError
    from pingan.geocoding.importers import import_addresses
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if not file.is_file():
        fail(f"FILE: not found: {file}")
    try:
        migrate(get_engine())
        with unit_of_work() as s:
            rep = import_addresses(s, file, actor=Actor.system("cli"), crs=crs)
            if dry_run:
                s.rollback()
            else:
                s.commit()
    except PingAnError as exc:
        fail(exc.message)
        return
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{verb} {rep.accepted:,} of {rep.rows:,} addresses in {rep.seconds:.1f} s; "
        f"rejected {rep.rejected:,}"
    )
    for reason, n in sorted(rep.reasons.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {n:>8,}  {reason}")
    if rep.rejects_file:
        typer.echo(f"rejected rows: {rep.rejects_file}")


def register(root: typer.Typer) -> None:
    """Add ``addresses`` to the ``import`` group (made by :mod:`pingan.commands.importing`)."""
    for group in root.registered_groups:
        if group.name == "import" and group.typer_instance is not None:
            group.typer_instance.registered_commands.extend(app.registered_commands)
            return
    root.add_typer(app, name="import")
