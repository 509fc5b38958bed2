"""The aggregated records an evaluation reads that pingan keeps itself: satisfaction surveys
(per grid cell and period) and premises inspections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal, scope_clause
from pingan.errors import Invalid, NotFound
from pingan.evaluation.models import (
    INSPECTION_OUTCOMES,
    SURVEY_METHODS,
    PremisesInspection,
    SatisfactionSurvey,
)
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.store.base import utcnow

__all__ = [
    "create_inspection",
    "create_survey",
    "get_survey_or_raise",
    "surveys_query",
]


def create_survey(
    session: Session,
    *,
    principal: Principal,
    cell_id: int,
    period_start: dt.date,
    period_end: dt.date,
    respondents: int,
    satisfied: int,
    method: str = "visit",
    note: str = "",
) -> SatisfactionSurvey:
    """Record the aggregated result of a satisfaction survey in a cell; audited."""
    cell = session.get(Jurisdiction, cell_id)
    if cell is None or cell.level != "cell" or not principal.can_see(cell.path):
        raise Invalid("cell_id", f"no grid cell {cell_id} in your jurisdiction")
    if period_end < period_start:
        raise Invalid("period_end", "must not be before period_start")
    if respondents < 1:
        raise Invalid("respondents", "must be at least 1")
    if not 0 <= satisfied <= respondents:
        raise Invalid("satisfied", f"must be between 0 and respondents ({respondents})")
    if method not in SURVEY_METHODS:
        raise Invalid("method", f"use one of {', '.join(SURVEY_METHODS)}")
    dup = session.scalar(
        select(SatisfactionSurvey.id).where(
            SatisfactionSurvey.cell_id == cell_id,
            SatisfactionSurvey.period_start == period_start,
            SatisfactionSurvey.period_end == period_end,
        )
    )
    if dup is not None:
        raise Invalid("period_start", f"cell {cell_id} already has survey {dup} for this period")
    s = SatisfactionSurvey(
        cell_id=cell_id,
        jpath=cell.path,
        period_start=period_start,
        period_end=period_end,
        respondents=respondents,
        satisfied=satisfied,
        method=method,
        note=note,
        recorded_by_id=principal.user_id or None,
    )
    session.add(s)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="satisfaction_survey",
        entity_id=s.id,
        jpath=s.jpath,
        detail={"cell_id": cell_id, "respondents": respondents, "satisfied": satisfied},
    )
    return s


def get_survey_or_raise(
    session: Session, *, principal: Principal, survey_id: int
) -> SatisfactionSurvey:
    """One survey result in the caller's scope."""
    s = session.get(SatisfactionSurvey, survey_id)
    if s is None or not principal.can_see(s.jpath):
        raise NotFound(f"survey {survey_id} does not exist", field="survey_id")
    return s


def surveys_query(principal: Principal, *, cell_id: int | None = None) -> Select[Any]:
    """Survey results in scope, newest period first."""
    q = select(SatisfactionSurvey).where(scope_clause(principal, SatisfactionSurvey.jpath))
    if cell_id is not None:
        q = q.where(SatisfactionSurvey.cell_id == cell_id)
    return q.order_by(SatisfactionSurvey.period_start.desc(), SatisfactionSurvey.id.desc())


def create_inspection(
    session: Session,
    *,
    principal: Principal,
    premises_id: int,
    inspected_at: dt.datetime,
    outcome: str = "ok",
    note: str = "",
) -> PremisesInspection:
    """Record an inspection of a premises by the caller; audited."""
    p = session.get(Premises, premises_id)
    if p is None or not principal.can_see(p.jpath):
        raise Invalid("premises_id", f"no premises {premises_id} in your jurisdiction")
    if inspected_at.tzinfo is None:
        raise Invalid("inspected_at", "give a timezone (e.g. +08:00)")
    if inspected_at > utcnow() + dt.timedelta(minutes=5):
        raise Invalid("inspected_at", "must not be in the future")
    if outcome not in INSPECTION_OUTCOMES:
        raise Invalid("outcome", f"use one of {', '.join(INSPECTION_OUTCOMES)}")
    row = PremisesInspection(
        premises_id=premises_id,
        jpath=p.jpath,
        officer_id=principal.user_id or None,
        inspected_at=inspected_at,
        outcome=outcome,
        note=note,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="premises_inspection",
        entity_id=row.id,
        jpath=row.jpath,
        detail={"premises_id": premises_id, "outcome": outcome},
    )
    return row
