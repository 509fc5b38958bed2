"""``pingan db``: the database's own housekeeping (PostgreSQL's month partitions of incidents)."""

from __future__ import annotations

import json
from typing import Any

import typer

__all__ = ["app"]

app = typer.Typer(help="The database: PostgreSQL's month partitions of incidents.")


@app.command("partitions")
def partitions_cmd(
    ensure: bool = typer.Option(
        False, "--ensure", help="create this month's and the next months' partitions first"
    ),
    ahead: int = typer.Option(3, "--ahead", min=0, max=24, help="months ahead with --ensure"),
    since: str | None = typer.Option(
        None,
        "--since",
        help="with --ensure: make every month from this one (YYYY-MM), e.g. before importing "
        "history into a new partitioned database",
    ),
    as_json: bool = typer.Option(False, "--json", help="one JSON document"),
    convert_: bool = typer.Option(
        False,
        "--convert",
        help="PostgreSQL: turn the plain incidents table into month partitions, with its rows "
        "(one transaction; rewrites the table: a maintenance window)",
    ),
    unconvert_: bool = typer.Option(
        False, "--unconvert", help="PostgreSQL: the month partitions back into one plain table"
    ),
) -> None:
    """List the month partitions of ``incidents`` (name, range, estimated rows) and the
    default one; ``--ensure`` creates the missing ones ahead first (what the ``partitions``
    job does daily). Partitioning is opt-in (``PINGAN_PARTITION_INCIDENTS=1`` before the first
    migration, or ``--convert`` later); SQLite's table is never partitioned."""
    import datetime as dt

    from pingan.store.engine import get_engine, migrate
    from pingan.store.partitions import ensure_partitions, is_partitioned, list_partitions

    first: dt.date | None = None
    if since is not None:
        try:
            first = dt.datetime.strptime(since, "%Y-%m").date()
        except ValueError:
            typer.echo(f"--since: a month as YYYY-MM, not {since!r}", err=True)
            raise typer.Exit(2) from None
        if not ensure:
            typer.echo("--since: only with --ensure", err=True)
            raise typer.Exit(2)
    engine = get_engine()
    if convert_ or unconvert_:
        if convert_ and unconvert_:
            typer.echo("--convert and --unconvert: choose one", err=True)
            raise typer.Exit(2)
        if engine.dialect.name != "postgresql":
            flag = "--convert" if convert_ else "--unconvert"
            typer.echo(
                f"{flag}: month partitions are PostgreSQL's ({engine.dialect.name})", err=True
            )
            raise typer.Exit(2)
        migrate(engine)
        _convert(engine, back=unconvert_, as_json=as_json)
        return
    migrate(engine)
    created: list[str] = []
    with engine.begin() as conn:
        if ensure:
            now = dt.datetime.now(dt.UTC)
            created = ensure_partitions(conn, now=now, ahead=ahead, since=first)["created"]
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
        typer.echo(
            f"incidents is not partitioned ({engine.dialect.name}); on PostgreSQL "
            "`pingan db partitions --convert` converts it"
        )
        return
    for name in created:
        typer.echo(f"created {name}")
    for p in parts:
        span = f"{p.lower:%Y-%m-%d} .. {p.upper:%Y-%m-%d}" if p.lower and p.upper else "DEFAULT"
        typer.echo(f"{p.name:24} {span:24} ~{p.rows:,} rows")
    typer.echo(f"{len(parts)} partitions")


def _convert(engine: Any, *, back: bool, as_json: bool) -> None:
    """``convert()`` or ``unconvert()`` in one transaction, and what it did."""
    import time

    from pingan.store.partitions import convert, list_partitions, unconvert

    t = time.perf_counter()
    with engine.begin() as conn:
        out = unconvert(conn) if back else convert(conn)
        parts = len(list_partitions(conn))
    secs = time.perf_counter() - t
    done = bool(out.get("converted"))
    if as_json:
        doc = {"action": "unconvert" if back else "convert", "done": done, "partitions": parts}
        doc |= {"rows": out["rows"]} if "rows" in out else {}
        typer.echo(json.dumps(doc | {"seconds": round(secs, 2)}))
    elif not done:
        typer.echo("incidents is already " + ("one plain table" if back else "partitioned"))
    elif back:
        typer.echo(f"incidents is one plain table again, with its rows ({secs:.1f} s)")
    else:
        typer.echo(
            f"incidents converted: {out['rows']:,} rows into {parts} partitions ({secs:.1f} s)"
        )
