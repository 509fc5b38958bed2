"""Star ratings: the arrays the kernel scores (loaded for the whole bureau at once, so each kind's
incident median is the city's), the rating rows written (one per premises per computation, the
current one flagged), and the reads: a premises' rating, the rated list, the annual five-star
list. Reads are scoped to the caller's jurisdiction; nothing here commits."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import and_, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal, scope_clause
from pingan.cameras.models import Camera
from pingan.errors import Invalid, NotFound
from pingan.evaluation.models import PremisesInspection
from pingan.geo.crs import LocalProjection
from pingan.incidents.models import Incident
from pingan.incidents.taxonomy import get_taxonomy
from pingan.jurisdictions.models import Jurisdiction
from pingan.keyplaces.models import RectificationOrder
from pingan.places.models import Premises
from pingan.places.service import get_premises_or_raise
from pingan.ratings.criteria import get_criteria
from pingan.ratings.models import Hazard, PremisesFeature, Rating, StationPhone
from pingan.ratings.schemas import AwardRow, AwardsRead
from pingan.ratings.scoring import Criteria, ScoreInput, ScoreResult, score
from pingan.store.base import utcnow

__all__ = [
    "EVIDENCE_LIMIT",
    "PASSED",
    "Computed",
    "awards",
    "awards_read",
    "compute",
    "current_rating",
    "get_station_by_code",
    "list_rated",
    "load_and_score",
    "rerate",
    "set_feature",
    "set_station_phone",
    "station_of",
]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
PASSED = ("ok", "rectified")
OUTCOME_ZH = {"ok": "合格", "issues_found": "发现问题", "rectified": "已整改"}
EVIDENCE_LIMIT = 20  # evidence rows kept per item (the count says how many there were)


@dataclass
class Loaded:
    """The bureau's premises and layers, with the kernel's result."""

    ids: np.ndarray
    jpaths: list[str]
    kinds: list[str]
    result: ScoreResult
    cameras: list[tuple[int, str]]
    incidents: list[int]
    incident_text: dict[int, str]
    hazards: list[tuple[int, str, str]]
    inspections: dict[int, tuple[int, str, dt.datetime]]
    features: dict[tuple[int, str], tuple[int, bool, str, int | None]]
    orders: dict[int, list[tuple[int, str, dt.date, str]]]
    xy_m: np.ndarray
    camera_xy_m: np.ndarray
    incident_xy_m: np.ndarray


@dataclass(frozen=True)
class Computed:
    """What a computation wrote."""

    criteria_version: str
    rated: int
    stars: dict[int, int]
    computed_at: dt.datetime


def _xy(proj: LocalProjection, lon: list[float], lat: list[float]) -> np.ndarray:
    if not lon:
        return np.zeros((0, 2))
    x, y = proj.forward(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def _near(lon_col: Any, lat_col: Any, box: tuple[float, float, float, float] | None) -> Any:
    if box is None:
        return true()
    return and_(lon_col >= box[0], lon_col <= box[2], lat_col >= box[1], lat_col <= box[3])


def load_and_score(
    session: Session,
    *,
    criteria: Criteria,
    now: dt.datetime,
    only: Premises | None = None,
    kind_median: dict[str, float] | None = None,
) -> Loaded:
    """Load every premises, camera, open hazard, inspection and recent incident of the bureau
    (one query per table) and score all premises at once; with ``only``, that premises and the
    rows around it (its kind's median from ``kind_median``)."""
    q = select(Premises.id, Premises.jpath, Premises.kind, Premises.lon, Premises.lat)
    box = None
    if only is not None:
        q = q.where(Premises.id == only.id)
        r_m = max(criteria.camera_radius_m, criteria.incident_radius_m, criteria.hazard_radius_m)
        dlat = 1.5 * r_m / 110_540.0
        dlon = dlat / max(math.cos(math.radians(only.lat)), 0.1)
        box = (only.lon - dlon, only.lat - dlat, only.lon + dlon, only.lat + dlat)
    prem = session.execute(q.order_by(Premises.id)).all()
    ids = np.array([p.id for p in prem], dtype=np.int64)
    row_of = {int(p.id): i for i, p in enumerate(prem)}
    lons = [float(p.lon) for p in prem]
    lats = [float(p.lat) for p in prem]
    proj = LocalProjection.around(lons or [0.0], lats or [0.0])
    cams = session.execute(
        select(Camera.id, Camera.code, Camera.lon, Camera.lat).where(
            Camera.status != "offline", _near(Camera.lon, Camera.lat, box)
        )
    ).all()
    since = now - dt.timedelta(days=criteria.incident_window_days)
    incs = session.execute(
        select(Incident.id, Incident.lon, Incident.lat)
        .where(
            Incident.reported_at >= since,
            Incident.reported_at <= now,
            _near(Incident.lon, Incident.lat, box),
        )
        .order_by(Incident.reported_at, Incident.id)
    ).all()
    hazs = session.execute(
        select(
            Hazard.id, Hazard.code, Hazard.title, Hazard.lon, Hazard.lat, Hazard.premises_id
        ).where(
            Hazard.status != "closed",
            true()
            if only is None
            else or_(_near(Hazard.lon, Hazard.lat, box), Hazard.premises_id == only.id),
        )
    ).all()
    insp_since = now - dt.timedelta(days=criteria.inspection_window_days)
    inspections: dict[int, tuple[int, str, dt.datetime]] = {}
    for r in session.execute(
        select(
            PremisesInspection.id,
            PremisesInspection.premises_id,
            PremisesInspection.outcome,
            PremisesInspection.inspected_at,
        )
        .where(
            PremisesInspection.inspected_at >= insp_since,
            PremisesInspection.inspected_at <= now,
            true() if only is None else PremisesInspection.premises_id == only.id,
        )
        .order_by(PremisesInspection.inspected_at, PremisesInspection.id)
    ):
        inspections[int(r.premises_id)] = (int(r.id), str(r.outcome), r.inspected_at)
    features: dict[tuple[int, str], tuple[int, bool, str, int | None]] = {
        (int(r.premises_id), str(r.code)): (
            int(r.id),
            bool(r.present),
            str(r.note),
            int(r.inspection_id) if r.inspection_id is not None else None,
        )
        for r in session.execute(
            select(
                PremisesFeature.id,
                PremisesFeature.premises_id,
                PremisesFeature.code,
                PremisesFeature.present,
                PremisesFeature.note,
                PremisesFeature.inspection_id,
            ).where(true() if only is None else PremisesFeature.premises_id == only.id)
        )
    }
    feature_codes = [i.code for i in criteria.items if i.type == "feature"]
    feat = np.zeros((len(prem), len(feature_codes)), dtype=bool)
    for (pid, code), (_, present, _, _) in features.items():
        if present and pid in row_of and code in feature_codes:
            feat[row_of[pid], feature_codes.index(code)] = True
    passed = np.zeros(len(prem), dtype=bool)
    for pid, (_, outcome, _) in inspections.items():
        if pid in row_of:
            passed[row_of[pid]] = outcome in PASSED
    orders = _orders(session, now=now, since=insp_since, only=only)
    share = np.full(len(prem), np.nan)
    for pid, rows in orders.items():
        due = [o for o in rows if o[3] != "open"]
        if pid in row_of and due:
            share[row_of[pid]] = sum(o[3] == "on_time" for o in due) / len(due)
    xy = _xy(proj, lons, lats)
    cam_xy = _xy(proj, [c.lon for c in cams], [c.lat for c in cams])
    inc_xy = _xy(proj, [i.lon for i in incs], [i.lat for i in incs])
    inp = ScoreInput(
        kinds=[str(p.kind) for p in prem],
        xy_m=xy,
        features=feat,
        inspection_passed=passed,
        camera_xy_m=cam_xy,
        hazard_xy_m=_xy(proj, [h.lon for h in hazs], [h.lat for h in hazs]),
        hazard_premises=np.array(
            [row_of.get(int(h.premises_id), -1) if h.premises_id else -1 for h in hazs],
            dtype=np.int64,
        ),
        incident_xy_m=inc_xy,
        rectify_share=share,
    )
    return Loaded(
        ids=ids,
        jpaths=[str(p.jpath) for p in prem],
        kinds=inp.kinds,
        result=(result := score(criteria, inp, kind_median=kind_median)),
        cameras=[(int(c.id), str(c.code)) for c in cams],
        incidents=(inc_ids := [int(i.id) for i in incs]),
        incident_text=_incident_texts(session, inc_ids, result),
        hazards=[(int(h.id), str(h.code), str(h.title)) for h in hazs],
        inspections=inspections,
        features=features,
        orders=orders,
        xy_m=xy,
        camera_xy_m=cam_xy,
        incident_xy_m=inc_xy,
    )


def _orders(
    session: Session, *, now: dt.datetime, since: dt.datetime, only: Premises | None
) -> dict[int, list[tuple[int, str, dt.date, str]]]:
    """Rectification orders issued in the window per premises: (id, code, deadline, status),
    status ``on_time`` / ``late`` (accepted after the deadline, or open past it) / ``open``."""
    today = now.astimezone(LOCAL_TZ).date()
    out: dict[int, list[tuple[int, str, dt.date, str]]] = {}
    R = RectificationOrder
    for r in session.execute(
        select(R.id, R.code, R.premises_id, R.deadline, R.state, R.accepted_at)
        .where(
            R.issued_at >= since,
            R.issued_at <= now,
            true() if only is None else R.premises_id == only.id,
        )
        .order_by(R.issued_at, R.id)
    ):
        if r.state == "accepted" and r.accepted_at is not None:
            done = r.accepted_at.astimezone(LOCAL_TZ).date()
            status = "on_time" if done <= r.deadline else "late"
        else:
            status = "late" if r.deadline < today else "open"
        out.setdefault(int(r.premises_id), []).append((int(r.id), str(r.code), r.deadline, status))
    return out


def _incident_texts(session: Session, ids: list[int], result: ScoreResult) -> dict[int, str]:
    """ "code subtype local-date" of the incidents listed as evidence (the newest
    ``EVIDENCE_LIMIT`` near each premises), read for those incidents only; the subtype by its
    Chinese name, as the other evidence texts."""
    kinds = get_taxonomy().subtypes
    nb = result.incidents
    keep = np.zeros(len(ids), dtype=bool)
    counts = nb.count()
    for i in np.flatnonzero(counts):
        keep[
            nb.indices[max(nb.indptr[i + 1] - EVIDENCE_LIMIT, nb.indptr[i]) : nb.indptr[i + 1]]
        ] = True
    wanted = [ids[j] for j in np.flatnonzero(keep)]
    out: dict[int, str] = {}
    for k in range(0, len(wanted), 5000):
        for r in session.execute(
            select(Incident.id, Incident.code, Incident.subtype, Incident.reported_at).where(
                Incident.id.in_(wanted[k : k + 5000])
            )
        ):
            sub = kinds[r.subtype].name_zh if r.subtype in kinds else r.subtype
            out[int(r.id)] = f"{r.code} {sub} {r.reported_at.astimezone(LOCAL_TZ):%Y-%m-%d}"
    return out


def _evidence(data: Loaded, criteria: Criteria, row: int, pid: int) -> list[dict[str, Any]]:
    """The items of one premises with their points, maximum and evidence rows."""
    res = data.result
    out: list[dict[str, Any]] = []
    for k, item in enumerate(criteria.items):
        top = float(res.maxima[row, k])
        if top <= 0:
            continue
        ev: list[dict[str, Any]] = []
        count = 0
        note = note_zh = ""
        if item.type == "feature":
            f = data.features.get((pid, item.code))
            if f is not None:
                ev = [
                    {
                        "table": "premises_features",
                        "id": f[0],
                        "text": ("有" if f[1] else "无") + (f" · {f[2]}" if f[2] else ""),
                    }
                ]
                if f[3] is not None:
                    ev.append(
                        {
                            "table": "premises_inspections",
                            "id": f[3],
                            "text": "合格" if f[1] else "不合格",
                        }
                    )
                count = 1
            note = "recorded present" if f is not None and f[1] else "not recorded present"
            note_zh = "已登记具备" if f is not None and f[1] else "未登记具备"
        elif item.type == "cameras":
            near = res.cameras.of(row)
            count = len(near)
            d = np.hypot(*(data.camera_xy_m[near] - data.xy_m[row]).T) if count else []
            ev = [
                {
                    "table": "cameras",
                    "id": data.cameras[j][0],
                    "text": f"{data.cameras[j][1]} {float(dd):.0f} m",
                }
                for j, dd in zip(near[:EVIDENCE_LIMIT], d[:EVIDENCE_LIMIT], strict=False)
            ]
            note = f"{count} within {criteria.camera_radius_m:.0f} m; full at {item.full_at}"
            note_zh = f"{criteria.camera_radius_m:.0f} 米内 {count} 个;{item.full_at} 个得满分"
        elif item.type == "inspection":
            insp = data.inspections.get(pid)
            if insp is not None:
                ev = [
                    {
                        "table": "premises_inspections",
                        "id": insp[0],
                        "text": f"{insp[2].astimezone(LOCAL_TZ):%Y-%m-%d} "
                        + OUTCOME_ZH.get(insp[1], insp[1]),
                    }
                ]
                count = 1
            note = (
                "latest inspection passed"
                if insp and insp[1] in PASSED
                else ("latest inspection did not pass" if insp else "no inspection in the window")
            )
            note_zh = (
                "最近一次检查合格"
                if insp and insp[1] in PASSED
                else ("最近一次检查不合格" if insp else "期内未检查")
            )
        elif item.type == "rectification":
            rows = data.orders.get(pid, [])
            due = [o for o in rows if o[3] != "open"]
            on_time = sum(o[3] == "on_time" for o in due)
            count = len(rows)
            word = {"on_time": "按期整改", "late": "逾期", "open": "整改中"}
            ev = [
                {
                    "table": "rectification_orders",
                    "id": o[0],
                    "text": f"{o[1]} {word[o[3]]} (期限 {o[2]:%Y-%m-%d})",
                }
                for o in rows[-EVIDENCE_LIMIT:][::-1]
            ]
            note = (
                f"{on_time} of {len(due)} due orders fixed on time"
                if due
                else f"no order due ({count} open)"
            )
            note_zh = (
                f"到期整改 {len(due)} 件, 按期 {on_time} 件"
                if due
                else f"无到期整改 (在办 {count} 件)"
            )
        elif item.type == "hazards":
            near = res.hazards.of(row)
            count = len(near)
            ev = [
                {
                    "table": "hazards",
                    "id": data.hazards[j][0],
                    "text": f"{data.hazards[j][1]} {data.hazards[j][2]}",
                }
                for j in near[:EVIDENCE_LIMIT]
            ]
            note = f"{count} open"
            note_zh = f"未整改 {count} 处"
        elif item.type == "incidents":
            near = res.incidents.of(row)
            count = len(near)
            ev = [
                {
                    "table": "incidents",
                    "id": data.incidents[j],
                    "text": data.incident_text.get(data.incidents[j], ""),
                }
                for j in near[-EVIDENCE_LIMIT:][::-1]
            ]
            note = (
                f"{count} within {criteria.incident_radius_m:.0f} m in "
                f"{criteria.incident_window_days} days; median of the kind "
                f"{float(res.incident_median[row]):g}"
            )
            note_zh = (
                f"{criteria.incident_window_days} 天内 {criteria.incident_radius_m:.0f} 米内 "
                f"{count} 起;同类中位数 {float(res.incident_median[row]):g}"
            )
        out.append(
            {
                "code": item.code,
                "label": item.label_zh,
                "label_en": item.label_en,
                "points": round(float(res.points[row, k]), 2),
                "max": top,
                "count": count,
                "note": note,
                "note_zh": note_zh,
                **({"median": float(res.incident_median[row])} if item.type == "incidents" else {}),
                "evidence": ev,
            }
        )
    return out


def _stations(session: Session) -> dict[int, Jurisdiction]:
    return {
        j.id: j
        for j in session.scalars(select(Jurisdiction).where(Jurisdiction.level == "station"))
    }


def station_of(jpath: str, stations: dict[int, Any]) -> int | None:
    """The station among the ids of ``jpath`` (``/1/4/17/``), if any."""
    for part in jpath.strip("/").split("/"):
        if part.isdigit() and int(part) in stations:
            return int(part)
    return None


def get_station_by_code(session: Session, *, principal: Principal, code: str) -> Jurisdiction:
    """A station in the caller's scope by code, else ``Invalid`` naming ``station``."""
    j = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if j is None or j.level != "station" or not principal.can_see(j.path):
        raise Invalid("station", f"no station with code {code!r} in your jurisdiction")
    return j


def _kind_median(session: Session, kind: str) -> dict[str, float]:
    """The incident median of ``kind`` recorded by the newest rating of that kind (none: {})."""
    items = session.scalar(
        select(Rating.items)
        .where(Rating.kind == kind, Rating.current.is_(True))
        .order_by(Rating.id.desc())
        .limit(1)
    )
    for item in json.loads(items or "[]"):
        if item.get("code") == "incidents" and item.get("median") is not None:
            return {kind: float(item["median"])}
    return {}


def compute(
    session: Session,
    *,
    principal: Principal,
    station: Jurisdiction | None = None,
    premises: Premises | None = None,
    now: dt.datetime | None = None,
    criteria: Criteria | None = None,
) -> Computed:
    """Rate every premises in the caller's scope (or one station, or one premises against its
    kind's median of the last whole computation): one new current row each."""
    now = now or utcnow()
    criteria = criteria or get_criteria()
    medians = None if premises is None else _kind_median(session, premises.kind)
    data = load_and_score(session, criteria=criteria, now=now, only=premises, kind_median=medians)
    prefix = station.path if station is not None else principal.jpath
    stations = _stations(session)
    valid_until = (now.astimezone(LOCAL_TZ) + dt.timedelta(days=criteria.valid_days)).date()
    res = data.result
    rows: list[dict[str, Any]] = []
    for i, pid in enumerate(data.ids.tolist()):
        jpath = data.jpaths[i]
        if not (prefix == "/" or jpath.startswith(prefix)) or not principal.can_see(jpath):
            continue
        rows.append(
            {
                "premises_id": pid,
                "jpath": jpath,
                "station_id": station_of(jpath, stations),
                "kind": data.kinds[i],
                "criteria_version": criteria.version,
                "score": round(float(res.score[i]), 2),
                "max_score": float(res.max_score[i]),
                "stars": int(res.stars[i]),
                "colour": res.colours[i],
                "items": json.dumps(_evidence(data, criteria, i, pid), ensure_ascii=False),
                "computed_at": now,
                "valid_until": valid_until,
                "current": True,
            }
        )
    pids = [r["premises_id"] for r in rows]
    for k in range(0, len(pids), 1000):
        session.execute(
            update(Rating)
            .where(Rating.current.is_(True), Rating.premises_id.in_(pids[k : k + 1000]))
            .values(current=False)
        )
    if rows:
        session.execute(insert(Rating), rows)
    hist: dict[int, int] = {n: 0 for n in range(1, 6)}
    for r in rows:
        hist[r["stars"]] += 1
    return Computed(criteria.version, len(rows), hist, now)


def rerate(session: Session, *, principal: Principal, premises_id: int, reason: str) -> Computed:
    """Rate one premises again now (after an inspection, a feature or a hazard changed), against
    its kind's median of the last whole computation; audited with ``reason``."""
    p = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    out = compute(session, principal=principal, premises=p)
    record(
        session,
        actor=principal.actor,
        action="compute",
        entity="rating",
        entity_id=premises_id,
        jpath=p.jpath,
        detail={
            "reason": reason,
            "criteria_version": out.criteria_version,
            "stars": {str(k): v for k, v in out.stars.items() if v},
        },
    )
    return out


def current_rating(session: Session, *, principal: Principal, premises_id: int) -> Rating:
    """The current rating of a premises in scope; ``NotFound`` when outside scope or unrated."""
    get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    r = session.scalar(
        select(Rating).where(Rating.premises_id == premises_id, Rating.current.is_(True))
    )
    if r is None:
        raise NotFound(
            f"premises {premises_id} has no rating yet; run `pingan ratings compute` "
            "or POST /api/v1/ratings/compute"
        )
    return r


def list_rated(
    session: Session,
    *,
    principal: Principal,
    kind: str | None = None,
    stars: int | None = None,
    colour: str | None = None,
    station_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[tuple[Rating, Premises]]]:
    """Current ratings in scope with their premises, filtered; (total, page)."""
    q = (
        select(Rating, Premises)
        .join(Premises, Premises.id == Rating.premises_id)
        .where(Rating.current.is_(True), scope_clause(principal, Rating.jpath))
    )
    if kind is not None:
        q = q.where(Rating.kind == kind)
    if stars is not None:
        q = q.where(Rating.stars == stars)
    if colour is not None:
        q = q.where(Rating.colour == colour)
    if station_id is not None:
        q = q.where(Rating.station_id == station_id)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    page = session.execute(
        q.order_by(Rating.stars.desc(), Rating.score.desc(), Rating.premises_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return total, [(r, p) for r, p in page]


def awards(
    session: Session, *, principal: Principal, year: int, station_id: int | None = None
) -> list[tuple[Rating, Premises]]:
    """The five-star list of ``year``: premises whose last rating computed in that year (local
    time) has five stars and is not revoked, by station, then score."""
    if not 2000 <= year <= 2100:
        raise Invalid("year", f"{year} is not a year between 2000 and 2100")
    start = dt.datetime(year, 1, 1, tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    last = (
        select(func.max(Rating.id).label("rid"))
        .where(
            Rating.computed_at >= start,
            Rating.computed_at < end,
            scope_clause(principal, Rating.jpath),
        )
        .group_by(Rating.premises_id)
        .subquery()
    )
    q = (
        select(Rating, Premises)
        .join(last, last.c.rid == Rating.id)
        .join(Premises, Premises.id == Rating.premises_id)
        .where(Rating.stars == 5, Rating.revoked_at.is_(None))
    )
    if station_id is not None:
        q = q.where(Rating.station_id == station_id)
    rows = session.execute(q.order_by(Rating.station_id, Rating.score.desc(), Premises.id)).all()
    return [(r, p) for r, p in rows]


def set_feature(
    session: Session,
    *,
    principal: Principal,
    premises_id: int,
    code: str,
    present: bool,
    note: str = "",
) -> PremisesFeature:
    """Record whether a premises has a security feature (the latest record counts)."""
    p = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    codes = [i.code for i in get_criteria().items if i.type == "feature"]
    if code not in codes:
        raise Invalid("code", f"{code!r} is not a feature item; use one of {', '.join(codes)}")
    f = session.scalar(
        select(PremisesFeature).where(
            PremisesFeature.premises_id == premises_id, PremisesFeature.code == code
        )
    )
    if f is None:
        f = PremisesFeature(premises_id=premises_id, jpath=p.jpath, code=code, present=present)
        session.add(f)
    f.present, f.note, f.jpath = present, note, p.jpath
    f.recorded_at = utcnow()
    f.recorded_by_id = principal.user_id or None
    session.flush()
    return f


def set_station_phone(session: Session, *, station: Jurisdiction, phone: str) -> None:
    """Set the public phone shown on the public page of a station's signs."""
    row = session.get(StationPhone, station.id)
    if row is None:
        session.add(StationPhone(station_id=station.id, phone=phone))
    else:
        row.phone = phone
    session.flush()


def awards_read(
    session: Session, *, principal: Principal, year: int, station_code: str | None = None
) -> AwardsRead:
    """The five-star list of ``year`` in its API form."""
    station = None
    if station_code is not None:
        station = get_station_by_code(session, principal=principal, code=station_code)
    rows = awards(
        session, principal=principal, year=year, station_id=station.id if station else None
    )
    stations = _stations(session)
    items = []
    for r, p in rows:
        st = stations.get(r.station_id) if r.station_id is not None else None
        items.append(
            AwardRow(
                station_id=r.station_id,
                station_code=st.code if st else None,
                station_name=st.name_zh if st else None,
                premises_id=p.id,
                code=p.code,
                name=p.name,
                kind=r.kind,
                score=r.score,
                computed_at=r.computed_at,
            )
        )
    return AwardsRead(year=year, items=items)
