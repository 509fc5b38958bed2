"""Rectification orders (整改通知书): opened by a failed inspection item, followed like an
instruction through one declared state machine (:data:`ORDER_FLOW`):

``issued`` → ``signed`` (the owner signed for it) → ``reported`` (what was fixed, with photos)
→ ``accepted`` by the station, or ``rework`` (sent back with a note) → ``reported`` again.

An order not accepted by its deadline escalates: level 1 (the station chief's list) the day
after the deadline, level 2 (the district) a week later. Reads are scoped; nothing here
commits."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.errors import Invalid, NotFound
from pingan.keyplaces.models import OrderEvent, RectificationOrder
from pingan.keyplaces.photos import photos_of
from pingan.keyplaces.schemas import OrderEventRead, OrderRead
from pingan.keyplaces.service import local_tz
from pingan.places.models import Premises
from pingan.ratings.criteria import get_criteria
from pingan.store.base import utcnow
from pingan.store.timeline import Timeline
from pingan.workflow import StateMachine

__all__ = [
    "ORDER_FLOW",
    "STEPS",
    "escalate_late",
    "get_order_or_raise",
    "list_orders",
    "open_order",
    "order_read",
    "step",
]

ORDER_FLOW = StateMachine(
    name="rectification order",
    initial="issued",
    transitions={
        "issued": ("signed",),
        "signed": ("reported",),
        "reported": ("accepted", "rework"),
        "rework": ("reported",),
        "accepted": (),
    },
    stamps={
        "signed": "signed_at",
        "reported": "reported_at",
        "rework": "rework_at",
        "accepted": "accepted_at",
    },
)
STEPS: dict[str, str] = {
    "sign": "signed",
    "report": "reported",
    "accept": "accepted",
    "reject": "rework",
}
"""The API's verbs and the state each leads to."""
_VERB = {v: k for k, v in STEPS.items()}
SECOND_LEVEL_DAYS = 7


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(local_tz()).date()


def open_order(
    session: Session,
    *,
    principal: Principal,
    premises: Premises,
    inspection_id: int | None,
    item_code: str,
    problem: str,
    owner: str,
    deadline: dt.date,
    station_id: int | None,
    now: dt.datetime | None = None,
) -> RectificationOrder:
    """Open an order for a failed item; its timeline starts with ``issued``."""
    now = now or utcnow()
    code = f"ZG{now.astimezone(local_tz()):%Y%m%d}-{secrets.token_hex(3).upper()}"
    o = RectificationOrder(
        code=code,
        premises_id=premises.id,
        inspection_id=inspection_id,
        item_code=item_code,
        problem=problem[:500],
        owner=owner or f"{premises.name}负责人",
        assignee_id=principal.user_id or None,
        deadline=deadline,
        state=ORDER_FLOW.initial,
        jpath=premises.jpath,
        station_id=station_id,
        report="",
        escalation_level=0,
        issued_at=now,
    )
    session.add(o)
    session.flush()
    Timeline(session, OrderEvent, order_id=o.id)(
        kind="issued",
        at=now,
        to_state="issued",
        actor_id=principal.user_id or None,
        note=problem[:500],
        data={"deadline": deadline.isoformat(), "item": item_code},
    )
    return o


def get_order_or_raise(
    session: Session, *, principal: Principal, order_id: int
) -> RectificationOrder:
    """The order if it exists in scope, else ``NotFound``."""
    o = session.get(RectificationOrder, order_id)
    if o is None or not principal.can_see(o.jpath):
        raise NotFound(
            f"rectification order {order_id} does not exist or is outside your jurisdiction"
        )
    return o


