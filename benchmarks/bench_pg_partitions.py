"""PostgreSQL at province size (issue 25): the incident list, the map's incidents and the OGC
items on ``incidents`` partitioned by month (migration 0031) against the same rows in one plain
table (the layout before it), side by side on one server.

The database named by ``--url`` is migrated to head (the plain table), converted to month
partitions and given months for five years; N incidents spread over five years, 16 cities ×
8 districts × 6 stations × 20 grid cells (``--cities``, ``--cells``), are generated in SQL
(``generate_series``, indexes built after the load) into a staging table and copied into
``public.incidents`` (partitioned) and ``ref.incidents`` (plain, the same indexes). Each read is
the service code itself (:func:`pingan.incidents.service.list_page`,
:func:`pingan.rapid_response.data.load_incident_points`, the OGC items' count and keyset page of
:mod:`pingan.api.ogc`) on a session whose ``search_path`` picks the layout.

Run (a private server; the load is large)::

    .venv/bin/python benchmarks/bench_pg_partitions.py \\
        --url postgresql+psycopg://postgres@127.0.0.1:55433/bench --rows 10000000

``--reuse`` keeps the rows of a previous run of the same size. ``--json OUT`` writes the numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import Engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import pingan.models  # noqa: E402,F401
from pingan.auth.service import Principal  # noqa: E402
from pingan.store.engine import make_engine, migrate  # noqa: E402
from pingan.store.partitions import (  # noqa: E402
    convert,
    ensure_partitions,
    is_partitioned,
    list_partitions,
)

CITIES, DISTRICTS, STATIONS, CELLS = 16, 8, 6, 20
"""The default province: 16 cities × 8 districts × 6 stations, each station 20 grid cells (an
incident's ``jpath`` is its cell's, as in pingan, where incidents take the finest
jurisdiction that holds them)."""
YEARS = 5
NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
"""The generated data ends here (fixed: the same rows every run)."""


def jpath(city: int, district: int | None = None, station: int | None = None) -> str:
    out = f"/{100 + city}/"
    if district is not None:
        out += f"{1000 + 10 * city + district}/"
    if station is not None:
        out += f"{10000 + 100 * city + 10 * district + station}/"  # type: ignore[operator]
    return out


def _admin(url: str) -> Engine:
    return make_engine(
        make_url(url).set(database="postgres").render_as_string(hide_password=False)
    ).execution_options(isolation_level="AUTOCOMMIT")


def _index_defs(conn: Any, table: str) -> list[tuple[str, str]]:
    return [
        (n, d)
        for n, d in conn.execute(
            text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = CAST(:t AS regclass) AND NOT indisprimary"
            ),
            {"t": table},
        ).all()
    ]


GEN_SQL = """
CREATE UNLOGGED TABLE gen AS
SELECT g AS id,
       'B' || g AS code,
       (ARRAY['fight','theft','pickpocketing','burglary','fraud','traffic','noise','dispute'])
           [1 + k % 8] AS subtype,
       (ARRAY['violent','property','property','property','fraud','traffic','order','order'])
           [1 + k % 8] AS klass,
       1 + (k / 8) % 3 AS priority,
       (ARRAY['call_110','call_110','call_110','online','patrol'])[1 + (k / 24) % 5] AS source,
       CASE WHEN t > :now - interval '2 days'
            THEN (ARRAY['new','dispatched','on_scene','resolved'])[1 + (k / 120) % 4]
            ELSE (ARRAY['closed','closed','closed','closed','closed','closed','closed',
                        'closed','cancelled','resolved'])[1 + (k / 120) % 10] END AS state,
       c, d, s, cell,
       100.0 + c * 0.5 + d * 0.05 + ((h / 1200) % 1000) / 20000.0 AS lon,
       25.0 + s * 0.03 + ((h / 1200000) % 1000) / 40000.0 AS lat,
       t AS reported_at
FROM (
    -- the kind, state and source from the hash's high bits, the place from its low bits:
    -- independent (from the same bits, a city held one subtype only)
    SELECT g, h, t, h / 1099511627776 AS k,
           (h % :cities) AS c, ((h / :cities) % 8) AS d, ((h / (:cities * 8)) % 6) AS s,
           ((h / (:cities * 48)) % :cells) AS cell
    FROM (
        SELECT g, abs(hashint8(g)) AS h,
               :now - (abs(hashint8(-g)) % (86400 * 365 * :years)) * interval '1 second' AS t
        FROM generate_series(1, :n) AS g
    ) a
) b
"""

COPY_SQL = """
INSERT INTO {table} (id, code, subtype, klass, priority, source, state, summary, lon, lat,
    input_crs, input_lon, input_lat, jpath, reported_at, repeat_count, created_at, updated_at,
    closed_at)
