"""Early warnings: store what the kernels raised (idempotently), list in scope, handle them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pingan.alerts.models import WARNING_KINDS, EarlyWarning, EarlyWarningEvent
from pingan.audit.service import Actor, record
from pingan.auth.service import Principal, get_scoped, scope_clause
from pingan.errors import Invalid
from pingan.store.base import utcnow
from pingan.workflow import StateMachine

__all__ = [
    "LIFECYCLE",
    "NewWarning",
    "get_or_raise",
    "list_query",
    "store_warnings",
    "transition",
]

LIFECYCLE = StateMachine(
    name="warning",
    initial="new",
    transitions={
        "new": ("acknowledged", "dismissed", "actioned"),
        "acknowledged": ("dismissed", "actioned"),
        "dismissed": (),
        "actioned": (),
    },
)


@dataclass(frozen=True)
class NewWarning:
    """A warning as raised by an analysis run, before it is stored."""

    kind: str
    category: str
    jpath: str
    window_start: dt.datetime
    window_end: dt.datetime
    observed: float
    expected: float
    statistic: float
    explanation_zh: str
    explanation_en: str
    dedup_key: str
    p_value: float | None = None
    jurisdiction_id: int | None = None
    center_lon: float | None = None
    center_lat: float | None = None
    radius_m: float | None = None
    severity: int = 2
    detail: dict[str, Any] = field(default_factory=dict)


def store_warnings(
    session: Session, *, actor: Actor, warnings: Sequence[NewWarning]
) -> tuple[list[EarlyWarning], int]:
    """Store new warnings; ones already stored (same ``dedup_key``) are skipped.

    Returns ``(stored, skipped)``. One audit record per run.
    """
    for w in warnings:
        if w.kind not in WARNING_KINDS:
            raise Invalid(
                "kind", f"{w.kind!r} is not a warning kind; use {', '.join(WARNING_KINDS)}"
            )
    keys = [w.dedup_key for w in warnings]
    seen: set[str] = set()
    for chunk in range(0, len(keys), 500):
        seen |= set(
            session.scalars(
                select(EarlyWarning.dedup_key).where(
                    EarlyWarning.dedup_key.in_(keys[chunk : chunk + 500])
                )
            )
        )
    stored: list[EarlyWarning] = []
    for w in warnings:
        if w.dedup_key in seen:
            continue
        seen.add(w.dedup_key)
        row = EarlyWarning(
            kind=w.kind,
            status="new",
            category=w.category,
            jurisdiction_id=w.jurisdiction_id,
            jpath=w.jpath,
            center_lon=w.center_lon,
            center_lat=w.center_lat,
            radius_m=w.radius_m,
            window_start=w.window_start,
            window_end=w.window_end,
            observed=w.observed,
            expected=w.expected,
            statistic=w.statistic,
            p_value=w.p_value,
            severity=w.severity,
            explanation_zh=w.explanation_zh,
            explanation_en=w.explanation_en,
            detail=json.dumps(w.detail, ensure_ascii=False, default=float),
            dedup_key=w.dedup_key,
        )
        session.add(row)
        stored.append(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="raise_warnings",
        entity="early_warning",
        detail={
            "stored": len(stored),
            "skipped": len(warnings) - len(stored),
            "ids": [w.id for w in stored][:200],
        },
    )
    return stored, len(warnings) - len(stored)


def get_or_raise(session: Session, *, principal: Principal, warning_id: int) -> EarlyWarning:
    """The warning if it exists and is in scope, else ``NotFound``."""
    return get_scoped(session, EarlyWarning, warning_id, principal=principal, what="warning")


def list_query(
    principal: Principal,
    *,
    status: str | None = None,
    kind: str | None = None,
    since: dt.datetime | None = None,
) -> Select[Any]:
    """Warnings in scope, newest first."""
    q = select(EarlyWarning).where(scope_clause(principal, EarlyWarning.jpath))
    if status:
        q = q.where(EarlyWarning.status == status)
    if kind:
        q = q.where(EarlyWarning.kind == kind)
    if since:
        q = q.where(EarlyWarning.created_at >= since)
    return q.order_by(EarlyWarning.created_at.desc(), EarlyWarning.id.desc())


def transition(
    session: Session,
    *,
    principal: Principal,
    warning_id: int,
    to_state: str,
    reason: str = "",
    instruction_id: int | None = None,
) -> EarlyWarning:
    """Acknowledge, dismiss (reason required) or action a warning; audited."""
    w = get_or_raise(session, principal=principal, warning_id=warning_id)
    LIFECYCLE.check(w.status, to_state)
    if to_state == "dismissed" and not reason.strip():
        raise Invalid("reason", "say why the warning is dismissed")
    previous = w.status
    w.status = to_state
    if reason:
        w.reason = reason
    if instruction_id is not None:
        w.instruction_id = instruction_id
    session.add(
        EarlyWarningEvent(
            warning_id=w.id,
            at=utcnow(),
            from_state=previous,
            to_state=to_state,
            actor_id=principal.user_id,
            note=reason,
        )
    )
    record(
        session,
        actor=principal.actor,
        action="transition",
        entity="early_warning",
        entity_id=w.id,
        jpath=w.jpath,
        detail={
            "from": previous,
            "to": to_state,
            "reason": reason,
            "instruction_id": instruction_id,
        },
    )
    return w