def step(
    session: Session,
    *,
    principal: Principal,
    order_id: int,
    verb: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> RectificationOrder:
    """Move an order by ``verb`` (sign, report, accept, reject) through :data:`ORDER_FLOW`; a
    report says what was fixed, a rejection what is still wrong."""
    if verb not in STEPS:
        raise Invalid("step", f"{verb!r}: use one of {', '.join(STEPS)}")
    o = get_order_or_raise(session, principal=principal, order_id=order_id)
    if verb in ("report", "reject") and not note.strip():
        raise Invalid(
            "note",
            "say what was fixed" if verb == "report" else "say what is still to be fixed",
        )
    ORDER_FLOW.apply(
        o,
        STEPS[verb],
        at=now or utcnow(),
        actor=principal.user_id or None,
        note=note,
        timeline=Timeline(session, OrderEvent, order_id=o.id),
        kind=verb,
    )
    if verb == "report":
        o.report = note
    session.flush()
    return o


def list_orders(
    session: Session,
    *,
    principal: Principal,
    premises_id: int | None = None,
    state: str | None = None,
    open_only: bool = False,
    late_only: bool = False,
    station_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> tuple[int, list[RectificationOrder]]:
    """Orders in scope, filtered; (total, page), the earliest deadline first."""
    q = select(RectificationOrder).where(scope_clause(principal, RectificationOrder.jpath))
    if premises_id is not None:
        q = q.where(RectificationOrder.premises_id == premises_id)
    if state is not None:
        q = q.where(RectificationOrder.state == state)
    if open_only or late_only:
        q = q.where(RectificationOrder.state != "accepted")
    if late_only:
        q = q.where(RectificationOrder.deadline < _today(now or utcnow()))
    if station_id is not None:
        q = q.where(RectificationOrder.station_id == station_id)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = session.scalars(
        q.order_by(
            (RectificationOrder.state == "accepted"),
            RectificationOrder.deadline,
            RectificationOrder.id,
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return total, list(rows)


def order_read(
    session: Session,
    orders: list[RectificationOrder],
    *,
    detail: bool = False,
    now: dt.datetime | None = None,
) -> list[OrderRead]:
    """The API form of orders (with photos and timeline when ``detail``)."""
    if not orders:
        return []
    today = _today(now or utcnow())
    labels = {i.code: i for i in get_criteria().items}
    names = {
        int(p.id): str(p.name)
        for p in session.execute(
            select(Premises.id, Premises.name).where(
                Premises.id.in_({o.premises_id for o in orders})
            )
        )
    }
    events: dict[int, list[Any]] = {}
    ids = [o.id for o in orders]
    users: set[int] = {o.assignee_id for o in orders if o.assignee_id}
    if detail:
        for e in session.scalars(
            select(OrderEvent).where(OrderEvent.order_id.in_(ids)).order_by(OrderEvent.id)
        ):
            events.setdefault(e.order_id, []).append(e)
            if e.actor_id:
                users.add(e.actor_id)
    who = (
        {
            int(u.id): str(u.username)
            for u in session.execute(select(User.id, User.username).where(User.id.in_(users)))
        }
        if users
        else {}
    )
    photos = photos_of(session, "order", ids) if detail else {}
    out = []
    for o in orders:
        item = labels.get(o.item_code)
        out.append(
            OrderRead(
                id=o.id,
                code=o.code,
                premises_id=o.premises_id,
                premises_name=names.get(o.premises_id, ""),
                inspection_id=o.inspection_id,
                item_code=o.item_code,
                item_label=item.label_zh if item else o.item_code,
                problem=o.problem,
                owner=o.owner,
                assignee=who.get(o.assignee_id or 0),
                deadline=o.deadline,
                state=o.state,
                late=o.state != "accepted" and o.deadline < today,
                escalation_level=o.escalation_level,
                report=o.report,
                issued_at=o.issued_at,
                signed_at=o.signed_at,
                reported_at=o.reported_at,
                accepted_at=o.accepted_at,
                next=[_VERB[s] for s in ORDER_FLOW.allowed(o.state)],
                photos=photos.get(o.id, []),
                events=[
                    OrderEventRead(
                        at=e.at,
                        kind=e.kind,
                        from_state=e.from_state,
                        to_state=e.to_state,
                        actor=who.get(e.actor_id or 0),
                        note=e.note,
                    )
                    for e in events.get(o.id, [])
                ],
            )
        )
    return out


def escalate_late(session: Session, *, now: dt.datetime | None = None) -> list[RectificationOrder]:
    """Orders not accepted by their deadline go up: level 1 the day after the deadline, level 2
    :data:`SECOND_LEVEL_DAYS` later; one timeline entry per step (idempotent)."""
    now = now or utcnow()
    today = _today(now)
    rows = session.scalars(
        select(RectificationOrder).where(
            RectificationOrder.state != "accepted",
            RectificationOrder.deadline < today,
            RectificationOrder.escalation_level < 2,
        )
    ).all()
    moved = []
    for o in rows:
        level = 2 if o.deadline + dt.timedelta(days=SECOND_LEVEL_DAYS) < today else 1
        if level <= o.escalation_level:
            continue
        o.escalation_level = level
        o.escalated_at = now
        Timeline(session, OrderEvent, order_id=o.id)(
            kind="escalate",
            at=now,
            note=f"逾期 {(today - o.deadline).days} 天, 升级至 {('所长', '分局')[level - 1]}",
            data={"level": level, "deadline": o.deadline.isoformat()},
        )
        moved.append(o)
    session.flush()
    return moved
