"""Duty checklists and instructions at city scale.

Targets (issue 6): materialising a day's checklist tasks for a city of 40 stations and 3,000
officers in under 5 s; any instruction list page under 200 ms at p95 with 100,000 instructions
in the database. The city is synthetic (bureau → 5 districts → 40 stations → 400 communities →
3,000 grid cells; 3,000 community officers, 600 schools, 120 hospitals, 800 hotels) and the
bureau's demo templates plus a daily patrol log per officer; the day is a Monday that opens a
quarter, so every kind of duty is due. The second run must create nothing (idempotent).

    .venv/bin/python benchmarks/bench_tasks.py [--quick] [--url postgresql+psycopg://...]
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
from pingan.checklists import scheduler
from pingan.checklists.models import ChecklistTemplate
from pingan.demo.ops_tasks import DEMO_TEMPLATES
from pingan.store.bulk import bulk_insert, reset_sequence, timestamps_for
from pingan.store.engine import make_engine, migrate, unit_of_work

DAY = dt.date(2027, 1, 4)  # a Monday; the 1st-of-quarter rule falls on 1 Jan, so move it
N_DISTRICTS, N_STATIONS, N_COMMUNITIES, N_CELLS, N_OFFICERS = 5, 40, 400, 3000, 3000


def build_city(eng: Engine) -> dict[str, Any]:
    """Jurisdictions, users and premises with explicit ids, bulk-inserted."""
    rng = np.random.default_rng(6)
    with unit_of_work(eng) as s:
        conn = s.connection()
        now = timestamps_for(conn, np.array([int(time.time())], dtype=np.int64))[0]
        rows: list[tuple[Any, ...]] = [(1, "B", "bureau", None, "/1/")]
        nid = 2
        stations, communities, cells = [], [], []
        for d in range(N_DISTRICTS):
            did, dpath = nid, f"/1/{nid}/"
            rows.append((did, f"D{d}", "district", 1, dpath))
            nid += 1
            for k in range(N_STATIONS // N_DISTRICTS):
                sid, spath = nid, f"{dpath}{nid}/"
                rows.append((sid, f"D{d}S{k}", "station", did, spath))
                stations.append((sid, spath))
                nid += 1
                for c in range(N_COMMUNITIES // N_STATIONS):
                    cid, cpath = nid, f"{spath}{nid}/"
                    rows.append((cid, f"D{d}S{k}C{c}", "community", sid, cpath))
                    communities.append((cid, cpath))
                    nid += 1
                    for g in range(N_CELLS // N_COMMUNITIES + (1 if c < 5 else 0)):
                        if len(cells) >= N_CELLS:
                            break
                        rows.append((nid, f"D{d}S{k}C{c}G{g}", "cell", cid, f"{cpath}{nid}/"))
                        cells.append((nid, f"{cpath}{nid}/", cid))
                        nid += 1
        bulk_insert(
            conn,
            "jurisdictions",
            (
                "id",
                "code",
                "level",
                "parent_id",
                "path",
                "name_zh",
                "name_en",
                "created_at",
                "updated_at",
            ),
            ((*r[:3], r[3], r[4], r[1], r[1], now, now) for r in rows),
        )
        reset_sequence(conn, "jurisdictions")
        pw = auth.hash_password("bench-password-1")
        users: list[tuple[Any, ...]] = [(1, "commander", "commander", None)]
        for i, (sid, _) in enumerate(stations):
            users.append((2 + i, f"chief{i}", "station_chief", sid))
        base = 2 + len(stations)
        for i in range(N_OFFICERS):
            users.append((base + i, f"officer{i}", "community_officer", communities[i % 400][0]))
        bulk_insert(
            conn,
            "users",
            (
                "id",
                "username",
                "display_name",
                "role",
                "jurisdiction_id",
                "password_hash",
                "is_active",
                "failed_logins",
                "language",
                "created_at",
            ),
            ((u[0], u[1], u[1], u[2], u[3], pw, True, 0, "zh-CN", now) for u in users),
        )
        reset_sequence(conn, "users")
        comm_officers: dict[int, list[int]] = {}
        for u in users[1 + len(stations) :]:
            comm_officers.setdefault(u[3], []).append(u[0])
        owners = [
            (comm_officers[c][j % len(comm_officers[c])], cid)
            for j, (cid, _, c) in enumerate(cells)
        ]
        for own, cid in owners:
            conn.exec_driver_sql(f"UPDATE jurisdictions SET owner_id = {own} WHERE id = {cid}")
        kinds = (
            ["school"] * 600 + ["hospital"] * 120 + ["hotel"] * 800 + ["entertainment_venue"] * 300
        )
        pick = rng.integers(0, len(cells), len(kinds))
        bulk_insert(
            conn,
            "premises",
            (
                "id",
                "code",
                "kind",
                "name",
                "lon",
                "lat",
                "jurisdiction_id",
                "jpath",
                "capacity",
                "police_room",
                "created_at",
                "updated_at",
            ),
            (
                (
                    i + 1,
                    f"P{i}",
                    k,
                    f"P{i}",
                    102.7,
                    25.0,
                    cells[int(pick[i])][0],
                    cells[int(pick[i])][1],
                    0,
                    False,
                    now,
                    now,
                )
                for i, k in enumerate(kinds)
            ),
        )
        reset_sequence(conn, "premises")
        for spec in DEMO_TEMPLATES:
            spec = dict(spec)
            if spec["code"] == "dispute_rescreen":
                spec["frequency"], spec["day_of_month"] = "monthly", DAY.day
            if spec["code"] == "hotel_inspection":
                spec["day_of_month"] = DAY.day
            s.add(ChecklistTemplate(active=True, description="", **spec))
        s.add(
            ChecklistTemplate(
                code="patrol_log",
                name_zh="巡逻日志",
                name_en="Patrol log",
                role="community_officer",
                frequency="daily",
                times="",
                target="officer",
                active=True,
                description="",
            )
        )
        s.commit()
    return {"stations": stations, "officer0": base, "chief0": 2}


def bench_materialise(eng: Engine) -> dict[str, float]:
    out = {}
    for run in ("first", "second"):
        with unit_of_work(eng) as s:
            t = time.perf_counter()
            res = scheduler.materialise(s, day=DAY, now=dt.datetime(2027, 1, 3, tzinfo=dt.UTC))
            s.commit()
            out[f"{run}_s"] = time.perf_counter() - t
            out[f"{run}_created"] = res.created
            out[f"{run}_existing"] = res.existing
    return out


def load_instructions(eng: Engine, city: dict[str, Any], n: int) -> None:
    rng = np.random.default_rng(7)
    stations = city["stations"]
    with unit_of_work(eng) as s:
        conn = s.connection()
        now = int(time.time())
        created = now - rng.integers(0, 365 * 86400, n)
        sign_by = created + 4 * 3600
        complete_by = created + 3 * 86400
        ts = lambda a: timestamps_for(conn, np.asarray(a, dtype=np.int64))  # noqa: E731
        c_t, s_t, k_t = ts(created), ts(sign_by), ts(complete_by)
        issuer = np.where(rng.random(n) < 0.5, 1, 2 + rng.integers(0, len(stations), n))
        bulk_insert(
            conn,
            "instructions",
            (
                "id",
                "code",
                "title",
                "text",
                "priority",
                "issuer_id",
                "issuer_level",
                "jpath",
                "sign_by",
                "complete_by",
                "recipient_count",
                "created_at",
                "updated_at",
            ),
            (
                (
                    i + 1,
                    f"B{i:07d}",
                    "巡查",
                    "请巡查并反馈",
                    "normal",
                    int(issuer[i]),
                    "bureau" if issuer[i] == 1 else "station",
                    "/" if issuer[i] == 1 else stations[int(issuer[i]) - 2][1],
                    s_t[i],
                    k_t[i],
                    1,
                    c_t[i],
                    c_t[i],
                )
                for i in range(n)
            ),
        )
        reset_sequence(conn, "instructions")
        states = np.array(["issued", "signed", "in_progress", "reported", "closed"])
        st = states[rng.choice(5, n, p=[0.03, 0.03, 0.04, 0.05, 0.85])]
        to_officer = issuer != 1
        officer = city["officer0"] + rng.integers(0, N_OFFICERS, n)
        bulk_insert(
            conn,
            "instruction_recipients",
            (
                "id",
                "instruction_id",
                "kind",
                "station_id",
                "officer_id",
                "jpath",
                "state",
                "priority",
                "sign_by",
                "complete_by",
                "rework_count",
                "sign_overdue",
                "complete_overdue",
                "created_at",
                "updated_at",
            ),
            (
                (
                    i + 1,
                    i + 1,
                    "officer" if to_officer[i] else "station",
                    stations[(int(issuer[i]) - 2) if to_officer[i] else i % len(stations)][0],
                    int(officer[i]) if to_officer[i] else None,
                    stations[(int(issuer[i]) - 2) if to_officer[i] else i % len(stations)][1],
                    str(st[i]),
                    "normal",
                    s_t[i],
                    k_t[i],
                    0,
                    False,
                    False,
                    c_t[i],
                    c_t[i],
                )
                for i in range(n)
            ),
        )
        reset_sequence(conn, "instruction_recipients")
        s.commit()
    if eng.dialect.name == "postgresql":
        with eng.connect() as c:
            c.execute(text("ANALYZE"))
    else:
        with eng.connect() as c:
            c.exec_driver_sql("ANALYZE")


def bench_pages(eng: Engine, city: dict[str, Any], repeats: int) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from pingan.api.app import create_app

    tokens = {}
    with unit_of_work(eng) as s:
        for name in ("commander", "chief0", "officer0"):
            u = s.query(User).filter(User.username == name).one()
            tokens[name] = auth.create_token(s, actor=Actor.system("bench"), user=u, name="b")
        s.commit()
    pages = {
        "officer queue to_sign": ("officer0", "/api/v1/instructions/queue?box=to_sign"),
        "officer queue overdue": ("officer0", "/api/v1/instructions/queue?box=overdue"),
        "chief queue to_do": ("chief0", "/api/v1/instructions/queue?box=to_do"),
        "issued by me (commander)": ("commander", "/api/v1/instructions?issuer=me"),
        "issued, page 20": ("commander", "/api/v1/instructions?issuer=me&offset=1000"),
        "station board": ("chief0", "/api/v1/instructions/board"),
        "bureau board, overdue": ("commander", "/api/v1/instructions/board?box=overdue"),
        "rates (bureau)": ("commander", "/api/v1/instructions/rates"),
        "station checklist tasks": ("chief0", f"/api/v1/checklists/tasks?mine=false&day={DAY}"),
        "station completion": (
            "chief0",
            f"/api/v1/checklists/stations/{city['stations'][0][0]}/completion"
            f"?since={DAY}&until={DAY}",
        ),
    }  # fmt: skip
    out = {}
    with TestClient(create_app(engine=eng)) as client:
        for label, (who, url) in pages.items():
            h = {"Authorization": f"Bearer {tokens[who]}"}
            assert client.get(url, headers=h).status_code == 200, url
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                r = client.get(url, headers=h)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
            times.sort()
            out[label] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
    return out  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10,000 instructions, 10 repeats")
    ap.add_argument("--url", default=None, help="database URL (default: a temporary SQLite)")
    args = ap.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench_tasks.db"
    eng = make_engine(url)
    if eng.dialect.name == "postgresql":
        with eng.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
    migrate(eng)
    print(f"database: {eng.dialect.name}")
    city = build_city(eng)
    m = bench_materialise(eng)
    print(
        f"materialise {DAY} ({N_STATIONS} stations, {N_OFFICERS} officers): "
        f"{m['first_created']:.0f} tasks in {m['first_s']:.2f} s (target < 5 s); "
        f"second run {m['second_s']:.2f} s, {m['second_created']:.0f} created, "
        f"{m['second_existing']:.0f} already existed"
    )
    n = 10_000 if args.quick else 100_000
    t = time.perf_counter()
    load_instructions(eng, city, n)
    print(f"loaded {n:,} instructions in {time.perf_counter() - t:.1f} s")
    pages = bench_pages(eng, city, 10 if args.quick else 40)
    print(f"{'page':32s} {'median ms':>10s} {'p95 ms':>8s}  (target p95 < 200 ms)")
    for label, (med, p95) in pages.items():
        print(f"{label:32s} {med:10.1f} {p95:8.1f}")
    eng.dispose()


if __name__ == "__main__":
    main()
