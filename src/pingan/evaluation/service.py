"""Scorecards, their computation per officer, grid cell, community and station, the rows behind
every figure, rankings, trends, and the aggregated surveys and inspections they read.

Computing a card runs one aggregate query per indicator (``GROUP BY jpath, officer``, so the
database returns a few thousand rows, not the records), maps the groups onto the entities of
every level at once with numpy, and scores them with :func:`pingan.evaluation.scoring.score`.

Attribution: *place* indicators (incidents, disputes, premises, surveys) belong to the grid
cell they happened in, and through it to its community, station and owning officer; *officer*
indicators (instructions, checklist tasks) belong to the officer they were given to, and
through the officer's own jurisdiction to a community and a station; a grid cell shows its
owning officer's figures for them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.errors import Invalid, NotFound, PermissionDenied
from pingan.evaluation.models import (
    DIRECTIONS,
    INSPECTION_OUTCOMES,
    PERIOD_KINDS,
    SURVEY_METHODS,
    Indicator,
    PremisesInspection,
    SatisfactionSurvey,
    Scorecard,
)
from pingan.evaluation.periods import Period
from pingan.evaluation.scoring import grouped_quantile, grouped_sum, rank_desc, score
from pingan.evaluation.sources import SOURCES, Ctx, Source, unavailable_reason
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.store.base import utcnow

__all__ = [
    "ADMIN_ROLES",
    "DEFAULT_FILE",
    "LEVELS",
    "CardSpec",
    "Geography",
    "IndicatorSpec",
    "LevelResult",
    "compute",
    "create_inspection",
    "create_scorecard",
    "create_survey",
    "default_spec",
    "delete_scorecard",
    "get_scorecard_or_raise",
    "get_survey_or_raise",
    "list_scorecards",
    "load_geography",
    "resolve_spec",
    "source_rows",
    "spec_of",
    "trend",
    "update_scorecard",
    "validate_spec",
]

DEFAULT_FILE = Path(__file__).with_name("default_scorecard.yaml")
LEVELS: tuple[str, ...] = ("officer", "cell", "community", "station")
ADMIN_ROLES = frozenset({"admin"})
RANK_MIN_COVERAGE = 0.5
"""Entities with data for less than this share of the card's weight are scored but not ranked,
so that a score resting on one or two indicators does not top the table."""
SURVEY_ROLES = frozenset({"admin", "station_chief", "commander"})
INSPECTION_ROLES = frozenset({"admin", "station_chief", "community_officer"})
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


# ---------------------------------------------------------------- scorecard specs


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


def _require_admin(principal: Principal) -> None:
    if principal.role not in ADMIN_ROLES:
        raise PermissionDenied(
            f"role {principal.role!r} may not change scorecards; allowed: admin", field="role"
        )


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
    _require_admin(principal)
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
    _require_admin(principal)
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
    _require_admin(principal)
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


# ---------------------------------------------------------------- geography


@dataclass
class Entities:
    """The entities of one level in scope: ids, codes, names, paths and the parent's name."""

    ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    names_zh: list[str] = field(default_factory=list)
    names_en: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    parent_zh: list[str] = field(default_factory=list)
    parent_en: list[str] = field(default_factory=list)
    index: dict[int, int] = field(default_factory=dict)

    def add(self, id_: int, code: str, zh: str, en: str, path: str, pzh: str, pen: str) -> None:
        self.index[id_] = len(self.ids)
        self.ids.append(id_)
        self.codes.append(code)
        self.names_zh.append(zh)
        self.names_en.append(en)
        self.paths.append(path)
        self.parent_zh.append(pzh)
        self.parent_en.append(pen)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Geography:
    """Stations, communities, cells and officers in a scope, and how they nest."""

    jpath: str
    levels: dict[str, Entities]
    cell_owner: I64  # cell index -> officer index (-1 none)
    officer_home: dict[str, I64]  # level -> officer index -> entity index (-1 none)
    level_of_id: dict[int, tuple[str, int]]
    _jp_cache: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def locate(self, jpath: str | None) -> tuple[int, int, int]:
        """(station, community, cell) indices of a row's path (-1 where it has none)."""
        if jpath is None:
            return (-1, -1, -1)
        hit = self._jp_cache.get(jpath)
        if hit is not None:
            return hit
        out = [-1, -1, -1]
        for part in jpath.strip("/").split("/"):
            if not part:
                continue
            lv = self.level_of_id.get(int(part))
            if lv is not None:
                out[("station", "community", "cell").index(lv[0])] = lv[1]
        res = (out[0], out[1], out[2])
        self._jp_cache[jpath] = res
        return res


