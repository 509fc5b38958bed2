"""The audit log is append-only in the database itself (migration 0010): UPDATE and DELETE of
a record are refused to the application's own role, on both databases, while records are still
written and linked (on PostgreSQL by the link trigger, whose one update stays allowed); and the
chain's head is anchored in a file outside the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.audit.anchor import ANCHOR_FILE, read_anchors, write_anchor
from pingan.audit.service import Actor, Entry, chain_head, record, record_many, seal, verify
from pingan.store.engine import unit_of_work
from tests.factories import SmallCity


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = :s",
        "UPDATE audit_log SET hash = prev_hash WHERE seq = :s",
        "DELETE FROM audit_log WHERE seq = :s",
        "DELETE FROM audit_log",
    ],
)
def test_update_and_delete_are_refused(session: Session, city: SmallCity, statement: str) -> None:
    record(session, actor=Actor.system(), action="test", entity="thing")
    seal(session)
    seq = session.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
    with (
        pytest.raises(DBAPIError, match=r"audit_log is append-only: (UPDATE|DELETE) refused"),
        session.begin_nested(),
    ):
        session.execute(text(statement), {"s": seq})
    assert verify(session).ok


def test_truncate_is_refused_on_postgresql(session: Session, city: SmallCity) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    seal(session)  # no pending link events
    with (
        pytest.raises(DBAPIError, match="audit_log is append-only: TRUNCATE refused"),
        session.begin_nested(),
    ):
        session.execute(text("TRUNCATE audit_log"))


def test_an_unlinked_record_cannot_be_altered_before_its_link(
    session: Session, city: SmallCity
) -> None:
    """On PostgreSQL a record waits for its place in the chain until COMMIT: only the link
    trigger's update (filling seq, prev_hash and hash, nothing else) may touch it."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("records are linked at COMMIT on PostgreSQL only")
    record(session, actor=Actor.system(), action="test", entity="thing", detail={"n": 1})
    session.flush()
    with (
        pytest.raises(DBAPIError, match="audit_log is append-only: UPDATE refused"),
        session.begin_nested(),
    ):
        session.execute(text("UPDATE audit_log SET detail = '{\"n\": 2}' WHERE seq IS NULL"))
    with (
        pytest.raises(DBAPIError, match="audit_log is append-only: UPDATE refused"),
        session.begin_nested(),
    ):  # a forged link: content changed with it
        session.execute(
            text(
                "UPDATE audit_log SET seq = 999999, prev_hash = 'x', hash = 'y', "
                "chain_input = NULL, actor = 'mallory' WHERE seq IS NULL"
            )
        )
    seal(session)
    assert verify(session).ok


def test_committed_records_link_and_verify(own_engine: Engine) -> None:
    for _ in range(3):
        with unit_of_work(own_engine) as s:
            record_many(s, [Entry(Actor.system(), "test", "thing", entity_id=i) for i in range(5)])
            s.commit()
    with unit_of_work(own_engine, write=False) as s:
        rep = verify(s)
        assert rep.ok and rep.checked == 15


def test_write_anchor_appends_the_head(own_engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(own_engine) as s:
        record(s, actor=Actor.system(), action="test", entity="thing")
        s.commit()
    path = write_anchor(own_engine, tmp_path / "anchors")
    with unit_of_work(own_engine) as s:
        first = chain_head(s)
        record(s, actor=Actor.system(), action="test", entity="thing")
        s.commit()
    assert (
        write_anchor(own_engine, tmp_path / "anchors") == path == tmp_path / "anchors" / ANCHOR_FILE
    )
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and first is not None
    assert lines[0].endswith(f" {first.anchor}") and lines[0][:4].isdigit()
    anchors = read_anchors(path)
    assert anchors[0] == (first.seq, first.hash) and anchors[1][0] == first.seq + 1
    with unit_of_work(own_engine, write=False) as s:
        assert verify(s, anchors=anchors).ok


def test_cli_anchor_and_verify_with_the_anchor_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pingan.cli import app
    from pingan.config import get_settings
    from pingan.store.engine import reset_engine

    monkeypatch.setenv("PINGAN_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    get_settings.cache_clear()
    reset_engine()
    try:
        runner = CliRunner()
        r = runner.invoke(
            app, ["users", "add", "boss", "--role", "admin", "--password", "very-secret-1"]
        )
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["audit", "anchor", "--dir", str(tmp_path / "out")])
        assert r.exit_code == 0, r.output
        assert r.output.strip().endswith(f"appended to {tmp_path / 'out' / ANCHOR_FILE}")
        assert " 1:" in r.output
        file = tmp_path / "out" / ANCHOR_FILE
        r = runner.invoke(app, ["audit", "verify", "--anchor-file", str(file)])
        assert r.exit_code == 0 and "1 anchor(s) matched" in r.output, r.output
        file.write_text(file.read_text() + "garbage\n")
        r = runner.invoke(app, ["audit", "verify", "--anchor-file", str(file)])
        assert r.exit_code == 2 and "error: anchor: 'garbage' is not SEQ:HASH" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()
