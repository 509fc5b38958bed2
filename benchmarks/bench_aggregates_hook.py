"""What keeping the incident counts costs the hot write path: ``write_create_many`` of 16
creations with the counts never built (the hook returns at once) and built (one upsert per
table among the pipelined writes), on SQLite and PostgreSQL, side by side.

Run: ``.venv/bin/python benchmarks/bench_aggregates_hook.py [--pg URL_BASE] [--rounds 150]``
(``URL_BASE`` like ``postgresql+psycopg://postgres@127.0.0.1:5432``; databases
``bench_hook_0`` and ``bench_hook_1`` are made there).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import text  # noqa: E402
from tests.factories import SmallCity, build_small_city  # noqa: E402
from tests.serverutil import prepare_db  # noqa: E402

from pingan.aggregates import service as agg  # noqa: E402
from pingan.aggregates.flows import aggregates_rebuild_flow  # noqa: E402
from pingan.audit.service import Actor  # noqa: E402
from pingan.auth.service import principal_for  # noqa: E402
from pingan.incidents import service as incidents  # noqa: E402
from pingan.incidents.schemas import IncidentCreate  # noqa: E402
from pingan.store.engine import make_engine, migrate, unit_of_work  # noqa: E402

SUBTYPES = ["fight", "burglary", "pickpocketing", "robbery", "traffic_accident"]


def _run(url: str, city: SmallCity, *, built: bool, rounds: int) -> tuple[float, float, int]:
    engine = make_engine(url)
    if built:
        with unit_of_work(engine) as s:
            aggregates_rebuild_flow(s, actor=Actor.system("bench"))
    rng = np.random.default_rng(1)
    times = []
    for _ in range(rounds):
        with unit_of_work(engine) as s:
            p = principal_for(s, city.users["dispatcher"])
            items = [
                (
                    p,
                    incidents.prepare_create(
                        s,
                        principal=p,
                        data=IncidentCreate(
                            subtype=SUBTYPES[int(rng.integers(len(SUBTYPES)))],
                            lon=102.701 + 0.078 * rng.random(),
                            lat=25.021 + 0.018 * rng.random(),
                        ),
                    ),
                )
                for _ in range(16)
            ]
            t = time.perf_counter()
            incidents.write_create_many(s, items)
            times.append(time.perf_counter() - t)
            s.commit()
    with unit_of_work(engine, write=False) as s:
        q = "SELECT coalesce(sum(n), 0) FROM incident_day_counts WHERE level = 0"
        counted = int(s.execute(text(q)).scalar_one())
    engine.dispose()
    ms = np.array(times[10:]) * 1000.0
    return float(np.median(ms)), float(np.percentile(ms, 95)), counted


def _pg_city(base: str, name: str) -> tuple[str, SmallCity]:
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    url = f"{base}/{name}"
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(engine) as s:
        city = build_small_city(s)
        s.commit()
    engine.dispose()
    return url, city


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", default="", help="PostgreSQL URL without the database")
    ap.add_argument("--rounds", type=int, default=150)
    args = ap.parse_args()
    rows = []
    for backend in ("sqlite", "postgresql") if args.pg else ("sqlite",):
        for built in (False, True):
            agg.forget()
            if backend == "sqlite":
                url, city = prepare_db(Path(tempfile.mkdtemp()) / "hook.db")
            else:
                url, city = _pg_city(args.pg, f"bench_hook_{int(built)}")
            med, p95, n = _run(url, city, built=built, rounds=args.rounds)
            rows.append((backend, built, med, p95, n))
            state = "built" if built else "never built"
            print(
                f"{backend:<10} counts {state:<11} median {med:6.2f} ms  "
                f"p95 {p95:6.2f} ms  ({n:,} counted)"
            )
    for backend in {r[0] for r in rows}:
        off, on = (r for r in rows if r[0] == backend)
        print(f"{backend}: ratio built / never built {on[2] / off[2]:.2f} (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
