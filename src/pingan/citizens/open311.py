"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over the online reports:
partner keys (only their SHA-256 stored, revocable), the service list (the public categories),
service requests as the standard shapes them, and the XML form of every answer.

A service request is an online report: ``service_request_id`` is its tracking code, ``status``
is ``open`` or ``closed``, ``status_notes`` the station's latest public reply. No personal data
leaves: no description, no contact, only the address as it was typed and the point.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.citizens.categories import CATEGORIES, category
from pingan.citizens.models import OnlineReport, Open311Key, PublicReply
from pingan.citizens.service import OPEN_STATES, report_replies
from pingan.errors import Conflict, Invalid, NotFound, Unauthenticated
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.store.base import utcnow

__all__ = [
    "add_key",
    "check_key",
    "list_keys",
    "request_rows",
    "revoke_key",
    "service_definition",
    "services",
    "to_xml",
    "xml_document",
]

_PREFIX = "o311_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_key(session: Session, *, actor: Actor, name: str) -> tuple[Open311Key, str]:
    """A new key for the partner ``name``: the row and the key itself (shown once)."""
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise Invalid("name", "must be 1-80 characters")
    if session.scalar(select(Open311Key.id).where(Open311Key.name == name)) is not None:
        raise Conflict(
            f"an Open311 key named {name!r} exists; revoke it or pick another name", field="name"
        )
    key = _PREFIX + secrets.token_urlsafe(24)
    row = Open311Key(name=name, key_hash=_hash(key), prefix=key[:10], created_at=utcnow())
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="open311_key",
        entity_id=row.id,
        detail={"name": name, "prefix": row.prefix},
    )
    return row, key


def revoke_key(session: Session, *, actor: Actor, name: str) -> Open311Key:
    """Revoke the key of partner ``name`` (its requests are refused from now on)."""
    row = session.scalar(select(Open311Key).where(Open311Key.name == name))
    if row is None:
        raise NotFound(f"no Open311 key named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(
            session,
            actor=actor,
            action="revoke",
            entity="open311_key",
            entity_id=row.id,
            detail={"name": name},
        )
    return row


def list_keys(session: Session) -> list[Open311Key]:
    """Every key, newest first."""
    return list(session.scalars(select(Open311Key).order_by(Open311Key.id.desc())))


