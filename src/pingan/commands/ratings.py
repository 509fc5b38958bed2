"""``pingan ratings``: compute the security star ratings (治安星级), print a premises' sign as
PDF, list the annual five-star units, and set a station's public phone."""

from __future__ import annotations

from pathlib import Path

import typer

from pingan.commands import cli_principal, fail, one_line

app = typer.Typer(
    help="Security star ratings of premises (治安星级管理) and their signs.", no_args_is_help=True
)


@app.command("compute")
def compute_cmd(
    station: str | None = typer.Option(None, help="code of one station to rate (default: all)"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Rate every premises (or those of one station) now; one new current rating each."""
    import time

    from pingan.ratings.flows import ratings_compute_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    t0 = time.perf_counter()
    with one_line(), unit_of_work() as s:
        out = ratings_compute_flow(
            s, principal=cli_principal(s, user, action="rating.manage"), station_code=station
        )
    spread = ", ".join(f"{k}★ {v}" for k, v in sorted(out.stars.items()))
    typer.echo(
        f"rated {out.rated} premises with criteria {out.criteria_version} in "
        f"{time.perf_counter() - t0:.1f} s ({spread})"
    )


@app.command("sign")
def sign_cmd(
    premises_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="the premises id"),
    out: Path = typer.Option(..., "--out", help="the PDF to write"),
    size: str = typer.Option("A4", "--size", help="A4 or A3"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Write the premises' print-ready sign (colour, stars, QR code) as PDF."""
    if size not in ("A4", "A3"):
        fail(f"--size: {size!r} is not a sign size; use A4 or A3")
    if out.suffix.lower() != ".pdf":
        fail(f"--out: {out.name!r} must end in .pdf")
    if not out.resolve().parent.is_dir():
        fail(f"--out: the folder {out.resolve().parent} does not exist")
    from pingan.places.service import get_premises_or_raise
    from pingan.ratings import service, signs
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user, action="rating.read")
        r = service.current_rating(s, principal=p, premises_id=premises_id)
        prem = get_premises_or_raise(s, principal=p, premises_id=premises_id)
        out.write_bytes(signs.sign_pdf(s, r, prem, size=size))
        url = signs.public_url(signs.make_token(prem.id, r.id))
    typer.echo(f"{r.stars}★ {r.colour} sign of {prem.name} written to {out} ({url})")


@app.command("awards")
def awards_cmd(
    year: int = typer.Option(..., min=2000, max=2100, help="the year"),
    station: str | None = typer.Option(None, help="code of one station"),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="write the list to this .xlsx file"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """The annual five-star list per station, printed or written to Excel."""
    if xlsx is not None and xlsx.suffix.lower() != ".xlsx":
        fail(f"--xlsx: {xlsx.name!r} must end in .xlsx")
    if xlsx is not None and not xlsx.resolve().parent.is_dir():
        fail(f"--xlsx: the folder {xlsx.resolve().parent} does not exist")
    from pingan.ratings import export, service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        awards = service.awards_read(
            s,
            principal=cli_principal(s, user, action="rating.read"),
            year=year,
            station_code=station,
        )
    if xlsx is not None:
        xlsx.write_bytes(export.awards_xlsx(awards))
        typer.echo(f"{len(awards.items)} five-star premises of {year} written to {xlsx}")
        return
    for a in awards.items:
        typer.echo(f"{a.station_code or '-'}\t{a.code}\t{a.name}\t{a.score:g}")
    typer.echo(f"{len(awards.items)} five-star premises of {year}")


@app.command("phone")
def phone_cmd(
    station: str = typer.Argument(..., help="the station code"),
    phone: str = typer.Argument(..., help="the public phone shown on its signs' page"),
) -> None:
    """Set a station's public phone (shown on the public page of its signs)."""
    if not 3 <= len(phone) <= 40:
        fail("phone: give 3 to 40 characters")
    from pingan.audit.service import Actor, record
    from pingan.ratings import service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        st = service.get_station_by_code(s, principal=cli_principal(), code=station)
        service.set_station_phone(s, station=st, phone=phone)
        record(
            s,
            actor=Actor.system("cli"),
            action="update",
            entity="station_phone",
            entity_id=st.id,
            jpath=st.path,
            detail={"phone": phone},
        )
        s.commit()
    typer.echo(f"public phone of {station}: {phone}")