def load_geography(session: Session, *, jpath: str, officer_id: int | None = None) -> Geography:
    """Load the entities inside ``jpath``; ``officer_id`` keeps only that officer (the
    community officer's own card)."""
    J = Jurisdiction
    q = select(J.id, J.level, J.path, J.code, J.name_zh, J.name_en, J.owner_id, J.parent_id).where(
        J.level.in_(("station", "community", "cell"))
    )
    if jpath != "/":
        q = q.where(J.path.startswith(jpath, autoescape=True))
    rows = session.execute(q.order_by(J.path)).all()
    names = {
        int(i): (str(z), str(e))
        for i, z, e in session.execute(
            select(J.id, J.name_zh, J.name_en).where(
                J.level.in_(("district", "station", "community"))
            )
        )
    }
    levels = {lv: Entities() for lv in LEVELS}
    level_of: dict[int, tuple[str, int]] = {}
    owner_of_cell: list[int | None] = []
    for r in sorted(rows, key=lambda r: ("station", "community", "cell").index(r.level)):
        pz, pe = names.get(int(r.parent_id or 0), ("", ""))
        ents = levels[r.level]
        level_of[int(r.id)] = (r.level, len(ents))
        ents.add(int(r.id), r.code, r.name_zh, r.name_en, r.path, pz, pe)
        if r.level == "cell":
            owner_of_cell.append(r.owner_id)
    owners = {int(o) for o in owner_of_cell if o is not None}
    uq = select(User.id, User.username, User.display_name, User.jurisdiction_id).where(
        or_(User.id.in_(owners or {-1}), User.role == "community_officer")
    )
    officers = []
    paths = {int(i): str(p) for i, p in session.execute(select(J.id, J.path))}
    for uid, uname, dname, jid in session.execute(uq.order_by(User.username)):
        home = paths.get(int(jid)) if jid is not None else None
        if int(uid) not in owners and (home is None or not home.startswith(jpath)):
            continue
        if officer_id is not None and int(uid) != officer_id:
            continue
        officers.append((int(uid), str(uname), str(dname), home))
    geo = Geography(jpath, levels, np.zeros(0, np.int64), {}, level_of)
    off = levels["officer"]
    for uid, uname, dname, home in officers:
        _s, c, _x = geo.locate(home)
        pz = levels["community"].names_zh[c] if c >= 0 else ""
        pe = levels["community"].names_en[c] if c >= 0 else ""
        off.add(uid, uname, dname, dname, home or "/", pz, pe)
    geo.cell_owner = np.array(
        [off.index.get(int(o), -1) if o is not None else -1 for o in owner_of_cell],
        dtype=np.int64,
    )
    home_st = np.full(len(off), -1, np.int64)
    home_co = np.full(len(off), -1, np.int64)
    for k, (_uid, _u, _d, home) in enumerate(officers):
        s, c, _x = geo.locate(home)
        home_st[k], home_co[k] = s, c
    # an officer whose own jurisdiction is above a community: the community of his first cell
    for cell_idx in np.flatnonzero(geo.cell_owner >= 0):
        k = int(geo.cell_owner[cell_idx])
        if home_co[k] < 0 or home_st[k] < 0:
            s, c, _x = geo.locate(levels["cell"].paths[int(cell_idx)])
            home_co[k] = home_co[k] if home_co[k] >= 0 else c
            home_st[k] = home_st[k] if home_st[k] >= 0 else s
    geo.officer_home = {"station": home_st, "community": home_co}
    return geo


# ---------------------------------------------------------------- computing


@dataclass
class _Raw:
    """One indicator's aggregated records: per group, where (path index) and whose (officer)."""

    source: Source
    reason: str | None = None
    jp: list[str] = field(default_factory=list)
    off: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    num: F64 = field(default_factory=lambda: np.zeros(0))
    den: F64 = field(default_factory=lambda: np.zeros(0))
    values: F64 = field(default_factory=lambda: np.zeros(0))


@dataclass
class LevelResult:
    """Figures of one level: entities × indicators."""

    level: str
    entities: Entities
    value: F64
    numerator: F64
    denominator: F64
    achievement: F64
    contribution: F64
    score: F64
    coverage: F64
    rank: I64
    reasons: list[list[str | None]]


