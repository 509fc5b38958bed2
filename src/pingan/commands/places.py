"""``pingan places purge-contacts``: the retention rule for premises contact data."""

from __future__ import annotations

import typer

app = typer.Typer(help="Premises and places.", no_args_is_help=True)


@app.command("purge-contacts")
def purge(dry_run: bool = typer.Option(False, help="count only, change nothing")) -> None:
    """Clear premises contact data older than PINGAN_RETENTION_DAYS_CONTACT (audited)."""
    from pingan.audit.service import Actor
    from pingan.config import get_settings
    from pingan.places.service import purge_contacts
    from pingan.store.engine import unit_of_work

    with unit_of_work() as s:
        n = purge_contacts(s, actor=Actor.system("retention"), dry_run=dry_run)
        s.commit()
    days = get_settings().retention_days_contact
    verb = "would clear" if dry_run else "cleared"
    typer.echo(f"{verb} the contact data of {n} premises recorded over {days} days ago")
