"""Changes to scorecards, surveys and inspections, and audited exports: each commits once,
with its audit record in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal
from pingan.evaluation import records, scorecards, service
from pingan.evaluation.models import PremisesInspection, SatisfactionSurvey, Scorecard
from pingan.ratings.service import rerate

__all__ = [
    "evaluation_export_flow",
    "inspection_create_flow",
    "scorecard_create_flow",
    "scorecard_delete_flow",
    "scorecard_update_flow",
    "survey_create_flow",
]


def scorecard_create_flow(
    session: Session, *, principal: Principal, data: dict[str, Any]
) -> Scorecard:
    """Store a new scorecard (admin)."""
    card = scorecards.create_scorecard(session, principal=principal, data=data)
    session.commit()
    return card


def scorecard_update_flow(
    session: Session, *, principal: Principal, scorecard_id: int, data: dict[str, Any]
) -> Scorecard:
    """Change a scorecard (admin)."""
    card = scorecards.update_scorecard(
        session, principal=principal, scorecard_id=scorecard_id, data=data
    )
    session.commit()
    return card


def scorecard_delete_flow(session: Session, *, principal: Principal, scorecard_id: int) -> None:
    """Delete a scorecard (admin)."""
    scorecards.delete_scorecard(session, principal=principal, scorecard_id=scorecard_id)
    session.commit()


def survey_create_flow(
    session: Session, *, principal: Principal, data: dict[str, Any]
) -> SatisfactionSurvey:
    """Record an aggregated survey result."""
    s = records.create_survey(session, principal=principal, **data)
    session.commit()
    return s


def inspection_create_flow(
    session: Session, *, principal: Principal, data: dict[str, Any]
) -> PremisesInspection:
    """Record a premises inspection; the premises is rated again at once (issue 21)."""
    row = records.create_inspection(session, principal=principal, **data)
    rerate(session, principal=principal, premises_id=row.premises_id, reason="inspection")
    session.commit()
    return row


def evaluation_export_flow(
    session: Session, *, principal: Principal, ev: service.Evaluation, fmt: str
) -> None:
    """Audit that ``principal`` exported scores (who took which figures out, and when)."""
    record(
        session,
        actor=principal.actor,
        action="export",
        entity="evaluation",
        entity_id=ev.spec.code,
        jpath=ev.jpath,
        detail={
            "format": fmt,
            "period": ev.period.label,
            "level": ev.level,
            "entities": len(ev.result.entities),
            "at": ev.computed_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    session.commit()