def make_ctx(
    session: Session,
    period: Period,
    *,
    jpath: str,
    now: dt.datetime | None,
    geo: Geography | None = None,
) -> Ctx:
    """The source queries' context; officer records are kept to the officers of ``geo``."""
    prev = period.last_year()
    return Ctx(
        start=period.start,
        end=period.end,
        first=period.first,
        last=period.last,
        prev_start=prev.start,
        prev_end=prev.end,
        now=now or utcnow(),
        dialect=session.get_bind().dialect.name,
        jpath=jpath,
        officers=None if geo is None else tuple(geo.levels["officer"].ids),
    )


def _load_raw(session: Session, src: Source, ctx: Ctx, geo: Geography) -> _Raw:
    raw = _Raw(src)
    raw.reason = unavailable_reason(src)
    if raw.reason is not None:
        return raw
    if ctx.start >= ctx.now:
        raw.reason = "the period has not started yet"
        return raw
    sub = src.build(ctx).subquery()
    if src.kind == "ratio":
        q: Select[Any] = select(
            sub.c.jpath, sub.c.officer_id, func.sum(sub.c.num), func.sum(sub.c.den)
        ).group_by(sub.c.jpath, sub.c.officer_id)
    else:
        q = select(sub.c.jpath, sub.c.officer_id, sub.c.value)
    rows = session.execute(q).all()
    off_index = geo.levels["officer"].index
    raw.jp = [r[0] for r in rows]
    raw.off = np.array(
        [off_index.get(int(r[1]), -1) if r[1] is not None else -1 for r in rows], dtype=np.int64
    )
    if src.kind == "ratio":
        raw.num = np.array([float(r[2] or 0) for r in rows])
        raw.den = np.array([float(r[3] or 0) for r in rows])
    else:
        raw.values = np.array([np.nan if r[2] is None else float(r[2]) for r in rows])
    return raw


def _entity_of_rows(raw: _Raw, geo: Geography, level: str) -> I64:
    """Entity index of each aggregated group at ``level`` (cell level of officer sources is
    broadcast afterwards)."""
    loc = np.array([geo.locate(j) for j in raw.jp], dtype=np.int64).reshape(-1, 3)
    if raw.source.attribution == "place":
        if level == "officer":
            cell = loc[:, 2]
            return (
                np.where(cell >= 0, geo.cell_owner[np.maximum(cell, 0)], -1)
                if len(geo.cell_owner)
                else np.full(len(cell), -1, np.int64)
            )
        return loc[:, ("station", "community", "cell").index(level)]
    if level in ("officer", "cell"):
        return raw.off
    home = geo.officer_home[level]
    return np.where(raw.off >= 0, home[np.maximum(raw.off, 0)], -1) if len(home) else raw.off


def _figures(raw: _Raw, geo: Geography, level: str, n: int) -> tuple[F64, F64, F64]:
    """(value, numerator, denominator) per entity; for distributions the denominator is the
    number of records and the numerator NaN."""
    if raw.reason is not None:
        nan = np.full(n, np.nan)
        return nan, nan.copy(), nan.copy()
    ent = _entity_of_rows(raw, geo, level)
    m = (
        len(geo.levels["officer"])
        if (level == "cell" and raw.source.attribution == "officer")
        else n
    )
    if raw.source.kind == "ratio":
        num = grouped_sum(ent, raw.num, m)
        den = grouped_sum(ent, raw.den, m)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    else:
        q = raw.source.quantile if raw.source.quantile is not None else 0.5
        val = grouped_quantile(ent, raw.values, m, q)
        den = grouped_sum(ent, np.ones(len(ent)), m)
        num = np.full(m, np.nan)
    if m != n:  # a cell shows its owner's figures for officer-attributed indicators
        own = geo.cell_owner
        ok = own >= 0
        pick = np.maximum(own, 0)
        val = np.where(ok, val[pick] if m else np.nan, np.nan)
        num = np.where(ok, num[pick] if m else np.nan, np.nan)
        den = np.where(ok, den[pick] if m else np.nan, np.nan)
    return val, num, den


