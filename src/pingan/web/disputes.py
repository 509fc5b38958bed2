"""Casework pages: the dispute list with risk badges and fired rules (``/casework``), the case
page with its mediation log, follow-ups and actions (``/casework/disputes/{id}``), and the
register form (``/casework/disputes/new``). Server-rendered for a phone-sized screen; the forms
post JSON to ``/api/v1/disputes`` through ``static/js/casework.js`` with the CSRF header.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.config import get_settings
from pingan.disputes import service
from pingan.disputes.models import (
    KINDS,
    MEDIATION_METHODS,
    MEDIATION_OUTCOMES,
    PARTY_ROLES,
    REFERRAL_TARGETS,
    RISK_LEVELS,
    SOURCES,
    VULNERABLE_REASONS,
    Dispute,
    DisputeEvent,
)
from pingan.errors import NotFound
from pingan.masking import mask_name, mask_phone
from pingan.web.i18n import translator
from pingan.web.views import language, page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 30
STATES = tuple(service.LIFECYCLE.states)


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the configured zone (Asia/Shanghai by default)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(get_settings().timezone)).strftime(fmt)


def _choices() -> dict[str, Any]:
    return {
        "local": local_time,
        "kinds": KINDS,
        "sources": SOURCES,
        "states": STATES,
        "risks": RISK_LEVELS,
        "party_roles": PARTY_ROLES,
        "vulnerable_reasons": VULNERABLE_REASONS,
        "methods": MEDIATION_METHODS,
        "outcomes": MEDIATION_OUTCOMES,
        "referral_targets": REFERRAL_TARGETS,
    }


def _fired(d: Dispute, lang: str) -> list[dict[str, str]]:
    key = "explanation_en" if lang == "en" else "explanation_zh"
    return [
        {"code": f["code"], "level": f["level"], "text": f[key]}
        for f in service.risk_of(d)["fired"]
    ]


# note parameters that are codes, shown through their own messages
_PARAM_KEYS = {
    "method": "casework.method.",
    "outcome": "casework.outcome.",
    "result": "casework.fu.",
    "target": "casework.target.",
}


def event_note(e: DisputeEvent, lang: str) -> str:
    """A timeline note in the page language: the ``casework.note.<code>`` message with its
    parameters (codes translated), else the text stored for the language, else the note as
    stored (a user's own words)."""
    n = service.event_note(e)
    if n["texts"].get(lang):
        return str(n["texts"][lang])
    t = translator(lang)
    key = f"casework.note.{n['code']}"
    message = str(t(key))
    if n["code"] and message != key:
        params = {
            k: t(_PARAM_KEYS[k] + str(v)) if k in _PARAM_KEYS else str(v)
            for k, v in n["params"].items()
        }
        try:
            return message.format(**params)
        except (KeyError, IndexError, ValueError):  # the message and its parameters disagree
            pass
    return str(n["text"])


def _forbidden(request: Request, who: Any, template: str) -> HTMLResponse:
    return render(
        request, template, {"forbidden": True, **_choices()}, principal=who, status_code=403
    )


def _pick(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


@router.get("/casework", response_class=HTMLResponse)
def dispute_list(
    request: Request,
    session: SessionDep,
    state: str | None = None,
    kind: str | None = None,
    risk: str | None = None,
    open_only: bool = False,
    page: int = 1,
) -> Response:
    """Disputes in the caller's jurisdiction, newest first, with risk badges and fired rules."""
    guard = page_caller(request, session, "/casework")
    if isinstance(guard, RedirectResponse):
        return guard
    who = guard.principal
    if not guard.allowed:
        return _forbidden(request, who, "casework_list.html")
    lang = language(request)
    page = max(1, min(page, 10_000))
    filters = {
        "state": _pick(state, STATES),
        "kind": _pick(kind, KINDS),
        "risk": _pick(risk, RISK_LEVELS),
    }
    q = service.list_query(
        who,
        state=filters["state"],
        kind=filters["kind"],
        risk=filters["risk"],
        open_only=open_only,
    )
    rows = list(session.scalars(q.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    parties = service.parties_for(session, [d.id for d in rows])
    items = [
        {
            "d": d,
            "fired": _fired(d, lang),
            "parties": [
                {"role": p.role, "name": mask_name(p.display_name), "vulnerable": p.vulnerable}
                for p in parties[d.id]
            ],
        }
        for d in rows
    ]
    qs = {k: v for k, v in filters.items() if v}
    if open_only:
        qs["open_only"] = "true"
    return render(
        request,
        "casework_list.html",
        {
            "forbidden": False,
            "items": items,
            "filters": filters,
            "open_only": open_only,
            "page": page,
            "more": more,
            "qs": "&".join(f"{k}={v}" for k, v in qs.items()),
            **_choices(),
        },
        principal=who,
    )


@router.get("/casework/disputes/new", response_class=HTMLResponse)
def dispute_new(request: Request, session: SessionDep, incident_id: int | None = None) -> Response:
    """The register form (optionally from a 110 incident)."""
    guard = page_caller(request, session, "/casework/disputes/new")
    if isinstance(guard, RedirectResponse):
        return guard
    who = guard.principal
    if not guard.allowed:
        return _forbidden(request, who, "casework_new.html")
    return render(
        request,
        "casework_new.html",
        {"forbidden": False, "incident_id": incident_id, **_choices()},
        principal=who,
    )


@router.get("/casework/disputes/{dispute_id}", response_class=HTMLResponse)
def dispute_page(request: Request, session: SessionDep, dispute_id: int) -> Response:
    """One case: facts, risk with its fired rules, parties (masked), mediation log, follow-ups,
    timeline, and the allowed actions."""
    guard = page_caller(request, session, "/casework/disputes/{dispute_id}")
    if isinstance(guard, RedirectResponse):
        return guard
    who = guard.principal
    if not guard.allowed:
        return _forbidden(request, who, "casework_case.html")
    lang = language(request)
    try:
        d = service.get_or_raise(session, principal=who, dispute_id=dispute_id)
    except NotFound:
        return render(
            request,
            "casework_case.html",
            {"forbidden": False, "missing": True, "d": None, **_choices()},
            principal=who,
            status_code=404,
        )
    risk = service.risk_of(d)
    parties = [
        {
            "id": p.id,
            "role": p.role,
            "name": mask_name(p.display_name),
            "phone": mask_phone(p.phone),
            "vulnerable": p.vulnerable,
            "reason": p.vulnerable_reason,
        }
        for p in service.parties_for(session, [d.id])[d.id]
    ]
    return render(
        request,
        "casework_case.html",
        {
            "forbidden": False,
            "missing": False,
            "d": d,
            "fired": _fired(d, lang),
            "risk_reason": risk["reason_en"] if lang == "en" else risk["reason_zh"],
            "parties": parties,
            "steps": service.steps_of(session, d.id),
            "follow_ups": service.follow_ups_of(session, d.id),
            "events": [
                {"e": e, "note": event_note(e, lang)}
                for e in service.timeline(session, principal=who, dispute_id=d.id)
            ],
            "allowed": service.LIFECYCLE.allowed(d.state),
            "can_mediate": d.state in service.OPEN_STATES,
            **_choices(),
        },
        principal=who,
    )