def check_key(session: Session, key: str | None) -> Open311Key:
    """The live key row of ``api_key``, else ``Unauthenticated`` (``api_key``)."""
    if not key:
        raise Unauthenticated("api_key: required to post a service request", field="api_key")
    row = session.scalar(select(Open311Key).where(Open311Key.key_hash == _hash(key)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("api_key: unknown or revoked key", field="api_key")
    row.last_used_at = utcnow()
    return row


def services(lang: str = "zh-CN") -> list[dict[str, Any]]:
    """GET services: one per public category."""
    return [
        {
            "service_code": c.code,
            "service_name": c.name(lang),
            "description": (c.hint_zh if lang == "zh-CN" else c.hint_en) or c.name(lang),
            "metadata": False,
            "type": "realtime",
            "keywords": c.subtype,
            "group": c.group_zh if lang == "zh-CN" else c.group_en,
        }
        for c in CATEGORIES
    ]


def service_definition(code: str) -> dict[str, Any]:
    """GET services/{code}: no extra attributes (``metadata`` is false for every service)."""
    if category(code) is None:
        raise NotFound(f"service_code: {code!r} is not a service", field="service_code")
    return {"service_code": code, "attributes": []}


def _w3c(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_rows(
    session: Session,
    *,
    ids: Sequence[str] = (),
    service_codes: Sequence[str] = (),
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    status: Sequence[str] = (),
    lang: str = "zh-CN",
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """GET requests: by ids (which override every other filter), or by service codes, dates
    (default: the last 90 days; a range may not span more than 90 days) and status."""
    q = select(OnlineReport, Incident).join(Incident, Incident.id == OnlineReport.incident_id)
    if ids:
        q = q.where(OnlineReport.code.in_([i.strip().upper() for i in ids]))
    else:
        end = end or utcnow()
        start = start or end - dt.timedelta(days=90)
        if start > end:
            raise Invalid("start_date", "is after end_date")
        if end - start > dt.timedelta(days=90):
            raise Invalid("start_date", "a range may span at most 90 days")
        q = q.where(OnlineReport.created_at >= start, OnlineReport.created_at <= end)
        if service_codes:
            q = q.where(OnlineReport.category.in_(service_codes))
        wanted = set(status)
        if wanted - {"open", "closed"}:
            raise Invalid("status", "use open, closed or both (comma separated)")
        if wanted == {"open"}:
            q = q.where(Incident.state.in_(OPEN_STATES))
        elif wanted == {"closed"}:
            q = q.where(Incident.state.not_in(OPEN_STATES))
    rows = session.execute(q.order_by(OnlineReport.created_at.desc()).limit(limit)).all()
    replies = report_replies(session, [r[0].id for r in rows])
    stations = _stations(session, [r[1].jpath for r in rows])
    out = []
    for report, inc in rows:
        cat = category(report.category)
        notes = [p for p in replies.get(report.id, []) if p.public]
        out.append(
            {
                "service_request_id": report.code,
                "status": "open" if inc.state in OPEN_STATES else "closed",
                "status_notes": notes[-1].text if notes else None,
                "service_name": cat.name(lang) if cat else report.category,
                "service_code": report.category,
                "description": None,
                "agency_responsible": stations.get(inc.jpath, ""),
                "service_notice": None,
                "requested_datetime": _w3c(report.created_at),
                "updated_datetime": _w3c(inc.updated_at),
                "expected_datetime": None,
                "address": inc.address_text,
                "address_id": None,
                "zipcode": None,
                "lat": round(inc.lat, 6),
                "long": round(inc.lon, 6),
                "media_url": None,
            }
        )
    return out


def _stations(session: Session, jpaths: Sequence[str]) -> dict[str, str]:
    ids = {int(x) for p in jpaths for x in p.strip("/").split("/") if x}
    if not ids:
        return {}
    names = {
        j.path: j.name_zh
        for j in session.scalars(
            select(Jurisdiction).where(Jurisdiction.id.in_(ids), Jurisdiction.level == "station")
        )
    }
    out = {}
    for p in jpaths:
        out[p] = next((n for sp, n in names.items() if p.startswith(sp)), "")
    return out


def public_notes(replies: Sequence[PublicReply]) -> list[str]:
    """The texts of the public replies."""
    return [r.text for r in replies if r.public]


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def to_xml(root: str, item: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """The XML form of a list answer: ``<root><item><field>…</field></item>…</root>``
    (``attributes`` and ``endpoints`` lists nest the same way)."""

    def element(tag: str, value: Any) -> str:
        if isinstance(value, list):
            child = tag[:-1] if tag.endswith("s") else tag
            inner = "".join(
                f"<{child}>{_fields(v)}</{child}>"
                if isinstance(v, Mapping)
                else f"<{child}>{_xml_value(v)}</{child}>"
                for v in value
            )
            return f"<{tag}>{inner}</{tag}>"
        if isinstance(value, Mapping):
            return f"<{tag}>{_fields(value)}</{tag}>"
        return f"<{tag}>{_xml_value(value)}</{tag}>"

    def _fields(row: Mapping[str, Any]) -> str:
        return "".join(element(k, v) for k, v in row.items())

    body = "".join(f"<{item}>{_fields(r)}</{item}>" for r in rows)
    return f'<?xml version="1.0" encoding="utf-8"?><{root}>{body}</{root}>'


def xml_document(root: str, fields: Mapping[str, Any]) -> str:
    """The XML form of a one-object answer (discovery, a service definition)."""
    inner = to_xml("x", root, [fields]).split("<x>", 1)[1].rsplit("</x>", 1)[0]
    return '<?xml version="1.0" encoding="utf-8"?>' + inner
