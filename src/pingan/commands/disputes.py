"""``pingan disputes list|rescreen``: dispute cases and their escalation-risk re-screening."""

from __future__ import annotations

import typer

from pingan.commands import cli_principal, fail

_STATES = ("registered", "mediating", "resolved", "referred", "closed")
_RISKS = ("low", "medium", "high")


app = typer.Typer(
    help="Disputes (矛盾纠纷): cases, mediation, escalation risk.", no_args_is_help=True
)


@app.command("list")
def list_cmd(
    user: str | None = typer.Option(
        None, "--user", help="list in this user's jurisdiction (default: the whole bureau)"
    ),
    state: str | None = typer.Option(None, help="registered, mediating, resolved, ..."),
    kind: str | None = typer.Option(None, help="neighbourhood, family, labour_wages, ..."),
    risk: str | None = typer.Option(None, help="low, medium or high"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """List disputes, newest first, with their risk and fired rules (parties masked)."""
    from rich.console import Console
    from rich.table import Table

    from pingan.disputes import service
    from pingan.disputes.models import KINDS
    from pingan.store.engine import unit_of_work

    if state is not None and state not in _STATES:
        fail(f"--state: {state!r} is not a dispute state; use {', '.join(_STATES)}")
    if kind is not None and kind not in KINDS:
        fail(f"--kind: {kind!r} is not a dispute kind; use {', '.join(KINDS)}")
    if risk is not None and risk not in _RISKS:
        fail(f"--risk: {risk!r} is not a risk level; use {', '.join(_RISKS)}")
    with unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        q = service.list_query(p, state=state, kind=kind, risk=risk)
        total = service.count(s, q)
        table = Table("id", "code", "kind", "state", "risk", "rules", "registered", "place")
        for d in s.scalars(q.limit(limit)):
            rules = ", ".join(f["code"] for f in service.risk_of(d)["fired"])
            table.add_row(
                str(d.id),
                d.code,
                d.kind,
                d.state,
                d.risk_level,
                rules,
                d.registered_at.isoformat(timespec="minutes"),
                d.address_text or f"{d.lon:.5f}, {d.lat:.5f}",
            )
    Console().print(table)
    typer.echo(f"{min(limit, total)} of {total} disputes shown")


@app.command("rescreen")
def rescreen(
    jurisdiction: str | None = typer.Option(
        None, help="code of a district/station/community to limit the pass to"
    ),
) -> None:
    """Re-evaluate the escalation risk of every open dispute; report the rises (a rise
    issues an instruction to the owning officer)."""
    import time

    from sqlalchemy import select

    from pingan.audit.service import Actor
    from pingan.disputes.flows import dispute_rescreen_flow
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    t0 = time.perf_counter()
    with unit_of_work() as s:
        jpath = "/"
        if jurisdiction is not None:
            j = s.scalar(select(Jurisdiction).where(Jurisdiction.code == jurisdiction))
            if j is None:
                fail(f"--jurisdiction: no jurisdiction with code {jurisdiction!r}")
                return
            jpath = j.path
        out = dispute_rescreen_flow(s, actor=Actor.system("cli:disputes-rescreen"), jpath=jpath)
    for r in out.rises:
        typer.echo(f"{r['code']}: {r['from']} → {r['to']} ({', '.join(r['rules'])})")
    typer.echo(f"{out.message()} in {time.perf_counter() - t0:.1f} s")
