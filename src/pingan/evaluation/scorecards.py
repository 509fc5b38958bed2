"""Scorecards: the specification of a card (its indicators, weights and targets), the bureau's
default card, and the cards stored per jurisdiction (create, update, delete; admins only)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal
from pingan.errors import Invalid, NotFound
from pingan.evaluation.models import (
    DIRECTIONS,
    PERIOD_KINDS,
    Indicator,
    Scorecard,
)
from pingan.evaluation.sources import SOURCES
from pingan.jurisdictions.models import Jurisdiction
from pingan.store.base import utcnow

__all__ = [
    "DEFAULT_FILE",
    "CardSpec",
    "IndicatorSpec",
    "create_scorecard",
    "default_spec",
    "delete_scorecard",
    "get_scorecard_or_raise",
    "list_scorecards",
    "resolve_spec",
    "spec_of",
    "update_scorecard",
    "validate_spec",
]

DEFAULT_FILE = Path(__file__).with_name("default_scorecard.yaml")


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator of a card, as the kernel needs it."""

    code: str
    name_zh: str
    name_en: str
    source: str
    weight: float
    target: float
    direction: str


@dataclass(frozen=True)
class CardSpec:
    """A scorecard, stored or the packaged default (``id`` None)."""

    id: int | None
    code: str
    name_zh: str
    name_en: str
    period_kind: str
    jpath: str
    achievement_cap: float
    indicators: tuple[IndicatorSpec, ...]


def validate_spec(
    *,
    period_kind: str,
    achievement_cap: float,
    indicators: list[dict[str, Any]],
) -> None:
    """Check a card; ``Invalid`` naming the field (``indicators[2].weight``) and the reason."""
    if period_kind not in PERIOD_KINDS:
        raise Invalid(
            "period_kind", f"{period_kind!r} is not a period kind; use {', '.join(PERIOD_KINDS)}"
        )
    if not (math.isfinite(achievement_cap) and 0 < achievement_cap <= 10):
        raise Invalid("achievement_cap", "must be a number in (0, 10]")
    if not indicators:
        raise Invalid("indicators", "a scorecard needs at least one indicator")
    seen: set[str] = set()
    for i, ind in enumerate(indicators):
        f = f"indicators[{i}]"
        code = str(ind.get("code", ""))
        if not code:
            raise Invalid(f"{f}.code", "must not be empty")
        if code in seen:
            raise Invalid(f"{f}.code", f"{code!r} appears twice")
        seen.add(code)
        if ind.get("source") not in SOURCES:
            raise Invalid(
                f"{f}.source",
                f"{ind.get('source')!r} is not an indicator source; use {', '.join(SOURCES)}",
            )
        if ind.get("direction") not in DIRECTIONS:
            raise Invalid(f"{f}.direction", "use 'higher' or 'lower' (which value is better)")
        w, t = float(ind.get("weight", -1)), float(ind.get("target", 0))
        if not (math.isfinite(w) and w >= 0):
            raise Invalid(f"{f}.weight", "must be a number >= 0")
        if not (math.isfinite(t) and t > 0):
            raise Invalid(f"{f}.target", "must be a number > 0")
    if sum(float(ind["weight"]) for ind in indicators) <= 0:
        raise Invalid("indicators", "the weights must sum to more than 0")


@lru_cache(maxsize=4)
def _load_default(path: str) -> CardSpec:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    inds = [
        {
            "code": d["code"],
            "name_zh": d["zh"],
            "name_en": d["en"],
            "source": d["source"],
            "weight": float(d["weight"]),
            "target": float(d["target"]),
            "direction": d["direction"],
        }
        for d in raw["indicators"]
    ]
    validate_spec(
        period_kind=raw["period_kind"],
        achievement_cap=float(raw.get("achievement_cap", 1.2)),
        indicators=inds,
    )
    return CardSpec(
        id=None,
        code=str(raw["code"]),
        name_zh=str(raw["name_zh"]),
        name_en=str(raw["name_en"]),
        period_kind=str(raw["period_kind"]),
        jpath="/",
        achievement_cap=float(raw.get("achievement_cap", 1.2)),
        indicators=tuple(IndicatorSpec(**d) for d in inds),
    )


def default_spec() -> CardSpec:
    """The packaged default scorecard (``default_scorecard.yaml``)."""
    return _load_default(str(DEFAULT_FILE))


def spec_of(session: Session, card: Scorecard) -> CardSpec:
    """The kernel's view of a stored card."""
    inds = session.scalars(
        select(Indicator).where(Indicator.scorecard_id == card.id).order_by(Indicator.position)
    ).all()
    return CardSpec(
        id=card.id,
        code=card.code,
        name_zh=card.name_zh,
        name_en=card.name_en,
        period_kind=card.period_kind,
        jpath=card.jpath,
        achievement_cap=card.achievement_cap,
        indicators=tuple(
            IndicatorSpec(i.code, i.name_zh, i.name_en, i.source, i.weight, i.target, i.direction)
            for i in inds
        ),
    )


def list_scorecards(session: Session, *, principal: Principal) -> list[Scorecard]:
    """Cards that apply to the caller: the bureau's and those of jurisdictions on the caller's
    path or inside the caller's scope."""
    rows = session.scalars(select(Scorecard).order_by(Scorecard.jpath, Scorecard.code)).all()
    return [c for c in rows if principal.can_see(c.jpath) or principal.jpath.startswith(c.jpath)]


