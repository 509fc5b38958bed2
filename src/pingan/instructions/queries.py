"""Instruction lists and figures: queues, the board, issued lists, recipients' names and the
on-time sign and completion rates. Builders return statements; the caller pages them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.instructions.models import (
    Instruction,
    InstructionRecipient,
)
from pingan.instructions.service import OPEN_STATES, TODO_STATES
from pingan.jurisdictions.models import Jurisdiction
from pingan.resources.models import Resource
from pingan.store.base import utcnow

__all__ = [
    "Box",
    "board_query",
    "issued_query",
    "queue_query",
    "rates",
    "recipient_names",
    "recipients_for",
]

Box = Literal["to_sign", "to_do", "overdue", "done", "all"]


def recipients_for(
    session: Session, instruction_ids: Sequence[int]
) -> dict[int, list[InstructionRecipient]]:
    """Recipients of several instructions in one query (for a page of instructions)."""
    out: dict[int, list[InstructionRecipient]] = {i: [] for i in instruction_ids}
    if not instruction_ids:
        return out
    for r in session.scalars(
        select(InstructionRecipient)
        .where(InstructionRecipient.instruction_id.in_(list(instruction_ids)))
        .order_by(InstructionRecipient.id)
    ):
        out[r.instruction_id].append(r)
    return out


def recipient_names(
    session: Session, recipients: Iterable[InstructionRecipient]
) -> dict[int, tuple[str, str]]:
    """``{recipient id: (name_zh, name_en)}`` for showing recipients: the station's name, the
    unit's name, or the officer's display name — three queries at most for a page."""
    recs = list(recipients)
    ids: dict[str, set[int]] = {"station": set(), "unit": set(), "officer": set()}
    for r in recs:
        rid = {"station": r.station_id, "unit": r.resource_id, "officer": r.officer_id}[r.kind]
        if rid is not None:
            ids[r.kind].add(rid)
    stations = (
        {
            int(i): (str(zh), str(en))
            for i, zh, en in session.execute(
                select(Jurisdiction.id, Jurisdiction.name_zh, Jurisdiction.name_en).where(
                    Jurisdiction.id.in_(ids["station"])
                )
            )
        }
        if ids["station"]
        else {}
    )
    units = (
        {
            int(i): (str(zh), str(en))
            for i, zh, en in session.execute(
                select(Resource.id, Resource.name_zh, Resource.name_en).where(
                    Resource.id.in_(ids["unit"])
                )
            )
        }
        if ids["unit"]
        else {}
    )
    officers = (
        {
            int(i): (str(n or u), str(n or u))
            for i, n, u in session.execute(
                select(User.id, User.display_name, User.username).where(User.id.in_(ids["officer"]))
            )
        }
        if ids["officer"]
        else {}
    )
    out: dict[int, tuple[str, str]] = {}
    for r in recs:
        if r.kind == "station" and r.station_id in stations:
            out[r.id] = stations[r.station_id]
        elif r.kind == "unit" and r.resource_id in units:
            out[r.id] = units[r.resource_id]
        elif r.kind == "officer" and r.officer_id in officers:
            zh, en = officers[r.officer_id]
            out[r.id] = (f"民警 {zh}", f"Officer {en}")
    return out


def _mine(principal: Principal) -> ColumnElement[bool]:
    own = InstructionRecipient.officer_id == principal.user_id
    if principal.role == "station_chief" and principal.jurisdiction_id is not None:
        return or_(
            own,
            and_(
                InstructionRecipient.kind.in_(("station", "unit")),
                InstructionRecipient.station_id == principal.jurisdiction_id,
            ),
        )
    return own


def _box_clause(box: Box, now: dt.datetime) -> ColumnElement[bool]:
    state = InstructionRecipient.state
    if box == "to_sign":
        return state == "issued"
    if box == "to_do":
        return state.in_(TODO_STATES)
    if box == "overdue":
        return or_(
            and_(state == "issued", InstructionRecipient.sign_by < now),
            and_(state.in_(OPEN_STATES), InstructionRecipient.complete_by < now),
        )
    if box == "done":
        return state.in_(("reported", "accepted", "closed"))
    return true()


def queue_query(principal: Principal, *, box: Box = "all", now: dt.datetime | None = None) -> Any:
    """The caller's own queue: recipient rows addressed to the caller (and, for a station chief,
    to the station and its units), with their instruction; ordered by the nearest deadline."""
    now = now or utcnow()
    order = (
        (InstructionRecipient.sign_by, InstructionRecipient.id)
        if box == "to_sign"
        else (InstructionRecipient.complete_by, InstructionRecipient.id)
        if box in ("to_do", "overdue")
        else (InstructionRecipient.created_at.desc(), InstructionRecipient.id.desc())
    )
    return (
        select(InstructionRecipient, Instruction)
        .join(Instruction, Instruction.id == InstructionRecipient.instruction_id)
        .where(_mine(principal), _box_clause(box, now))
        .order_by(*order)
    )


def board_query(
    principal: Principal,
    *,
    station_id: int | None = None,
    box: Box = "all",
    now: dt.datetime | None = None,
) -> Any:
    """Every recipient row in the caller's jurisdiction (or one station), newest first."""
    now = now or utcnow()
    q = (
        select(InstructionRecipient, Instruction)
        .join(Instruction, Instruction.id == InstructionRecipient.instruction_id)
        .where(scope_clause(principal, InstructionRecipient.jpath), _box_clause(box, now))
    )
    if station_id is not None:
        q = q.where(InstructionRecipient.station_id == station_id)
    return q.order_by(InstructionRecipient.created_at.desc(), InstructionRecipient.id.desc())


