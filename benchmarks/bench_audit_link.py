"""Audit chain linking on PostgreSQL: cost of one commit as ``audit_log`` grows, on a connection
that planned the link trigger while the table was tiny and on a new one.

PL/pgSQL keeps the plans of a function's statements for the life of a connection. The demo
build analyzes the whole database when ``audit_log`` holds one record; a connection that first
links records then plans the trigger's statements for a one-page table (sequential scans) and
keeps those plans while the table grows. This script reproduces that on the real migrations,
side by side for the trigger of migration 0007 (advisory lock, search for the newest record)
and that of 0009 (one-row chain head, ``enable_seqscan = off``), and prints the milliseconds one
single-record commit takes at each table size, and the ratio early / new connection.

    .venv/bin/python benchmarks/bench_audit_link.py [--quick] [--pg URL] [--sizes 1000,10000,100000]

Needs a PostgreSQL database it may empty (its ``public`` schema is dropped and made again).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pingan.audit.service import Actor, Entry, record, record_many  # noqa: E402
from pingan.store.engine import MIGRATIONS_DIR, make_engine, migrate  # noqa: E402


def _old_function() -> str:
    """Migration 0007's link function, as kept by migration 0009 for its downgrade."""
    path = MIGRATIONS_DIR / "versions" / "0009_audit_chain_head.py"
    spec = importlib.util.spec_from_file_location("m0009", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return str(mod.OLD_LINK_FUNCTION)


def _commit_one(conn: Connection) -> None:
    with Session(bind=conn) as s:
        record(s, actor=Actor.system("bench"), action="bench", entity="thing")
        s.commit()


def _ms_per_commit(conn: Connection, calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        _commit_one(conn)
    return (time.perf_counter() - t0) / calls * 1000


def _count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM audit_log")).scalar_one())


def run(engine: Engine, variant: str, sizes: list[int], calls: int) -> list[tuple[float, float]]:
    with engine.begin() as c:
        c.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    migrate(engine)
    if variant == "0007":
        with engine.begin() as c:
            c.exec_driver_sql(_old_function())
    with engine.connect() as c:
        _commit_one(c)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ANALYZE audit_log")  # as the demo build's ANALYZE does
    early = engine.connect()
    for _ in range(8):  # past the five custom plans, while the table is one page
        _commit_one(early)
    out = []
    for size in sizes:
        while (n := _count(engine)) < size:
            with engine.connect() as c, Session(bind=c) as s:
                batch = min(1000, size - n)
                record_many(s, [Entry(Actor.system("bulk"), "bulk", "thing")] * batch)
                s.commit()
        with engine.connect() as fresh:
            _commit_one(fresh)
            new_ms = _ms_per_commit(fresh, calls)
        early_ms = _ms_per_commit(early, calls)
        out.append((early_ms, new_ms))
        print(
            f"  {variant}  {size:>7,} records: early connection {early_ms:6.2f} ms/commit, "
            f"new connection {new_ms:6.2f} ms/commit, ratio {early_ms / new_ms:5.2f}x",
            flush=True,
        )
    early.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default=os.environ.get("PINGAN_TEST_DATABASE_URL"))
    ap.add_argument("--quick", action="store_true", help="sizes 1,000 and 5,000, 50 commits")
    ap.add_argument("--sizes", default=None, help="table sizes (default 1000,10000,100000)")
    ap.add_argument("--calls", type=int, default=None, help="commits timed per size (200)")
    args = ap.parse_args()
    if not args.pg:
        print("PostgreSQL: skipped (give --pg URL or set PINGAN_TEST_DATABASE_URL)")
        return
    sizes = [
        int(x)
        for x in (args.sizes or ("1000,5000" if args.quick else "1000,10000,100000")).split(",")
    ]
    args.calls = args.calls or (50 if args.quick else 200)
    engine = make_engine(args.pg)
    print(f"one audit record per commit, {args.calls} commits per size, audit_log analyzed at 1")
    old = run(engine, "0007", sizes, args.calls)
    new = run(engine, "0009", sizes, args.calls)
    engine.dispose()
    (o_early, _), (n_early, _) = old[-1], new[-1]
    print(
        f"at {sizes[-1]:,} records, early connection: 0007 {o_early:.2f} ms, 0009 "
        f"{n_early:.2f} ms per commit ({o_early / n_early:.1f}x)"
    )


if __name__ == "__main__":
    main()
