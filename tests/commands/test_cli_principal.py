"""``pingan.commands.cli_principal``: the one "who am I" of every command."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy.orm import Session

from pingan.commands import cli_principal
from tests.factories import SmallCity


def test_no_user_is_an_administrator_of_the_whole_bureau() -> None:
    p = cli_principal()
    assert (p.user_id, p.username, p.role, p.jpath, p.jurisdiction_id) == (
        0,
        "cli",
        "admin",
        "/",
        None,
    )
    assert p.can_see("/1/4/17/")


def test_a_named_user_brings_their_role_and_scope(session: Session, city: SmallCity) -> None:
    chief = city.users["chief0"]
    p = cli_principal(session, "chief0")
    assert (p.user_id, p.role, p.jurisdiction_id) == (
        chief.id,
        "station_chief",
        chief.jurisdiction_id,
    )
    station = city.stations[0]
    assert p.jpath == station.path
    assert p.can_see(city.communities[0].path) and not p.can_see(city.stations[1].path)


def test_an_unknown_user_exits_2_naming_the_option(
    session: Session, city: SmallCity, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as exc:
        cli_principal(session, "nobody", option="--as")
    assert exc.value.exit_code == 2
    assert capsys.readouterr().err == "error: --as: no user 'nobody'\n"


def test_a_user_needs_a_session() -> None:
    with pytest.raises(TypeError, match="pass session="):
        cli_principal(None, "chief0")


def test_an_action_is_checked_against_the_permission_table(
    session: Session, city: SmallCity, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_principal(session, "chief0", action="instruction.issue").role == "station_chief"
    assert cli_principal(action="job.run").role == "admin"
    with pytest.raises(typer.Exit) as exc:
        cli_principal(session, "officer0", action="instruction.issue")
    assert exc.value.exit_code == 2
    assert capsys.readouterr().err == (
        "error: --user: role 'community_officer' may not issue instructions "
        "(instruction.issue); allowed: admin, commander, station_chief\n"
    )
