"""``GET /evaluation/export`` while others write: its audit record is written in a short write
transaction of its own, after the long read. Before, the record was written at the end of the
read's transaction, and on SQLite a write committed by anyone meanwhile made that upgrade fail
at once with "database is locked" (a 500; every time while a drill ran)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from pingan.api.app import create_app
from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor, record
from pingan.evaluation import export
from pingan.store.engine import unit_of_work
from tests.conftest import auth
from tests.factories import build_small_city


def test_export_succeeds_when_a_write_commits_during_its_read(
    own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work(own_engine) as s:
        city = build_small_city(s)
        s.commit()
    render = export.to_csv

    def render_while_another_request_writes(*args: Any, **kwargs: Any) -> str:
        # another request's change commits while the export is between its read and its record
        with unit_of_work(own_engine) as other:
            record(other, actor=Actor.system("drill"), action="create", entity="drill")
            other.commit()
        return render(*args, **kwargs)

    monkeypatch.setattr(export, "to_csv", render_while_another_request_writes)
    with TestClient(create_app(engine=own_engine), raise_server_exceptions=False) as client:
        r = client.get(
            "/api/v1/evaluation/export",
            params={"format": "csv", "level": "station"},
            headers=auth(city.tokens["admin"]),
        )
    assert r.status_code == 200, r.text
    with unit_of_work(own_engine, write=False) as s:
        exports = s.scalar(
            select(func.count()).where(
                AuditRecord.action == "export", AuditRecord.entity == "evaluation"
            )
        )
    assert exports == 1
