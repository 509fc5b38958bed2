"""``pingan ledger`` and ``pingan volunteers``: the services ledger (服务台账) — record a
service, list the entries, count them per officer, cell or community — and the volunteer teams
(群防群治) — teams, members (masked), shifts and hours."""

from __future__ import annotations

import datetime as dt

import typer

from pingan.commands import cli_principal, date_option, fail, one_line

__all__ = ["ledger_app", "volunteers_app"]

_USER = "act as this user (default: an administrator of the whole bureau)"


ledger_app = typer.Typer(
    help="The services ledger (服务台账): what officers did for people, counted per officer, "
    "cell and community.",
    no_args_is_help=True,
)


@ledger_app.command("add")
def ledger_add(
    kind: str = typer.Argument(..., help="visit, mediation, help, lost_found, certificate, …"),
    lon: float = typer.Option(..., help="longitude (WGS-84)"),
    lat: float = typer.Option(..., help="latitude (WGS-84)"),
    minutes: int = typer.Option(..., help="minutes spent, 1 to 600"),
    at: str | None = typer.Option(None, help="when, ISO 8601 with a zone (default: now)"),
    note: str = typer.Option("", help="a note without personal data of the person served"),
    user: str = typer.Option(..., "--user", help="the officer who did it"),
) -> None:
    """Record a service done by ``--user`` at a point of their jurisdiction."""
    from pingan.commands import validated
    from pingan.ledger.flows import entry_create_flow
    from pingan.ledger.schemas import EntryCreate
    from pingan.store.base import utcnow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    data = validated(
        EntryCreate,
        {
            "kind": kind,
            "at": at or utcnow().isoformat(),
            "lon": lon,
            "lat": lat,
            "minutes": minutes,
            "note": note,
        },
        {"kind": "KIND"},
    )
    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        e = entry_create_flow(
            s, principal=cli_principal(s, user, action="ledger.record"), data=data
        )
    typer.echo(
        f"entry {e.id}: {e.kind} {e.minutes} min at {e.at:%Y-%m-%d %H:%M} UTC in cell "
        f"{e.cell_name or '-'} of {e.community_name or '-'}"
    )


@ledger_app.command("list")
def ledger_list(
    since: str | None = typer.Option(None, help="from this local day YYYY-MM-DD"),
    until: str | None = typer.Option(None, help="to this local day YYYY-MM-DD (inclusive)"),
    kind: str | None = typer.Option(None, help="one kind"),
    limit: int = typer.Option(50, min=1, max=500),
    user: str | None = typer.Option(None, "--user", help=_USER),
) -> None:
    """The ledger entries, newest first."""
    from pingan.ledger.models import KINDS
    from pingan.ledger.service import list_entries, local_tz
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if kind is not None and kind not in KINDS:
        fail(f"--kind: {kind!r} is not a kind; use one of {', '.join(KINDS)}")
    tz = local_tz()
    d0, d1 = date_option(since, "--since"), date_option(until, "--until")
    t0 = dt.datetime.combine(d0, dt.time(), tz) if d0 else None
    t1 = dt.datetime.combine(d1 + dt.timedelta(days=1), dt.time(), tz) if d1 else None
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user, action="ledger.read")
        page = list_entries(s, principal=p, since=t0, until=t1, kind=kind, limit=limit)
    for e in page.items:
        local = e.at.astimezone(tz)
        typer.echo(
            f"{e.id}\t{local:%Y-%m-%d %H:%M}\t{e.kind}\t{e.minutes}\t{e.officer_name or ''}"
            f"\t{e.community_name or ''}\t{e.cell_name or ''}"
        )
    typer.echo(f"{len(page.items)} of {page.total} entries")


