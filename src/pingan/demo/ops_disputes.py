"""Demo history of disputes (矛盾纠纷): a few thousand cases in residential areas, each tied to a
dispute incident of the simulated history, with parties (encrypted like real ones), mediation
logs, referrals, resolutions, follow-up visits, timelines and their escalation risk evaluated
by the real rule set.

Deterministic for a seed; bulk-loaded in the demo build's transaction; O(n log n) in the number
of incidents, about 2-4 s for the default city.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import Connection, select

from pingan.demo.names import person_names
from pingan.disputes.models import REFERRAL_TARGETS, VULNERABLE_REASONS
from pingan.disputes.risk import CaseFacts, NearbyCall, evaluate, get_rules
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.store.base import EncryptedStr
from pingan.store.bulk import bulk_insert, reset_sequence, timestamps_for

__all__ = ["load_disputes"]

_KIND = {
    "neighbour_dispute": "neighbourhood",
    "family_dispute": "family",
    "labour_dispute": "labour_wages",
    "commercial_dispute": "commercial",
}
_RESIDENTIAL = ("residential_compound", "rental_house")
_OUTCOMES = ("agreed", "partial", "failed", "no_show")
_OUTCOME_P = (0.45, 0.25, 0.2, 0.1)
_METHODS = ("on_site", "at_station", "phone", "joint_committee")
_METHOD_P = (0.45, 0.3, 0.15, 0.1)
_MEDIATORS = ("社区民警", "社区调解员", "网格员", "人民调解委员会调解员", "物业调解员")
DAY = 86_400


def _xy(lon: Any, lat: Any, lat0: float) -> np.ndarray[Any, Any]:
    kx = 111_320.0 * math.cos(math.radians(lat0))
    return np.column_stack([np.asarray(lon) * kx, np.asarray(lat) * 110_574.0])


def load_disputes(
    conn: Connection,
    *,
    seed: int,
    target: int = 3000,
    now: dt.datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Generate and insert the dispute history; returns the row count of each table.

    Reads the incidents, cells (with their owners) and residential premises already loaded in
    ``conn``'s transaction. Cases are drawn among non-repeat dispute incidents within 300 m of
    a residential compound or rental house.
    """
    rng = np.random.default_rng(seed + 6)
    now = now or dt.datetime.now(dt.UTC)
    now_s = int(now.timestamp())
    inc = conn.execute(
        select(
            Incident.id,
            Incident.subtype,
            Incident.klass,
            Incident.lon,
            Incident.lat,
            Incident.jurisdiction_id,
            Incident.jpath,
            Incident.reported_at,
            Incident.address_text,
        ).where(Incident.repeat_of_id.is_(None), Incident.state != "cancelled")
    ).all()
    if not inc:
        return {}
    rules = get_rules()
    related = [i for i, r in enumerate(inc) if rules.call_counts(r[1], r[2])]
    disp = [i for i in related if inc[i][2] == "dispute" and inc[i][1] in _KIND]
    if not disp:
        return {}
    lat0 = float(np.mean([inc[i][4] for i in disp]))
    homes = conn.execute(
        select(Premises.lon, Premises.lat).where(Premises.kind.in_(_RESIDENTIAL))
    ).all()
    if homes:
        tree = cKDTree(_xy([h[0] for h in homes], [h[1] for h in homes], lat0))
        dist, _ = tree.query(_xy([inc[i][3] for i in disp], [inc[i][4] for i in disp], lat0))
        near = [i for i, m in zip(disp, dist, strict=True) if m <= 300.0]
        disp = near or disp
    pick = sorted(rng.choice(len(disp), size=min(target, len(disp)), replace=False).tolist())
    chosen = [disp[k] for k in pick]
    owners = dict(
        conn.execute(
            select(Jurisdiction.id, Jurisdiction.owner_id).where(Jurisdiction.level == "cell")
        ).all()
    )
    # related calls for the repeat-calls rule: one k-d tree over every related incident
    rel_t = np.array([int(inc[i][7].timestamp()) for i in related], dtype=np.int64)
    rel_tree = cKDTree(_xy([inc[i][3] for i in related], [inc[i][4] for i in related], lat0))
    radius = rules.call_radius_m
    window_s = rules.call_window_days * DAY

    n = len(chosen)
    names = person_names(rng, 2 * n)
    enc = EncryptedStr(512)
    dialect = conn.dialect
    disputes: list[list[Any]] = []
    parties: list[tuple[Any, ...]] = []
    steps: list[tuple[Any, ...]] = []
    follow: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    stamp_cols: list[dict[str, int]] = []
    ev_times: list[int] = []
    fu_times: list[int] = []
    pid = sid = fid = 0
    counts = {"high": 0, "medium": 0}

    def event(
        did: int,
        t: int,
        kind: str,
        frm: str | None,
        to: str | None,
        note: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        """One timeline row; ``data`` carries the note's code and parameters (or its texts
        in both languages) as :func:`pingan.disputes.service.add_event` writes them."""
        payload = json.dumps(data, ensure_ascii=False) if data else "{}"
        events.append((len(events) + 1, did, kind, frm, to, None, note, payload))
        ev_times.append(t)

    for k, i in enumerate(chosen):
        row = inc[i]
        did = k + 1
        subtype = str(row[1])
        kind = _KIND[subtype]
        if kind == "neighbourhood" and rng.random() < 0.2:
            kind = "property_landlord"
        elif rng.random() < 0.05:
            kind = "other"
        t_reg = min(int(row[7].timestamp()) + int(rng.integers(1_800, 2 * DAY)), now_s - 600)
        stamps = {"registered_at": t_reg}
        state = "registered"
        threats = bool(rng.random() < (0.12 if kind == "family" else 0.07))
        violence = bool(rng.random() < (0.07 if kind == "family" else 0.03))
        weapons = bool(rng.random() < 0.02)
        event(did, t_reg, "registered", None, "registered", "")
        # mediation: steps every 3-12 days until agreement, two failures (referral), or now
        outcomes: list[tuple[dt.date, str]] = []
        t = t_reg + int(rng.integers(DAY // 2, 5 * DAY))
        referral: str | None = None
        last_t = t_reg
        while t < now_s and len(outcomes) < 5:
            outcome = str(rng.choice(_OUTCOMES, p=_OUTCOME_P))
            day = dt.datetime.fromtimestamp(t, dt.UTC).date()
            nxt_t = t + int(rng.integers(3 * DAY, 12 * DAY))
            second_failure = outcome == "failed" and any(o == "failed" for _, o in outcomes)
            done = outcome == "agreed" or second_failure
            nxt = None if done else dt.datetime.fromtimestamp(nxt_t, dt.UTC).date().isoformat()
            sid += 1
            steps.append(
                (
                    sid,
                    did,
                    day.isoformat(),
                    str(rng.choice(_MEDIATORS)),
                    str(rng.choice(_METHODS, p=_METHOD_P)),
                    outcome,
                    nxt,
                    "",
                    owners.get(row[5]),
                    t,
                )
            )
            outcomes.append((day, outcome))
            last_t = t
            if state == "registered":
                state = "mediating"
                stamps["mediating_at"] = t
                event(
                    did,
                    t,
                    "transition",
                    "registered",
                    "mediating",
                    "first mediation step",
                    {"note_code": "first_step", "note_params": {}},
                )
            method = str(steps[-1][4])
            event(
                did,
                t,
                "mediation",
                None,
                None,
                f"{method}: {outcome}",
                {"note_code": "mediation", "note_params": {"method": method, "outcome": outcome}},
            )
            if outcome == "agreed":
                state = "resolved"
                stamps["resolved_at"] = t + 3600
                event(did, t + 3600, "transition", "mediating", "resolved", "")
                break
            if done:  # the second failure: refer
                referral = str(rng.choice(REFERRAL_TARGETS, p=(0.3, 0.6, 0.1)))
                state = "referred"
                stamps["referred_at"] = t + 3600
                event(
                    did,
                    t + 3600,
                    "transition",
                    "mediating",
                    "referred",
                    referral,
                    {"note_code": "referral", "note_params": {"target": referral}},
                )
                break
            t = nxt_t
        if state == "resolved":
            due_t = stamps["resolved_at"] + 14 * DAY
            fid += 1
            done_t = due_t + int(rng.integers(0, 3 * DAY))
            if done_t < now_s:
                fu = str(rng.choice(("stable", "recurring", "unreachable"), p=(0.85, 0.08, 0.07)))
                follow.append((fid, did, _date(due_t), fu, "scheduled on resolution"))
                fu_times.append(done_t)
                event(
                    did,
                    done_t,
                    "follow_up",
                    None,
                    None,
                    fu,
                    {"note_code": "follow_up", "note_params": {"result": fu}},
                )
                close_t = done_t + int(rng.integers(DAY, 5 * DAY))
                if close_t < now_s and fu != "recurring":
                    state = "closed"
                    stamps["closed_at"] = close_t
                    event(did, close_t, "transition", "resolved", "closed", "")
            else:
                follow.append((fid, did, _date(due_t), None, "scheduled on resolution"))
                fu_times.append(-1)
        elif state == "referred":
            close_t = stamps["referred_at"] + int(rng.integers(10 * DAY, 40 * DAY))
            if close_t < now_s:
                state = "closed"
                stamps["closed_at"] = close_t
                event(did, close_t, "transition", "referred", "closed", "")
        vulnerable: list[str] = []
        for j, role in enumerate(("complainant", "respondent")):
            pid += 1
            vul = bool(rng.random() < 0.06)
            reason = str(rng.choice(VULNERABLE_REASONS)) if vul else None
            if reason:
                vulnerable.append(reason)
            phone = f"1{int(rng.integers(30, 99))}{int(rng.integers(0, 10**8)):08d}"
            parties.append(
                (
                    pid,
                    did,
                    role,
                    enc.process_bind_param(names[2 * k + j][0], dialect),
                    enc.process_bind_param(phone, dialect),
                    vul,
                    reason,
                    t_reg,
                )
            )
        # escalation risk as of now (open cases) or of the last step (closed ones)
        at_s = now_s if state in ("registered", "mediating") else last_t
        here = _xy([row[3]], [row[4]], lat0)[0]
        near = rel_tree.query_ball_point(here, r=radius)
        calls = []
        for j in near:
            if at_s - window_s <= rel_t[j] <= at_s:
                r = inc[related[j]]
                m = float(np.hypot(*(_xy([r[3]], [r[4]], lat0)[0] - here)))
                calls.append(
                    NearbyCall(
                        int(r[0]),
                        str(r[1]),
                        str(r[2]),
                        dt.datetime.fromtimestamp(rel_t[j], dt.UTC),
                        m,
                    )
                )
        at = dt.datetime.fromtimestamp(at_s, dt.UTC)
        res = evaluate(
            CaseFacts(
                threats_reported=threats,
                violence_reported=violence,
                weapons_mentioned=weapons,
                mediation_outcomes=outcomes,
                vulnerable_reasons=vulnerable,
                nearby_calls=calls,
            ),
            at=at,
        )
        if res.level in counts:
            counts[res.level] += 1
        stamps["risk_evaluated_at"] = at_s
        risk_rules = json.dumps(
            {
                "fired": [f.to_dict() for f in res.fired],
                "reason_zh": res.reason_zh,
                "reason_en": res.reason_en,
            },
            ensure_ascii=False,
        )
        if res.level != "low":
            event(
                did,
                at_s,
                "risk",
                None,
                None,
                res.reason_en,
                {"note_texts": {"zh-CN": res.reason_zh, "en": res.reason_en}},
            )
        stamp_cols.append(stamps)
        disputes.append(
            [
                did,
                f"JF{dt.datetime.fromtimestamp(t_reg, dt.UTC):%Y%m%d}-{did:06d}",
                kind,
                state,
                "call_110",
                f"demo: {subtype}",
                row[8],
                int(row[0]),
                float(row[3]),
                float(row[4]),
                int(row[5]),
                str(row[6]),
                owners.get(row[5]),
                threats,
                violence,
                weapons,
                referral,
                res.level,
                risk_rules,
            ]
        )
    # timestamps in storage form, column by column
    tcols = (
        "registered_at",
        "mediating_at",
        "resolved_at",
        "referred_at",
        "closed_at",
        "risk_evaluated_at",
    )
    text = {
        c: timestamps_for(conn, np.array([s.get(c, -1) for s in stamp_cols], dtype=np.int64))
        for c in tcols
    }
    drows = [
        (*r, *(text[c][k] for c in tcols), text["registered_at"][k], text["registered_at"][k])
        for k, r in enumerate(disputes)
    ]
    out = {
        "disputes": bulk_insert(
            conn,
            "disputes",
            (
                "id",
                "code",
                "kind",
                "state",
                "source",
                "summary",
                "address_text",
                "incident_id",
                "lon",
                "lat",
                "jurisdiction_id",
                "jpath",
                "owner_id",
                "threats_reported",
                "violence_reported",
                "weapons_mentioned",
                "referral_target",
                "risk_level",
                "risk_rules",
                *tcols,
                "created_at",
                "updated_at",
            ),
            drows,
        )
    }
    ptext = timestamps_for(conn, np.array([p[-1] for p in parties], dtype=np.int64))
    out["dispute_parties"] = bulk_insert(
        conn,
        "dispute_parties",
        (
            "id",
            "dispute_id",
            "role",
            "display_name",
            "phone",
            "vulnerable",
            "vulnerable_reason",
            "recorded_at",
        ),
        [(*p[:-1], ptext[k]) for k, p in enumerate(parties)],
    )
    stext = timestamps_for(conn, np.array([s[-1] for s in steps], dtype=np.int64))
    out["dispute_mediation_steps"] = bulk_insert(
        conn,
        "dispute_mediation_steps",
        (
            "id",
            "dispute_id",
            "held_on",
            "mediator",
            "method",
            "outcome",
            "next_on",
            "note",
            "recorded_by_id",
            "created_at",
        ),
        [(*s[:-1], stext[k]) for k, s in enumerate(steps)],
    )
    ftext = timestamps_for(conn, np.array(fu_times, dtype=np.int64))
    out["dispute_follow_ups"] = bulk_insert(
        conn,
        "dispute_follow_ups",
        ("id", "dispute_id", "due_on", "outcome", "note", "done_at", "created_at"),
        [(*f, ftext[k], ftext[k] or _now_text(conn, now_s)) for k, f in enumerate(follow)],
    )
    etext = timestamps_for(conn, np.array(ev_times, dtype=np.int64))
    out["dispute_events"] = bulk_insert(
        conn,
        "dispute_events",
        ("id", "dispute_id", "kind", "from_state", "to_state", "actor_id", "note", "data", "at"),
        [(*e, etext[k]) for k, e in enumerate(events)],
    )
    for table in out:
        reset_sequence(conn, table)
    if progress is not None:
        progress("disputes", out["disputes"])
        progress("disputes at high risk", counts["high"])
    return out


def _date(epoch_s: int) -> str:
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC).date().isoformat()


def _now_text(conn: Connection, now_s: int) -> str:
    return str(timestamps_for(conn, np.array([now_s], dtype=np.int64))[0])
