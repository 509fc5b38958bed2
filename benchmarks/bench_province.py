"""A province on Dask (issue 25): hot spots and warnings for every city of a 16-city province
with ``--engine dask`` (a LocalCluster of 1 and of 2 single-threaded workers) against
``--engine local`` (one process looping over the cities), with where the time goes (Parquet
reading, maps, reduce, kernels, in task-seconds), each worker's peak memory, and an estimate
for 16 workers from the task timings.

The Dask runs are also timed from outside the tasks: ``distributed.get_task_stream`` records
every task's start and stop on its worker, summed by kind (I/O + map, reduce, kernels,
transfers), with the workers' time not spent computing; the 16-worker estimate from it is the
busy time spread over 16 workers, never below one city's critical path (a read task, the reduce
levels, its kernel: 90th percentiles), plus the per-task overhead this run paid. The last lines
printed are the written account (``summary`` in the JSON).

Run: ``.venv/bin/python benchmarks/bench_province.py --cities 16 --scale 1 --out /tmp/prov16``
(the province is built once into ``--out`` and reused when already there; ``--json OUT``
writes the numbers). Numbers taken on a loaded machine say so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from distributed import get_task_stream  # noqa: E402

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
    """Seconds on ``n`` workers from the tasks' own timers: the task-seconds spread over ``n``
    workers, but never less than one city's kernel (a city's kernel is one task)."""
    total = timing["read_s"] + timing["map_s"] + timing["reduce_s"] + timing["kernel_s"]
    return max(total / n, timing["kernel_s"] / cities) + 0.002 * tasks / n


GROUPS = {  # dask's key_split drops the functions' leading underscore
    "map_task": "io_map",  # Parquet read + decode, then the map (split by the task's timers)
    "points_task": "io_map",  # forecast/backtest: read + kernel in one task
    "empty": "io_map",
    "sum_task": "reduce",
    "kernel_task": "kernel",
    "moments_task": "kernel",
    "tile_task": "kernel",
    "assemble_task": "kernel",
}


def _stream_split(records: list[dict[str, Any]], wall: float, workers: int) -> dict[str, Any]:
    """Dask's task stream (``distributed.get_task_stream``: every task's start and stop on its
    worker, as the scheduler recorded them) summed by kind: I/O + map, reduce, kernel, the
    transfers between workers; the longest task of each kind; and what the workers were not
    computing (scheduling, idle, waiting on the client)."""
    import numpy as np
    from dask.utils import key_split

    out: dict[str, Any] = {"io_map": 0.0, "reduce": 0.0, "kernel": 0.0, "transfer": 0.0}
    durs: dict[str, list[float]] = {"io_map": [], "reduce": [], "kernel": []}
    for rec in records:
        group = GROUPS[key_split(rec["key"]).lstrip("_")]
        for ss in rec.get("startstops", ()):
            d = float(ss["stop"] - ss["start"])
            if ss["action"] == "compute":
                out[group] += d
                durs[group].append(d)
            elif ss["action"] == "transfer":
                out["transfer"] += d
    busy = out["io_map"] + out["reduce"] + out["kernel"]
    out |= {
        "busy_s": busy,
        "not_computing_s": max(0.0, workers * wall - busy),
        # the 90th percentile, not the maximum: on a shared machine one task stalled by
        # another engineer's process would otherwise set the critical path
        "p90": {k: float(np.percentile(v, 90)) if v else 0.0 for k, v in durs.items()},
        "max": {k: max(v, default=0.0) for k, v in durs.items()},
        "count": {k: len(v) for k, v in durs.items()},
        "tasks": sum(len(v) for v in durs.values()),
    }
    return out


def _estimate_stream(
    split: dict[str, Any], reduce_depth: int, n: int, *, client_s: float = 0.0
) -> dict[str, float]:
    """Seconds on ``n`` workers from the task stream: the busy task-seconds spread over ``n``
    workers, never less than the critical path of one city (a read-and-map task,
    ``reduce_depth`` reduce levels and its kernel task, each at the run's 90th percentile),
    plus the per-task cost this run paid outside computing (scheduling, transfers, waits;
    divided by ``n`` as the tasks are), plus the client's serial part (``client_s``: the hot
    spots' GeoJSON drawn in the calling process), which more workers do not shorten."""
    lg = split["p90"]
    path = lg["io_map"] + reduce_depth * lg["reduce"] + lg["kernel"]
    per_task = split["not_computing_s"] / max(1, split["tasks"])
    spread = split["busy_s"] / n
    return {
        "estimate_s": max(spread, path) + per_task * split["tasks"] / n + client_s,
        "spread_s": spread,
        "critical_path_s": path,
        "overhead_s": per_task * split["tasks"] / n,
        "client_s": client_s,
    }


def _summary(runs: list[dict[str, Any]], workers: list[int]) -> list[str]:
    """The written scaling account: per analysis, the wall time on each worker count, where
    the task time went (task stream) and the estimate for 16 workers."""
    lines = ["", "scaling (task stream: compute task-seconds by kind; wall in seconds):"]
    for a in ANALYSES:
        local = next(r for r in runs if r["analysis"] == a and r["engine"] == "local")
        lines.append(f"{a}: local loop {local['wall_s']:.2f} s")
        base = None
        for r in (r for r in runs if r["analysis"] == a and r["engine"] == "dask"):
            st, est = r["stream"], r["estimate_16_from_stream"]
            read_share = r["read_s"] / max(1e-9, r["read_s"] + r["map_s"])
            base = base or r["wall_s"]
            lines.append(
                f"  {r['workers']} worker(s): wall {r['wall_s']:.2f} s (x{base / r['wall_s']:.2f}"
                f" vs 1); compute {st['busy_s']:.2f} task-s = I/O+map {st['io_map']:.2f} "
                f"(Parquet read {read_share:.0%} of it by the tasks' timers), reduce "
                f"{st['reduce']:.3f}, kernels {st['kernel']:.2f}; transfers {st['transfer']:.2f}"
                f" s; not computing {st['not_computing_s']:.2f} worker-s; {st['tasks']} tasks"
            )
            lines.append(
                f"    16 workers: ~{est['estimate_s']:.2f} s = max(spread "
                f"{est['spread_s']:.2f}, one city's critical path {est['critical_path_s']:.2f})"
                f" + overhead {est['overhead_s']:.2f} + client {est.get('client_s', 0.0):.2f}"
            )
    return lines


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
    per_city = max(1, len(parts) // max(1, len(man.cities)))
    depth = max(1, math.ceil(math.log(per_city, 8)))  # levels of the 8-way tree sum
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
                with get_task_stream(client) as ts:
                    r = run(a, args.out, engine="dask", client=client)
                peaks = client.run(_worker_peak_mb)
                # the client's own part (drawing the GeoJSON) is not the workers' time
                client_s = r["timing"]["client_s"]
                split = _stream_split(ts.data, r["timing"]["wall_s"] - client_s, n)
                est = _estimate_stream(split, depth, 16, client_s=client_s)
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
                    "stream": split,
                    "estimate_16_from_stream": est,
                }
                runs.append(row)
                print(row, flush=True)
    out["runs"] = runs
    out["load_at_end"] = os.getloadavg()
    out["summary"] = _summary(runs, workers=[int(w) for w in args.workers.split(",")])
    print("\n".join(out["summary"]))
    text = json.dumps(out, indent=1, default=str)
    print(text)
    if args.json is not None:
        args.json.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
