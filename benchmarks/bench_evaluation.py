"""Community-officer scorecards for a quarter on a demo-sized city.

Target (issue 6): computing all scorecards for a quarter in under 10 s on the demo city
(≈3,000 grid cells, ≈450 communities, ~35 stations). The city is synthesised directly in bulk
with a fixed seed, shaped like the demo's: 5 districts, 35 stations, 432 communities, 3,000
cells, 432 community officers (one per community, owning its cells), 6,850 premises, and the
work records of 2025-07-01..2026-10-31: 260,000 incidents (40 % preventable subtypes), 30,000
instructions to officers, 120,000 checklist tasks, 3,000 disputes with follow-ups, 15,000
inspections, 24,000 survey results. Then the default card is computed for 2026Q3 at all four
levels (officer, cell, community, station), cold and warm, and the ``/scores`` endpoint of each
level is timed through the real app (bearer token, scoping, serialisation of every figure).

    .venv/bin/python benchmarks/bench_evaluation.py [--url postgresql+psycopg://...]
    .venv/bin/python benchmarks/bench_evaluation.py --existing sqlite:///pingan-data/pingan.db \\
        --period 2026Q4          # time an already built demo database instead
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from typing import Any

import numpy as np

os.environ.setdefault("PINGAN_ARGON2_TIME_COST", "1")
os.environ.setdefault("PINGAN_ARGON2_MEMORY_KIB", "64")

from sqlalchemy import Engine, text

from pingan.audit.service import Actor
from pingan.auth import service as auth
from pingan.auth.models import User
from pingan.evaluation import figures, geography, scorecards
from pingan.evaluation.periods import parse_period
from pingan.incidents.taxonomy import get_taxonomy
from pingan.store.bulk import bulk_insert, reset_sequence, timestamps_for
from pingan.store.engine import make_engine, migrate, unit_of_work

N_DISTRICTS, N_STATIONS, N_COMMUNITIES, N_CELLS = 5, 35, 432, 3000
T_START = int(dt.datetime(2025, 7, 1, tzinfo=dt.UTC).timestamp())
T_END = int(dt.datetime(2026, 10, 31, tzinfo=dt.UTC).timestamp())
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _ts(conn: Any, a: Any) -> list[str | None]:
    return timestamps_for(conn, np.asarray(a, dtype=np.int64))


def synthesise(eng: Engine) -> dict[str, int]:
    """The demo-shaped city and its work records, bulk-inserted with explicit ids."""
    rng = np.random.default_rng(20261202)
    counts: dict[str, int] = {}
    with unit_of_work(eng) as s:
        conn = s.connection()
        now = _ts(conn, [int(NOW.timestamp())])[0]
        rows: list[tuple[Any, ...]] = [(1, "B", "bureau", None, "/1/")]
        nid = 2
        communities: list[tuple[int, str]] = []
        cells: list[tuple[int, str, int]] = []  # id, path, community index
        per_station = np.array_split(np.arange(N_COMMUNITIES), N_STATIONS)
        cells_per_comm = np.array_split(np.arange(N_CELLS), N_COMMUNITIES)
        for d in range(N_DISTRICTS):
            did, dpath = nid, f"/1/{nid}/"
            rows.append((did, f"D{d}", "district", 1, dpath))
            nid += 1
            for k in range(d * 7, d * 7 + 7):
                sid, spath = nid, f"{dpath}{nid}/"
                rows.append((sid, f"S{k}", "station", did, spath))
                nid += 1
                for c in per_station[k]:
                    cid, cpath = nid, f"{spath}{nid}/"
                    rows.append((cid, f"C{c}", "community", sid, cpath))
                    communities.append((cid, cpath))
                    nid += 1
                    for g in cells_per_comm[c]:
                        rows.append((nid, f"G{g}", "cell", cid, f"{cpath}{nid}/"))
                        cells.append((nid, f"{cpath}{nid}/", len(communities) - 1))
                        nid += 1
        counts["jurisdictions"] = bulk_insert(
            conn,
            "jurisdictions",
            ("id", "code", "level", "parent_id", "path", "name_zh", "name_en", "created_at",
             "updated_at"),
            ((*r[:3], r[3], r[4], r[1], r[1], now, now) for r in rows),
        )  # fmt: skip
        reset_sequence(conn, "jurisdictions")
        pw = auth.hash_password("bench-password-1")
        users = [(1, "commander", "commander", None)]
        users += [
            (2 + i, f"officer{i}", "community_officer", c[0]) for i, c in enumerate(communities)
        ]
        bulk_insert(
            conn,
            "users",
            ("id", "username", "display_name", "role", "jurisdiction_id", "password_hash",
             "is_active", "failed_logins", "language", "created_at"),
            ((u[0], u[1], u[1], u[2], u[3], pw, True, 0, "zh-CN", now) for u in users),
        )  # fmt: skip
        reset_sequence(conn, "users")
        counts["officers"] = len(communities)
        for cid, _path, ci in cells:
            conn.exec_driver_sql(f"UPDATE jurisdictions SET owner_id = {2 + ci} WHERE id = {cid}")
        cell_ids = np.array([c[0] for c in cells])
        cell_paths = np.array([c[1] for c in cells], dtype=object)
        cell_off = np.array([2 + c[2] for c in cells])
        comm_paths = [c[1] for c in communities]

        # ---- premises
        n_p = 6850
        pc = rng.integers(0, N_CELLS, n_p)
        kinds = np.where(rng.random(n_p) < 0.35, "rental_house", "business")
        counts["premises"] = bulk_insert(
            conn,
            "premises",
            ("id", "code", "kind", "name", "lon", "lat", "jurisdiction_id", "jpath", "capacity",
             "police_room", "created_at", "updated_at"),
            ((i + 1, f"P{i}", str(kinds[i]), f"P{i}", 102.7, 25.0, int(cell_ids[pc[i]]),
              cell_paths[pc[i]], 0, False, now, now) for i in range(n_p)),
        )  # fmt: skip
        reset_sequence(conn, "premises")

        # ---- incidents
        n_i = 260_000
        subtypes = sorted(get_taxonomy().subtypes)
        prev = {c for c, st in get_taxonomy().subtypes.items() if st.preventable}
        prev_codes = [c for c in subtypes if c in prev]
        other = [c for c in subtypes if c not in prev]
        st_pick = np.where(
            rng.random(n_i) < 0.4,
            np.array(prev_codes, dtype=object)[rng.integers(0, len(prev_codes), n_i)],
            np.array(other, dtype=object)[rng.integers(0, len(other), n_i)],
        )
        ic = rng.integers(0, N_CELLS, n_i)
        rep = rng.integers(T_START, T_END, n_i)
        resp = rep + rng.gamma(3.0, 110.0, n_i).astype(np.int64)
        state = np.where(rng.random(n_i) < 0.03, "cancelled", "closed")
        resp = np.where(state == "closed", resp, -1)
        r_t, s_t = _ts(conn, rep), _ts(conn, resp)
        counts["incidents"] = bulk_insert(
            conn,
            "incidents",
            ("id", "code", "subtype", "klass", "priority", "source", "state", "summary", "lon",
             "lat", "input_crs", "input_lon", "input_lat", "jurisdiction_id", "jpath",
             "reported_at", "on_scene_at", "repeat_count", "created_at", "updated_at"),
            ((i + 1, f"J{i:07d}", str(st_pick[i]), "criminal", 2, "call_110", str(state[i]), "",
              102.7, 25.0, "WGS84", 102.7, 25.0, int(cell_ids[ic[i]]), cell_paths[ic[i]], r_t[i],
              s_t[i], 0, r_t[i], r_t[i]) for i in range(n_i)),
        )  # fmt: skip
        reset_sequence(conn, "incidents")

        # ---- instructions to officers (one recipient each)
        n_r = 30_000
        created = rng.integers(T_START, T_END, n_r)
        sign_by, complete_by = created + 4 * 3600, created + 3 * 86400
        signed = np.where(rng.random(n_r) < 0.95, created + rng.integers(60, 6 * 3600, n_r), -1)
        reported = np.where(signed > 0, signed + rng.integers(3600, 4 * 86400, n_r), -1)
        off = rng.integers(0, len(communities), n_r)
        c_t, sb_t, cb_t = _ts(conn, created), _ts(conn, sign_by), _ts(conn, complete_by)
        sg_t, rp_t = _ts(conn, signed), _ts(conn, reported)
        bulk_insert(
            conn,
            "instructions",
            ("id", "code", "title", "text", "priority", "issuer_id", "issuer_level", "jpath",
             "sign_by", "complete_by", "recipient_count", "created_at", "updated_at"),
            ((i + 1, f"ZL{i:07d}", "巡查", "请巡查并反馈", "normal", 1, "bureau", "/", sb_t[i],
              cb_t[i], 1, c_t[i], c_t[i]) for i in range(n_r)),
        )  # fmt: skip
        counts["instruction_recipients"] = bulk_insert(
            conn,
            "instruction_recipients",
            ("id", "instruction_id", "kind", "officer_id", "jpath", "state", "priority",
             "sign_by", "complete_by", "signed_at", "first_reported_at", "rework_count",
             "sign_overdue", "complete_overdue", "created_at", "updated_at"),
            ((i + 1, i + 1, "officer", 2 + int(off[i]), comm_paths[off[i]],
              "reported" if reported[i] > 0 else "issued", "normal", sb_t[i], cb_t[i], sg_t[i],
              rp_t[i], 0, False, False, c_t[i], c_t[i]) for i in range(n_r)),
        )  # fmt: skip
        reset_sequence(conn, "instructions")
        reset_sequence(conn, "instruction_recipients")

        # ---- checklist tasks (one template; unique per target, day and slot)
        conn.exec_driver_sql(
            "INSERT INTO checklist_templates (id, code, name_zh, name_en, description, role, "
            "frequency, times, weekday, day_of_month, window_min, target, active, created_at, "
            f"updated_at) VALUES (1, 'visit', '走访', 'Visit', '', 'community_officer', 'daily', "
            f"'', 0, 1, 60, 'cell', {'true' if eng.dialect.name == 'postgresql' else 1}, "
            f"'{now}', '{now}')"
        )
        n_t = 120_000
        tc = rng.integers(0, N_CELLS, n_t)
        day0 = dt.date(2025, 7, 1)
        span = (dt.date(2026, 10, 31) - day0).days
        dayi = rng.integers(0, span, n_t)
        slot = [np.base_repr(i, 36) for i in range(n_t)]  # keeps each occurrence unique
        tstate = rng.choice(np.array(["done", "late", "missed"]), n_t, p=[0.85, 0.1, 0.05])
        days = [(day0 + dt.timedelta(days=int(d))).isoformat() for d in dayi]
        due_s = T_START + dayi * 86400 + 8 * 3600
        due_t, close_t = _ts(conn, due_s), _ts(conn, due_s + 86400)
        counts["checklist_tasks"] = bulk_insert(
            conn,
            "checklist_tasks",
            ("id", "template_id", "station_id", "assignee_id", "target_kind", "target_id",
             "jpath", "day", "slot", "due_at", "close_at", "state", "note", "created_at"),
            ((i + 1, 1, 2, int(cell_off[tc[i]]), "cell", int(cell_ids[tc[i]]),
              cell_paths[tc[i]], days[i], slot[i], due_t[i], close_t[i],
              str(tstate[i]), "", due_t[i]) for i in range(n_t)),
        )  # fmt: skip
        reset_sequence(conn, "checklist_tasks")

        # ---- disputes with follow-ups
        n_d = 3000
        dc = rng.integers(0, N_CELLS, n_d)
        reg = rng.integers(T_START, T_END - 30 * 86400, n_d)
        res = np.where(rng.random(n_d) < 0.8, reg + rng.integers(86400, 30 * 86400, n_d), -1)
        lon = 102.6 + rng.random(n_d) * 0.3
        lat = 24.9 + rng.random(n_d) * 0.3
        g_t, s2_t = _ts(conn, reg), _ts(conn, res)
        counts["disputes"] = bulk_insert(
            conn,
            "disputes",
            ("id", "code", "kind", "state", "source", "summary", "lon", "lat", "jurisdiction_id",
             "jpath", "owner_id", "threats_reported", "violence_reported", "weapons_mentioned",
             "risk_level", "risk_rules", "registered_at", "resolved_at", "created_at",
             "updated_at"),
            ((i + 1, f"JF{i:06d}", "neighbourhood", "resolved" if res[i] > 0 else "mediating",
              "visit", "", float(lon[i]), float(lat[i]), int(cell_ids[dc[i]]), cell_paths[dc[i]],
              int(cell_off[dc[i]]), False, False, False, "low", "[]", g_t[i], s2_t[i], g_t[i],
              g_t[i]) for i in range(n_d)),
        )  # fmt: skip
        fu = np.flatnonzero(res > 0)
        f_t = _ts(conn, res[fu] + 30 * 86400)
        outc = rng.choice(np.array(["stable", "recurring"]), fu.size, p=[0.9, 0.1])
        bulk_insert(
            conn,
            "dispute_follow_ups",
            ("id", "dispute_id", "due_on", "done_at", "outcome", "note", "created_at"),
            ((k + 1, int(i) + 1, f_t[k][:10], f_t[k], str(outc[k]), "", f_t[k])
             for k, i in enumerate(fu.tolist())),
        )  # fmt: skip
        reset_sequence(conn, "disputes")
        reset_sequence(conn, "dispute_follow_ups")

        # ---- inspections and surveys
        n_x = 15_000
        xp = rng.integers(0, n_p, n_x)
        x_t = _ts(conn, rng.integers(T_START, T_END, n_x))
        counts["premises_inspections"] = bulk_insert(
            conn,
            "premises_inspections",
            ("id", "premises_id", "jpath", "officer_id", "inspected_at", "outcome", "note",
             "created_at"),
            ((i + 1, int(xp[i]) + 1, cell_paths[pc[xp[i]]], int(cell_off[pc[xp[i]]]), x_t[i],
              "ok", "", x_t[i]) for i in range(n_x)),
        )  # fmt: skip
        srows = []
        q = parse_period("2024Q4")
        for _k in range(8):
            resp_n = rng.integers(20, 61, N_CELLS)
            sat = rng.binomial(resp_n, 0.87)
            for c in range(N_CELLS):
                srows.append(
                    (len(srows) + 1, int(cell_ids[c]), cell_paths[c], q.first.isoformat(),
                     q.last.isoformat(), int(resp_n[c]), int(sat[c]), "visit", "", now)
                )  # fmt: skip
            q = q.shift(1)
        counts["satisfaction_surveys"] = bulk_insert(
            conn,
            "satisfaction_surveys",
            ("id", "cell_id", "jpath", "period_start", "period_end", "respondents", "satisfied",
             "method", "note", "created_at"),
            srows,
        )  # fmt: skip
        reset_sequence(conn, "premises_inspections")
        reset_sequence(conn, "satisfaction_surveys")
        s.commit()
    with eng.connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()
    return counts


def bench_compute(eng: Engine, period: str, repeats: int) -> dict[str, Any]:
    per = parse_period(period)
    times = []
    sizes: dict[str, int] = {}
    for _ in range(repeats):
        with unit_of_work(eng, write=False) as s:
            t0 = time.perf_counter()
            out = figures.compute(
                s,
                spec=scorecards.default_spec(),
                period=per,
                levels=geography.LEVELS,
                jpath="/",
                now=NOW if period == "2026Q3" else None,
            )
            times.append(time.perf_counter() - t0)
            sizes = {lv: len(r.entities) for lv, r in out.items()}
    return {"first_s": times[0], "warm_median_s": statistics.median(times[1:] or times), **sizes}


def bench_api(eng: Engine, period: str, repeats: int) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from pingan.api.app import create_app

    with unit_of_work(eng) as s:
        u = s.query(User).filter(User.username == "commander").one_or_none()
        if u is None:
            u = s.query(User).filter(User.role == "admin").first()
        assert u is not None
        token = auth.create_token(s, actor=Actor.system("bench"), user=u, name="bench")
        s.commit()
    client = TestClient(create_app(engine=eng))
    h = {"Authorization": f"Bearer {token}"}
    out: dict[str, float] = {}
    total = 0.0
    for lv in geography.LEVELS:
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = client.get(
                f"/api/v1/evaluation/scores?period={period}&level={lv}&limit=5000", headers=h
            )
            ts.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
        out[lv] = statistics.median(ts)
        total += out[lv]
    out["all four levels"] = total
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--url", help="an empty database to synthesise into (default: SQLite in a temp dir)"
    )
    ap.add_argument("--existing", help="time this already built database instead (no synthesis)")
    ap.add_argument("--period", default="2026Q3")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.existing:
            eng = make_engine(args.existing)
            migrate(eng)
            print(f"existing database {eng.url.render_as_string(hide_password=True)}")
        else:
            eng = make_engine(args.url or f"sqlite:///{tmp}/bench.db")
            migrate(eng)
            t0 = time.perf_counter()
            counts = synthesise(eng)
            print(f"synthesised in {time.perf_counter() - t0:.1f} s: {counts}")
        print(f"backend {eng.dialect.name}, period {args.period}")
        c = bench_compute(eng, args.period, args.repeats)
        print(
            f"compute, all 4 levels in one pass: first {c['first_s']:.2f} s, warm median "
            f"{c['warm_median_s']:.2f} s (officers {c['officer']}, cells {c['cell']}, "
            f"communities {c['community']}, stations {c['station']}) — target < 10 s"
        )
        for lv, v in bench_api(eng, args.period, args.repeats).items():
            print(f"GET /api/v1/evaluation/scores level={lv}: median {v:.2f} s")
        eng.dispose()


if __name__ == "__main__":
    main()
