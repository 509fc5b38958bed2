"""The geocoder over the demo city's register (about 108,000 door plates, 170,000 names), on
SQLite and PostgreSQL, side by side with the two things a user would otherwise write.

Queries are drawn from the register itself (seeded): for each sampled door plate its exact
label, the label without 号, with full-width digits, without 路, and a partial one (the road
name's first character and 号 left out), plus premises names without their first character,
road names and junctions without 交叉口. Each query is answered by
:func:`pingan.geocoding.service.geocode` (limit 10) in a read transaction, as the endpoint does;
we report p50/p95/max latency and the share of plate queries whose first answer is the plate.

References on the same queries:

* ``rapidfuzz``: ``process.extract(key, all_keys, scorer=fuzz.WRatio, limit=10)`` over every
  name's search key held in memory (no database at all);
* ``LIKE scan``: the same candidate query without the trigram index (``instr``/``strpos``
  over every row), then the same rapidfuzz scoring.

    .venv/bin/python benchmarks/bench_geocode.py [--queries 400] [--pg URL] [--no-sqlite]

``--pg`` (default ``$PINGAN_TEST_DATABASE_URL``) names a server on which a scratch database
``<name>_bench_geocode`` is made and dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pingan.auth.service import Principal  # noqa: E402
from pingan.demo.city import build_city  # noqa: E402
from pingan.demo.load import load_city  # noqa: E402
from pingan.geocoding import service  # noqa: E402
from pingan.geocoding.normalize import search_key  # noqa: E402
from pingan.store.engine import make_engine, migrate  # noqa: E402

BUREAU = Principal(0, "bench", "dispatcher", "/", None)
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def _queries(engine: Engine, n: int, seed: int) -> list[tuple[str, str, str | None]]:
    """(variant, query, expected first label or None) for about ``n`` queries."""
    rng = np.random.default_rng(seed)
    with engine.connect() as c:
        plates = c.execute(
            text("SELECT text_zh, road_zh, door_no FROM addresses WHERE building IS NULL")
        ).all()
        prem = [r[0] for r in c.execute(text("SELECT name FROM premises")).all()]
        roads = [r[0] for r in c.execute(text("SELECT label FROM geocode_names WHERE kind='road'"))]
        junc = [
            r[0] for r in c.execute(text("SELECT label FROM geocode_names WHERE kind='junction'"))
        ]
    out: list[tuple[str, str, str | None]] = []
    k = max(1, n // 8)
    for i in rng.choice(len(plates), k, replace=False).tolist():
        label, road, door = plates[i]
        out.append(("exact", label, label))
        out.append(("missing 号", f"{road}{door}", label))
        out.append(("full-width", label.translate(FULL), label))
        out.append(("missing 路", f"{road[:-1]}{door}号", label))
        out.append(("partial", f"{road[1:]}{door}", label))  # may match other roads too
    for i in rng.choice(len(prem), k, replace=False).tolist():
        out.append(("premises part", prem[i][1:], prem[i]))
    for i in rng.choice(len(roads), k // 2, replace=False).tolist():
        out.append(("road", roads[i], roads[i]))
    for i in rng.choice(len(junc), k // 2, replace=False).tolist():
        out.append(("junction", junc[i].removesuffix("交叉口"), junc[i]))
    return out


def _pct(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "max": a.max()}


def _scan(session: Session, key: str) -> list[Any]:
    fn = "instr(key, :q)" if session.get_bind().dialect.name == "sqlite" else "strpos(key, :q)"
    sql = f"SELECT id, label, key FROM geocode_names WHERE {fn} > 0 ORDER BY length(key) LIMIT 200"
    rows = session.execute(text(sql), {"q": key}).all()
    if rows:
        process.extract(key, [r[2] for r in rows], scorer=fuzz.ratio, limit=10)
    return rows


def _run(engine: Engine, queries: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    ms: list[float] = []
    by_variant: dict[str, list[float]] = {}
    hits: dict[str, list[bool]] = {}
    hits5: dict[str, list[bool]] = {}
    scan_ms: list[float] = []
    with Session(engine) as s:
        for _, q, _ in queries[:20]:  # warm the caches and the plans
            service.geocode(s, principal=BUREAU, q=q)
        for variant, q, expect in queries:
            t0 = time.perf_counter()
            found = service.geocode(s, principal=BUREAU, q=q, limit=10)
            dt = (time.perf_counter() - t0) * 1000
            ms.append(dt)
            by_variant.setdefault(variant, []).append(dt)
            if expect is not None:
                hits.setdefault(variant, []).append(bool(found) and found[0].label == expect)
                top5 = [c.label for c in found[:5]]
                hits5.setdefault(variant, []).append(expect in top5)
        for _, q, _ in queries[: len(queries) // 4]:
            t0 = time.perf_counter()
            _scan(s, search_key(q))
            scan_ms.append((time.perf_counter() - t0) * 1000)
        s.rollback()
    return {
        "all": _pct(ms),
        "variants": {v: _pct(x) for v, x in by_variant.items()},
        "hits": {v: float(np.mean(h)) for v, h in hits.items()},
        "hits5": {v: float(np.mean(h)) for v, h in hits5.items()},
        "scan": _pct(scan_ms),
    }


def _reference(engine: Engine, queries: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT label, key FROM geocode_names")).all()
    labels, keys = [r[0] for r in rows], [r[1] for r in rows]
    ms: list[float] = []
    hits: list[bool] = []
    for _, q, expect in queries[: len(queries) // 4]:
        t0 = time.perf_counter()
        best = process.extract(search_key(q), keys, scorer=fuzz.WRatio, limit=10)
        ms.append((time.perf_counter() - t0) * 1000)
        if expect is not None:
            hits.append(bool(best) and labels[best[0][2]] == expect)
    return {"all": _pct(ms), "hit": float(np.mean(hits)) if hits else float("nan")}


def _report(name: str, res: dict[str, Any], ref: dict[str, Any], build_s: float) -> None:
    a, s, r = res["all"], res["scan"], ref["all"]
    print(f"\n== {name}: demo load {build_s:.0f} s")
    print(f"{'variant':<16}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'top-1':>9}{'top-5':>9}")
    for v, p in res["variants"].items():
        hit, hit5 = res["hits"].get(v), res["hits5"].get(v)
        h = f"{hit:.1%}" if hit is not None else "-"
        h5 = f"{hit5:.1%}" if hit5 is not None else "-"
        print(f"{v:<16}{p['p50']:>9.1f}{p['p95']:>9.1f}{p['max']:>9.1f}{h:>9}{h5:>9}")
    print(f"{'all (pingan)':<16}{a['p50']:>9.1f}{a['p95']:>9.1f}{a['max']:>9.1f}")
    print(f"{'LIKE scan':<16}{s['p50']:>9.1f}{s['p95']:>9.1f}{s['max']:>9.1f}")
    print(
        f"{'rapidfuzz all':<16}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['max']:>9.1f}{ref['hit']:>11.1%}"
    )
    print(
        f"p95 ratio: LIKE scan / pingan = {s['p95'] / a['p95']:.1f}x, "
        f"rapidfuzz over all names / pingan = {r['p95'] / a['p95']:.1f}x; "
        f"target p95 <= 50 ms: {'met' if a['p95'] <= 50 else 'NOT met'}"
    )


def _bench(name: str, url: str, city: Any, n: int, seed: int) -> None:
    eng = make_engine(url)
    migrate(eng)
    t0 = time.perf_counter()
    load_city(eng, city, None)
    build_s = time.perf_counter() - t0
    queries = _queries(eng, n, seed)
    with eng.connect() as c:
        count = c.execute(text("SELECT count(*) FROM addresses")).scalar_one()
        names = c.execute(text("SELECT count(*) FROM geocode_names")).scalar_one()
    print(f"{name}: {count:,} addresses, {names:,} names, {len(queries)} queries")
    _report(name, _run(eng, queries), _reference(eng, queries), build_s)
    eng.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pg", default=os.environ.get("PINGAN_TEST_DATABASE_URL"))
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    city = build_city()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            _bench("SQLite", f"sqlite:///{tmp}/bench.db", city, args.queries, args.seed)
    if args.pg:
        from sqlalchemy.engine import make_url

        base = make_url(args.pg)
        name = f"{base.database}_bench_geocode"
        admin = make_engine(args.pg).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = base.set(database=name).render_as_string(hide_password=False)
            _bench("PostgreSQL", url, city, args.queries, args.seed)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