def compute(
    session: Session,
    *,
    spec: CardSpec,
    period: Period,
    levels: tuple[str, ...],
    jpath: str,
    officer_id: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, LevelResult]:
    """Score every entity of each of ``levels`` inside ``jpath`` for ``period``."""
    for lv in levels:
        if lv not in LEVELS:
            raise Invalid("level", f"{lv!r} is not a level; use {', '.join(LEVELS)}")
    geo = load_geography(session, jpath=jpath, officer_id=officer_id)
    ctx = make_ctx(session, period, jpath=jpath, now=now, geo=geo)
    cache: dict[str, _Raw] = {}
    raws: list[_Raw] = []
    for ind in spec.indicators:
        src = SOURCES[ind.source]
        key = "response" if src.kind == "quantile" else src.code
        if key not in cache:
            cache[key] = _load_raw(session, src, ctx, geo)
        r = cache[key]
        raws.append(
            r if r.source is src else _Raw(src, r.reason, r.jp, r.off, r.num, r.den, r.values)
        )
    targets = np.array([i.target for i in spec.indicators])
    weights = np.array([i.weight for i in spec.indicators])
    higher = np.array([i.direction == "higher" for i in spec.indicators])
    out: dict[str, LevelResult] = {}
    for lv in levels:
        ents = geo.levels[lv]
        n, k = len(ents), len(spec.indicators)
        val = np.full((n, k), np.nan)
        num = np.full((n, k), np.nan)
        den = np.full((n, k), np.nan)
        reasons: list[list[str | None]] = [[None] * k for _ in range(n)]
        for j, raw in enumerate(raws):
            val[:, j], num[:, j], den[:, j] = _figures(raw, geo, lv, n)
            if raw.reason is not None:
                for e in range(n):
                    reasons[e][j] = raw.reason
            else:
                for e in np.flatnonzero(np.isnan(val[:, j])).tolist():
                    reasons[e][j] = _no_data_reason(raw.source, den[e, j])
        res = score(
            val, targets=targets, weights=weights, higher_is_better=higher, cap=spec.achievement_cap
        )
        out[lv] = LevelResult(
            level=lv,
            entities=ents,
            value=val,
            numerator=num,
            denominator=den,
            achievement=res.achievement,
            contribution=res.contribution,
            score=res.score,
            coverage=res.coverage,
            rank=rank_desc(np.where(res.coverage >= RANK_MIN_COVERAGE, res.score, np.nan)),
            reasons=reasons,
        )
    return out


def _no_data_reason(src: Source, den: float) -> str:
    if src.code == "preventable_incidents_yoy" and not np.isnan(den) and den == 0:
        return "no preventable incidents in the same days last year to compare with"
    if src.attribution == "officer":
        return "no records of this officer's work in the period"
    return "no records in the period"


