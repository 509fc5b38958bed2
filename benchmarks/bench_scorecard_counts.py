"""The scorecards' incident count from the cell × day counts against the incidents' query, on an
already built demo database (issue 19): the ``preventable_incidents_yoy`` source alone and the
whole card (4 levels), each read both ways, and the figures compared (they must be equal).

    .venv/bin/python benchmarks/bench_scorecard_counts.py --existing sqlite:///COPY/pingan.db \\
        [--period 2026Q4] [--repeats 3]

Use a copy: when ``incident_cell_days`` is missing (a database built before migration
``0030_cell_days``) it is created and filled from ``incident_grid_counts`` as that migration
does, without touching the Alembic revision.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
from sqlalchemy import inspect, text

from pingan.aggregates.models import IncidentCellDay
from pingan.evaluation import figures, geography, scorecards
from pingan.evaluation.periods import parse_period
from pingan.evaluation.sources import SOURCES
from pingan.store.base import utcnow
from pingan.store.engine import make_engine, unit_of_work


def _ensure_table(eng: Any) -> None:
    if not inspect(eng).has_table("incident_cell_days"):
        IncidentCellDay.__table__.create(eng)  # type: ignore[attr-defined]
    with eng.begin() as c:
        if c.execute(text("SELECT count(*) FROM incident_cell_days")).scalar_one() == 0:
            c.execute(
                text(
                    "INSERT INTO incident_cell_days (day, jpath, subtype, drill, n) "
                    "SELECT day, jpath, subtype, drill, SUM(n) FROM incident_grid_counts "
                    "GROUP BY day, jpath, subtype, drill HAVING SUM(n) <> 0"
                )
            )
        n = c.execute(text("SELECT count(*) FROM incident_cell_days")).scalar_one()
    print(f"incident_cell_days: {n:,} rows")


def _time(fn: Any, repeats: int) -> tuple[float, float, Any]:
    ts, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return ts[0], statistics.median(ts[1:] or ts), out


def _run(eng: Any, per: Any, now: Any, use: bool, repeats: int) -> Any:
    figures.USE_COUNTS = use
    how = "counts" if use else "incidents"
    src = SOURCES["preventable_incidents_yoy"]
    with unit_of_work(eng, write=False) as s:
        geo = geography.load_geography(s, jpath="/")
        ctx = figures.make_ctx(s, per, jpath="/", now=now, geo=geo)
        first, warm, _ = _time(lambda: figures._load_raw(s, src, ctx, geo), repeats)
        print(f"{how:9s} preventable_incidents_yoy: first {first:.3f} s, warm {warm:.3f} s")
        first, warm, out = _time(
            lambda: figures.compute(
                s,
                spec=scorecards.default_spec(),
                period=per,
                levels=geography.LEVELS,
                jpath="/",
                now=now,
            ),
            repeats,
        )
        print(f"{how:9s} whole card, 4 levels:      first {first:.3f} s, warm {warm:.3f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--existing", required=True)
    ap.add_argument("--period", default="2026Q4")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    eng = make_engine(args.existing)
    _ensure_table(eng)
    per = parse_period(args.period)
    now = utcnow()
    old = _run(eng, per, now, False, args.repeats)
    new = _run(eng, per, now, True, args.repeats)
    for lv in geography.LEVELS:
        for name in ("value", "numerator", "denominator", "score"):
            a, b = getattr(old[lv], name), getattr(new[lv], name)
            np.testing.assert_array_equal(a, b, err_msg=f"{lv} {name}")
    print("figures equal at every level")
    eng.dispose()


if __name__ == "__main__":
    main()
