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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import Connection, select

from pingan.demo.names import person_names
from pingan.disputes.models import REFERRAL_TARGETS, VULNERABLE_REASONS
from pingan.disputes.risk import CaseFacts, NearbyCall, RuleSet, evaluate, get_rules
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
    src = _sources(conn, rng, target)
    if src is None:
        return {}
    history = _History(src, rng, now_s=int(now.timestamp()), dialect=conn.dialect)
    for k, i in enumerate(src.chosen):
        history.add_case(k, src.incidents[i])
    out = history.insert(conn)
    if progress is not None:
        progress("disputes", out["disputes"])
        progress("disputes at high risk", history.risk_counts["high"])
    return out


@dataclass
class _Sources:
    """What the history is drawn from: the incidents, the chosen dispute incidents (indexes into
    ``incidents``), cell owners, and the related calls the repeat-calls rule counts."""

    incidents: Sequence[Any]
    chosen: list[int]
    owners: dict[int, int | None]
    lat0: float
    related: list[int]
    related_t: np.ndarray[Any, Any]
    related_tree: cKDTree
    rules: RuleSet


def _sources(conn: Connection, rng: np.random.Generator, target: int) -> _Sources | None:
    """The incidents to draw from and the chosen ones (non-repeat dispute incidents, near homes
    when there are any), or None when the history has no dispute incident."""
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
        return None
    rules = get_rules()
    related = [i for i, r in enumerate(inc) if rules.call_counts(r[1], r[2])]
    disp = [i for i in related if inc[i][2] == "dispute" and inc[i][1] in _KIND]
    if not disp:
        return None
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
    owners = dict(
        conn.execute(
            select(Jurisdiction.id, Jurisdiction.owner_id).where(Jurisdiction.level == "cell")
        ).all()
    )
    # related calls for the repeat-calls rule: one k-d tree over every related incident
    return _Sources(
        incidents=inc,
        chosen=[disp[k] for k in pick],
        owners=owners,
        lat0=lat0,
        related=related,
        related_t=np.array([int(inc[i][7].timestamp()) for i in related], dtype=np.int64),
        related_tree=cKDTree(_xy([inc[i][3] for i in related], [inc[i][4] for i in related], lat0)),
        rules=rules,
    )


@dataclass
class _Mediation:
    """Where a case's mediation left it."""

    state: str
    outcomes: list[tuple[dt.date, str]]
    referral: str | None
    last_t: int