def trend(
    session: Session,
    *,
    spec: CardSpec,
    period: Period,
    periods: int,
    level: str,
    jpath: str,
    entity_id: int | None,
    officer_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The score over the ``periods`` periods ending with ``period``: the entity's score and
    indicator values (when ``entity_id`` is given) and the median and mean of the scope."""
    if not 1 <= periods <= 24:
        raise Invalid("periods", "must be between 1 and 24")
    out = []
    for step in range(periods - 1, -1, -1):
        p = period.shift(-step)
        lr = compute(
            session,
            spec=spec,
            period=p,
            levels=(level,),
            jpath=jpath,
            officer_id=officer_id,
            now=now,
        )[level]
        sc = lr.score[~np.isnan(lr.score)]
        point: dict[str, Any] = {
            "period": p.label,
            "first": p.first,
            "last": p.last,
            "median": round(float(np.median(sc)), 2) if sc.size else None,
            "mean": round(float(sc.mean()), 2) if sc.size else None,
            "entities": int(sc.size),
            "score": None,
            "rank": None,
            "values": {},
        }
        if entity_id is not None:
            e = lr.entities.index.get(entity_id)
            if e is None:
                raise NotFound(
                    f"{level} {entity_id} does not exist or is outside your jurisdiction",
                    field="entity_id",
                )
            s = lr.score[e]
            point["score"] = None if np.isnan(s) else round(float(s), 2)
            point["rank"] = int(lr.rank[e]) or None
            point["values"] = {
                ind.code: (None if np.isnan(lr.value[e, j]) else float(lr.value[e, j]))
                for j, ind in enumerate(spec.indicators)
            }
        out.append(point)
    return out


# ---------------------------------------------------------------- figure sources


def source_rows(
    session: Session,
    *,
    spec: CardSpec,
    period: Period,
    level: str,
    entity_id: int,
    indicator: str,
    part: str,
    jpath: str,
    officer_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The records behind one figure: ``part`` all | numerator | denominator | shortfall
    (counted in the denominator but not in the numerator, e.g. the instructions signed late)."""
    if level not in LEVELS:
        raise Invalid("level", f"{level!r} is not a level; use {', '.join(LEVELS)}")
    ind = next((i for i in spec.indicators if i.code == indicator), None)
    if ind is None:
        raise Invalid(
            "indicator",
            f"{indicator!r} is not an indicator of scorecard {spec.code!r}; use "
            + ", ".join(i.code for i in spec.indicators),
        )
    if part not in ("all", "numerator", "denominator", "shortfall"):
        raise Invalid("part", "use all, numerator, denominator or shortfall")
    src = SOURCES[ind.source]
    geo = load_geography(session, jpath=jpath, officer_id=officer_id)
    e = geo.levels[level].index.get(entity_id)
    if e is None:
        raise NotFound(
            f"{level} {entity_id} does not exist or is outside your jurisdiction", field="entity_id"
        )
    base: dict[str, Any] = {
        "indicator": ind.code,
        "source": src.code,
        "record": src.record,
        "level": level,
        "entity_id": entity_id,
        "period": period.label,
        "part": part,
        "how_zh": src.how_zh,
        "how_en": src.how_en,
        "total": 0,
        "limit": limit,
        "offset": offset,
        "items": [],
        "reason": unavailable_reason(src),
    }
    if base["reason"] is not None:
        return base
    ctx = make_ctx(session, period, jpath=jpath, now=now, geo=geo)
    sub = src.build(ctx).subquery()
    conds: list[Any] = []
    ents = geo.levels[level]
    if src.attribution == "place":
        if level == "officer":
            cells = [
                geo.levels["cell"].paths[c] for c in np.flatnonzero(geo.cell_owner == e).tolist()
            ]
            conds.append(
                or_(*[sub.c.jpath.startswith(p, autoescape=True) for p in cells])
                if cells
                else sub.c.id < 0
            )
        else:
            conds.append(sub.c.jpath.startswith(ents.paths[e], autoescape=True))
    else:
        off = geo.levels["officer"]
        if level == "officer":
            uids = [entity_id]
        elif level == "cell":
            k = int(geo.cell_owner[e])
            uids = [off.ids[k]] if k >= 0 else []
        else:
            home = geo.officer_home[level]
            uids = [off.ids[k] for k in np.flatnonzero(home == e).tolist()]
        conds.append(sub.c.officer_id.in_(uids or [-1]))
    if src.kind == "ratio":
        if part == "numerator":
            conds.append(sub.c.num > 0)
        elif part == "denominator":
            conds.append(sub.c.den > 0)
        elif part == "shortfall":
            conds.append(sub.c.den > sub.c.num)
        order: list[Any] = [sub.c.at.desc(), sub.c.id.desc()]
    else:
        order = [sub.c.value.desc(), sub.c.id]
    base["total"] = int(session.scalar(select(func.count()).select_from(sub).where(*conds)) or 0)
    rows = session.execute(select(sub).where(*conds).order_by(*order).limit(limit).offset(offset))
    items = []
    for r in rows.mappings():
        item: dict[str, Any] = {
            "id": int(r["id"]),
            "ref_id": int(r["ref_id"]),
            "label": r["label"],
            "at": r["at"],
            "link": src.link.format(ref_id=r["ref_id"]) if src.link else None,
        }
        if src.kind == "ratio":
            item["numerator"] = float(r["num"] or 0)
            item["denominator"] = float(r["den"] or 0)
        else:
            item["value"] = None if r["value"] is None else round(float(r["value"]), 1)
        items.append(item)
    base["items"] = items
    return base


# ---------------------------------------------------------------- surveys and inspections


def create_survey(
    session: Session,
    *,
    principal: Principal,
    cell_id: int,
    period_start: dt.date,
    period_end: dt.date,
    respondents: int,
    satisfied: int,
    method: str = "visit",
    note: str = "",
) -> SatisfactionSurvey:
    """Record the aggregated result of a satisfaction survey in a cell; audited."""
    if principal.role not in SURVEY_ROLES:
        raise PermissionDenied(
            f"role {principal.role!r} may not record surveys; allowed: "
            + ", ".join(sorted(SURVEY_ROLES)),
            field="role",
        )
    cell = session.get(Jurisdiction, cell_id)
    if cell is None or cell.level != "cell" or not principal.can_see(cell.path):
        raise Invalid("cell_id", f"no grid cell {cell_id} in your jurisdiction")
    if period_end < period_start:
        raise Invalid("period_end", "must not be before period_start")
    if respondents < 1:
        raise Invalid("respondents", "must be at least 1")
    if not 0 <= satisfied <= respondents:
        raise Invalid("satisfied", f"must be between 0 and respondents ({respondents})")
    if method not in SURVEY_METHODS:
        raise Invalid("method", f"use one of {', '.join(SURVEY_METHODS)}")
    dup = session.scalar(
        select(SatisfactionSurvey.id).where(
            SatisfactionSurvey.cell_id == cell_id,
            SatisfactionSurvey.period_start == period_start,
            SatisfactionSurvey.period_end == period_end,
        )
    )
    if dup is not None:
        raise Invalid("period_start", f"cell {cell_id} already has survey {dup} for this period")
    s = SatisfactionSurvey(
        cell_id=cell_id,
        jpath=cell.path,
        period_start=period_start,
        period_end=period_end,
        respondents=respondents,
        satisfied=satisfied,
        method=method,
        note=note,
        recorded_by_id=principal.user_id or None,
    )
    session.add(s)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="satisfaction_survey",
        entity_id=s.id,
        jpath=s.jpath,
        detail={"cell_id": cell_id, "respondents": respondents, "satisfied": satisfied},
    )
    return s


