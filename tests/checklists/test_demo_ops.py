"""The demo city comes with a history of instructions and checklist tasks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pingan.audit.service import verify
from pingan.checklists import scheduler
from pingan.checklists.models import ChecklistTask
from pingan.demo.city import build_city
from pingan.demo.load import load_city
from pingan.instructions.models import InstructionRecipient
from pingan.store.engine import make_engine, migrate, unit_of_work


def test_demo_has_operations_history(tmp_path) -> None:  # type: ignore[no-untyped-def]
    eng = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    migrate(eng)
    summary = load_city(eng, build_city(), None)
    assert summary.counts["checklist_templates"] == 7
    assert summary.counts["checklist_tasks"] > 10_000
    assert summary.counts["instructions"] > 500
    with unit_of_work(eng) as s:
        states = dict(
            s.execute(
                select(InstructionRecipient.state, func.count()).group_by(
                    InstructionRecipient.state
                )
            ).all()
        )
        assert {"issued", "signed", "in_progress", "reported", "closed"} <= set(states)
        done = dict(
            s.execute(select(ChecklistTask.state, func.count()).group_by(ChecklistTask.state)).all()
        )
        assert done["done"] > done["late"] > 0 and done["missed"] > 0
        # today's tasks are already there: a scheduler run creates nothing twice
        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
        out = scheduler.materialise(s, day=today)
        assert out.created == 0 and out.existing > 0
        assert verify(s).ok
        s.rollback()
    eng.dispose()
