"""``pingan audit verify`` and ``pingan audit head``."""

from __future__ import annotations

from typing import Annotated

import typer

from pingan.commands import fail

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def verify_cmd(
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            help="SEQ:HASH printed earlier by `pingan audit head` and kept outside the "
            "database: that record must still have that hash (repeatable).",
        ),
    ] = None,
) -> None:
    """Check the hash chain; exit 1 and name the first broken record if any was altered or
    removed."""
    from pingan.audit.service import parse_anchor, verify
    from pingan.errors import Invalid
    from pingan.store.engine import unit_of_work

    try:
        anchors = [parse_anchor(a) for a in anchor or []]
    except Invalid as exc:
        fail(exc.message)
    with unit_of_work(write=False) as s:
        rep = verify(s, anchors=anchors)
    if rep.ok:
        extra = f", {len(anchors)} anchor(s) matched" if anchors else ""
        typer.echo(f"audit log intact: {rep.checked} records verified{extra}")
        return
    where = "" if rep.first_bad_seq is None else f" at record {rep.first_bad_seq}"
    typer.echo(
        f"audit log BROKEN{where}: {rep.reason} ({rep.checked} records before it verified)",
        err=True,
    )
    raise typer.Exit(code=1)


@app.command("head")
def head_cmd() -> None:
    """Print where the chain ends as SEQ:HASH; keep it outside the database (a printed log,
    another server) and pass it to `pingan audit verify --anchor` later."""
    from pingan.audit.service import chain_head
    from pingan.store.engine import unit_of_work

    with unit_of_work(write=False) as s:
        head = chain_head(s)
    if head is None:
        typer.echo("audit log BROKEN: the chain head (audit_chain_head) is missing", err=True)
        raise typer.Exit(code=1)
    typer.echo(head.anchor)
