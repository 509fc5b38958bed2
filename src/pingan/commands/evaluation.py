"""``pingan evaluation compute``: community-officer scorecards for a period, printed or written
to Excel, PDF or CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from pingan.commands import cli_principal, fail

__all__ = ["app", "register"]

app = typer.Typer(
    help="Community-officer evaluation (社区警务评价): scorecards per officer, grid cell, "
    "community and station.",
    no_args_is_help=True,
)

_LEVELS = ("officer", "cell", "community", "station")
_SUFFIXES = (".xlsx", ".pdf", ".csv")


@app.command("compute")
def compute_cmd(
    period: str = typer.Option(
        ..., help="2026Q3, 2026-07, 2026H1, 2026 or 2026-07-01..2026-09-30 (local days)"
    ),
    level: str = typer.Option("officer", help="officer, cell, community or station"),
    out: Path | None = typer.Option(
        None, "--out", help="write FILE.xlsx, FILE.pdf or FILE.csv instead of printing"
    ),
    user: str | None = typer.Option(
        None, "--user", help="compute in this user's jurisdiction (default: the whole bureau)"
    ),
    scope: str | None = typer.Option(
        None, help="code of a district/station/community to narrow to"
    ),
    lang: str = typer.Option("zh-CN", help="zh-CN or en"),
    top: int = typer.Option(30, min=1, help="rows to print"),
) -> None:
    """Compute the applicable scorecard for every entity of a level and rank them."""
    import time

    from pingan.errors import Invalid
    from pingan.evaluation.periods import parse_period

    if level not in _LEVELS:
        fail(f"--level: {level!r} is not a level; use {', '.join(_LEVELS)}")
    if lang not in ("zh-CN", "en"):
        fail(f"--lang: {lang!r} is not a language; use zh-CN or en")
    if out is not None and out.suffix.lower() not in _SUFFIXES:
        fail(f"--out: {out.name!r} must end in .xlsx, .pdf or .csv")
    if out is not None and not out.resolve().parent.is_dir():
        fail(f"--out: the folder {out.resolve().parent} does not exist")
    try:
        per = parse_period(period)
    except Invalid as exc:
        fail(f"--period: {exc.message.removeprefix('period: ')}")
        return

    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from pingan.evaluation import export, service
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    t0 = time.perf_counter()
    with unit_of_work(write=False) as s:
        p = cli_principal(s, user, action="evaluation.read")
        scope_id = None
        if scope is not None:
            j = s.scalar(select(Jurisdiction).where(Jurisdiction.code == scope))
            if j is None or not p.can_see(j.path):
                fail(f"--scope: no jurisdiction with code {scope!r} in the user's scope")
                return
            scope_id = j.id
        result = service.evaluate(s, principal=p, period=per, level=level, scope=scope_id)
    took = time.perf_counter() - t0
    n = len(result.result.entities)
    if out is not None:
        suffix = out.suffix.lower()
        if suffix == ".xlsx":
            out.write_bytes(export.to_xlsx(result, lang=lang))
        elif suffix == ".csv":
            out.write_text(export.to_csv(result, lang=lang), encoding="utf-8-sig")
        else:
            export.to_pdf(result, lang=lang, path=out)
        typer.echo(f"{n} {level} scorecards for {per.label} written to {out} ({took:.1f} s)")
        return
    rows = service.rows_of(result)
    codes = [i.code for i in result.spec.indicators]
    table = Table("rank", "code", "name", "score", "coverage", *codes)
    for r in rows[:top]:
        name = r["name_en"] if lang == "en" else r["name_zh"]
        table.add_row(
            str(r["rank"] or "–"),
            r["code"],
            name,
            "–" if r["score"] is None else f"{r['score']:.1f}",
            f"{100 * r['coverage']:.0f}%",
            *("–" if f["value"] is None else f"{f['value']:.3g}" for f in r["figures"]),
        )
    Console(width=200).print(table)
    partial = " (period still running)" if result.partial else ""
    typer.echo(f"{min(top, n)} of {n} {level} scorecards for {per.label}{partial} in {took:.1f} s")


def register(root: typer.Typer) -> None:
    """Add the ``pingan evaluation`` group."""
    root.add_typer(app, name="evaluation")
