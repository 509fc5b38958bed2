"""The chain head (migration 0009): records removed from the end of the chain, a head altered,
a record put beyond the head or outside the chain are all reported; the head is set from the
existing chain on upgrade; the PostgreSQL link trigger keeps reading by index on a connection
that planned it while the table was tiny."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.audit.service import (
    GENESIS,
    Actor,
    ChainHeadMissing,
    Entry,
    chain_head,
    parse_anchor,
    record,
    record_many,
    seal,
    verify,
)
from pingan.errors import Invalid
from pingan.store.engine import MIGRATIONS_DIR, make_engine, migrate, unit_of_work
from tests.audit.tamper import as_forger
from tests.conftest import auth
from tests.factories import SmallCity


def _write(session: Session, n: int) -> int:
    """Append ``n`` records, link them, return the newest ``seq``."""
    record_many(session, [Entry(Actor.system(), "test", "thing", entity_id=i) for i in range(n)])
    seal(session)  # on PostgreSQL records take their place in the chain at commit
    return int(session.execute(text("SELECT max(seq) FROM audit_log")).scalar_one())


def _head(session: Session) -> tuple[int, str, str]:
    row = session.execute(text("SELECT seq, prev_hash, hash FROM audit_chain_head")).one()
    return int(row[0]), str(row[1]), str(row[2])


def test_head_follows_the_newest_record(session: Session, city: SmallCity) -> None:
    last = _write(session, 3)
    seq, prev_hash, hash_ = _head(session)
    newest = session.execute(
        text("SELECT prev_hash, hash FROM audit_log WHERE seq = :s"), {"s": last}
    ).one()
    assert (seq, prev_hash, hash_) == (last, newest[0], newest[1])
    assert verify(session).ok


def test_removal_from_the_end_is_reported(session: Session, city: SmallCity) -> None:
    last = _write(session, 3)
    as_forger(session)
    session.execute(text("DELETE FROM audit_log WHERE seq >= :s"), {"s": last - 1})
    session.expire_all()
    rep = verify(session)
    assert not rep.ok
    assert rep.first_bad_seq == last - 1 and rep.reason == f"record {last - 1} is missing"
    assert rep.checked == last - 2


def test_altered_head_is_reported(session: Session, city: SmallCity) -> None:
    last = _write(session, 2)
    session.execute(text("UPDATE audit_chain_head SET hash = :h"), {"h": "f" * 64})
    rep = verify(session)
    assert not rep.ok and rep.first_bad_seq == last
    assert rep.reason == f"the chain head does not match record {last}"


def test_record_beyond_the_head_is_reported(session: Session, city: SmallCity) -> None:
    last = _write(session, 2)
    session.execute(
        text(
            "INSERT INTO audit_log (seq, at, actor, action, entity, detail, prev_hash, hash) "
            "SELECT seq + 1, at, actor, action, entity, detail, hash, hash FROM audit_log "
            "WHERE seq = :s"
        ),
        {"s": last},
    )
    rep = verify(session)
    assert not rep.ok and rep.first_bad_seq == last + 1
    assert rep.reason == "the record lies beyond the chain head"


def test_record_outside_the_chain_is_reported(session: Session, city: SmallCity) -> None:
    _write(session, 1)
    if session.get_bind().dialect.name == "postgresql":
        # the link trigger gives a record without seq its place; a forger would bypass it
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_link"))
    new_id = session.execute(
        text(
            "INSERT INTO audit_log (at, actor, action, entity, detail) "
            "VALUES (CURRENT_TIMESTAMP, 'mallory', 'test', 'thing', '{}') RETURNING id"
        )
    ).scalar_one()
    rep = verify(session)
    assert not rep.ok and rep.first_bad_seq is None
    assert rep.reason == f"audit record id {new_id} has no place in the chain"


def test_missing_head_is_reported_and_stops_writers(session: Session, city: SmallCity) -> None:
    _write(session, 1)
    session.execute(text("DELETE FROM audit_chain_head"))
    rep = verify(session)
    assert not rep.ok and rep.checked == 0 and rep.first_bad_seq is None
    assert rep.reason == "the chain head (audit_chain_head) is missing"
    if session.get_bind().dialect.name == "postgresql":
        record(session, actor=Actor.system(), action="test", entity="thing")
        with pytest.raises(Exception, match=r"audit chain head \(audit_chain_head, id 1\)"):
            seal(session)
    else:
        with pytest.raises(ChainHeadMissing, match="audit chain head"):
            record(session, actor=Actor.system(), action="test", entity="thing")


def test_upgrade_sets_the_head_from_the_existing_chain(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    migrate(eng)
    with unit_of_work(eng) as s:
        record_many(s, [Entry(Actor.system(), "test", "thing", entity_id=i) for i in range(4)])
        s.commit()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_repeat_call_bands")
    migrate(eng)
    with unit_of_work(eng) as s:
        seq, _, hash_ = _head(s)
        assert seq == 4
        assert hash_ == s.execute(text("SELECT hash FROM audit_log WHERE seq = 4")).scalar_one()
        assert verify(s).ok
    eng.dispose()
    empty = make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    migrate(empty)
    with unit_of_work(empty) as s:
        assert _head(s) == (0, GENESIS, GENESIS)
        assert verify(s).ok and verify(s).checked == 0
    empty.dispose()


def test_link_trigger_reads_by_index_on_a_connection_that_planned_early(
    own_engine: Engine,
) -> None:
    """PL/pgSQL keeps its statements' plans for the life of a connection. Planned when
    ``audit_log`` had been analyzed with one row (as after the demo build), the link trigger
    chose sequential scans and each commit read the whole growing table; it must read by index
    whatever the statistics said when it was planned. The plans are read with auto_explain."""
    if own_engine.dialect.name != "postgresql":
        pytest.skip("the link trigger is PostgreSQL's")
    with unit_of_work(own_engine) as s:
        _write(s, 1)
        s.commit()
    with own_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ANALYZE audit_log")
    early = own_engine.connect()
    try:
        for _ in range(8):  # plans made now, past the five custom plans of a prepared statement
            with Session(bind=early) as s:
                record(s, actor=Actor.system(), action="test", entity="thing")
                s.commit()
        with unit_of_work(own_engine) as s:
            record_many(s, [Entry(Actor.system(), "bulk", "thing") for _ in range(2000)])
            s.commit()
        dbapi = early.connection.driver_connection
        try:
            early.exec_driver_sql("LOAD 'auto_explain'")
        except Exception as exc:
            pytest.skip(f"auto_explain is not available: {exc}")
        early.commit()
        notices: list[str] = []
        dbapi.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        for setting in (
            "auto_explain.log_min_duration = 0",
            "auto_explain.log_nested_statements = on",
            "client_min_messages = log",
        ):
            early.exec_driver_sql(f"SET {setting}")
        early.commit()
        with Session(bind=early) as s:
            record(s, actor=Actor.system(), action="test", entity="thing")
            s.commit()
        plans = "\n".join(notices)
        assert "audit_chain_head" in plans and "UPDATE audit_log" in plans, plans
        assert "Seq Scan" not in plans, plans
    finally:
        early.close()
    with unit_of_work(own_engine, write=False) as s:
        rep = verify(s)
        assert rep.ok and rep.checked == 2010


def test_anchor_catches_a_rewritten_chain_and_a_cut_back_one(
    session: Session, city: SmallCity
) -> None:
    _write(session, 3)
    head = chain_head(session)
    assert head is not None and head.anchor == f"{head.seq}:{head.hash}"
    assert verify(session, anchors=[parse_anchor(head.anchor)]).ok
    # a forger rewrites the newest record and every hash after it, head included
    as_forger(session)
    session.execute(
        text("UPDATE audit_log SET hash = :h WHERE seq = :s"), {"h": "e" * 64, "s": head.seq}
    )
    session.execute(text("UPDATE audit_chain_head SET hash = :h"), {"h": "e" * 64})
    session.expire_all()
    rep = verify(session, anchors=[(head.seq, head.hash)])
    assert not rep.ok and rep.first_bad_seq == head.seq
    assert rep.reason == "content does not match its hash"
    # or cuts the chain back and moves the head to match
    session.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": head.seq})
    session.execute(
        text(
            "UPDATE audit_chain_head SET seq = a.seq, prev_hash = a.prev_hash, hash = a.hash "
            "FROM (SELECT seq, prev_hash, hash FROM audit_log WHERE seq = :s) a"
        ),
        {"s": head.seq - 1},
    )
    session.expire_all()
    assert verify(session).ok  # the chain alone cannot tell
    rep = verify(session, anchors=[(head.seq, head.hash)])
    assert not rep.ok and rep.first_bad_seq == head.seq
    assert rep.reason == (
        f"record {head.seq} is missing (the chain ends at {head.seq - 1}; "
        f"an anchor reached {head.seq})"
    )


@pytest.mark.parametrize(
    "value", ["12", "x:" + "a" * 64, "0:" + "a" * 64, "3:" + "a" * 63, "3:" + "g" * 64]
)
def test_bad_anchor_names_the_field(value: str) -> None:
    with pytest.raises(Invalid) as err:
        parse_anchor(value)
    assert err.value.field == "anchor"
    assert err.value.message == (
        f"anchor: {value!r} is not SEQ:HASH (a record number from 1, a colon, 64 hex digits)"
    )


def test_audit_api_head_and_verify_with_anchor(
    client: TestClient, session: Session, city: SmallCity
) -> None:
    _write(session, 2)
    admin = auth(city.tokens["admin"])
    r = client.get("/api/v1/audit/head", headers=admin)
    assert r.status_code == 200, r.text
    head = r.json()
    assert head["anchor"] == f"{head['seq']}:{head['hash']}"
    r = client.get("/api/v1/audit/verify", headers=admin, params={"anchor": [head["anchor"]]})
    assert r.json() == {
        "ok": True,
        "checked": head["seq"],
        "first_bad_seq": None,
        "reason": None,
        "code": None,
    }
    r = client.get("/api/v1/audit/verify", headers=admin, params={"anchor": "7"})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "anchor"
    assert r.json()["error"]["message"].startswith("anchor: '7' is not SEQ:HASH")
    for path in ("/api/v1/audit/head", "/api/v1/audit/verify", "/api/v1/audit"):
        r = client.get(path, headers=auth(city.tokens["dispatcher"]))
        assert r.status_code == 403
        assert r.json()["error"]["message"] == (
            "role 'dispatcher' may not read the audit log (audit.read); allowed: admin"
        )
    session.execute(text("DELETE FROM audit_chain_head"))
    r = client.get("/api/v1/audit/head", headers=admin)
    assert r.status_code == 409
    assert r.json()["error"]["message"] == "the chain head (audit_chain_head) is missing"


def test_cli_audit_head_and_anchor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli import app
    from pingan.config import get_settings
    from pingan.store.engine import get_engine, reset_engine

    monkeypatch.setenv("PINGAN_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    get_settings.cache_clear()
    reset_engine()
    try:
        runner = CliRunner()
        for name in ("boss", "deputy"):
            r = runner.invoke(
                app, ["users", "add", name, "--role", "admin", "--password", "very-secret-1"]
            )
            assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["audit", "head"])
        assert r.exit_code == 0, r.output
        anchor = r.output.strip()
        seq = int(anchor.split(":")[0])
        assert seq == 2 and len(anchor.split(":")[1]) == 64
        r = runner.invoke(app, ["audit", "verify", "--anchor", anchor])
        assert r.exit_code == 0
        assert "audit log intact: 2 records verified, 1 anchor(s) matched" in r.output
        r = runner.invoke(app, ["audit", "verify", "--anchor", "2:zz"])
        assert r.exit_code == 2
        assert "error: anchor: '2:zz' is not SEQ:HASH" in r.output
        with get_engine().begin() as c:  # the newest record and the head go together
            as_forger(c)
            c.execute(text("DELETE FROM audit_log WHERE seq = 2"))
            c.execute(
                text(
                    "UPDATE audit_chain_head SET seq = 1, prev_hash = a.prev_hash, hash = a.hash "
                    "FROM (SELECT prev_hash, hash FROM audit_log WHERE seq = 1) a"
                )
            )
        r = runner.invoke(app, ["audit", "verify"])
        assert r.exit_code == 0  # consistent without the anchor
        r = runner.invoke(app, ["audit", "verify", "--anchor", anchor])
        assert r.exit_code == 1
        assert (
            "audit log BROKEN at record 2: record 2 is missing (the chain ends at 1; "
            "an anchor reached 2) (1 records before it verified)" in r.output
        )
        with get_engine().begin() as c:
            c.execute(text("DELETE FROM audit_chain_head"))
        r = runner.invoke(app, ["audit", "head"])
        assert r.exit_code == 1
        assert "audit log BROKEN: the chain head (audit_chain_head) is missing" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()
