"""Dispute flows: each change commits once, with its audit record and the re-evaluated
escalation risk in the same transaction. A rise of the risk level issues an instruction
(``pingan.instructions``) to the case's owning officer (or its station when the cell has no owner).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor
from pingan.auth.models import User
from pingan.auth.service import Principal, principal_for
from pingan.disputes import service
from pingan.disputes.models import Dispute, DisputeFollowUp, MediationStep
from pingan.disputes.schemas import (
    DisputeCreate,
    DisputeFlagsIn,
    FollowUpIn,
    FollowUpRecordIn,
    MediationStepIn,
)
from pingan.errors import PingAnError
from pingan.store.base import utcnow

__all__ = [
    "RescreenResult",
    "dispute_create_flow",
    "dispute_flags_flow",
    "dispute_follow_up_flow",
    "dispute_follow_up_record_flow",
    "dispute_mediation_flow",
    "dispute_rescreen_flow",
    "dispute_reveal_parties_flow",
    "dispute_transition_flow",
    "reassess",
]

T = TypeVar("T")
RULES_ACTOR = "system:dispute-rules"
_PRIORITY = {"medium": "high", "high": "urgent"}
_SIGN_H = {"medium": 24, "high": 4}
_COMPLETE_H = {"medium": 7 * 24, "high": 48}


def _rules_issuer(session: Session, d: Dispute) -> Principal | None:
    """Who issues a rule-raised instruction: the chief of the dispute's station, else an admin.
    The audit names the rules (``system:dispute-rules``) with the accountable user's id."""
    station = service.station_of(session, d.jpath)
    user = None
    if station is not None:
        user = session.scalar(
            select(User)
            .where(
                User.role == "station_chief",
                User.jurisdiction_id == station.id,
                User.is_active.is_(True),
            )
            .order_by(User.id)
            .limit(1)
        )
    if user is None:
        user = session.scalar(
            select(User)
            .where(User.role == "admin", User.is_active.is_(True), User.jurisdiction_id.is_(None))
            .order_by(User.id)
            .limit(1)
        )
    if user is None:
        return None
    p = principal_for(session, user)
    return dataclasses.replace(p, username=f"{RULES_ACTOR} ({user.username})")


def _issue_instruction(
    session: Session, *, d: Dispute, assessment: service.Assessment, actor: Actor
) -> int | None:
    """Create the instruction for a risk rise; returns its id, or None (recorded why)."""
    from pingan.instructions import service as instructions

    level = assessment.result.level
    issuer = _rules_issuer(session, d)
    station = service.station_of(session, d.jpath)
    recipients: list[tuple[str, int]] = []
    if d.owner_id is not None:
        recipients.append(("officer", d.owner_id))
    elif station is not None:
        recipients.append(("station", station.id))
    reason = code = None
    if issuer is None:
        reason, code = "no station chief or administrator to issue it", "no_issuer"
    elif not recipients:
        reason, code = "the case has no owner and no station", "no_recipient"
    if issuer is None or not recipients:
        service.add_event(
            session,
            d,
            kind="instruction_skipped",
            actor_id=actor.id,
            note=str(reason),
            note_code=code,
        )
        return None
    now = utcnow()
    lines = [f"- {f.explanation_zh} / {f.explanation_en}" for f in assessment.result.fired]
    text = (
        f"纠纷 {d.code} 风险升级为「{level}」：{assessment.result.reason_zh}\n"
        f"Dispute {d.code} risk rose to {level}: {assessment.result.reason_en}\n"
        + "\n".join(lines)
        + "\n请及时走访、调解并反馈。Visit, mediate and report back."
    )
    try:
        with session.begin_nested():
            ins = instructions.create_instruction(
                session,
                issuer=issuer,
                title=f"纠纷风险升级 {d.code}: {assessment.previous} → {level}",
                text=text,
                priority=_PRIORITY[level],
                recipients=recipients,
                sign_by=now + dt.timedelta(hours=_SIGN_H[level]),
                complete_by=now + dt.timedelta(hours=_COMPLETE_H[level]),
                dispute_id=d.id,
            )
    except PingAnError as exc:
        service.add_event(
            session,
            d,
            kind="instruction_skipped",
            actor_id=actor.id,
            note=exc.message,
            note_code="instruction_refused",
            note_params={"message": exc.message},
        )
        return None
    d.risk_instruction_id = ins.id
    service.add_event(
        session,
        d,
        kind="instruction",
        actor_id=actor.id,
        note=f"instruction {ins.code}",
        data={"instruction_id": ins.id, "level": level},
        note_code="instruction",
        note_params={"code": ins.code},
    )
    session.flush()
    return int(ins.id)


def reassess(
    session: Session, *, actor: Actor, dispute: Dispute, at: dt.datetime | None = None, **kw: Any
) -> service.Assessment:
    """Re-evaluate one case (open or not); a rise on an open case issues an instruction."""
    out = service.assess(session, actor=actor, dispute=dispute, at=at, **kw)
    if out.rose and out.result.level in _PRIORITY and dispute.state in service.OPEN_STATES:
        _issue_instruction(session, d=dispute, assessment=out, actor=actor)
    return out


