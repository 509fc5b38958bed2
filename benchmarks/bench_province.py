"""A province on Dask (issue 25): hot spots and warnings for every city of a 16-city province
with ``--engine dask`` (a LocalCluster of 1 and of 2 single-threaded workers) against
``--engine local`` (one process looping over the cities), with where the time goes (Parquet
reading, maps, reduce, kernels, in task-seconds), each worker's peak memory, and an estimate
for 16 workers from the task timings.

Run: ``.venv/bin/python benchmarks/bench_province.py --cities 16 --scale 1 --out /tmp/prov16``
(the province is built once into ``--out`` and reused when already there; ``--json OUT``
writes the numbers). Numbers taken on a loaded machine say so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pingan.demo.province import build_province  # noqa: E402
from pingan.province.engine import dask_client, run  # noqa: E402
from pingan.province.layout import partitions, read_manifest  # noqa: E402

ANALYSES = ("hotspots", "warnings")


def _rss_mb() -> float:
    import psutil  # type: ignore[import-untyped]

    return float(psutil.Process().memory_info().rss / 2**20)


class _Peak:
    """The largest RSS of this process while the block runs (sampled every 50 ms)."""

    def __enter__(self) -> _Peak:
        self.start = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._watch, daemon=True)
        self._t.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def _sample(dask_worker: Any) -> str:
    """Start (once) a thread in the worker that keeps its largest RSS (every 20 ms). The
    kernel's ``ru_maxrss`` is no use here: a spawned worker inherits its parent's."""
    import psutil  # type: ignore[import-untyped]

    if getattr(dask_worker, "_pingan_sampler", None) is None:
        proc = psutil.Process()
        dask_worker._pingan_peak = proc.memory_info().rss

        def watch() -> None:
            while True:
                dask_worker._pingan_peak = max(dask_worker._pingan_peak, proc.memory_info().rss)
                time.sleep(0.02)

        dask_worker._pingan_sampler = threading.Thread(target=watch, daemon=True)
        dask_worker._pingan_sampler.start()
    return "ok"


def _reset(dask_worker: Any) -> float:
    import psutil  # type: ignore[import-untyped]

    dask_worker._pingan_peak = psutil.Process().memory_info().rss
    return float(dask_worker._pingan_peak / 2**20)


def _worker_peak_mb(dask_worker: Any) -> float:
    return float(dask_worker._pingan_peak / 2**20)


def _warm() -> str:
    import pingan.analytics.hotspots
    import pingan.analytics.trends
    import pingan.analytics.warning
    import pingan.province.analysis  # noqa: F401

    return "ok"


def _estimate(timing: dict[str, float], tasks: int, cities: int, n: int) -> float:
    """Seconds on ``n`` workers: the task-seconds spread over ``n`` workers, but never less
    than one city's kernel (a city's kernel is one task)."""
    total = timing["read_s"] + timing["map_s"] + timing["reduce_s"] + timing["kernel_s"]
    return max(total / n, timing["kernel_s"] / cities) + 0.002 * tasks / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cities", type=int, default=16)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--out", type=Path, default=Path("/tmp/pingan-province"))
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--workers", type=str, default="1,2")
    args = ap.parse_args()
    out: dict[str, Any] = {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()}
    if not (args.out / "province.json").is_file():
        t = time.perf_counter()
        end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        build_province(
            args.out,
            cities=args.cities,
            scale=args.scale,
            seed=args.seed,
            end=end,
            years=args.years,
            progress=lambda m: print(m, flush=True),
        )
        out["build_s"] = time.perf_counter() - t
        print(f"built in {out['build_s']:.1f} s", flush=True)
    man = read_manifest(args.out)
    parts = partitions(args.out)
    size = sum(Path(p.path).stat().st_size for p in parts)
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(p.path).metadata.num_rows for p in parts)
    out |= {
        "cities": len(man.cities),
        "partitions": len(parts),
        "rows": rows,
        "parquet_mb": size / 2**20,
        "made": man.made,
    }
    print(f"{rows:,} incidents in {len(parts)} partitions, {size / 2**20:.0f} MB", flush=True)
    runs: list[dict[str, Any]] = []
    _warm()
    for a in ANALYSES:
        with _Peak() as peak:
            r = run(a, args.out, engine="local")
        runs.append(
            {
                "analysis": a,
                "engine": "local",
                "workers": 1,
                **r["timing"],
                "rss_before_mb": peak.start,
                "peak_mb": peak.peak,
            }
        )
        print(runs[-1], flush=True)
    for n in (int(w) for w in args.workers.split(",")):
        with dask_client(n, memory_limit="1.5GiB") as client:
            client.run(_warm)
            client.run(_sample)
            for a in ANALYSES:
                before = client.run(_reset)
                r = run(a, args.out, engine="dask", client=client)
                peaks = client.run(_worker_peak_mb)
                row = {
                    "analysis": a,
                    "engine": "dask",
                    "workers": n,
                    **r["timing"],
                    "worker_rss_before_mb": sorted(before.values()),
                    "worker_peak_mb": sorted(peaks.values()),
                    "estimate_16_workers_s": _estimate(
                        r["timing"], int(r["timing"]["tasks"]), len(man.cities), 16
                    ),
                }
                runs.append(row)
                print(row, flush=True)
    out["runs"] = runs
    out["load_at_end"] = os.getloadavg()
    text = json.dumps(out, indent=1, default=str)
    print(text)
    if args.json is not None:
        args.json.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
