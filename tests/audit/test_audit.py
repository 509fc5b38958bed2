from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.audit.service import Actor, record, seal, verify
from tests.audit.tamper import as_forger
from tests.factories import SmallCity


def test_chain_verifies_and_detects_alteration(session: Session, city: SmallCity) -> None:
    for i in range(5):
        record(session, actor=Actor.system(), action="test", entity="thing", entity_id=i)
    rep = verify(session)
    assert rep.ok and rep.checked >= 5
    seq = session.execute(text("SELECT max(seq) FROM audit_log")).scalar_one() - 2
    as_forger(session)
    session.execute(text("UPDATE audit_log SET detail = '{\"x\": 1}' WHERE seq = :s"), {"s": seq})
    session.expire_all()
    rep = verify(session)
    assert not rep.ok and rep.first_bad_seq == seq
    assert rep.reason == "content does not match its hash"


def test_chain_detects_removal(session: Session, city: SmallCity) -> None:
    for i in range(3):
        record(session, actor=Actor.system(), action="test", entity="thing", entity_id=i)
    seal(session)  # on PostgreSQL records take their place in the chain at commit
    seq = session.execute(text("SELECT max(seq) FROM audit_log")).scalar_one() - 1
    as_forger(session)
    session.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": seq})
    session.expire_all()
    rep = verify(session)
    assert not rep.ok and rep.first_bad_seq == seq and rep.reason == f"record {seq} is missing"


def test_cli_audit_verify_exit_codes(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
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
        r = runner.invoke(app, ["audit", "verify"])
        assert r.exit_code == 0 and "audit log intact: 1 records verified" in r.output
        from pingan.store.engine import get_engine

        with get_engine().begin() as c:
            as_forger(c)
            c.execute(text("UPDATE audit_log SET actor = 'mallory'"))
        r = runner.invoke(app, ["audit", "verify"])
        assert r.exit_code == 1
        assert "audit log BROKEN at record 1: content does not match its hash" in r.output
        r = runner.invoke(
            app, ["users", "add", "x", "--role", "wizard", "--password", "very-secret-1"]
        )
        assert r.exit_code == 2
        assert "error: role: 'wizard' is not a role" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()