def get_scorecard_or_raise(
    session: Session, *, principal: Principal, scorecard_id: int
) -> Scorecard:
    """One card, or ``NotFound`` (also when it applies outside the caller's scope)."""
    c = session.get(Scorecard, scorecard_id)
    if c is None or not (principal.can_see(c.jpath) or principal.jpath.startswith(c.jpath)):
        raise NotFound(f"scorecard {scorecard_id} does not exist", field="scorecard_id")
    return c


def resolve_spec(
    session: Session, *, principal: Principal, scorecard_id: int | None, jpath: str
) -> CardSpec:
    """The card to compute: the one asked for, else the active stored card of the most
    specific jurisdiction on ``jpath``'s path, else the packaged default."""
    if scorecard_id is not None:
        return spec_of(
            session, get_scorecard_or_raise(session, principal=principal, scorecard_id=scorecard_id)
        )
    cards = [
        c
        for c in session.scalars(select(Scorecard).where(Scorecard.active.is_(True))).all()
        if jpath.startswith(c.jpath)
    ]
    if cards:
        best = max(cards, key=lambda c: (len(c.jpath), c.updated_at, c.id))
        return spec_of(session, best)
    return default_spec()


def _card_jpath(session: Session, jurisdiction_id: int | None) -> str:
    if jurisdiction_id is None:
        return "/"
    j = session.get(Jurisdiction, jurisdiction_id)
    if j is None:
        raise Invalid("jurisdiction_id", f"no jurisdiction with id {jurisdiction_id}")
    return j.path


def _write_indicators(session: Session, card: Scorecard, inds: list[dict[str, Any]]) -> None:
    for old in session.scalars(select(Indicator).where(Indicator.scorecard_id == card.id)):
        session.delete(old)
    session.flush()
    for pos, d in enumerate(inds):
        session.add(
            Indicator(
                scorecard_id=card.id,
                position=pos,
                code=d["code"],
                name_zh=d["name_zh"],
                name_en=d["name_en"],
                source=d["source"],
                weight=float(d["weight"]),
                target=float(d["target"]),
                direction=d["direction"],
            )
        )
    session.flush()


def create_scorecard(session: Session, *, principal: Principal, data: dict[str, Any]) -> Scorecard:
    """Store a new card (admin); audited."""
    validate_spec(
        period_kind=data["period_kind"],
        achievement_cap=float(data.get("achievement_cap", 1.2)),
        indicators=data["indicators"],
    )
    if session.scalar(select(Scorecard.id).where(Scorecard.code == data["code"])) is not None:
        raise Invalid("code", f"{data['code']!r} is already taken")
    card = Scorecard(
        code=data["code"],
        name_zh=data["name_zh"],
        name_en=data["name_en"],
        period_kind=data["period_kind"],
        jurisdiction_id=data.get("jurisdiction_id"),
        jpath=_card_jpath(session, data.get("jurisdiction_id")),
        achievement_cap=float(data.get("achievement_cap", 1.2)),
        active=bool(data.get("active", True)),
        description=data.get("description", ""),
    )
    session.add(card)
    session.flush()
    _write_indicators(session, card, data["indicators"])
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="scorecard",
        entity_id=card.id,
        jpath=card.jpath,
        detail={"code": card.code, "indicators": [d["code"] for d in data["indicators"]]},
    )
    return card


def update_scorecard(
    session: Session, *, principal: Principal, scorecard_id: int, data: dict[str, Any]
) -> Scorecard:
    """Change a card (admin); fields not given stay; ``indicators`` replaces the list."""
    card = get_scorecard_or_raise(session, principal=principal, scorecard_id=scorecard_id)
    current = spec_of(session, card)
    inds = data.get("indicators")
    if inds is None:
        inds = [i.__dict__.copy() for i in current.indicators]
    validate_spec(
        period_kind=data.get("period_kind") or card.period_kind,
        achievement_cap=float(data.get("achievement_cap") or card.achievement_cap),
        indicators=inds,
    )
    for k in ("name_zh", "name_en", "period_kind", "achievement_cap", "active", "description"):
        if data.get(k) is not None:
            setattr(card, k, data[k])
    if "jurisdiction_id" in data:
        card.jurisdiction_id = data["jurisdiction_id"]
        card.jpath = _card_jpath(session, data["jurisdiction_id"])
    if data.get("indicators") is not None:
        _write_indicators(session, card, inds)
    card.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="update",
        entity="scorecard",
        entity_id=card.id,
        jpath=card.jpath,
        detail={"fields": sorted(k for k, v in data.items() if v is not None)},
    )
    return card


def delete_scorecard(session: Session, *, principal: Principal, scorecard_id: int) -> None:
    """Delete a card and its indicators (admin); audited."""
    card = get_scorecard_or_raise(session, principal=principal, scorecard_id=scorecard_id)
    for old in session.scalars(select(Indicator).where(Indicator.scorecard_id == card.id)):
        session.delete(old)
    record(
        session,
        actor=principal.actor,
        action="delete",
        entity="scorecard",
        entity_id=card.id,
        jpath=card.jpath,
        detail={"code": card.code},
    )
    session.delete(card)
    session.flush()
