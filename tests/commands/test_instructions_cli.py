"""``pingan tasks schedule|escalate`` and ``pingan instructions issue|list`` against a real
SQLite file: idempotent runs say so, and every bad input exits 2 with one line naming the
option."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from pingan.auth.models import User
from pingan.auth.service import principal_for
from pingan.checklists import service as checklist_service
from pingan.instructions.models import InstructionRecipient, Notice
from pingan.store.engine import make_engine, unit_of_work
from tests.factories import SmallCity
from tests.serverutil import prepare_db

DAY = "2031-03-03"  # a Monday in the future: nothing is missed yet


def _local(hours: float) -> str:
    """A local (Asia/Shanghai) date-time without a zone, as an officer types it."""
    at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours) + dt.timedelta(hours=8)
    return at.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture()
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, SmallCity]]:
    """A migrated database file with the small city and two duties; the CLI pointed at it."""
    from pingan.config import get_settings
    from pingan.store.engine import reset_engine

    url, city = prepare_db(tmp_path / "ops.db")
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        admin = principal_for(s, s.get_one(User, city.users["admin"].id))
        for code, target, role in (
            ("duty_log", "station", "station_chief"),
            ("patrol_note", "officer", "community_officer"),
        ):
            checklist_service.create_template(
                s,
                principal=admin,
                code=code,
                name_zh=code,
                name_en=code,
                role=role,
                frequency="daily",
                target=target,
            )
        s.commit()
    engine.dispose()
    monkeypatch.setenv("PINGAN_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables keep whole titles
    get_settings.cache_clear()
    reset_engine()
    try:
        yield url, city
    finally:
        get_settings.cache_clear()
        reset_engine()


def run(*args: str) -> tuple[int, str]:
    from pingan.cli import app

    r = CliRunner().invoke(app, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.output


def one_error(args: list[str], message: str) -> None:
    code, out = run(*args)
    assert code == 2, out
    assert out.strip().splitlines() == [message]


def test_schedule_twice_reports_what_existed(cli: tuple[str, SmallCity]) -> None:
    code, out = run("tasks", "schedule", "--day", DAY)
    # one duty log per station (2) and one patrol note for the community officer
    assert code == 0 and out.strip() == (
        f"{DAY}: 3 checklist tasks created, 0 already existed; 0 overdue tasks marked missed"
    )
    code, out = run("tasks", "schedule", "--day", DAY)
    assert code == 0 and out.strip() == (
        f"{DAY}: 0 checklist tasks created, 3 already existed; 0 overdue tasks marked missed"
    )


def test_escalate_is_idempotent(cli: tuple[str, SmallCity]) -> None:
    url, city = cli
    code, out = run("tasks", "escalate")
    assert code == 0 and out.strip() == "0 overdue to sign, 0 overdue to complete escalated"
    code, out = run(
        "instructions",
        "issue",
        "--user",
        "chief0",
        "--to",
        f"officer:{city.users['officer0'].id}",
        "--title",
        "走访辖区出租房",
        "--text",
        "本周内走访并反馈。",
        "--sign-by",
        _local(2),
        "--complete-by",
        _local(48),
    )
    assert code == 0, out
    engine = make_engine(url)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with unit_of_work(engine) as s:  # the sign-by deadline has passed
        s.execute(update(InstructionRecipient).values(sign_by=past - dt.timedelta(hours=1)))
        s.commit()
    code, out = run("tasks", "escalate")
    assert code == 0 and out.strip() == "1 overdue to sign, 0 overdue to complete escalated"
    code, out = run("tasks", "escalate")
    assert code == 0 and out.strip() == "0 overdue to sign, 0 overdue to complete escalated"
    with unit_of_work(engine, write=False) as s:
        notices = s.scalars(select(Notice)).all()
    engine.dispose()
    assert len(notices) == 1 and notices[0].jpath == city.stations[0].path


def test_issue_then_list_issued_and_queue(cli: tuple[str, SmallCity]) -> None:
    _, city = cli
    s0 = city.stations[0].id
    code, out = run(
        "instructions",
        "issue",
        "--user",
        "commander",
        "--to",
        f"station:{s0}",
        "--to",
        f"officer:{city.users['officer0'].id}",
        "--title",
        "夜间巡查电动车盗窃高发点",
        "--text",
        "近一周电动车被盗 9 起，请组织夜间巡查并反馈。",
        "--sign-by",
        _local(2),
        "--complete-by",
        _local(24),
        "--priority",
        "high",
    )
    assert code == 0, out
    m = re.fullmatch(
        r"instruction (ZL\d{8}-[0-9A-F]{8}) \(id (\d+)\) issued to 2 recipients", out.strip()
    )
    assert m, out
    ins_code = m.group(1)
    code, out = run("instructions", "list", "--user", "commander")
    assert code == 0 and ins_code in out and "夜间巡查电动车盗窃高发点" in out
    assert "high" in out and "issued 2" in out
    code, out = run("instructions", "list", "--user", "officer0", "--box", "to_sign")
    assert code == 0 and ins_code in out and "issued" in out
    code, out = run("instructions", "list", "--user", "officer0", "--box", "done")
    assert code == 0 and ins_code not in out
    code, out = run("instructions", "list", "--user", "chief1", "--box", "all")
    assert code == 0 and ins_code not in out  # the other station's chief


def test_bad_input_exits_2_with_one_line_naming_the_option(cli: tuple[str, SmallCity]) -> None:
    _, city = cli
    s0 = city.stations[0].id
    good = {
        "--user": "chief0",
        "--to": f"station:{s0}",
        "--title": "t",
        "--text": "x",
        "--sign-by": _local(2),
        "--complete-by": _local(24),
    }

    def issue(**over: str) -> list[str]:
        opts = good | {f"--{k.replace('_', '-')}": v for k, v in over.items()}
        return ["instructions", "issue", *[x for kv in opts.items() for x in kv]]

    one_error(
        ["tasks", "schedule", "--day", "3/3/2031"],
        "error: --day: expected YYYY-MM-DD, got '3/3/2031'",
    )
    one_error(["instructions", "list", "--user", "nobody"], "error: --user: no user 'nobody'")
    one_error(
        ["instructions", "list", "--user", "chief0", "--box", "inbox"],
        "error: --box: 'inbox' is not a box; use issued, to_sign, to_do, overdue, done, all",
    )
    one_error(
        ["instructions", "list", "--user", "chief0", "--limit", "0"],
        "error: --limit: use 1 … 1000, got 0",
    )
    one_error(issue(user="nobody"), "error: --user: no user 'nobody'")
    one_error(
        issue(user="officer0"),
        "error: --user: role 'community_officer' may not issue instructions (instruction.issue); "
        "allowed: admin, commander, station_chief",
    )
    one_error(issue(to="station"), "error: --to: expected KIND:ID like station:17, got 'station'")
    one_error(
        issue(to="wizard:3"),
        "error: --to: 'wizard' is not a recipient kind; use station, unit, officer or district",
    )
    one_error(issue(to="station:99999"), "error: --to: no station with id 99999")
    one_error(
        issue(to=f"station:{city.stations[1].id}"),
        f"error: --to: recipient station {city.stations[1].id} is outside your jurisdiction",
    )
    one_error(issue(title=" "), "error: --title: must not be empty")
    one_error(issue(text=" "), "error: --text: must not be empty: say what is to be done")
    one_error(
        issue(priority="asap"),
        "error: --priority: 'asap' is not a priority; use low, normal, high, urgent",
    )
    one_error(
        issue(sign_by="tomorrow"),
        "error: --sign-by: expected an ISO date-time like 2026-12-02T18:00, got 'tomorrow'",
    )
    one_error(
        issue(sign_by="2020-01-01T08:00"),
        "error: --sign-by: is in the past (2020-01-01T00:00+00:00)",
    )
    one_error(
        issue(sign_by=_local(30), complete_by=_local(3)),
        "error: --complete-by: must not be before --sign-by",
    )
    # nothing was issued by any of them
    code, out = run("instructions", "list", "--user", "chief0")
    assert code == 0 and "ZL" not in out
