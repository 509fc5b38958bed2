"""Dispute casework at city scale.

Target: any dispute list page under 200 ms at p95 with 100,000 disputes in the database. The
city is bench_tasks.py's synthetic one (bureau → 5 districts → 40 stations → 400 communities →
3,000 grid cells, 3,000 community officers); the disputes are synthesised directly in bulk with a
fixed seed: two encrypted parties each, mediation steps, a timeline, risk rules as the rules
would have stored them, about 15 % still open; plus 60,000 incidents of the last 60 days, a
third of them dispute-class calls near dispute places (the repeat-calls rule). Measured through
the real app (bearer token or signed-in session, scoping, serialisation; in-process client):
the list API for a bureau and a station user, the list and case pages, the incident → disputes
lookup, and ``rescreen`` of every open case (twice: the first pass brings the stored levels up
to date and issues instructions, the second is the steady state).

    .venv/bin/python benchmarks/bench_disputes.py [--quick] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("PINGAN_ARGON2_TIME_COST", "1")
os.environ.setdefault("PINGAN_ARGON2_MEMORY_KIB", "64")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import Engine, text

from bench_tasks import build_city
from pingan.audit.service import Actor
from pingan.auth import service as auth
from pingan.auth.models import User
from pingan.disputes.flows import dispute_rescreen_flow
from pingan.disputes.models import KINDS
from pingan.store.base import EncryptedStr
from pingan.store.bulk import bulk_insert, reset_sequence, timestamps_for
from pingan.store.engine import make_engine, migrate, unit_of_work

LON0, LAT0, SPAN = 102.60, 24.90, 0.25  # a 25 km box around Kunming
DAY = 86_400
_RULE = {
    "threats_reported": ("medium", "当事人报告受到威胁", "threats were reported"),
    "violence_reported": ("high", "已报告发生暴力行为", "violence was reported"),
    "weapons_mentioned": ("high", "提及凶器或武器", "weapons were mentioned"),
}


def _ts(conn: Any, a: Any) -> list[str | None]:
    return timestamps_for(conn, np.asarray(a, dtype=np.int64))


def load_disputes(eng: Engine, n: int, n_incidents: int) -> dict[str, Any]:
    """``n`` disputes (parties, steps, timeline) and ``n_incidents`` incidents, bulk-inserted."""
    rng = np.random.default_rng(11)
    with unit_of_work(eng) as s:
        conn = s.connection()
        cells = conn.execute(
            text("SELECT id, path, owner_id FROM jurisdictions WHERE level = 'cell' ORDER BY id")
        ).all()
        now = int(time.time())
        cell = rng.integers(0, len(cells), n)
        lon = LON0 + rng.random(n) * SPAN
        lat = LAT0 + rng.random(n) * SPAN
        reg = now - rng.integers(600, 3 * 365 * DAY, n)
        state = rng.choice(
            np.array(["registered", "mediating", "resolved", "referred", "closed"]),
            n,
            p=[0.05, 0.10, 0.10, 0.05, 0.70],
        )
        flags = rng.random((n, 3)) < np.array([0.07, 0.03, 0.02])
        kind = rng.choice(np.array(KINDS), n)
        med = np.where(state == "registered", -1, reg + rng.integers(DAY // 2, 5 * DAY, n))
        med = np.minimum(med, now - 60)
        done = np.where(np.isin(state, ["resolved", "closed"]), med + 7 * DAY, -1)
        referred = np.where(state == "referred", med + 9 * DAY, -1)
        closed = np.where(state == "closed", med + 30 * DAY, -1)
        reg_t, med_t, done_t = _ts(conn, reg), _ts(conn, med), _ts(conn, done)
        ref_t, clo_t, now_t = _ts(conn, referred), _ts(conn, closed), _ts(conn, [now])[0]
        risks: list[tuple[str, str]] = []
        for f in flags:
            fired = [
                {
                    "code": code,
                    "level": lvl,
                    "facts": {},
                    "explanation_zh": zh,
                    "explanation_en": en,
                }
                for (code, (lvl, zh, en)), on in zip(_RULE.items(), f, strict=True)
                if on
            ]
            level = (
                "high"
                if any(x["level"] == "high" for x in fired) or len(fired) >= 2
                else ("medium" if fired else "low")
            )
            risks.append((level, json.dumps({"fired": fired}, ensure_ascii=False)))
        bulk_insert(
            conn,
            "disputes",
            (
                "id", "code", "kind", "state", "source", "summary", "address_text", "lon", "lat",
                "jurisdiction_id", "jpath", "owner_id", "threats_reported", "violence_reported",
                "weapons_mentioned", "risk_level", "risk_rules", "risk_evaluated_at",
                "registered_at", "mediating_at", "resolved_at", "referred_at", "closed_at",
                "referral_target", "created_at", "updated_at",
            ),
            (
                (
                    i + 1, f"JFB{i:07d}", str(kind[i]), str(state[i]), "visit", "邻里争执",
                    f"小区 {i % 997} 栋", float(lon[i]), float(lat[i]), cells[cell[i]][0],
                    cells[cell[i]][1], cells[cell[i]][2], bool(flags[i, 0]), bool(flags[i, 1]),
                    bool(flags[i, 2]), risks[i][0], risks[i][1], reg_t[i], reg_t[i], med_t[i],
                    done_t[i], ref_t[i], clo_t[i],
                    "mediation_committee" if state[i] == "referred" else None, reg_t[i], now_t,
                )
                for i in range(n)
            ),
        )  # fmt: skip
        reset_sequence(conn, "disputes")
        enc = EncryptedStr(512)
        name = enc.process_bind_param("张先生", conn.dialect)
        phone = enc.process_bind_param("13812345678", conn.dialect)
        bulk_insert(
            conn,
            "dispute_parties",
            ("id", "dispute_id", "role", "display_name", "phone", "vulnerable", "recorded_at"),
            (
                (2 * i + j + 1, i + 1, role, name, phone, False, reg_t[i])
                for i in range(n)
                for j, role in enumerate(("complainant", "respondent"))
            ),
        )
        reset_sequence(conn, "dispute_parties")
        has_step = med >= 0
        step_day = [
            dt.datetime.fromtimestamp(int(t), dt.UTC).date().isoformat() if t >= 0 else None
            for t in med
        ]
        outcome = rng.choice(np.array(["agreed", "partial", "failed", "no_show"]), n)
        steps = [i for i in range(n) if has_step[i]]
        bulk_insert(
            conn,
            "dispute_mediation_steps",
            ("id", "dispute_id", "held_on", "mediator", "method", "outcome", "note", "created_at"),
            (
                (k + 1, i + 1, step_day[i], "调解员", "on_site", str(outcome[i]), "", med_t[i])
                for k, i in enumerate(steps)
            ),
        )
        reset_sequence(conn, "dispute_mediation_steps")
        ev: list[tuple[Any, ...]] = []
        for i in range(n):
            ev.append((i + 1, "registered", None, "registered", "", "{}", reg_t[i]))
            if has_step[i]:
                ev.append((i + 1, "transition", "registered", "mediating", "first mediation step",
                           '{"note_code": "first_step", "note_params": {}}', med_t[i]))  # fmt: skip
                ev.append((i + 1, "mediation", None, None, f"on_site: {outcome[i]}",
                           json.dumps({"note_code": "mediation", "note_params": {
                               "method": "on_site", "outcome": str(outcome[i])}}),
                           med_t[i]))  # fmt: skip
        bulk_insert(
            conn,
            "dispute_events",
            ("id", "dispute_id", "kind", "from_state", "to_state", "note", "data", "at"),
            ((k + 1, *e) for k, e in enumerate(ev)),
        )
        reset_sequence(conn, "dispute_events")
        # incidents of the last 60 days; a third are dispute calls within 40 m of a dispute
        m = n_incidents
        near = rng.random(m) < 1 / 3
        src = rng.integers(0, n, m)
        ilon = np.where(near, lon[src] + rng.normal(0, 0.0002, m), LON0 + rng.random(m) * SPAN)
        ilat = np.where(near, lat[src] + rng.normal(0, 0.0002, m), LAT0 + rng.random(m) * SPAN)
        sub = np.where(
            near,
            rng.choice(np.array(["neighbour_dispute", "family_dispute", "noise"]), m),
            rng.choice(np.array(["pickpocketing", "traffic_accident", "burglary", "fight"]), m),
        )
        klass = {
            "neighbour_dispute": "dispute", "family_dispute": "dispute",
            "noise": "public_order", "fight": "public_order", "pickpocketing": "criminal",
            "burglary": "criminal", "traffic_accident": "traffic",
        }  # fmt: skip
        icell = np.where(near, cell[src], rng.integers(0, len(cells), m))
        rep_t = _ts(conn, now - rng.integers(60, 60 * DAY, m))
        bulk_insert(
            conn,
            "incidents",
            (
                "id", "code", "subtype", "klass", "priority", "source", "state", "summary",
                "lon", "lat", "input_crs", "input_lon", "input_lat", "jurisdiction_id", "jpath",
                "reported_at", "repeat_count", "created_at", "updated_at",
            ),
            (
                (
                    k + 1, f"JJB{k:07d}", str(sub[k]), klass[str(sub[k])], 3, "call_110",
                    "closed", "", float(ilon[k]), float(ilat[k]), "WGS84", float(ilon[k]),
                    float(ilat[k]), cells[icell[k]][0], cells[icell[k]][1], rep_t[k], 0,
                    rep_t[k], rep_t[k],
                )
                for k in range(m)
            ),
        )  # fmt: skip
        reset_sequence(conn, "incidents")
        s.commit()
        probe_incident = int(np.flatnonzero(near)[0]) + 1
        probe_dispute = int(np.flatnonzero(state == "mediating")[0]) + 1
    with eng.connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()
    return {
        "open": int(np.isin(state, ["registered", "mediating"]).sum()),
        "incident": probe_incident,
        "dispute": probe_dispute,
    }


def _login(client: Any, username: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, "no CSRF field on the sign-in page"
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": "bench-password-1",
            "csrf": csrf.group(1),
            "next": "/casework",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def bench_pages(eng: Engine, probe: dict[str, Any], repeats: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from pingan.api.app import create_app

    tokens = {}
    with unit_of_work(eng) as s:
        for name in ("commander", "chief0"):
            u = s.query(User).filter(User.username == name).one()
            tokens[name] = auth.create_token(s, actor=Actor.system("bench"), user=u, name="b")
        s.commit()
    did, iid = probe["dispute"], probe["incident"]
    api = {
        "bureau: list": ("commander", "/api/v1/disputes"),
        "bureau: list, risk=high": ("commander", "/api/v1/disputes?risk=high"),
        "bureau: list, open only": ("commander", "/api/v1/disputes?open_only=true"),
        "bureau: list, page 20": ("commander", "/api/v1/disputes?offset=950"),
        "bureau: list, kind + state": (
            "commander", "/api/v1/disputes?kind=family&state=mediating"),
        "station: list": ("chief0", "/api/v1/disputes"),
        "station: list, risk=medium": ("chief0", "/api/v1/disputes?risk=medium"),
        "station: list, open only": ("chief0", "/api/v1/disputes?open_only=true"),
        "case (API)": ("commander", f"/api/v1/disputes/{did}"),
        "case timeline (API)": ("commander", f"/api/v1/disputes/{did}/timeline"),
        "incident → disputes (50 m)": ("commander", f"/api/v1/incidents/{iid}/disputes"),
        "incident → disputes (1 km)": (
            "commander", f"/api/v1/incidents/{iid}/disputes?radius_m=1000"),
    }  # fmt: skip
    pages = {
        "bureau: /casework": ("commander", "/casework"),
        "bureau: /casework?risk=high": ("commander", "/casework?risk=high"),
        "station: /casework": ("chief0", "/casework"),
        "station: /casework?risk=medium": ("chief0", "/casework?risk=medium"),
        "case page": ("commander", f"/casework/disputes/{did}"),
    }
    out: dict[str, Any] = {}

    def measure(client: Any, label: str, url: str, headers: dict[str, str]) -> None:
        assert client.get(url, headers=headers).status_code == 200, url
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            r = client.get(url, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        times.sort()
        out[label] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])

    app = create_app(engine=eng)
    with TestClient(app) as client:
        for label, (who, url) in api.items():
            measure(client, label, url, {"Authorization": f"Bearer {tokens[who]}"})
    for who in ("commander", "chief0"):
        with TestClient(app) as client:
            _login(client, who)
            for label, (user, url) in pages.items():
                if user == who:
                    measure(client, label, url, {})
    return out


def bench_rescreen(eng: Engine) -> list[tuple[float, str]]:
    out = []
    for _ in range(2):
        with unit_of_work(eng) as s:
            t = time.perf_counter()
            res = dispute_rescreen_flow(s, actor=Actor.system("bench"))
            out.append((time.perf_counter() - t, res.message()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10,000 disputes, 10 repeats")
    ap.add_argument("--url", default=None, help="database URL (default: a temporary SQLite)")
    args = ap.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench_disputes.db"
    eng = make_engine(url)
    if eng.dialect.name == "postgresql":
        with eng.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
    migrate(eng)
    print(f"database: {eng.dialect.name}")
    build_city(eng)
    n = 10_000 if args.quick else 100_000
    t = time.perf_counter()
    probe = load_disputes(eng, n, n_incidents=n * 6 // 10)
    print(
        f"loaded {n:,} disputes ({probe['open']:,} open) with parties, steps and timelines, "
        f"and {n * 6 // 10:,} incidents in {time.perf_counter() - t:.1f} s"
    )
    pages = bench_pages(eng, probe, 10 if args.quick else 40)
    print(f"{'page':34s} {'median ms':>10s} {'p95 ms':>8s}  (target p95 < 200 ms)")
    for label, (med, p95) in pages.items():
        print(f"{label:34s} {med:10.1f} {p95:8.1f}")
    for i, (secs, msg) in enumerate(bench_rescreen(eng)):
        print(f"rescreen pass {i + 1}: {secs:.2f} s — {msg}")
    eng.dispose()


if __name__ == "__main__":
    main()