def get_survey_or_raise(
    session: Session, *, principal: Principal, survey_id: int
) -> SatisfactionSurvey:
    """One survey result in the caller's scope."""
    s = session.get(SatisfactionSurvey, survey_id)
    if s is None or not principal.can_see(s.jpath):
        raise NotFound(f"survey {survey_id} does not exist", field="survey_id")
    return s


def surveys_query(principal: Principal, *, cell_id: int | None = None) -> Select[Any]:
    """Survey results in scope, newest period first."""
    q = select(SatisfactionSurvey).where(scope_clause(principal, SatisfactionSurvey.jpath))
    if cell_id is not None:
        q = q.where(SatisfactionSurvey.cell_id == cell_id)
    return q.order_by(SatisfactionSurvey.period_start.desc(), SatisfactionSurvey.id.desc())


def create_inspection(
    session: Session,
    *,
    principal: Principal,
    premises_id: int,
    inspected_at: dt.datetime,
    outcome: str = "ok",
    note: str = "",
) -> PremisesInspection:
    """Record an inspection of a premises by the caller; audited."""
    if principal.role not in INSPECTION_ROLES:
        raise PermissionDenied(
            f"role {principal.role!r} may not record inspections; allowed: "
            + ", ".join(sorted(INSPECTION_ROLES)),
            field="role",
        )
    p = session.get(Premises, premises_id)
    if p is None or not principal.can_see(p.jpath):
        raise Invalid("premises_id", f"no premises {premises_id} in your jurisdiction")
    if inspected_at.tzinfo is None:
        raise Invalid("inspected_at", "give a timezone (e.g. +08:00)")
    if inspected_at > utcnow() + dt.timedelta(minutes=5):
        raise Invalid("inspected_at", "must not be in the future")
    if outcome not in INSPECTION_OUTCOMES:
        raise Invalid("outcome", f"use one of {', '.join(INSPECTION_OUTCOMES)}")
    row = PremisesInspection(
        premises_id=premises_id,
        jpath=p.jpath,
        officer_id=principal.user_id or None,
        inspected_at=inspected_at,
        outcome=outcome,
        note=note,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="premises_inspection",
        entity_id=row.id,
        jpath=row.jpath,
        detail={"premises_id": premises_id, "outcome": outcome},
    )
    return row


# ---------------------------------------------------------------- for callers (API, CLI, export)


@dataclass
class Evaluation:
    """A computed card for one level, with what it was computed for."""

    spec: CardSpec
    period: Period
    level: str
    jpath: str
    computed_at: dt.datetime
    result: LevelResult

    @property
    def partial(self) -> bool:
        """Whether the period is still running (figures so far)."""
        return self.period.end > self.computed_at