def issued_query(
    principal: Principal, *, issuer: Literal["me", "office", "scope"] = "me"
) -> Select[Any]:
    """Instructions issued by the caller, by the caller's office, or anywhere in scope."""
    if issuer == "me":
        cond: ColumnElement[bool] = Instruction.issuer_id == principal.user_id
    elif issuer == "office":
        cond = Instruction.jpath == principal.jpath
    else:
        cond = scope_clause(principal, Instruction.jpath)
    return (
        select(Instruction)
        .where(cond)
        .order_by(Instruction.created_at.desc(), Instruction.id.desc())
    )


def rates(
    session: Session,
    *,
    principal: Principal,
    station_id: int | None = None,
    issued_by_me: bool = False,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """On-time sign and completion counts and rates over recipient rows in scope.

    ``sign_rate`` = signed on time / recipients whose sign-by has passed or who signed;
    ``completion_rate`` = reported back on time / recipients whose complete-by has passed or
    who reported. Rates are ``None`` when nothing is due yet.
    """
    now = now or utcnow()
    R = InstructionRecipient
    conds: list[Any] = [scope_clause(principal, R.jpath)]
    if station_id is not None:
        conds.append(R.station_id == station_id)
    if since is not None:
        conds.append(R.created_at >= since)
    if until is not None:
        conds.append(R.created_at < until)
    q = select(
        func.count(R.id),
        func.count(R.signed_at),
        func.sum(case((and_(R.signed_at.is_not(None), R.signed_at <= R.sign_by), 1), else_=0)),
        func.sum(case((or_(R.signed_at.is_not(None), R.sign_by < now), 1), else_=0)),
        func.count(R.first_reported_at),
        func.sum(
            case(
                (and_(R.first_reported_at.is_not(None), R.first_reported_at <= R.complete_by), 1),
                else_=0,
            )
        ),
        func.sum(case((or_(R.first_reported_at.is_not(None), R.complete_by < now), 1), else_=0)),
        func.sum(
            case(
                (
                    or_(
                        and_(R.state == "issued", R.sign_by < now),
                        and_(R.state.in_(OPEN_STATES), R.complete_by < now),
                    ),
                    1,
                ),
                else_=0,
            )
        ),
    ).where(*conds)
    if issued_by_me:
        q = q.join(Instruction, Instruction.id == R.instruction_id).where(
            Instruction.issuer_id == principal.user_id
        )
    row = session.execute(q).one()
    total, signed, signed_ok, sign_due, reported, reported_ok, complete_due, overdue = (
        int(v or 0) for v in row
    )
    return {
        "recipients": total,
        "signed": signed,
        "signed_on_time": signed_ok,
        "sign_due": sign_due,
        "sign_rate": round(signed_ok / sign_due, 4) if sign_due else None,
        "reported": reported,
        "reported_on_time": reported_ok,
        "complete_due": complete_due,
        "completion_rate": round(reported_ok / complete_due, 4) if complete_due else None,
        "overdue_open": overdue,
        "how": "sign_rate = signed_on_time / sign_due; completion_rate = reported_on_time / "
        "complete_due; 'due' counts recipients whose deadline has passed or who already acted",
    }
