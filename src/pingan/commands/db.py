"""``pingan db``: the database's own housekeeping (PostgreSQL's month partitions of incidents)."""

from __future__ import annotations

import json

import typer

__all__ = ["app"]

app = typer.Typer(help="The database: PostgreSQL's month partitions of incidents.")


@app.command("partitions")
def partitions_cmd(
    ensure: bool = typer.Option(
        False, "--ensure", help="create this month's and the next months' partitions first"
    ),
    ahead: int = typer.Option(3, "--ahead", min=0, max=24, help="months ahead with --ensure"),
    as_json: bool = typer.Option(False, "--json", help="one JSON document"),
) -> None:
    """List the month partitions of ``incidents`` (name, range, estimated rows) and the
    default one; ``--ensure`` creates the missing ones ahead first (what the ``partitions``
    job does daily). On SQLite, or before migration 0031, the table is not partitioned."""
    import datetime as dt

    from pingan.store.engine import get_engine, migrate
    from pingan.store.partitions import ensure_partitions, is_partitioned, list_partitions

    engine = get_engine()
    migrate(engine)
    created: list[str] = []
    with engine.begin() as conn:
        if ensure:
            created = ensure_partitions(conn, now=dt.datetime.now(dt.UTC), ahead=ahead)["created"]
        partitioned = is_partitioned(conn)
        parts = list_partitions(conn)
    if as_json:
        doc = {
            "partitioned": partitioned,
            "created": created,
            "partitions": [p.as_dict() for p in parts],
        }
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    if not partitioned:
        typer.echo(f"incidents is not partitioned ({engine.dialect.name})")
        return
    for name in created:
        typer.echo(f"created {name}")
    for p in parts:
        span = f"{p.lower:%Y-%m-%d} .. {p.upper:%Y-%m-%d}" if p.lower and p.upper else "DEFAULT"
        typer.echo(f"{p.name:24} {span:24} ~{p.rows:,} rows")
    typer.echo(f"{len(parts)} partitions")