SELECT id, code, subtype, klass, priority, source, state, '', lon, lat, 'WGS84', lon, lat,
    '/' || (100 + c) || '/' || (1000 + 10 * c + d) || '/' || (10000 + 100 * c + 10 * d + s) || '/'
        || (100 + cell) || '/',
    reported_at, 0, reported_at, reported_at,
    CASE WHEN state = 'closed' THEN reported_at + interval '1 hour' END
FROM gen ORDER BY reported_at
"""


def load(url: str, rows: int, *, reuse: bool, cities: int = CITIES, cells: int = CELLS) -> Engine:
    """The database at ``url`` with ``rows`` incidents in both layouts."""
    eng = make_engine(url)
    if reuse:
        with eng.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM ref.incidents")).scalar()
        if have == rows:
            print(f"reusing {rows:,} rows", flush=True)
            return eng
        raise SystemExit(f"--reuse: the database holds {have} rows, not {rows}")
    name = make_url(url).database
    eng.dispose()
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    eng = make_engine(url)
    t0 = time.perf_counter()
    migrate(eng)  # the plain table (partitioning is opt-in), converted here
    with eng.begin() as conn:
        if not is_partitioned(conn):
            convert(conn, now=NOW)
    with eng.begin() as conn:
        ensure_partitions(conn, now=NOW, since=(NOW - dt.timedelta(days=365 * YEARS)).date())
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # no triggers, FKs
        conn.execute(text("SELECT setseed(0.25)"))
        conn.execute(
            text(GEN_SQL),
            {"now": NOW, "n": rows, "years": YEARS, "cities": cities, "cells": cells},
        )
        print(f"generated {rows:,} rows in {time.perf_counter() - t0:.0f} s", flush=True)
        conn.execute(text("CREATE SCHEMA ref"))
        conn.execute(
            text(
                "CREATE TABLE ref.incidents (LIKE public.incidents INCLUDING DEFAULTS "
                "INCLUDING GENERATED)"
            )
        )
        part_defs = _index_defs(conn, "public.incidents")
        for n, _d in part_defs:
            if n != "pk_incidents":
                conn.execute(text(f"DROP INDEX {n}"))
        conn.execute(text("ALTER TABLE public.incidents DROP CONSTRAINT pk_incidents"))
        for table in ("public.incidents", "ref.incidents"):
            t1 = time.perf_counter()
            conn.execute(text(COPY_SQL.format(table=table)))
            print(f"  {table}: rows in {time.perf_counter() - t1:.0f} s", flush=True)
        conn.execute(
            text(
                "INSERT INTO incident_keys (id, code, dataset, external_id, reported_at) "
                "SELECT id, code, NULL, NULL, reported_at FROM gen"
            )
        )
        conn.execute(text("SELECT setval('incidents_id_seq', :n)"), {"n": rows})
        conn.execute(text("DROP TABLE gen"))
    with eng.begin() as conn:
        t1 = time.perf_counter()
        conn.execute(
            text(
                "ALTER TABLE public.incidents "
                "ADD CONSTRAINT pk_incidents PRIMARY KEY (id, reported_at)"
            )
        )
        conn.execute(text("ALTER TABLE ref.incidents ADD PRIMARY KEY (id)"))
        for n, d in part_defs:
            if n == "pk_incidents":
                continue
            d = d.replace(" ON ONLY public.incidents ", " ON public.incidents ")
            conn.execute(text(d))
            ref = d.replace(" ON public.incidents ", " ON ref.incidents ")
            conn.execute(text(ref))
        print(f"  indexes in {time.perf_counter() - t1:.0f} s", flush=True)
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        t1 = time.perf_counter()
        conn.execute(text("VACUUM ANALYZE public.incidents"))
        conn.execute(text("VACUUM ANALYZE ref.incidents"))
        conn.execute(text("VACUUM ANALYZE incident_keys"))
        print(f"  vacuum analyze in {time.perf_counter() - t1:.0f} s", flush=True)
    print(f"loaded in {time.perf_counter() - t0:.0f} s", flush=True)
    return eng


def _session(eng: Engine, layout: str) -> Session:
    conn = eng.connect()
    conn.execute(
        text("SET search_path TO ref, public" if layout == "plain" else "SET search_path TO public")
    )
    return Session(bind=conn)


def _principal(path: str) -> Principal:
    return Principal(user_id=0, username="bench", role="admin", jpath=path, jurisdiction_id=None)


def cases(cities: int = CITIES) -> dict[str, Any]:
    """Each read: a function of a session doing what the route does."""
    from pingan.api import ogc
    from pingan.api.ogc_paging import after
    from pingan.incidents.service import COUNT_CAP, NARROW_ROWS, list_page, list_query
    from pingan.rapid_response.data import load_incident_points
    from pingan.store.base import count_upto
    from pingan.store.planner import custom_plans

    station = _principal(jpath(min(3, cities - 1), 2, 4))
    city = _principal(jpath(min(7, cities - 1)))  # the bbox below is in it
    bureau = _principal("/")
    since_24h = NOW - dt.timedelta(hours=24)
    since_30d = NOW - dt.timedelta(days=30)

    def incident_list(s: Session) -> int:
        return len(list_page(s, station, limit=50, offset=0, now=NOW).rows)

    def incident_list_filtered(s: Session) -> int:
        page = list_page(
            s,
            station,
            limit=50,
            offset=0,
            now=NOW,
            state="closed",
            klass="property",
            since=since_30d,
        )
        return len(page.rows)

    def incident_list_page5(s: Session) -> int:
        return len(list_page(s, station, limit=50, offset=200, now=NOW, subtype="theft").rows)

    def city_list(s: Session) -> int:
        return len(list_page(s, city, limit=50, offset=0, now=NOW).rows)

    def bureau_list(s: Session) -> int:
        return len(list_page(s, bureau, limit=50, offset=0, now=NOW).rows)

    def map_incidents(s: Session) -> int:
        ids, *_ = load_incident_points(s, principal=city, since=since_24h, limit=5000)
        return len(ids)

    c = ogc._collection("incidents")
    columns = [ogc._get(c, o) for o in c.order]
    cols = [ogc._get(c, n) for n in ogc._feature_columns(c)]
    c_city = min(7, cities - 1)
    box = (100.0 + c_city * 0.5, 25.0, 100.0 + c_city * 0.5 + 0.2, 25.2)

    def ogc_pages(s: Session, pages: int = 4) -> int:
        """The count and the first page, then next pages by the cursor (keyset)."""
        when = (since_30d, None)
        custom_plans(s.connection())  # as the route does
        n = count_upto(s, ogc._query(c, city, box, when), COUNT_CAP)
        plan = "wide" if n > NARROW_ROWS else "narrow"
        last = None
        got = 0
        for _ in range(pages):
            q = ogc._query(c, city, box, when, plan=plan)
            if last is not None:
                q = q.where(after(columns, last, descending=True))
            q = q.with_only_columns(*cols)
            rows = s.execute(q.order_by(*[x.desc() for x in columns]).limit(101)).all()[:100]
            if not rows:
                break
            got += len(rows)
            last = [getattr(rows[-1], o) for o in c.order]
        return got

    _ = list_query
    return {
        "list: station, newest 50": incident_list,
        "list: station, closed property 30 d": incident_list_filtered,
        "list: station, theft, 5th page": incident_list_page5,
        "list: city, newest 50": city_list,
        "list: province, newest 50": bureau_list,
        "map: city, last 24 h": map_incidents,
        "ogc: city bbox 30 d, 4 keyset pages": ogc_pages,
    }


def explain(eng: Engine, cities: int = CITIES) -> dict[str, dict[str, Any]]:
    """For each read's last statement (the page), on both layouts: the partitions the
    partitioned plan reads (the others pruned) and the planning time of each layout."""
    import re

    part = re.compile(r" on (incidents_p\d{4}_\d{2}|incidents_default)\b")
    out: dict[str, dict[str, Any]] = {}
    seen: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "incidents" in statement:
            seen.append((statement, parameters))

    sessions = {lay: _session(eng, lay) for lay in ("plain", "partitioned")}
    for s in sessions.values():
        event.listen(s.connection(), "before_cursor_execute", capture)
    for name, fn in cases(cities).items():
        row: dict[str, Any] = {}
        for lay, s in sessions.items():
            seen.clear()
            fn(s)
            stmts = list(seen)
            cur = s.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            planning = 0.0
            read: set[str] = set()
            for stmt, params in stmts:
                cur.execute("EXPLAIN (SUMMARY) " + stmt, params)
                lines = [r[0] for r in cur.fetchall()]
                planning += sum(
                    float(ln.split(":")[1].split()[0]) for ln in lines if "Planning Time" in ln
                )
                read |= {m.group(1) for ln in lines for m in part.finditer(ln)}
            row[f"{lay}_planning_ms"] = round(planning, 2)
            row["statements"] = len(stmts)
            if lay == "partitioned":
                row["partitions_read"] = sorted(read)
        out[name] = row
    for s in sessions.values():
        s.close()
    return out


def measure(eng: Engine, repeat: int, cities: int = CITIES) -> dict[str, dict[str, float]]:
    res: dict[str, dict[str, float]] = {}
    sessions = {lay: _session(eng, lay) for lay in ("plain", "partitioned")}
    for name, fn in cases(cities).items():
        for s in sessions.values():
            for _ in range(3):  # warm: caches, plans
                fn(s)
        times: dict[str, list[float]] = {"plain": [], "partitioned": []}
        for _ in range(repeat):  # alternate: the machine's load falls on both alike
            for lay, s in sessions.items():
                t = time.perf_counter()
                fn(s)
                times[lay].append((time.perf_counter() - t) * 1000)
        row: dict[str, float] = {}
        for lay, ts in times.items():
            ts.sort()
            row[f"{lay}_p50"] = statistics.median(ts)
            row[f"{lay}_p95"] = ts[min(len(ts) - 1, int(0.95 * len(ts)))]
        row["ratio_p95"] = row["partitioned_p95"] / row["plain_p95"]
        res[name] = row
    for s in sessions.values():
        s.close()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument(
        "--cities",
        type=int,
        default=CITIES,
        help="fewer cities: a station as dense as at a larger size (2 cities at 12.5 M rows: "
        "a station's 130,000 incidents, as at 100 M in 16)",
    )
    ap.add_argument("--cells", type=int, default=CELLS, help="grid cells per station")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    eng = load(a.url, a.rows, reuse=a.reuse, cities=a.cities, cells=a.cells)
    with eng.connect() as conn:
        parts = list_partitions(conn)
        size = conn.execute(
            text(
                "SELECT pg_total_relation_size('ref.incidents'), "
                "(SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                "WHERE inhparent = 'public.incidents'::regclass)"
            )
        ).one()
    print(
        f"{a.rows:,} rows; {len(parts)} partitions; plain {size[0] / 2**30:.1f} GiB, "
        f"partitioned {float(size[1]) / 2**30:.1f} GiB",
        flush=True,
    )
    # as a served process does at start (pingan.api.app): the heap loaded so far kept out of
    # the cyclic GC's full passes, which otherwise land in the timings (80-150 ms each)
    gc.collect()
    gc.freeze()
    pruned = explain(eng, a.cities)
    res = measure(eng, a.repeat, a.cities)
    print(f"\n{'read':40} {'plain p50/p95 ms':>18} {'partitioned p50/p95 ms':>24} {'p95 ratio':>9}")
    for name, r in res.items():
        print(
            f"{name:40} {r['plain_p50']:8.2f} /{r['plain_p95']:7.2f} "
            f"{r['partitioned_p50']:12.2f} /{r['partitioned_p95']:8.2f} {r['ratio_p95']:9.2f}"
        )
    print("\nplanning (ms, all statements of the read) and partitions read (partitioned):")
    for name, p in pruned.items():
        months = p["partitions_read"]
        shown = ", ".join(months[:3]) + (" …" if len(months) > 3 else "")
        print(
            f"  {name:40} plain {p['plain_planning_ms']:7.2f}  partitioned "
            f"{p['partitioned_planning_ms']:7.2f}  {len(months)} of {len(parts)}: {shown}"
        )
    if a.json:
        a.json.write_text(
            json.dumps(
                {"rows": a.rows, "partitions": len(parts), "reads": res, "pruned": pruned}, indent=2
            )
        )


if __name__ == "__main__":
    main()
