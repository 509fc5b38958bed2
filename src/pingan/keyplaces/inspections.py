"""Inspections item by item (安全检查): the checklist of a premises' kind is taken from the
criteria set (its security features and the fire and safety inspection); each item passes,
fails or does not apply. A passed or failed feature item records the feature (present or not,
citing the inspection); a failed item opens a rectification order. Nothing here commits."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.errors import Invalid
from pingan.evaluation.models import PremisesInspection
from pingan.evaluation.records import create_inspection
from pingan.keyplaces.models import InspectionResult, RectificationOrder
from pingan.keyplaces.orders import open_order
from pingan.keyplaces.photos import photos_of
from pingan.keyplaces.schemas import (
    FormItem,
    InspectionDue,
    InspectionForm,
    InspectionItemIn,
    InspectionRead,
    InspectionsDue,
    InspectionSubmit,
)
from pingan.keyplaces.service import local_tz, stations
from pingan.places.models import Premises
from pingan.places.service import get_premises_or_raise
from pingan.ratings.criteria import get_criteria
from pingan.ratings.service import set_feature, station_of
from pingan.store.base import utcnow

__all__ = ["FORM_TYPES", "LATE_SEND", "due", "form_of", "list_inspections", "submit"]

FORM_TYPES = ("feature", "inspection")
"""The criteria item types an inspector checks on site."""
LATE_SEND = dt.timedelta(hours=48)
"""How long after the inspection a phone may still send it (``inspected_at``): a phone that
was offline sends it later, stamped with when it was done; older is refused (back-dating
would distort the ratings and the inspection counts). Paper records go through
``POST /api/v1/evaluation/inspections`` instead."""


def form_of(session: Session, *, principal: Principal, premises_id: int) -> InspectionForm:
    """The checklist of a premises: the on-site items of its kind's criteria set."""
    p = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    return InspectionForm(
        premises_id=p.id,
        premises_name=p.name,
        kind=p.kind,
        criteria_version=get_criteria().version,
        lon=p.lon,
        lat=p.lat,
        items=_form_items(p.kind),
    )


def _form_items(kind: str) -> list[FormItem]:
    c = get_criteria()
    points = c.sets[c.set_of(kind)]
    return [
        FormItem(code=i.code, label=i.label_zh, label_en=i.label_en, max=points[i.code])
        for i in c.items
        if i.type in FORM_TYPES and points.get(i.code, 0) > 0
    ]


def due(
    session: Session,
    *,
    principal: Principal,
    now: dt.datetime | None = None,
    soon_days: int = 30,
    limit: int = 50,
) -> InspectionsDue:
    """The premises in the caller's cells due an inspection: never inspected in the criteria's
    window, the latest found issues (re-inspect), or the latest passed one leaves the window
    within ``soon_days``; never inspected and re-inspections first, then by ``due_by``. One
    pass over the scope's premises and inspections: O(P + I log I)."""
    now = now or utcnow()
    c = get_criteria()
    window = dt.timedelta(days=c.inspection_window_days)
    premises = session.scalars(
        select(Premises).where(scope_clause(principal, Premises.jpath)).order_by(Premises.id)
    ).all()
    latest: dict[int, tuple[dt.datetime, str]] = {}
    for r in session.execute(
        select(
            PremisesInspection.premises_id,
            PremisesInspection.inspected_at,
            PremisesInspection.outcome,
        )
        .where(
            scope_clause(principal, PremisesInspection.jpath),
            PremisesInspection.inspected_at >= now - window,
            PremisesInspection.inspected_at <= now,
        )
        .order_by(PremisesInspection.inspected_at, PremisesInspection.id)
    ):
        latest[int(r.premises_id)] = (r.inspected_at, str(r.outcome))
    forms: dict[str, list[FormItem]] = {}
    rows: list[InspectionDue] = []
    for p in premises:
        if p.kind not in forms:
            forms[p.kind] = _form_items(p.kind)
        if not forms[p.kind]:
            continue  # nothing to check on site for this kind
        last = latest.get(p.id)
        due_by: dt.datetime | None = None
        reason: Literal["never", "issues_found", "expires"]
        if last is None:
            reason = "never"
        elif last[1] != "ok":
            reason = "issues_found"
        else:
            due_by = last[0] + window
            if due_by > now + dt.timedelta(days=soon_days):
                continue
            reason = "expires"
        rows.append(
            InspectionDue(
                premises_id=p.id,
                code=p.code,
                name=p.name,
                kind=p.kind,
                lon=p.lon,
                lat=p.lat,
                last_at=last[0] if last else None,
                last_outcome=last[1] if last else None,
                due_by=due_by,
                reason=reason,
            )
        )
    rows.sort(key=lambda r: (r.due_by is not None, r.due_by or now, r.premises_id))
    kept = rows[:limit]
    return InspectionsDue(
        total=len(rows),
        window_days=c.inspection_window_days,
        soon_days=soon_days,
        criteria_version=c.version,
        items=kept,
        forms={k: forms[k] for k in sorted({r.kind for r in kept})},
    )