class _History:
    """The rows of the five tables, built case by case (times in epoch seconds until
    :meth:`insert` turns them into the database's text)."""

    def __init__(self, src: _Sources, rng: np.random.Generator, *, now_s: int, dialect: Any):
        self.src, self.rng, self.now_s, self.dialect = src, rng, now_s, dialect
        self.names = person_names(rng, 2 * len(src.chosen))
        self.enc = EncryptedStr(512)
        self.disputes: list[list[Any]] = []
        self.parties: list[tuple[Any, ...]] = []
        self.steps: list[tuple[Any, ...]] = []
        self.follow: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.stamp_cols: list[dict[str, int]] = []
        self.ev_times: list[int] = []
        self.fu_times: list[int] = []
        self.risk_counts = {"high": 0, "medium": 0}

    def event(
        self,
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
        self.events.append((len(self.events) + 1, did, kind, frm, to, None, note, payload))
        self.ev_times.append(t)

    def add_case(self, k: int, row: Any) -> None:
        """The ``k``-th case, from its incident ``row``: registration, mediation, follow-up or
        referral and closing, parties, and the escalation risk."""
        rng, did = self.rng, k + 1
        subtype = str(row[1])
        kind = _KIND[subtype]
        if kind == "neighbourhood" and rng.random() < 0.2:
            kind = "property_landlord"
        elif rng.random() < 0.05:
            kind = "other"
        t_reg = min(int(row[7].timestamp()) + int(rng.integers(1_800, 2 * DAY)), self.now_s - 600)
        stamps = {"registered_at": t_reg}
        threats = bool(rng.random() < (0.12 if kind == "family" else 0.07))
        violence = bool(rng.random() < (0.07 if kind == "family" else 0.03))
        weapons = bool(rng.random() < 0.02)
        self.event(did, t_reg, "registered", None, "registered", "")
        med = self._mediate(did, row, t_reg, stamps)
        state = self._after_mediation(did, med.state, stamps)
        vulnerable = self._parties(did, k, t_reg)
        # escalation risk as of now (open cases) or of the last step (closed ones)
        at_s = self.now_s if state in ("registered", "mediating") else med.last_t
        facts = CaseFacts(
            threats_reported=threats,
            violence_reported=violence,
            weapons_mentioned=weapons,
            mediation_outcomes=med.outcomes,
            vulnerable_reasons=vulnerable,
            nearby_calls=self._nearby_calls(row, at_s),
        )
        res = evaluate(facts, at=dt.datetime.fromtimestamp(at_s, dt.UTC))
        if res.level in self.risk_counts:
            self.risk_counts[res.level] += 1
        stamps["risk_evaluated_at"] = at_s
        if res.level != "low":
            self.event(
                did,
                at_s,
                "risk",
                None,
                None,
                res.reason_en,
                {"note_texts": {"zh-CN": res.reason_zh, "en": res.reason_en}},
            )
        self.stamp_cols.append(stamps)
        risk_rules = {
            "fired": [f.to_dict() for f in res.fired],
            "reason_zh": res.reason_zh,
            "reason_en": res.reason_en,
        }
        self.disputes.append(
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
                self.src.owners.get(row[5]),
                threats,
                violence,
                weapons,
                med.referral,
                res.level,
                json.dumps(risk_rules, ensure_ascii=False),
            ]
        )

    def _mediate(self, did: int, row: Any, t_reg: int, stamps: dict[str, int]) -> _Mediation:
        """Mediation steps every 3-12 days until agreement (resolved), two failures (referred),
        five steps, or now."""
        rng = self.rng
        out = _Mediation("registered", [], None, t_reg)
        t = t_reg + int(rng.integers(DAY // 2, 5 * DAY))
        while t < self.now_s and len(out.outcomes) < 5:
            outcome = str(rng.choice(_OUTCOMES, p=_OUTCOME_P))
            day = dt.datetime.fromtimestamp(t, dt.UTC).date()
            nxt_t = t + int(rng.integers(3 * DAY, 12 * DAY))
            second_failure = outcome == "failed" and any(o == "failed" for _, o in out.outcomes)
            done = outcome == "agreed" or second_failure
            nxt = None if done else dt.datetime.fromtimestamp(nxt_t, dt.UTC).date().isoformat()
            mediator = str(rng.choice(_MEDIATORS))
            method = str(rng.choice(_METHODS, p=_METHOD_P))
            owner = self.src.owners.get(row[5])
            sid = len(self.steps) + 1
            self.steps.append(
                (sid, did, day.isoformat(), mediator, method, outcome, nxt, "", owner, t)
            )
            out.outcomes.append((day, outcome))
            out.last_t = t
            if out.state == "registered":
                out.state = "mediating"
                stamps["mediating_at"] = t
                first = {"note_code": "first_step", "note_params": {}}
                self.event(
                    did, t, "transition", "registered", "mediating", "first mediation step", first
                )
            params = {"method": method, "outcome": outcome}
            self.event(
                did,
                t,
                "mediation",
                None,
                None,
                f"{method}: {outcome}",
                {"note_code": "mediation", "note_params": params},
            )
            if outcome == "agreed":
                out.state = "resolved"
                stamps["resolved_at"] = t + 3600
                self.event(did, t + 3600, "transition", "mediating", "resolved", "")
                break
            if done:  # the second failure: refer
                out.referral = str(rng.choice(REFERRAL_TARGETS, p=(0.3, 0.6, 0.1)))
                out.state = "referred"
                stamps["referred_at"] = t + 3600
                self.event(
                    did,
                    t + 3600,
                    "transition",
                    "mediating",
                    "referred",
                    out.referral,
                    {"note_code": "referral", "note_params": {"target": out.referral}},
                )
                break
            t = nxt_t
        return out

    def _after_mediation(self, did: int, state: str, stamps: dict[str, int]) -> str:
        """A resolved case's follow-up visit 14 days on (and closing unless the dispute
        recurs); a referred case closes 10-40 days on. The state the case ends in."""
        rng, now_s = self.rng, self.now_s
        if state == "resolved":
            due_t = stamps["resolved_at"] + 14 * DAY
            fid = len(self.follow) + 1
            done_t = due_t + int(rng.integers(0, 3 * DAY))
            if done_t >= now_s:
                self.follow.append((fid, did, _date(due_t), None, "scheduled on resolution"))
                self.fu_times.append(-1)
                return state
            fu = str(rng.choice(("stable", "recurring", "unreachable"), p=(0.85, 0.08, 0.07)))
            self.follow.append((fid, did, _date(due_t), fu, "scheduled on resolution"))
            self.fu_times.append(done_t)
            self.event(
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
                stamps["closed_at"] = close_t
                self.event(did, close_t, "transition", "resolved", "closed", "")
                return "closed"
        elif state == "referred":
            close_t = stamps["referred_at"] + int(rng.integers(10 * DAY, 40 * DAY))
            if close_t < now_s:
                stamps["closed_at"] = close_t
                self.event(did, close_t, "transition", "referred", "closed", "")
                return "closed"
        return state

    def _parties(self, did: int, k: int, t_reg: int) -> list[str]:
        """The complainant and the respondent (name and phone encrypted as the service stores
        them); the reasons of those vulnerable."""
        rng, vulnerable = self.rng, []
        for j, role in enumerate(("complainant", "respondent")):
            vul = bool(rng.random() < 0.06)
            reason = str(rng.choice(VULNERABLE_REASONS)) if vul else None
            if reason:
                vulnerable.append(reason)
            phone = f"1{int(rng.integers(30, 99))}{int(rng.integers(0, 10**8)):08d}"
            self.parties.append(
                (
                    len(self.parties) + 1,
                    did,
                    role,
                    self.enc.process_bind_param(self.names[2 * k + j][0], self.dialect),
                    self.enc.process_bind_param(phone, self.dialect),
                    vul,
                    reason,
                    t_reg,
                )
            )
        return vulnerable

    def _nearby_calls(self, row: Any, at_s: int) -> list[NearbyCall]:
        """The related calls within the rule's radius and window before ``at_s``."""
        src = self.src
        window_s = src.rules.call_window_days * DAY
        here = _xy([row[3]], [row[4]], src.lat0)[0]
        calls = []
        for j in src.related_tree.query_ball_point(here, r=src.rules.call_radius_m):
            if at_s - window_s <= src.related_t[j] <= at_s:
                r = src.incidents[src.related[j]]
                m = float(np.hypot(*(_xy([r[3]], [r[4]], src.lat0)[0] - here)))
                at = dt.datetime.fromtimestamp(src.related_t[j], dt.UTC)
                calls.append(NearbyCall(int(r[0]), str(r[1]), str(r[2]), at, m))
        return calls

    def insert(self, conn: Connection) -> dict[str, int]:
        """Bulk-insert the five tables (times in storage form); their row counts."""
        text = {
            c: timestamps_for(
                conn, np.array([s.get(c, -1) for s in self.stamp_cols], dtype=np.int64)
            )
            for c in _STAMPS
        }
        drows = [
            (*r, *(text[c][k] for c in _STAMPS), text["registered_at"][k], text["registered_at"][k])
            for k, r in enumerate(self.disputes)
        ]
        out = {"disputes": bulk_insert(conn, "disputes", _DISPUTE_COLUMNS, drows)}
        ptext = _times(conn, [p[-1] for p in self.parties])
        out["dispute_parties"] = bulk_insert(
            conn,
            "dispute_parties",
            _PARTY_COLUMNS,
            [(*p[:-1], ptext[k]) for k, p in enumerate(self.parties)],
        )
        stext = _times(conn, [s[-1] for s in self.steps])
        out["dispute_mediation_steps"] = bulk_insert(
            conn,
            "dispute_mediation_steps",
            _STEP_COLUMNS,
            [(*s[:-1], stext[k]) for k, s in enumerate(self.steps)],
        )
        ftext = _times(conn, self.fu_times)
        now_text = _now_text(conn, self.now_s)
        out["dispute_follow_ups"] = bulk_insert(
            conn,
            "dispute_follow_ups",
            ("id", "dispute_id", "due_on", "outcome", "note", "done_at", "created_at"),
            [(*f, ftext[k], ftext[k] or now_text) for k, f in enumerate(self.follow)],
        )
        etext = _times(conn, self.ev_times)
        out["dispute_events"] = bulk_insert(
            conn,
            "dispute_events",
            (
                "id",
                "dispute_id",
                "kind",
                "from_state",
                "to_state",
                "actor_id",
                "note",
                "data",
                "at",
            ),
            [(*e, etext[k]) for k, e in enumerate(self.events)],
        )
        for table in out:
            reset_sequence(conn, table)
        return out


_STAMPS = (
    "registered_at",
    "mediating_at",
    "resolved_at",
    "referred_at",
    "closed_at",
    "risk_evaluated_at",
)
_DISPUTE_COLUMNS = (
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
    *_STAMPS,
    "created_at",
    "updated_at",
)
_PARTY_COLUMNS = (
    "id",
    "dispute_id",
    "role",
    "display_name",
    "phone",
    "vulnerable",
    "vulnerable_reason",
    "recorded_at",
)
_STEP_COLUMNS = (
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
)


def _times(conn: Connection, epoch_s: list[int]) -> Any:
    return timestamps_for(conn, np.array(epoch_s, dtype=np.int64))


def _date(epoch_s: int) -> str:
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC).date().isoformat()


def _now_text(conn: Connection, now_s: int) -> str:
    return str(timestamps_for(conn, np.array([now_s], dtype=np.int64))[0])
