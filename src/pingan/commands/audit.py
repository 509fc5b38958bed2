"""``pingan audit verify`` and ``pingan audit head``."""

from __future__ import annotations

from pathlib import Path
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
    anchor_file: Annotated[
        Path | None,
        typer.Option(
            "--anchor-file",
            help="a file written by `pingan audit anchor`: every anchor in it must match.",
        ),
    ] = None,
) -> None:
    """Check the hash chain; exit 1 and name the first broken record if any was altered or
    removed."""
    from pingan.audit.anchor import read_anchors
    from pingan.audit.service import parse_anchor, verify
    from pingan.errors import Invalid
    from pingan.store.engine import unit_of_work

    try:
        anchors = [parse_anchor(a) for a in anchor or []]
        if anchor_file is not None:
            anchors += read_anchors(anchor_file)
    except Invalid as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"anchor-file: cannot read {anchor_file}: {exc.strerror}")
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


@app.command("anchor")
def anchor_cmd(
    directory: Annotated[
        Path,
        typer.Option(
            "--dir",
            help="where to append the anchor (pingan-audit-anchors.txt): outside the "
            "database, ideally on another machine or medium",
        ),
    ],
) -> None:
    """Append the chain's head (SEQ:HASH) with the time to a file outside the database; the
    built-in scheduler does it daily. `pingan audit verify --anchor-file FILE` checks them."""
    from pingan.audit.anchor import write_anchor
    from pingan.audit.service import ChainHeadMissing
    from pingan.store.engine import get_engine

    try:
        path = write_anchor(get_engine(), directory)
    except ChainHeadMissing:
        typer.echo("audit log BROKEN: the chain head (audit_chain_head) is missing", err=True)
        raise typer.Exit(code=1) from None
    except OSError as exc:
        fail(f"dir: cannot write to {directory}: {exc.strerror}")
        return
    last = path.read_text(encoding="utf-8").splitlines()[-1]
    typer.echo(f"{last} appended to {path}")
