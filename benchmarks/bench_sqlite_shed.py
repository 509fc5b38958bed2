"""SQLite under 30 reads/s + 70 writes/s (the issue's load) at the demo city's full size:
``pingan serve --workers 2`` on ``--data-dir``, two open loops side by side (the light client of
``_openloop``: latency from each request's scheduled start), incident creations and list/OGC
reads. Prints p50/p99 per kind and what the answers were: served, shed (503 with
``Retry-After``) or failed. Load shedding is on unless ``--no-shed`` (then requests queue as
before, until clients give up). Not part of ``make test``::

    python benchmarks/bench_sqlite_shed.py --data-dir pingan-data --password ... --seconds 60
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from pathlib import Path
from typing import Any

import httpx2 as httpx

from _openloop import OpenLoopResult, post_json, run_open_loop
from bench_soak import _children, rss_mb, sign_in, start_server

READS = [
    "/api/v1/incidents?limit=50",
    "/api/v1/incidents?limit=50&state=closed",
    "/api/v1/ogc/collections/incidents/items?limit=100&bbox=102.70,25.02,102.72,25.04",
    "/api/v1/ogc/collections/incidents/items?limit=100&datetime=2026-03-01",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--username", default="dispatcher_01")
    parser.add_argument("--password", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reads-per-s", type=float, default=30)
    parser.add_argument("--writes-per-s", type=float, default=70)
    parser.add_argument("--no-shed", action="store_true", help="PINGAN_MAX_READS/WRITES=0")
    args = parser.parse_args()
    if args.no_shed:
        os.environ["PINGAN_MAX_READS"] = os.environ["PINGAN_MAX_WRITES"] = "0"
    db = (args.data_dir / "pingan.db").resolve()
    ns = argparse.Namespace(url=f"sqlite:///{db}", data_dir=args.data_dir, workers=2)
    proc, base = start_server(ns, args.data_dir / "shed-serve.log")
    try:
        token, _ = sign_in(base, args.username, args.password)
        port = int(base.rsplit(":", 1)[1])
        head = {"Authorization": f"Bearer {token}"}

        def write(i: int) -> bytes:
            body = {"subtype": "pickpocketing", "lon": 102.71 + (i % 97) * 1e-4, "lat": 25.04}
            return post_json("/api/v1/incidents", json.dumps(body).encode(), head)

        def read(i: int) -> bytes:
            return (
                f"GET {READS[i % len(READS)]} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\n\r\n"
            ).encode()

        httpx.get(f"{base}{READS[0]}", headers=head, timeout=60)  # warm the caller cache
        out: dict[str, OpenLoopResult] = {}

        def loop(kind: str, make: Any, rate: float, expect: int) -> None:
            # enough connections that no request waits in the client for one
            out[kind] = run_open_loop(
                "127.0.0.1",
                port,
                make,
                rate=rate,
                seconds=args.seconds,
                expect=expect,
                max_connections=1000,
            )

        threads = [
            threading.Thread(target=loop, args=("write", write, args.writes_per_s, 201)),
            threading.Thread(target=loop, args=("read", read, args.reads_per_s, 200)),
        ]
        rss0 = rss_mb(_children(proc.pid))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rss1 = rss_mb(_children(proc.pid))
        shed = "off" if args.no_shed else "on"
        print(
            f"SQLite, {args.seconds:g} s, load shedding {shed}, "
            f"workers' RSS {rss0:.0f} -> {rss1:.0f} MB"
        )
        rates = {"write": args.writes_per_s, "read": args.reads_per_s}
        for kind, r in out.items():
            ok = len(r.latencies_ms) - sum(
                v for k, v in r.error_kinds.items() if k.startswith("HTTP")
            )
            print(
                f"  {kind:<6} offered {rates[kind]:g}/s"
                f"  served {ok / r.seconds:6.1f}/s  p50 {r.percentile(50):7.0f} ms"
                f"  p99 {r.percentile(99):7.0f} ms  max {r.percentile(100):7.0f} ms"
                f"  other answers {r.error_kinds}"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
