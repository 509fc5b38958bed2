"""Run every benchmark script (``bench_*.py``) one after the other and keep their output.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...]

Each script runs the reference tool side by side and prints the ratio; the output of each goes
to ``benchmarks/out/<name>.txt``. The numbers recorded in ``docs/benchmarks.md`` come from here.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="pass --quick to every script")
    ap.add_argument("--only", nargs="*", default=None, help="script names (without bench_)")
    args = ap.parse_args()
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    failed = 0
    for script in scripts:
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        print(f"== {script.name}", flush=True)
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
        text = proc.stdout + (f"\n[stderr]\n{proc.stderr}" if proc.returncode else "")
        (out_dir / f"{script.stem}.txt").write_text(text)
        print(text.rstrip())
        print(f"-- {script.name}: exit {proc.returncode}, {time.perf_counter() - t:.0f} s\n")
        failed += proc.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
