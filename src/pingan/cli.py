"""The ``pingan`` command line (Typer).

Each ``pingan/commands/<domain>.py`` holds module-level Typer apps; this module only composes
them under their group names (the order below is the order of ``pingan --help``). Command modules
import heavy modules inside their commands, so that ``pingan --help`` stays fast.
Bad input exits with code 2 and one line naming the field and the reason.
"""

from __future__ import annotations

import sys

import typer

from pingan.commands import (
    addresses,
    aggregates,
    audit,
    cameras,
    checklists,
    citizens,
    core,
    crime_analysis,
    db,
    demo,
    disputes,
    evaluation,
    events,
    fieldapp,
    importing,
    instructions,
    keyplaces,
    ledger,
    patrols,
    places,
    province,
    rapid_response,
    ratings,
    roads,
    scheduler,
    users,
)
from pingan.errors import PingAnError

__all__ = ["app", "main"]

app = typer.Typer(
    name="pingan",
    help="pingan 平安: command center, stations and analysis for a city public-security bureau.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(core.app)  # pingan init, pingan serve
app.add_typer(demo.app)  # pingan demo
app.add_typer(users.app, name="users")
app.add_typer(audit.app, name="audit")
app.add_typer(importing.app, name="import")
app.add_typer(roads.app, name="roads")
app.add_typer(rapid_response.app, name="coverage")
app.add_typer(crime_analysis.analyze_app, name="analyze")
app.add_typer(crime_analysis.report_app, name="report")
app.add_typer(checklists.app, name="tasks")  # schedule, escalate
app.add_typer(instructions.app, name="instructions")
app.add_typer(disputes.app, name="disputes")
app.add_typer(places.app, name="places")
app.add_typer(evaluation.app, name="evaluation")
app.add_typer(scheduler.jobs_app, name="jobs")
addresses.register(app)  # pingan import addresses
app.add_typer(ratings.app, name="ratings")
app.add_typer(keyplaces.posts_app, name="posts")
app.add_typer(keyplaces.orders_app, name="orders")
app.add_typer(keyplaces.hazards_app, name="hazards")
app.add_typer(cameras.app, name="cameras")
app.add_typer(citizens.open311_app, name="open311")
app.add_typer(citizens.citizens_app, name="citizens")
app.add_typer(patrols.app, name="patrols")
app.add_typer(events.app, name="events")
app.add_typer(aggregates.app, name="aggregates")
app.add_typer(ledger.ledger_app, name="ledger")
app.add_typer(ledger.volunteers_app, name="volunteers")
app.add_typer(fieldapp.app, name="field")
app.add_typer(province.province_app, name="province")
app.add_typer(province.export_app, name="export")
app.add_typer(db.app, name="db")


def main() -> None:
    """Entry point: run the CLI; pingan errors print one line and exit 2."""
    try:
        app()
    except PingAnError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