def scope_of(session: Session, *, principal: Principal, scope: int | None) -> str:
    """The path to compute inside: the caller's scope, narrowed to jurisdiction ``scope``."""
    if scope is None:
        return principal.jpath
    j = session.get(Jurisdiction, scope)
    if j is None or not principal.can_see(j.path):
        raise NotFound(
            f"jurisdiction {scope} does not exist or is outside your jurisdiction", field="scope"
        )
    return j.path


def own_officer(principal: Principal) -> int | None:
    """A community officer sees his own officer card only (``None``: every officer in scope)."""
    return principal.user_id if principal.role == "community_officer" else None


def evaluate(
    session: Session,
    *,
    principal: Principal,
    period: Period,
    level: str,
    scope: int | None = None,
    scorecard_id: int | None = None,
    now: dt.datetime | None = None,
) -> Evaluation:
    """Compute the applicable card for ``level`` in the caller's scope."""
    if level not in LEVELS:
        raise Invalid("level", f"{level!r} is not a level; use {', '.join(LEVELS)}")
    jpath = scope_of(session, principal=principal, scope=scope)
    spec = resolve_spec(session, principal=principal, scorecard_id=scorecard_id, jpath=jpath)
    at = now or utcnow()
    lr = compute(
        session,
        spec=spec,
        period=period,
        levels=(level,),
        jpath=jpath,
        officer_id=own_officer(principal),
        now=at,
    )[level]
    return Evaluation(spec, period, level, jpath, at, lr)


def _num(x: float, nd: int = 4) -> float | None:
    return None if x is None or np.isnan(x) else round(float(x), nd)


def sources_href(ev: Evaluation, entity_id: int, code: str) -> str:
    """The API link listing the records behind one figure."""
    return (
        f"/api/v1/evaluation/sources?period={ev.period.label}&level={ev.level}"
        f"&entity_id={entity_id}&indicator={code}"
        + (f"&scorecard_id={ev.spec.id}" if ev.spec.id is not None else "")
    )


def rows_of(ev: Evaluation, *, order: str = "rank") -> list[dict[str, Any]]:
    """Every entity's score with each figure, ordered by rank (or by code)."""
    lr, spec = ev.result, ev.spec
    n = len(lr.entities)
    if order == "rank":
        key = np.where(lr.rank > 0, lr.rank, n + 1)
        idx = np.lexsort((np.array(lr.entities.codes, dtype=object).astype(str), key)).tolist()
    else:
        idx = list(range(n))
    out = []
    for e in idx:
        ents = lr.entities
        figures = []
        for j, ind in enumerate(spec.indicators):
            src = SOURCES[ind.source]
            figures.append(
                {
                    "code": ind.code,
                    "unit": src.unit,
                    "value": _num(lr.value[e, j]),
                    "numerator": _num(lr.numerator[e, j], 2),
                    "denominator": _num(lr.denominator[e, j], 2),
                    "target": ind.target,
                    "achievement": _num(lr.achievement[e, j]),
                    "weight": ind.weight,
                    "contribution": round(float(lr.contribution[e, j]), 3),
                    "no_data_reason": lr.reasons[e][j],
                    "sources": sources_href(ev, ents.ids[e], ind.code),
                }
            )
        out.append(
            {
                "entity_id": ents.ids[e],
                "code": ents.codes[e],
                "name_zh": ents.names_zh[e],
                "name_en": ents.names_en[e],
                "parent_zh": ents.parent_zh[e],
                "parent_en": ents.parent_en[e],
                "score": _num(lr.score[e], 2),
                "rank": int(lr.rank[e]) or None,
                "coverage": round(float(lr.coverage[e]), 4),
                "figures": figures,
            }
        )
    return out


HOW = (
    "achievement = value / target (higher is better) or target / value (lower is better), "
    "capped; contribution = 100 × weight × achievement / Σ weights of indicators with data; "
    "score = Σ contributions (100 = every target met); coverage = share of the weight with data; "
    "entities with less than half of the weight in data are scored but not ranked"
)
HOW_ZH = (
    "达成率 = 数值 / 目标（越高越好）或 目标 / 数值（越低越好），设上限；"
    "得分贡献 = 100 × 权重 × 达成率 / 有数据指标的权重和；"
    "得分 = 各项贡献之和（100 分表示全部达标）；数据覆盖 = 有数据指标的权重占比；"
    "数据覆盖不足一半的对象计分但不排名"
)
