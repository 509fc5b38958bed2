"""Indicator sources: for a period and a scope, one SELECT of the work records an indicator is
computed from, one row per record.

Every source query has the columns ``id`` (the record), ``ref_id`` and ``label`` (what a link
shows), ``at``, ``jpath`` (where the record is), ``officer_id`` (whose work it is, for
officer-attributed sources) and either ``num``/``den`` (ratio sources: counted in the numerator
and the denominator) or ``value`` (distribution sources, e.g. response seconds). The service
aggregates them with ``GROUP BY`` for the scores and filters the same query to list the rows
behind one figure, so a figure and its sources can never disagree.

The instruction, checklist and dispute tables belong to ``pingan.instructions``,
``pingan.checklists`` and ``pingan.disputes``; each source names the module whose tables it
reads.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from pingan.checklists.models import ChecklistTask, ChecklistTemplate
from pingan.evaluation.models import PremisesInspection, SatisfactionSurvey
from pingan.evaluation.periods import LOCAL_TZ
from pingan.instructions.models import Instruction, InstructionRecipient

__all__ = ["SOURCES", "Ctx", "Source", "unavailable_reason"]

RECURRENCE_DAYS = 90
SAME_PLACE_DEG = 0.0003  # about 30 m: a new dispute this close counts as a recurrence


@dataclass(frozen=True)
class Ctx:
    """What a source query needs: the period (UTC, end exclusive; local days), the instant the
    figures are computed at, the backend and the scope path."""

    start: dt.datetime
    end: dt.datetime
    first: dt.date
    last: dt.date
    prev_start: dt.datetime
    prev_end: dt.datetime
    now: dt.datetime
    dialect: str
    jpath: str
    officers: tuple[int, ...] | None = None

    @property
    def cut(self) -> dt.datetime:
        """The end of the period or now, whichever is earlier."""
        return min(self.end, self.now)

    def scope(self, column: Any) -> ColumnElement[bool]:
        if self.jpath == "/":
            return literal(True)
        return column.startswith(self.jpath, autoescape=True)  # type: ignore[no-any-return]

    def officer_scope(self, officer: Any) -> ColumnElement[bool]:
        """Officer records are in scope when their officer is: a duty list or an instruction
        may be filed at the station while the officer belongs to a community inside it."""
        if self.jpath == "/" or self.officers is None:
            return literal(True)
        return officer.in_(self.officers or (-1,))  # type: ignore[no-any-return]

    def seconds_between(self, a: Any, b: Any) -> ColumnElement[float]:
        """``b - a`` in seconds, on SQLite and PostgreSQL."""
        if self.dialect == "sqlite":
            return (func.julianday(b) - func.julianday(a)) * 86400.0  # type: ignore[no-any-return]
        return func.extract("epoch", b - a)  # type: ignore[return-value]

    def plus_days(self, col: Any, days: int) -> ColumnElement[Any]:
        """``col + days`` as a value comparable with stored timestamps."""
        if self.dialect == "sqlite":
            # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'; keep the same text shape
            return func.strftime("%Y-%m-%d %H:%M:%f", col, f"+{days} days")  # type: ignore[no-any-return]
        return col + literal_column(f"interval '{int(days)} days'")  # type: ignore[no-any-return]


Kind = Literal["ratio", "quantile"]
Attribution = Literal["officer", "place"]


@dataclass(frozen=True)
class Source:
    """An indicator source: what it counts, whose work it is and how it is computed."""

    code: str
    kind: Kind
    attribution: Attribution
    unit: str  # "share", "ratio" or "s"
    record: str  # the kind of record behind a figure
    link: str  # URL template of one record (``{ref_id}``); "" when it has no page of its own
    module: str | None  # the pingan module whose tables it reads (lazy)
    how_zh: str
    how_en: str
    build: Callable[[Ctx], Select[Any]]
    quantile: float | None = None
    # the same figures from the stored counts: rows (jpath, officer_id, num, den) as the
    # grouped ``build`` query gives them, or None when the counts cannot answer (not built)
    counts: Callable[[Session, Ctx], list[Any] | None] | None = None


def unavailable_reason(src: Source) -> str | None:
    """Why ``src`` has no data at all in this installation (its module is missing), or None."""
    if src.module is None:
        return None
    try:
        importlib.import_module(src.module)
    except ImportError:
        return f"source tables of {src.module} are not installed yet"
    return None


def _flag(cond: Any) -> ColumnElement[int]:
    return case((cond, 1), else_=0)


def _no_officer() -> ColumnElement[Any]:
    return cast(null(), Integer).label("officer_id")


# ---------------------------------------------------------------- instructions and checklists


def _instructions(kind: str) -> Callable[[Ctx], Select[Any]]:
    def build(c: Ctx) -> Select[Any]:
        R: Any = InstructionRecipient
        Ins: Any = Instruction
        if kind == "sign":
            done, deadline = R.signed_at, R.sign_by
        else:
            done, deadline = R.first_reported_at, R.complete_by
        return (
            select(
                R.id.label("id"),
                R.instruction_id.label("ref_id"),
                Ins.code.label("label"),
                deadline.label("at"),
                R.jpath.label("jpath"),
                R.officer_id.label("officer_id"),
                _flag(and_(done.is_not(None), done <= deadline)).label("num"),
                _flag(or_(done.is_not(None), deadline < c.now)).label("den"),
            )
            .join(Ins, Ins.id == R.instruction_id)
            .where(
                R.kind == "officer",
                R.officer_id.is_not(None),
                R.created_at >= c.start,
                R.created_at < c.end,
                c.officer_scope(R.officer_id),
            )
        )

    return build


def _checklist(on_time: bool) -> Callable[[Ctx], Select[Any]]:
    def build(c: Ctx) -> Select[Any]:
        T: Any = ChecklistTask
        Tpl: Any = ChecklistTemplate
        good = T.state == "done" if on_time else T.state.in_(("done", "late"))
        return (
            select(
                T.id.label("id"),
                T.id.label("ref_id"),
                Tpl.code.label("label"),
                T.due_at.label("at"),
                T.jpath.label("jpath"),
                T.assignee_id.label("officer_id"),
                _flag(good).label("num"),
                _flag(T.state.in_(("done", "late", "missed"))).label("den"),
            )
            .join(Tpl, Tpl.id == T.template_id)
            .where(
                T.assignee_id.is_not(None),
                T.day >= c.first,
                T.day <= c.last,
                c.officer_scope(T.assignee_id),
            )
        )

    return build


# ---------------------------------------------------------------- pingan.disputes


def _disputes(c: Ctx) -> Select[Any]:
    disputes = importlib.import_module("pingan.disputes.models")
    D, F = disputes.Dispute, disputes.DisputeFollowUp
    D2 = D.__table__.alias("later")
    window_end = c.plus_days(D.resolved_at, RECURRENCE_DAYS)
    recurring_visit = exists(
        select(F.id).where(
            F.dispute_id == D.id,
            F.outcome == "recurring",
            F.done_at.is_not(None),
            F.done_at <= window_end,
        )
    )
    same_place = or_(
        and_(D.address_id.is_not(None), D2.c.address_id == D.address_id),
        and_(D.premises_id.is_not(None), D2.c.premises_id == D.premises_id),
        and_(
            D2.c.lat.between(D.lat - SAME_PLACE_DEG, D.lat + SAME_PLACE_DEG),
            D2.c.lon.between(D.lon - SAME_PLACE_DEG, D.lon + SAME_PLACE_DEG),
        ),
    )
    new_case = exists(
        select(D2.c.id).where(
            D2.c.id != D.id,
            D2.c.registered_at > D.resolved_at,
            D2.c.registered_at <= window_end,
            same_place,
        )
    )
    return select(
        D.id.label("id"),
        D.id.label("ref_id"),
        D.code.label("label"),
        D.resolved_at.label("at"),
        D.jpath.label("jpath"),
        _no_officer(),
        _flag(not_(or_(recurring_visit, new_case))).label("num"),
        literal(1).label("den"),
    ).where(
        D.resolved_at.is_not(None),
        D.resolved_at >= c.start,
        D.resolved_at < c.end,
        c.scope(D.jpath),
    )


# ---------------------------------------------------------------- incidents and places


def _preventable(c: Ctx) -> Select[Any]:
    from pingan.incidents.models import Incident

    I = Incident  # noqa: E741
    codes = _preventable_codes()
    # compare like with like: when the period is still running, last year is cut at the same day
    prev_cut = c.prev_start + (c.cut - c.start)
    now_in = and_(I.reported_at >= c.start, I.reported_at < c.cut)
    before = and_(I.reported_at >= c.prev_start, I.reported_at < min(prev_cut, c.prev_end))
    return select(
        I.id.label("id"),
        I.id.label("ref_id"),
        I.code.label("label"),
        I.reported_at.label("at"),
        I.jpath.label("jpath"),
        _no_officer(),
        _flag(now_in).label("num"),
        _flag(before).label("den"),
    ).where(
        I.subtype.in_(codes),
        I.state.not_in(("cancelled", "duplicate")),
        I.repeat_of_id.is_(None),
        I.source != "drill",
        or_(now_in, before),
        c.scope(I.jpath),
    )


def _preventable_codes() -> list[str]:
    from pingan.incidents.taxonomy import get_taxonomy

    return sorted(s.code for s in get_taxonomy().subtypes.values() if s.preventable)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ).astimezone(dt.UTC)


def _split(a: dt.datetime, b: dt.datetime) -> tuple[dt.date, dt.date, list[Any]]:
    """``[a, b)`` as whole local days ``[d0, d1)`` and the partial pieces before and after
    them (an interval inside one day is all partial)."""
    d0 = a.astimezone(LOCAL_TZ).date()
    if _midnight(d0) < a:
        d0 += dt.timedelta(days=1)
    d1 = b.astimezone(LOCAL_TZ).date()
    if d0 >= d1:
        return d0, d0, [(a, b)] if a < b else []
    parts: list[tuple[dt.datetime, dt.datetime]] = []
    if a < _midnight(d0):
        parts.append((a, _midnight(d0)))
    if _midnight(d1) < b:
        parts.append((_midnight(d1), b))
    return d0, d1, parts


def _preventable_counts(session: Session, c: Ctx) -> list[Any] | None:
    """``preventable_incidents_yoy`` per path from the cell × day counts: the whole local
    days of this period (so far) and of the same days last year from
    ``incident_cell_days``, the partial first or last day (the cut at ``now``) from the
    incidents. O(cells × days + incidents of the partial days). None when the counts are
    not built or count days in another zone than the periods."""
    from pingan.aggregates import service as agg
    from pingan.config import get_settings
    from pingan.incidents.models import Incident

    if get_settings().timezone != LOCAL_TZ.key or not agg.is_built(session):
        return None
    codes = _preventable_codes()
    prev_cut = c.prev_start + (c.cut - c.start)
    totals: dict[str, list[float]] = {}
    I = Incident  # noqa: E741
    for slot, (a, b) in enumerate(((c.start, c.cut), (c.prev_start, min(prev_cut, c.prev_end)))):
        d0, d1, parts = _split(a, b)
        got = agg.cell_counts(session, first_day=d0, end_day=d1, subtypes=codes, scope=c.jpath)
        for p0, p1 in parts:
            q = (
                select(I.jpath, func.count())
                .where(
                    I.subtype.in_(codes),
                    I.state.not_in(("cancelled", "duplicate")),
                    # "+ 0": the same test, but SQLite then walks the (subtype, reported_at)
                    # index over the partial day, not every original call by repeat_of_id
                    (I.repeat_of_id + 0).is_(None),
                    I.source != "drill",
                    I.reported_at >= p0,
                    I.reported_at < p1,
                    c.scope(I.jpath),
                )
                .group_by(I.jpath)
            )
            for jp, n in session.execute(q).all():
                got[jp] = got.get(jp, 0) + int(n)
        for jp, n in got.items():
            totals.setdefault(jp, [0.0, 0.0])[slot] += float(n)
    return [(jp, None, num, den) for jp, (num, den) in totals.items() if num or den]


def _response(c: Ctx) -> Select[Any]:
    from pingan.incidents.models import Incident

    I = Incident  # noqa: E741

    return select(
        I.id.label("id"),
        I.id.label("ref_id"),
        I.code.label("label"),
        I.reported_at.label("at"),
        I.jpath.label("jpath"),
        _no_officer(),
        cast(c.seconds_between(I.reported_at, I.on_scene_at), Float).label("value"),
    ).where(
        I.reported_at >= c.start,
        I.reported_at < c.end,
        I.on_scene_at.is_not(None),
        I.state.not_in(("cancelled", "duplicate")),
        I.repeat_of_id.is_(None),
        I.source != "drill",
        c.scope(I.jpath),
    )


def _premises(c: Ctx) -> Select[Any]:
    from pingan.places.models import Premises

    P = Premises

    PI = PremisesInspection
    last = (
        select(func.max(PI.inspected_at))
        .where(PI.premises_id == P.id, PI.inspected_at >= c.start, PI.inspected_at < c.end)
        .scalar_subquery()
    )
    return select(
        P.id.label("id"),
        P.id.label("ref_id"),
        cast(P.name, String).label("label"),
        last.label("at"),
        P.jpath.label("jpath"),
        _no_officer(),
        _flag(last.is_not(None)).label("num"),
        literal(1).label("den"),
    ).where(P.kind != "rental_house", c.scope(P.jpath))


def _surveys(c: Ctx) -> Select[Any]:
    S = SatisfactionSurvey
    return select(
        S.id.label("id"),
        S.id.label("ref_id"),
        (cast(S.period_start, String) + literal("..") + cast(S.period_end, String)).label("label"),
        S.created_at.label("at"),
        S.jpath.label("jpath"),
        _no_officer(),
        S.satisfied.label("num"),
        S.respondents.label("den"),
    ).where(S.period_start <= c.last, S.period_end >= c.first, c.scope(S.jpath))


# ---------------------------------------------------------------- pingan.ledger (issue 24)


def _ledger(c: Ctx) -> Select[Any]:
    """Services recorded per day on the roster: each ledger entry of the period counts 1 in
    the numerator; each community officer adds one row with the period's days so far in the
    denominator (an officer who recorded nothing scores 0, not "no data")."""
    from pingan.auth.models import User
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.store.base import UTCDateTime

    E: Any = importlib.import_module("pingan.ledger.models").LedgerEntry
    days = max(1, math.ceil((c.cut - c.start).total_seconds() / 86_400))
    entries = select(
        E.id.label("id"),
        E.id.label("ref_id"),
        E.kind.label("label"),
        E.at.label("at"),
        E.jpath.label("jpath"),
        E.officer_id.label("officer_id"),
        cast(literal(1.0), Float).label("num"),
        cast(literal(0.0), Float).label("den"),
    ).where(E.at >= c.start, E.at < c.cut, c.officer_scope(E.officer_id))
    roster = (
        select(
            (-User.id).label("id"),
            User.id.label("ref_id"),
            literal(f"roster: {days} days").label("label"),
            literal(c.start, UTCDateTime()).label("at"),
            Jurisdiction.path.label("jpath"),
            User.id.label("officer_id"),
            cast(literal(0.0), Float).label("num"),
            cast(literal(float(days)), Float).label("den"),
        )
        .join(Jurisdiction, Jurisdiction.id == User.jurisdiction_id)
        .where(
            User.role == "community_officer",
            User.is_active.is_(True),
            c.scope(Jurisdiction.path),
            c.officer_scope(User.id),
        )
    )
    u = union_all(entries, roster).subquery()
    return select(*u.c)


_INSTRUCTIONS = "pingan.instructions.models"
_CHECKLISTS = "pingan.checklists.models"
_DISPUTES = "pingan.disputes.models"

SOURCES: dict[str, Source] = {
    s.code: s
    for s in (
        Source(
            "instructions_signed_on_time",
            "ratio",
            "officer",
            "share",
            "instruction_recipient",
            "/api/v1/instructions/{ref_id}",
            _INSTRUCTIONS,
            "按时签收数 / 应签收数（签收期限已过或已签收的、发给民警本人的指令）",
            "signed by the sign-by deadline / instructions to the officer due to be signed "
            "(deadline passed or signed)",
            _instructions("sign"),
        ),
        Source(
            "instructions_completed_on_time",
            "ratio",
            "officer",
            "share",
            "instruction_recipient",
            "/api/v1/instructions/{ref_id}",
            _INSTRUCTIONS,
            "按时反馈办结数 / 应办结数（办结期限已过或已反馈）",
            "first reported back by the complete-by deadline / instructions due to be completed "
            "(deadline passed or reported)",
            _instructions("complete"),
        ),
        Source(
            "checklist_completion",
            "ratio",
            "officer",
            "share",
            "checklist_task",
            "",
            _CHECKLISTS,
            "（按时完成 + 逾期完成）/ 已关闭的清单任务（完成、逾期、漏办）",
            "(done + done late) / closed checklist tasks (done, late, missed) assigned to the "
            "officer on days in the period",
            _checklist(False),
        ),
        Source(
            "checklist_on_time",
            "ratio",
            "officer",
            "share",
            "checklist_task",
            "",
            _CHECKLISTS,
            "按时完成 / 已关闭的清单任务",
            "done on time / closed checklist tasks",
            _checklist(True),
        ),
        Source(
            "disputes_resolved_no_recurrence",
            "ratio",
            "place",
            "share",
            "dispute",
            "/casework/disputes/{ref_id}",
            _DISPUTES,
            "本期化解的纠纷中，90天内未复发（回访未见复发、原地约30米内无新纠纷）的比例",
            "disputes resolved in the period that did not recur within 90 days (no follow-up "
            "visit found it recurring, no new dispute within ~30 m)",
            _disputes,
        ),
        Source(
            "preventable_incidents_yoy",
            "ratio",
            "place",
            "ratio",
            "incident",
            "/api/v1/incidents/{ref_id}",
            None,
            "本期可防性警情数 / 去年同期数（不含取消、重复报警；本期未结束时按同样天数比较）",
            "preventable incidents this period / the same days last year (no cancelled or "
            "repeat calls; a running period is compared day for day)",
            _preventable,
            counts=_preventable_counts,
        ),
        Source(
            "response_time_median_s",
            "quantile",
            "place",
            "s",
            "incident",
            "/api/v1/incidents/{ref_id}",
            None,
            "接警到到场时间（秒）的中位数",
            "median seconds from the call to the first unit on scene",
            _response,
            0.5,
        ),
        Source(
            "response_time_p90_s",
            "quantile",
            "place",
            "s",
            "incident",
            "/api/v1/incidents/{ref_id}",
            None,
            "接警到到场时间（秒）的90分位数",
            "90th percentile of seconds from the call to the first unit on scene",
            _response,
            0.9,
        ),
        Source(
            "premises_inspected",
            "ratio",
            "place",
            "share",
            "premises",
            "/api/v1/premises/{ref_id}",
            None,
            "本期至少检查一次的单位场所 / 单位场所总数（不含出租房）",
            "premises inspected at least once in the period / all premises (rental houses "
            "excluded)",
            _premises,
        ),
        Source(
            "resident_satisfaction",
            "ratio",
            "place",
            "share",
            "survey",
            "/api/v1/evaluation/surveys/{ref_id}",
            None,
            "满意人数 / 受访人数（与本期重叠的满意度调查汇总结果）",
            "satisfied / respondents of the aggregated resident surveys overlapping the period",
            _surveys,
        ),
        Source(
            "services_per_day",
            "ratio",
            "officer",
            "ratio",
            "ledger_entry",
            "",
            "pingan.ledger.models",
            "服务台账登记件数 / 在岗天数（本期至今；每名社区民警一行在岗天数，每条登记一行）",
            "services recorded in the ledger / days of the period so far (one roster row of days "
            "per community officer, one row per entry)",
            _ledger,
        ),
    )
}
