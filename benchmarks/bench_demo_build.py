"""Benchmark of the whole ``pingan demo --no-serve`` build: wall time and peak memory.

Runs the real command in a child process on a fresh data directory (``PINGAN_DATA_DIR``), as
``make demo`` does, and reads the child's peak resident memory from ``getrusage``. The reference
is the issue's budget (3 minutes, 4 GB on 2 cores); the script prints each measure against it,
the database size, and the counts the build reports.

Run: ``.venv/bin/python benchmarks/bench_demo_build.py [--scale F] [--keep DIR]``
(``--quick``: scale 0.2, half a year).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 180.0
BUDGET_GB = 4.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep", default=None, help="build into this directory and keep it")
    args = ap.parse_args()
    if args.quick:
        args.scale, args.years = 0.2, 0.5
    data = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pingan-demo-bench-"))
    pingan = str(Path(sys.executable).with_name("pingan"))
    env = os.environ | {"PINGAN_DATA_DIR": str(data)}
    cmd = [pingan, "demo", "--no-serve", "--rebuild", "--scale", str(args.scale)]
    cmd += ["--years", str(args.years)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    try:
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:])
            print(f"FAIL: pingan demo exited {proc.returncode}")
            return 1
        meta = json.loads((data / "demo.json").read_text())
        size_mb = sum(p.stat().st_size for p in data.iterdir() if p.is_file()) / 1024**2
        print(f"pingan demo --scale {args.scale} --years {args.years} on {os.cpu_count()} cores")
        print(f"counts: {meta['counts']}")
        print(f"{'measure':<18} {'pingan':>10} {'budget':>10} {'share':>8}")
        print(f"{'wall time (s)':<18} {wall:>10.1f} {BUDGET_S:>10.0f} {wall / BUDGET_S:>8.0%}")
        print(
            f"{'peak memory (GB)':<18} {peak_gb:>10.2f} {BUDGET_GB:>10.1f}"
            f" {peak_gb / BUDGET_GB:>8.0%}"
        )
        print(f"data directory: {size_mb:.0f} MB")
        ok = wall < BUDGET_S and peak_gb < BUDGET_GB
        print(f"{'PASS' if ok else 'FAIL'}: under {BUDGET_S:.0f} s and {BUDGET_GB} GB")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