@ledger_app.command("summary")
def ledger_summary(
    by: str = typer.Option("officer", help="officer, cell or community"),
    period: str = typer.Option("day", help="day or month"),
    since: str | None = typer.Option(None, help="first local day (default: 29 days ago)"),
    until: str | None = typer.Option(None, help="last local day (default: today)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    user: str | None = typer.Option(None, "--user", help=_USER),
) -> None:
    """Entries and minutes per officer, cell or community and per day or month."""
    from pingan.ledger.service import summary
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if by not in ("officer", "cell", "community"):
        fail(f"--by: {by!r} is not one of officer, cell, community")
    if period not in ("day", "month"):
        fail(f"--period: {period!r} is not one of day, month")
    d0, d1 = date_option(since, "--since"), date_option(until, "--until")
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user, action="ledger.read")
        out = summary(s, principal=p, by=by, period=period, since=d0, until=d1)  # type: ignore[arg-type]
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
        return
    for r in out.rows:
        kinds = ", ".join(f"{k} {n}" for k, n in r.by_kind.items())
        typer.echo(f"{r.period}\t{r.key_name}\t{r.entries}\t{r.minutes} min\t{kinds}")
    typer.echo(
        f"{out.since} to {out.until}: {out.total_entries} entries, {out.total_minutes} minutes "
        f"in {len(out.rows)} rows by {by} and {period}"
    )


volunteers_app = typer.Typer(
    help="Volunteer teams (群防群治): teams, members (masked), shifts and hours.",
    no_args_is_help=True,
)


@volunteers_app.command("teams")
def volunteers_teams(user: str | None = typer.Option(None, "--user", help=_USER)) -> None:
    """The volunteer teams with their members; then hours of the last 30 days per team."""
    from pingan.store.engine import get_engine, migrate, unit_of_work
    from pingan.volunteers.service import hours, list_teams

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user, action="volunteer.read")
        teams = list_teams(s, principal=p)
        h = {r.id: r.hours for r in hours(s, principal=p).teams}
    for t in teams:
        typer.echo(
            f"{t.id}\t{t.code}\t{t.name}\t{t.kind}\t{t.community_name}\t{t.members} members"
            f"\t{h.get(t.id, 0.0):.1f} h"
        )
    typer.echo(f"{len(teams)} teams")


@volunteers_app.command("members")
def volunteers_members(
    team_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="the team's id"),
    user: str | None = typer.Option(None, "--user", help=_USER),
) -> None:
    """The members of a team, name and phone masked."""
    from pingan.store.engine import get_engine, migrate, unit_of_work
    from pingan.volunteers.service import list_members

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        rows = list_members(
            s, principal=cli_principal(s, user, action="volunteer.read"), team_id=team_id
        )
    for m in rows:
        account = "account" if m.user_id else ""
        typer.echo(f"{m.id}\t{m.name_masked}\t{m.phone_masked or ''}\t{m.joined_on}\t{account}")
    typer.echo(f"{len(rows)} members")


@volunteers_app.command("shifts")
def volunteers_shifts(
    day: str | None = typer.Option(None, help="local day YYYY-MM-DD (default: today)"),
    team: int | None = typer.Option(None, min=1, max=2**31 - 1, help="one team's id"),
    user: str | None = typer.Option(None, "--user", help=_USER),
) -> None:
    """The shifts of a day with their check-in and check-out."""
    from pingan.store.engine import get_engine, migrate, unit_of_work
    from pingan.volunteers.service import list_shifts, local_tz

    d = date_option(day, "--day")
    tz = local_tz()
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user, action="volunteer.shifts")
        rows = list_shifts(s, principal=p, day=d, team_id=team)
    for r in rows:
        t_in = f"{r.checked_in_at.astimezone(tz):%H:%M}" if r.checked_in_at else "-"
        t_out = f"{r.checked_out_at.astimezone(tz):%H:%M}" if r.checked_out_at else "-"
        typer.echo(
            f"{r.id}\t{r.team_name}\t{r.member_name_masked}\t{r.place}\t"
            f"{r.starts_at.astimezone(tz):%H:%M}-{r.ends_at.astimezone(tz):%H:%M}\t"
            f"in {t_in}\tout {t_out}\t{r.state}"
        )
    typer.echo(f"{len(rows)} shifts")
