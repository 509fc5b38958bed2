"""Write cost of PostgreSQL's month partitions of incidents (opt-in, issue 25): the Chicago import
(148,636 rows, 2010-2019, through ``pingan import incidents``) into a plain ``incidents`` and a
partitioned one, side by side, rounds interleaved.

Layouts (each in its own database, whose ``public`` schema is dropped first):

- ``plain``: the default migration (``PINGAN_PARTITION_INCIDENTS`` off);
- ``months``: migrated with ``PINGAN_PARTITION_INCIDENTS=1``, then the months of the data's
  years created (``pingan db partitions --ensure --since 2010-01``: 120 months and the ones
  to 3 months ahead), so every row lands in its month, as after ``pingan db partitions
  --convert`` of a database with history;
- ``default``: migrated with the setting on and nothing else: history before this month falls
  into ``incidents_default`` (what an import of old data into a new partitioned database does).

    .venv/bin/python benchmarks/bench_partition_writes.py --plain URL --part URL [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "chicago"
PINGAN = str(ROOT / ".venv" / "bin" / "pingan")
WORK = tempfile.gettempdir()  # where the import writes its rejected rows


def run(env: dict[str, str], *args: str) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(args, env=os.environ | env, capture_output=True, text=True, cwd=WORK)
    if proc.returncode:
        raise SystemExit(proc.stdout + proc.stderr)
    return time.perf_counter() - t, proc.stdout.strip().splitlines()[-1]


def one(layout: str, url: str) -> float:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    eng.dispose()
    env = {
        "PINGAN_DATABASE_URL": url,
        "PINGAN_SCHEDULER": "0",
        "PINGAN_PARTITION_INCIDENTS": "0" if layout == "plain" else "1",
    }
    kml = DATA / "chicago_police_districts.kml"
    run(env, PINGAN, "import", "jurisdictions", str(kml), "--prefix", "CHI")
    if layout == "months":
        run(env, PINGAN, "db", "partitions", "--ensure", "--since", "2010-01")
    csv_path = DATA / "chicago_aggravated_assaults.csv.gz"
    secs, line = run(env, PINGAN, "import", "incidents", str(csv_path), "--preset", "chicago")
    _, parts = run(env, PINGAN, "db", "partitions")
    print(f"{layout:8} import incidents {secs:6.2f} s   ({line}; {parts})", flush=True)
    return secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plain", required=True, help="a PostgreSQL URL for the plain layout")
    ap.add_argument("--part", required=True, help="a PostgreSQL URL for the partitioned ones")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--layouts", default="plain,months,default")
    args = ap.parse_args()
    layouts = args.layouts.split(",")
    times: dict[str, list[float]] = {k: [] for k in layouts}
    for r in range(args.rounds):
        print(f"round {r + 1}, load average {os.getloadavg()}", flush=True)
        order = layouts if r % 2 == 0 else layouts[::-1]
        for layout in order:
            url = args.plain if layout == "plain" else args.part
            times[layout].append(one(layout, url))
    print(f"load average at the end {os.getloadavg()}")
    base = min(times["plain"]) if times.get("plain") else None
    for layout, ts in times.items():
        spread = " / ".join(f"{t:.1f}" for t in ts)
        ratio = f" = {min(ts) / base:.2f}x plain's best" if base else ""
        print(f"{layout:8} {spread} s   best {min(ts):.1f} s{ratio}")


if __name__ == "__main__":
    main()