def submit(
    session: Session,
    *,
    principal: Principal,
    premises_id: int,
    data: InspectionSubmit,
    now: dt.datetime | None = None,
) -> tuple[PremisesInspection, list[RectificationOrder]]:
    """Store an inspection with its items (audited as the inspection is), record the features
    it checked and open an order per failed item; the caller re-rates and commits."""
    now = now or utcnow()
    form = form_of(session, principal=principal, premises_id=premises_id)
    codes = {i.code: i for i in form.items}
    seen: set[str] = set()
    for k, it in enumerate(data.items):
        if it.code not in codes:
            raise Invalid(
                f"items[{k}].code",
                f"{it.code!r} is not on the checklist of a {form.kind}; use one of "
                + ", ".join(codes),
            )
        if it.code in seen:
            raise Invalid(f"items[{k}].code", f"{it.code!r} is given twice")
        seen.add(it.code)
    if data.inspected_at is not None and data.inspected_at < now - LATE_SEND:
        raise Invalid(
            "inspected_at",
            "is more than 48 hours ago: an on-site inspection is accepted up to 48 h late",
        )
    failed = [it for it in data.items if it.result == "fail"]
    outcome = "issues_found" if failed else "ok"
    at = data.inspected_at or now
    row = create_inspection(
        session,
        principal=principal,
        premises_id=premises_id,
        inspected_at=at,
        outcome=outcome,
        note=data.note,
    )
    row.lon, row.lat = data.lon, data.lat
    c = get_criteria()
    types = {i.code: i.type for i in c.items}
    for it in data.items:
        session.add(
            InspectionResult(inspection_id=row.id, code=it.code, result=it.result, note=it.note)
        )
        if types.get(it.code) == "feature" and it.result != "na":
            f = set_feature(
                session,
                principal=principal,
                premises_id=premises_id,
                code=it.code,
                present=it.result == "pass",
                note=it.note[:300],
            )
            f.inspection_id = row.id
    p = session.get(Premises, premises_id)
    assert p is not None  # checked by form_of
    station_id = station_of(p.jpath, stations(session))
    deadline = at.astimezone(local_tz()).date() + dt.timedelta(days=data.deadline_days)
    orders = [
        open_order(
            session,
            principal=principal,
            premises=p,
            inspection_id=row.id,
            item_code=it.code,
            problem=it.note or f"{codes[it.code].label}不合格",
            owner=data.owner,
            deadline=deadline,
            station_id=station_id,
            now=now,
        )
        for it in failed
    ]
    session.flush()
    return row, orders


def list_inspections(
    session: Session, *, principal: Principal, premises_id: int, limit: int = 20
) -> list[InspectionRead]:
    """A premises' inspections, newest first, with their items, photos and orders."""
    get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    rows = session.scalars(
        select(PremisesInspection)
        .where(PremisesInspection.premises_id == premises_id)
        .order_by(PremisesInspection.inspected_at.desc(), PremisesInspection.id.desc())
        .limit(limit)
    ).all()
    ids = [r.id for r in rows]
    items: dict[int, list[InspectionItemIn]] = {}
    orders: dict[int, list[str]] = {}
    if ids:
        for it in session.scalars(
            select(InspectionResult)
            .where(InspectionResult.inspection_id.in_(ids))
            .order_by(InspectionResult.id)
        ):
            items.setdefault(it.inspection_id, []).append(
                InspectionItemIn(code=it.code, result=it.result, note=it.note)  # type: ignore[arg-type]
            )
        for o in session.execute(
            select(RectificationOrder.inspection_id, RectificationOrder.code).where(
                RectificationOrder.inspection_id.in_(ids)
            )
        ):
            orders.setdefault(int(o.inspection_id), []).append(str(o.code))
    officers = {r.officer_id for r in rows if r.officer_id}
    names = (
        {
            int(u.id): str(u.username)
            for u in session.execute(select(User.id, User.username).where(User.id.in_(officers)))
        }
        if officers
        else {}
    )
    photos = photos_of(session, "inspection", ids)
    return [
        InspectionRead(
            id=r.id,
            premises_id=r.premises_id,
            inspected_at=r.inspected_at,
            officer=names.get(r.officer_id or 0),
            outcome=r.outcome,
            note=r.note,
            lon=r.lon,
            lat=r.lat,
            items=items.get(r.id, []),
            photos=photos.get(r.id, []),
            orders=orders.get(r.id, []),
        )
        for r in rows
    ]