def _commit_after(
    session: Session, principal: Principal, work: Callable[[], T], dispute_id: Callable[[T], int]
) -> T:
    result = work()
    d = session.get(Dispute, dispute_id(result))
    if d is not None:
        reassess(session, actor=principal.actor, dispute=d)
    session.commit()
    return result


def dispute_create_flow(session: Session, *, principal: Principal, data: DisputeCreate) -> Dispute:
    """Register a dispute, assess its risk, and commit."""
    return _commit_after(
        session,
        principal,
        lambda: service.create(session, principal=principal, data=data),
        lambda d: d.id,
    )


def dispute_transition_flow(
    session: Session,
    *,
    principal: Principal,
    dispute_id: int,
    to_state: str,
    note: str = "",
    referral_target: str | None = None,
    follow_up_on: dt.date | None = None,
) -> Dispute:
    """Apply one workflow step, re-assess, and commit."""
    return _commit_after(
        session,
        principal,
        lambda: service.transition(
            session,
            principal=principal,
            dispute_id=dispute_id,
            to_state=to_state,
            note=note,
            referral_target=referral_target,
            follow_up_on=follow_up_on,
        ),
        lambda d: d.id,
    )


def dispute_mediation_flow(
    session: Session, *, principal: Principal, dispute_id: int, data: MediationStepIn
) -> MediationStep:
    """Record a mediation step, re-assess (failed mediations count), and commit."""
    return _commit_after(
        session,
        principal,
        lambda: service.add_mediation_step(
            session, principal=principal, dispute_id=dispute_id, data=data
        ),
        lambda s: s.dispute_id,
    )


def dispute_flags_flow(
    session: Session, *, principal: Principal, dispute_id: int, data: DisputeFlagsIn
) -> Dispute:
    """Change the reported facts, re-assess, and commit."""
    return _commit_after(
        session,
        principal,
        lambda: service.update_flags(
            session, principal=principal, dispute_id=dispute_id, data=data
        ),
        lambda d: d.id,
    )


def dispute_follow_up_flow(
    session: Session, *, principal: Principal, dispute_id: int, data: FollowUpIn
) -> DisputeFollowUp:
    """Schedule a follow-up visit and commit."""
    return _commit_after(
        session,
        principal,
        lambda: service.schedule_follow_up(
            session, principal=principal, dispute_id=dispute_id, data=data
        ),
        lambda f: f.dispute_id,
    )


def dispute_follow_up_record_flow(
    session: Session,
    *,
    principal: Principal,
    dispute_id: int,
    follow_up_id: int,
    data: FollowUpRecordIn,
) -> DisputeFollowUp:
    """Record a follow-up visit and commit."""
    return _commit_after(
        session,
        principal,
        lambda: service.record_follow_up(
            session,
            principal=principal,
            dispute_id=dispute_id,
            follow_up_id=follow_up_id,
            data=data,
        ),
        lambda f: f.dispute_id,
    )


def dispute_reveal_parties_flow(
    session: Session, *, principal: Principal, dispute_id: int, reason: str
) -> list[dict[str, Any]]:
    """Show the parties' contact data, audited with the reason, and commit the audit record."""
    out = service.reveal_parties(session, principal=principal, dispute_id=dispute_id, reason=reason)
    session.commit()
    return out


@dataclass
class RescreenResult:
    """What a re-screening pass did: cases checked, levels changed, rises and instructions."""

    checked: int = 0
    changed: int = 0
    rises: list[dict[str, Any]] = field(default_factory=list)
    instructions: int = 0

    def message(self) -> str:
        """One line for the CLI."""
        return (
            f"{self.checked} open disputes re-screened: {self.changed} changed level, "
            f"{len(self.rises)} rose, {self.instructions} instructions issued"
        )


def dispute_rescreen_flow(
    session: Session, *, actor: Actor, at: dt.datetime | None = None, jpath: str = "/"
) -> RescreenResult:
    """Re-evaluate the risk of every open dispute (in ``jpath``) and commit once; nearby calls
    are gathered for all cases in one query. Rises issue instructions."""
    when = at or utcnow()
    rows = list(
        session.scalars(
            select(Dispute)
            .where(
                Dispute.state.in_(service.OPEN_STATES),
                Dispute.jpath.startswith(jpath, autoescape=True),
            )
            .order_by(Dispute.id)
        )
    )
    calls = service.nearby_calls_bulk(
        session, lon=[d.lon for d in rows], lat=[d.lat for d in rows], at=when
    )
    out = RescreenResult(checked=len(rows))
    for d, c in zip(rows, calls, strict=True):
        before = d.risk_instruction_id
        res = reassess(session, actor=actor, dispute=d, at=when, calls=c)
        if res.changed:
            out.changed += 1
        if res.rose:
            out.rises.append(
                {
                    "id": d.id,
                    "code": d.code,
                    "from": res.previous,
                    "to": res.result.level,
                    "rules": [f.code for f in res.result.fired],
                }
            )
        if d.risk_instruction_id != before:
            out.instructions += 1
    session.commit()
    return out
