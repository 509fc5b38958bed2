"""Incident creation through the HTTP API on loopback: throughput and latency percentiles.

Target (foundation issue): at least 300 incidents/s with p99 under 50 ms, on SQLite and on
PostgreSQL. The load generator is one asyncio process with a fixed number of concurrent
connections; the server is one uvicorn worker. Side by side, a bare FastAPI + SQLAlchemy insert
endpoint (``_ref_app.py``) on the same database gives the floor of the stack.

    .venv/bin/python benchmarks/bench_api_incidents.py [--quick] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.factories import build_small_city  # noqa: E402

from _server import start  # noqa: E402
from pingan.store.engine import make_engine, migrate, unit_of_work  # noqa: E402


async def load(
    port: int, n: int, concurrency: int, headers: dict[str, str], centres: list[tuple[float, float]]
) -> tuple[float, np.ndarray, int]:
    lat_ms: list[float] = []
    errors = 0
    rng = np.random.default_rng(7)
    jitter = rng.uniform(-0.004, 0.004, size=(n, 2))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            lon, lat = centres[i % len(centres)]
            body = {
                "subtype": ["fight", "pickpocketing", "traffic_accident"][i % 3],
                "lon": lon + jitter[i, 0],
                "lat": lat + jitter[i, 1],
                "summary": f"bench {i}",
            }
            t = time.perf_counter()
            r = await client.post("/api/v1/incidents", json=body, headers=headers)
            lat_ms.append((time.perf_counter() - t) * 1000)
            if r.status_code != 201:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
    ) as client:
        for _ in range(20):  # warm-up
            await client.get("/healthz")
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return n / wall, np.array(lat_ms), errors


def prepare(url: str) -> tuple[str, list[tuple[float, float]]]:
    engine = make_engine(url)
    if url.startswith("postgresql"):
        with engine.begin() as c:
            c.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    migrate(engine)
    with unit_of_work(engine) as s:
        city = build_small_city(s)
        s.commit()
    centres = [city.cell_center(i) for i in range(len(city.cells))]
    token = city.tokens["dispatcher"]
    engine.dispose()
    return token, centres


def run(
    label: str, url: str, n: int, concurrency: int, tmp: Path, workers: int
) -> dict[str, float]:
    token, centres = prepare(url)
    env = {"PINGAN_DATABASE_URL": url}
    proc, port = start("pingan.api.main:app", env, log=tmp / "pingan.log", workers=workers)
    try:
        rate, lat, errors = asyncio.run(
            load(port, n, concurrency, {"Authorization": f"Bearer {token}"}, centres)
        )
    finally:
        proc.terminate()
        proc.wait()
    ref_url = url if url.startswith("postgresql") else f"sqlite:///{tmp / 'ref.db'}"
    rproc, rport = start(
        "_ref_app:app", {"REF_DATABASE_URL": ref_url}, log=tmp / "ref.log", workers=workers
    )
    try:
        rrate, rlat, _ = asyncio.run(load(rport, n, concurrency, {}, centres))
    finally:
        rproc.terminate()
        rproc.wait()
    out = {
        "rate": rate,
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "errors": errors,
        "ref_rate": rrate,
        "ref_p99": float(np.percentile(rlat, 99)),
    }
    ok = rate >= 300 and out["p99"] < 50 and errors == 0
    print(
        f"{label:<11} pingan {rate:7.0f}/s p50 {out['p50']:5.1f} ms p99 {out['p99']:5.1f} ms "
        f"errors {errors} | bare FastAPI insert {rrate:7.0f}/s p99 {out['ref_p99']:5.1f} ms | "
        f"ratio {rrate / rate:4.2f}x | target 300/s & p99<50 ms: {'PASS' if ok else 'FAIL'}"
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer requests")
    ap.add_argument(
        "--pg",
        default=os.environ.get("PINGAN_TEST_DATABASE_URL"),
        help="PostgreSQL URL (a scratch database: its schema is dropped)",
    )
    ap.add_argument("-n", type=int, default=None)
    ap.add_argument("-c", "--concurrency", type=int, default=8)
    ap.add_argument(
        "-w",
        "--workers",
        type=int,
        default=2,
        help="uvicorn workers (pingan serve uses one per core)",
    )
    args = ap.parse_args()
    n = args.n or (600 if args.quick else 4000)
    print(
        f"incident creation, {n} requests, {args.concurrency} concurrent connections, "
        f"{args.workers} uvicorn worker(s), {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        run("SQLite", f"sqlite:///{tmp / 'bench.db'}", n, args.concurrency, tmp, args.workers)
        if args.pg:
            run("PostgreSQL", args.pg, n, args.concurrency, tmp, args.workers)
        else:
            print("PostgreSQL: skipped (give --pg URL or set PINGAN_TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()
