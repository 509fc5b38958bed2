"""Rental housing (出租房): the signed token of a rental house's QR plate, the printable plate,
landlords verified by an SMS code, the stays they register, the community officer's review,
reminders when a stay ends and the purge of tenants six months after it ended.

A rental house is a premises of kind ``rental_house``; its landlord is the premises' contact
(the phone an officer recorded when registering the house): only that phone gets a code.
Tenants' names and ID numbers are ``EncryptedStr``, masked everywhere they are listed, shown
only to the reviewing officer with a reason (audited), and never logged.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import struct
from typing import Any
from zoneinfo import ZoneInfo

import segno
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.auth.service import Principal, scope_clause
from pingan.citizens import throttle
from pingan.citizens.models import RentalStay, SmsCode
from pingan.citizens.schemas import StayIn
from pingan.citizens.sms import sender_for
from pingan.config import get_settings, session_secret
from pingan.errors import Invalid, NotFound
from pingan.masking import mask_name, mask_phone
from pingan.places.models import Premises
from pingan.store.base import utcnow

__all__ = [
    "CODE_TTL",
    "SHARE_BASIS",
    "STAY_KEEP",
    "houses_query",
    "houses_with_stays",
    "local_today",
    "make_token",
    "mask_id_no",
    "parse_token",
    "plate_html",
    "public_url",
    "purge_stays",
    "register_stay",
    "registered_share",
    "remind_stays",
    "reveal_stay",
    "review_stay",
    "send_code",
    "stays_of",
    "stays_query",
    "verify_code",
]

_PREFIX = b"pingan-rental:"
CODE_TTL = dt.timedelta(minutes=10)
STAY_KEEP = dt.timedelta(days=183)
"""Tenants' data is deleted this long (six months) after the stay ends."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _key() -> bytes:
    return session_secret(get_settings()).encode()


