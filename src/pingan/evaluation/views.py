"""Evaluation endpoints under ``/api/v1/evaluation``: scorecards (admin changes them), scores
per officer / grid cell / community / station, the rows behind every figure, rankings, trends,
exports, and the aggregated surveys and inspections the scores read. Thin: validation at the
boundary, services for reads, flows for changes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select

from pingan.aggregates.cache import cached
from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.errors import Invalid
from pingan.evaluation import export, figures, flows, records, scorecards, service
from pingan.evaluation.periods import LOCAL_TZ, Period, parse_period
from pingan.evaluation.schemas import (
    EntityScore,
    EvaluationRead,
    IndicatorRead,
    InspectionCreate,
    InspectionRead,
    Level,
    PeriodRead,
    RankingItem,
    RankingRead,
    ScorecardCreate,
    ScorecardRead,
    ScorecardUpdate,
    SourcesRead,
    SurveyCreate,
    SurveyPage,
    SurveyRead,
    TrendPoint,
    TrendRead,
)
from pingan.evaluation.sources import SOURCES
from pingan.inputs import Day, Id, Offset

__all__ = ["card_read", "router"]

router = APIRouter(prefix="/api/v1/evaluation", tags=["evaluation"], responses=ErrorBody)

# the callers each route lets in (pingan.permissions)
Reader = Annotated[Principal, allowed("evaluation.read")]
CardManager = Annotated[Principal, allowed("evaluation.manage")]
Surveyor = Annotated[Principal, allowed("evaluation.survey")]
Inspector = Annotated[Principal, allowed("evaluation.inspect")]

PeriodQ = Annotated[
    str | None,
    Query(
        description="2026Q3, 2026-07, 2026H1, 2026 or 2026-07-01..2026-09-30 "
        "(local days, Asia/Shanghai); default: the current quarter",
        max_length=40,
    ),
]
SinceQ = Annotated[Day | None, Query(description="first day (with until, instead of period)")]
UntilQ = Annotated[Day | None, Query(description="last day, included")]
ScopeQ = Annotated[Id | None, Query(description="a jurisdiction id inside yours to narrow to")]
CardQ = Annotated[
    Id | None, Query(description="a stored scorecard (default: the one that applies)")
]


def _period(period: str | None, since: dt.date | None, until: dt.date | None) -> Period:
    if since is not None or until is not None:
        if since is None or until is None:
            raise Invalid("since" if since is None else "until", "give both since and until")
        if until < since:
            raise Invalid("until", f"the end {until} is before the start {since}")
        return parse_period(f"{since.isoformat()}..{until.isoformat()}")
    if period is None:
        today = dt.datetime.now(dt.UTC).astimezone(LOCAL_TZ).date()
        period = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    return parse_period(period)


def card_read(spec: scorecards.CardSpec, *, active: bool = True) -> ScorecardRead:
    """The API form of a card."""
    return ScorecardRead(
        id=spec.id,
        code=spec.code,
        name_zh=spec.name_zh,
        name_en=spec.name_en,
        period_kind=spec.period_kind,
        jpath=spec.jpath,
        achievement_cap=spec.achievement_cap,
        active=active,
        indicators=[
            IndicatorRead(
                code=i.code,
                name_zh=i.name_zh,
                name_en=i.name_en,
                source=i.source,
                unit=SOURCES[i.source].unit,
                weight=i.weight,
                target=i.target,
                direction=i.direction,
                how_zh=SOURCES[i.source].how_zh,
                how_en=SOURCES[i.source].how_en,
            )
            for i in spec.indicators
        ],
    )


def _period_read(ev: service.Evaluation) -> PeriodRead:
    p = ev.period
    return PeriodRead(label=p.label, kind=p.kind, first=p.first, last=p.last, partial=ev.partial)


# ---------------------------------------------------------------- scorecards


@router.get("/scorecards", operation_id="list_scorecards")
def list_scorecards(session: SessionDep, principal: Reader) -> list[ScorecardRead]:
    """The packaged default card (``id`` null) and every stored card that applies to you."""
    out = [card_read(scorecards.default_spec())]
    for c in scorecards.list_scorecards(session, principal=principal):
        out.append(card_read(scorecards.spec_of(session, c), active=c.active))
    return out


@router.post("/scorecards", status_code=201, operation_id="create_scorecard")
def create_scorecard(
    body: ScorecardCreate,
    session: SessionDep,
    principal: CardManager,
) -> ScorecardRead:
    """Store a scorecard (admin): indicators with weights (relative, summing to > 0), targets
    (> 0) and direction. The card of the most specific jurisdiction applies."""
    c = flows.scorecard_create_flow(session, principal=principal, data=body.model_dump())
    return card_read(scorecards.spec_of(session, c), active=c.active)


@router.get("/scorecards/{scorecard_id}", operation_id="get_scorecard")
def get_scorecard(
    scorecard_id: Id,
    session: SessionDep,
    principal: Reader,
) -> ScorecardRead:
    """One stored scorecard."""
    c = scorecards.get_scorecard_or_raise(session, principal=principal, scorecard_id=scorecard_id)
    return card_read(scorecards.spec_of(session, c), active=c.active)


@router.patch("/scorecards/{scorecard_id}", operation_id="update_scorecard")
def update_scorecard(
    scorecard_id: Id,
    body: ScorecardUpdate,
    session: SessionDep,
    principal: CardManager,
) -> ScorecardRead:
    """Change a scorecard (admin); ``indicators`` replaces the list."""
    c = flows.scorecard_update_flow(
        session,
        principal=principal,
        scorecard_id=scorecard_id,
        data=body.model_dump(exclude_unset=True),
    )
    return card_read(scorecards.spec_of(session, c), active=c.active)


@router.delete("/scorecards/{scorecard_id}", status_code=204, operation_id="delete_scorecard")
def delete_scorecard(
    scorecard_id: Id,
    session: SessionDep,
    principal: CardManager,
) -> Response:
    """Delete a scorecard (admin)."""
    flows.scorecard_delete_flow(session, principal=principal, scorecard_id=scorecard_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- scores


@router.get("/scores", operation_id="compute_evaluation")
def compute_scores(
    session: SessionDep,
    principal: Reader,
    level: Level = "officer",
    period: PeriodQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
    scope: ScopeQ = None,
    scorecard_id: CardQ = None,
    entity_id: Annotated[Id | None, Query(description="only this entity")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Offset = 0,
) -> EvaluationRead:
    """Scores of every officer, grid cell, community or station in your jurisdiction for a
    period, ranked; each figure has its value, target, achievement, weight, contribution and a
    ``sources`` link to the records it was computed from. A community officer sees his own
    officer card."""
    per = _period(period, since, until)
    ev = cached(
        (
            "evaluation",
            principal.jpath,
            principal.role,
            service.own_officer(principal),
            per.label,
            per.first,
            per.last,
            level,
            scope,
            scorecard_id,
        ),
        lambda: service.evaluate(
            session,
            principal=principal,
            period=per,
            level=level,
            scope=scope,
            scorecard_id=scorecard_id,
        ),
    )
    rows = service.rows_of(ev)
    if entity_id is not None:
        rows = [r for r in rows if r["entity_id"] == entity_id]
    return EvaluationRead(
        scorecard=card_read(ev.spec),
        period=_period_read(ev),
        level=level,
        scope_jpath=ev.jpath,
        computed_at=ev.computed_at,
        how=service.HOW,
        total=len(rows),
        limit=limit,
        offset=offset,
        items=[EntityScore.model_validate(r) for r in rows[offset : offset + limit]],
    )


@router.get("/rankings", operation_id="evaluation_rankings")
def rankings(
    session: SessionDep,
    principal: Reader,
    level: Level = "officer",
    period: PeriodQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
    scope: ScopeQ = None,
    scorecard_id: CardQ = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> RankingRead:
    """The ranking of the level's entities in your jurisdiction by score (ties share a rank;
    entities without data come last, unranked)."""
    per = _period(period, since, until)
    ev = cached(
        (
            "evaluation",
            principal.jpath,
            principal.role,
            service.own_officer(principal),
            per.label,
            per.first,
            per.last,
            level,
            scope,
            scorecard_id,
        ),
        lambda: service.evaluate(
            session,
            principal=principal,
            period=per,
            level=level,
            scope=scope,
            scorecard_id=scorecard_id,
        ),
    )
    rows = service.rows_of(ev)
    sc = ev.result.score[~np.isnan(ev.result.score)]
    return RankingRead(
        period=_period_read(ev),
        level=level,
        scorecard_code=ev.spec.code,
        total=len(rows),
        median=round(float(np.median(sc)), 2) if sc.size else None,
        items=[RankingItem.model_validate(r) for r in rows[:limit]],
        how=service.HOW,
    )


@router.get("/trend", operation_id="evaluation_trend")
def trend(
    session: SessionDep,
    principal: Reader,
    level: Level = "officer",
    period: PeriodQ = None,
    periods: Annotated[int, Query(ge=1, le=24, description="how many periods back")] = 4,
    entity_id: Id | None = None,
    scope: ScopeQ = None,
    scorecard_id: CardQ = None,
) -> TrendRead:
    """The score over the last ``periods`` periods ending with ``period``: the entity's score,
    rank and indicator values, and the median and mean of your jurisdiction."""
    p = _period(period, None, None)
    jpath = service.scope_of(session, principal=principal, scope=scope)
    spec = scorecards.resolve_spec(
        session, principal=principal, scorecard_id=scorecard_id, jpath=jpath
    )
    officer = service.own_officer(principal)
    pts = cached(
        (
            "evaluation-trend",
            jpath,
            spec.code,
            p.label,
            p.first,
            p.last,
            periods,
            level,
            entity_id,
            officer,
        ),
        lambda: figures.trend(
            session,
            spec=spec,
            period=p,
            periods=periods,
            level=level,
            jpath=jpath,
            entity_id=entity_id,
            officer_id=officer,
        ),
    )
    return TrendRead(
        level=level,
        entity_id=entity_id,
        scorecard_code=spec.code,
        indicators=[i.code for i in spec.indicators],
        points=[TrendPoint.model_validate(x) for x in pts],
    )


@router.get("/sources", operation_id="evaluation_figure_sources")
def figure_sources(
    session: SessionDep,
    principal: Reader,
    entity_id: Id,
    indicator: Annotated[str, Query(max_length=64)],
    level: Level = "officer",
    period: PeriodQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
    scorecard_id: CardQ = None,
    part: Literal["all", "numerator", "denominator", "shortfall"] = "all",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> SourcesRead:
    """The records one figure was computed from, with links: e.g. ``part=shortfall`` on
    ``sign_on_time`` lists the instructions signed late or not at all."""
    p = _period(period, since, until)
    jpath = principal.jpath
    spec = scorecards.resolve_spec(
        session, principal=principal, scorecard_id=scorecard_id, jpath=jpath
    )
    out = figures.source_rows(
        session,
        spec=spec,
        period=p,
        level=level,
        entity_id=entity_id,
        indicator=indicator,
        part=part,
        jpath=jpath,
        officer_id=service.own_officer(principal),
        limit=limit,
        offset=offset,
    )
    return SourcesRead.model_validate(out)


@router.get(
    "/export",
    operation_id="export_evaluation",
    response_class=Response,
    responses={
        200: {
            "content": {m: {} for m in export.MEDIA_TYPES.values()},
            "description": "the scores as an Excel workbook, a PDF or a CSV file",
        }
    },
)
def export_scores(
    session: SessionDep,
    principal: Reader,
    format: Literal["xlsx", "pdf", "csv"] = "xlsx",
    level: Level = "officer",
    period: PeriodQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
    scope: ScopeQ = None,
    scorecard_id: CardQ = None,
    lang: Literal["zh-CN", "en"] = "zh-CN",
) -> Response:
    """Download the ranked scores with every figure (Excel: scores, figures with numerator,
    denominator and sources, and the card; PDF: the card and the ranked table). Audited."""
    ev = service.evaluate(
        session,
        principal=principal,
        period=_period(period, since, until),
        level=level,
        scope=scope,
        scorecard_id=scorecard_id,
    )
    if format == "xlsx":
        data: bytes = export.to_xlsx(ev, lang=lang)
    elif format == "pdf":
        data = export.to_pdf(ev, lang=lang)
    else:
        data = export.to_csv(ev, lang=lang).encode("utf-8-sig")
    # the long read is over: end its transaction and write the audit record in a short write
    # transaction of its own (on SQLite, a write at the end of the read failed with "database
    # is locked" whenever another write had committed meanwhile, e.g. while a drill ran)
    session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    flows.evaluation_export_flow(session, principal=principal, ev=ev, fmt=format)
    name = f"evaluation-{ev.level}-{ev.period.label.replace('..', '_')}.{format}"
    return Response(
        content=data,
        media_type=export.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------- surveys and inspections


@router.post("/surveys", status_code=201, operation_id="create_satisfaction_survey")
def create_survey(
    body: SurveyCreate,
    session: SessionDep,
    principal: Surveyor,
) -> SurveyRead:
    """Record the aggregated result of a resident-satisfaction survey in a grid cell (how many
    answered, how many were satisfied; never a resident's own answer)."""
    s = flows.survey_create_flow(session, principal=principal, data=body.model_dump())
    return SurveyRead.model_validate(s)


@router.get("/surveys", operation_id="list_satisfaction_surveys")
def list_surveys(
    session: SessionDep,
    principal: Reader,
    cell_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> SurveyPage:
    """Survey results in your jurisdiction, newest period first."""
    q = records.surveys_query(principal, cell_id=cell_id)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = session.scalars(q.limit(limit).offset(offset)).all()
    return SurveyPage(
        items=[SurveyRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/surveys/{survey_id}", operation_id="get_satisfaction_survey")
def get_survey(survey_id: Id, session: SessionDep, principal: Reader) -> SurveyRead:
    """One survey result."""
    return SurveyRead.model_validate(
        records.get_survey_or_raise(session, principal=principal, survey_id=survey_id)
    )


@router.post("/inspections", status_code=201, operation_id="create_premises_inspection")
def create_inspection(
    body: InspectionCreate,
    session: SessionDep,
    principal: Inspector,
) -> InspectionRead:
    """Record an inspection of a premises by you."""
    row = flows.inspection_create_flow(session, principal=principal, data=body.model_dump())
    return InspectionRead.model_validate(row)