def make_token(premises_id: int) -> str:
    """The signed token of a rental house's plate."""
    payload = struct.pack(">I", premises_id)
    mac = hmac.new(_key(), _PREFIX + payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


def parse_token(token: str) -> int | None:
    """The premises id of a genuine token, else None."""
    if len(token) > 48 or token.count(".") != 1:
        return None
    head, mac = token.split(".")
    try:
        payload = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except (ValueError, TypeError):
        return None
    want = hmac.new(_key(), _PREFIX + payload, hashlib.sha256).digest()[:16]
    if len(payload) != 4 or not hmac.compare_digest(given, want):
        return None
    return int(struct.unpack(">I", payload)[0])


def public_url(token: str) -> str:
    """``PINGAN_PUBLIC_URL/rental/<token>``."""
    return f"{get_settings().public_url.rstrip('/')}/rental/{token}"


def rental_house(session: Session, premises_id: int) -> Premises | None:
    """The rental house (a premises of kind ``rental_house``), if it is one."""
    p = session.get(Premises, premises_id)
    return p if p is not None and p.kind == "rental_house" else None


def mask_id_no(id_no: str | None) -> str | None:
    """Keep the first 3 and last 2 characters: 530102********123X → 530*************3X."""
    if not id_no:
        return id_no
    return id_no[:3] + "*" * (len(id_no) - 5) + id_no[-2:]


def plate_html(premises: Premises) -> str:
    """The printable plate (A5) of a rental house: QR code, name, what to do."""
    import html

    url = public_url(make_token(premises.id))
    qr = segno.make(url, error="m").svg_inline(border=4, omitsize=True)
    e = html.escape
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>出租房登记 {e(premises.name)}</title><style>
@page {{ size: 148mm 210mm; margin: 0 }}
body {{ margin: 0; font-family: "Noto Sans CJK SC", sans-serif }}
.plate {{ width: 148mm; height: 210mm; border: 6mm solid #0b3a75; padding: 8mm;
  box-sizing: border-box; text-align: center }}
h1 {{ font-size: 11mm; margin: 2mm 0; color: #0b3a75 }}
.name {{ font-size: 7mm; font-weight: 700 }}
.qr svg {{ width: 90mm; height: 90mm }}
p {{ font-size: 4.5mm }}
</style></head><body><div class="plate">
<h1>出租房屋登记</h1><div class="name">{e(premises.name)}</div>
<p>{e(premises.address_text or "")}</p>
<div class="qr">{qr}</div>
<p>房东请扫码，经短信验证后登记租住人员</p><p>租客入住、退租请及时登记</p>
</div></body></html>"""


def _hash(text: str) -> str:
    return hmac.new(_key(), b"pingan-sms:" + text.encode(), hashlib.sha256).hexdigest()


def send_code(session: Session, *, premises_id: int, phone: str, now: dt.datetime) -> None:
    """Send a 6-digit code to the landlord's phone (5 codes per house per hour at most)."""
    house = rental_house(session, premises_id)
    if house is None:
        raise NotFound("no such rental house")
    if not house.contact_phone or phone != house.contact_phone:
        raise Invalid("phone", "this is not the landlord's number registered for the house")
    throttle.hit(session, key=f"sms:{premises_id}", limit=5, window_s=3600, now=now, field="phone")
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        SmsCode(
            premises_id=premises_id,
            phone_hash=_hash(phone),
            code_hash=_hash(f"{premises_id}:{code}"),
            expires_at=now + CODE_TTL,
            created_at=now,
        )
    )
    session.flush()
    sender_for(get_settings().sms_sender)(phone, f"【平安】出租房登记验证码 {code}，10分钟内有效。")


def verify_code(
    session: Session, *, premises_id: int, phone: str, code: str, now: dt.datetime
) -> None:
    """Check the code sent to ``phone`` (5 tries per code); raise ``Invalid("code")``."""
    row = session.scalar(
        select(SmsCode)
        .where(
            SmsCode.premises_id == premises_id,
            SmsCode.phone_hash == _hash(phone),
            SmsCode.used_at.is_(None),
        )
        .order_by(SmsCode.id.desc())
        .limit(1)
    )
    if row is None or row.expires_at < now or row.attempts >= 5:
        raise Invalid("code", "the code expired or was tried too often; ask for a new one")
    row.attempts += 1
    if not hmac.compare_digest(row.code_hash, _hash(f"{premises_id}:{code.strip()}")):
        raise Invalid("code", "wrong code")
    row.used_at = now


def register_stay(
    session: Session, *, premises_id: int, data: StayIn, landlord_phone: str, now: dt.datetime
) -> RentalStay:
    """A stay registered by the verified landlord (audited without the tenant's data)."""
    house = rental_house(session, premises_id)
    if house is None:
        raise NotFound("no such rental house")
    if not data.consent:
        raise Invalid("consent", "the tenant's consent is needed to register the stay")
    if data.end_date < data.start_date:
        raise Invalid("end_date", "is before start_date")
    if data.end_date > data.start_date + dt.timedelta(days=3 * 366):
        raise Invalid("end_date", "a stay is registered for 3 years at most; register again")
    if data.start_date < now.date() - dt.timedelta(days=366):
        raise Invalid("start_date", "is more than a year ago")
    stay = RentalStay(
        premises_id=house.id,
        jpath=house.jpath,
        tenant_count=data.tenant_count,
        start_date=data.start_date,
        end_date=data.end_date,
        tenant_name=data.tenant_name,
        tenant_id_no=data.tenant_id_no.upper(),
        landlord_phone=landlord_phone,
        consent_at=now,
        state="submitted",
        created_at=now,
    )
    session.add(stay)
    session.flush()
    record(
        session,
        actor=Actor(id=None, name="public:landlord", jpath="/", ip=None),
        action="create",
        entity="rental_stay",
        entity_id=stay.id,
        jpath=stay.jpath,
        detail={"premises_id": house.id, "tenants": data.tenant_count},
    )
    return stay


def stays_of(session: Session, premises_id: int) -> list[RentalStay]:
    """The stays of one house, newest first (for the landlord's page, shown masked)."""
    return list(
        session.scalars(
            select(RentalStay)
            .where(RentalStay.premises_id == premises_id)
            .order_by(RentalStay.start_date.desc(), RentalStay.id.desc())
            .limit(50)
        )
    )


def stays_query(
    principal: Principal, *, state: str | None = None, premises_id: int | None = None
) -> Any:
    """Stays in the caller's scope (the community officer's queue), submitted first; those of
    one house with ``premises_id``."""
    q = select(RentalStay, Premises.name).join(Premises, Premises.id == RentalStay.premises_id)
    q = q.where(scope_clause(principal, RentalStay.jpath))
    if premises_id is not None:
        q = q.where(RentalStay.premises_id == premises_id)
    if state:
        q = q.where(RentalStay.state == state)
    return q.order_by(RentalStay.state.desc(), RentalStay.created_at.desc())


def _stay(session: Session, principal: Principal, stay_id: int) -> RentalStay:
    s = session.get(RentalStay, stay_id)
    if s is None or not principal.can_see(s.jpath):
        raise NotFound(f"stay {stay_id} does not exist or is outside your jurisdiction")
    return s


def review_stay(
    session: Session, *, principal: Principal, stay_id: int, to_state: str, note: str
) -> RentalStay:
    """Accept a stay, or return it to the landlord with a note."""
    s = _stay(session, principal, stay_id)
    if s.state != "submitted":
        raise Invalid("to_state", f"the stay is already {s.state}")
    if to_state == "returned" and not note.strip():
        raise Invalid("note", "say what the landlord must correct")
    s.state, s.review_note = to_state, note or None
    s.reviewed_by_id, s.reviewed_at = principal.user_id, utcnow()
    record(
        session,
        actor=principal.actor,
        action="review",
        entity="rental_stay",
        entity_id=s.id,
        jpath=s.jpath,
        detail={"to": to_state},
    )
    return s


def reveal_stay(
    session: Session, *, principal: Principal, stay_id: int, reason: str
) -> dict[str, str | None]:
    """The tenant's name and ID number, for the reviewing officer; audited with the reason."""
    if not reason.strip():
        raise Invalid("reason", "say why you need the tenant's data")
    s = _stay(session, principal, stay_id)
    record(
        session,
        actor=principal.actor,
        action="view_personal",
        entity="rental_stay",
        entity_id=s.id,
        jpath=s.jpath,
        detail={"fields": ["tenant_name", "tenant_id_no", "landlord_phone"], "reason": reason},
    )
    return {
        "tenant_name": s.tenant_name,
        "tenant_id_no": s.tenant_id_no,
        "landlord_phone": s.landlord_phone,
    }


def masked(s: RentalStay) -> dict[str, Any]:
    """A stay as lists show it."""
    return {
        "tenant_name_masked": mask_name(s.tenant_name),
        "tenant_id_masked": mask_id_no(s.tenant_id_no),
        "landlord_phone_masked": mask_phone(s.landlord_phone),
    }


def remind_stays(session: Session, *, actor: Actor, now: dt.datetime) -> int:
    """Landlords of accepted stays ending within 3 days (or ended) get one SMS reminder."""
    soon = now.date() + dt.timedelta(days=3)
    rows = session.scalars(
        select(RentalStay).where(
            RentalStay.state == "accepted",
            RentalStay.end_date <= soon,
            RentalStay.end_date >= now.date() - dt.timedelta(days=7),
            RentalStay.reminded_at.is_(None),
            RentalStay.purged_at.is_(None),
        )
    ).all()
    send = sender_for(get_settings().sms_sender)
    for s in rows:
        if s.landlord_phone:
            send(
                s.landlord_phone,
                f"【平安】您登记的租住将于{s.end_date:%m月%d日}到期，请及时续登或办理退租登记。",
            )
        s.reminded_at = now
    if rows:
        record(
            session, actor=actor, action="remind", entity="rental_stay", detail={"stays": len(rows)}
        )
    return len(rows)


def purge_stays(session: Session, *, actor: Actor, now: dt.datetime) -> int:
    """Tenants' names, ID numbers and the landlord's phone deleted six months after the stay
    ended (the counts and dates stay, for the statistics)."""
    cutoff = (now - STAY_KEEP).date()
    rows = session.scalars(
        select(RentalStay).where(RentalStay.end_date < cutoff, RentalStay.purged_at.is_(None))
    ).all()
    for s in rows:
        s.tenant_name = s.tenant_id_no = s.landlord_phone = None
        s.purged_at = now
    if rows:
        record(
            session,
            actor=actor,
            action="purge_personal",
            entity="rental_stay",
            detail={
                "stays": len(rows),
                "fields": ["tenant_name", "tenant_id_no", "landlord_phone"],
            },
        )
    return len(rows)


def registered_share(
    session: Session, premises_ids: list[int], *, today: dt.date
) -> dict[int, int]:
    """Stays in force today per house (accepted or submitted)."""
    if not premises_ids:
        return {}
    rows = session.execute(
        select(RentalStay.premises_id, func.count())
        .where(
            RentalStay.premises_id.in_(premises_ids),
            RentalStay.state != "returned",
            RentalStay.start_date <= today,
            RentalStay.end_date >= today,
        )
        .group_by(RentalStay.premises_id)
    ).all()
    return {int(r[0]): int(r[1]) for r in rows}


def local_today() -> dt.date:
    """Today in the bureau's time zone (``PINGAN_TIMEZONE``, Asia/Shanghai): a stay is in
    force on the bureau's day, not on the UTC one."""
    return dt.datetime.now(ZoneInfo(get_settings().timezone)).date()


def houses_query(principal: Principal) -> Any:
    """Rental houses in the caller's scope, by name."""
    return (
        select(Premises)
        .where(Premises.kind == "rental_house", scope_clause(principal, Premises.jpath))
        .order_by(Premises.name, Premises.id)
    )


SHARE_BASIS = (
    "rental houses (premises of kind rental_house) in your jurisdiction with at least one stay "
    "in force today (start_date <= today <= end_date) registered by the landlord through the "
    "house's QR plate and not returned, divided by all rental houses in your jurisdiction"
)
"""How ``registered_share`` is computed, in words (shown beside the number)."""


def houses_with_stays(session: Session, principal: Principal, *, today: dt.date) -> int:
    """How many rental houses in scope have a stay in force today (not returned)."""
    return int(
        session.scalar(
            select(func.count(func.distinct(RentalStay.premises_id))).where(
                scope_clause(principal, RentalStay.jpath),
                RentalStay.state != "returned",
                RentalStay.start_date <= today,
                RentalStay.end_date >= today,
            )
        )
        or 0
    )
