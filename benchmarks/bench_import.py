"""Import of the Chicago aggravated-assault file (148,636 rows) through ``pingan import``.

Target (foundation issue): under 20 seconds. Side by side, the floor: the same file read with
Python's csv module and inserted raw (no parsing, validation, projection, cell assignment or
audit) into a plain SQLite table with ``executemany``. Also times the whole CLI command as a
subprocess (Python start-up included).

    .venv/bin/python benchmarks/bench_import.py [--quick] [--pg URL]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "chicago"


def floor(path: Path, db: Path) -> float:
    t = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE raw (date TEXT, loc_cat TEXT, lon TEXT, lat TEXT, district TEXT)")
    with gzip.open(path, "rt", newline="") as f:
        r = csv.reader(f)
        next(r)
        con.executemany("INSERT INTO raw VALUES (?, ?, ?, ?, ?)", r)
    con.commit()
    con.close()
    return time.perf_counter() - t


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pingan"), *args],
        env=os.environ | env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise SystemExit(proc.stdout + proc.stderr)
    return time.perf_counter() - t, proc.stdout.strip().splitlines()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="(same run; the file is small)")
    ap.add_argument(
        "--pg",
        default=os.environ.get("PINGAN_TEST_DATABASE_URL"),
        help="also import into this PostgreSQL database (its schema is dropped)",
    )
    args = ap.parse_args()
    csv_path = DATA / "chicago_aggravated_assaults.csv.gz"
    kml = DATA / "chicago_police_districts.kml"
    if not csv_path.is_file():
        print(f"skipped: {csv_path} not found")
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        targets = [("SQLite", f"sqlite:///{tmp / 'imp.db'}")]
        if args.pg:
            from sqlalchemy import create_engine, text

            eng = create_engine(args.pg)
            with eng.begin() as c:
                c.execute(text("DROP SCHEMA public CASCADE"))
                c.execute(text("CREATE SCHEMA public"))
            eng.dispose()
            targets.append(("PostgreSQL", args.pg))
        f = floor(csv_path, tmp / "floor.db")
        print(f"floor: csv + sqlite3 executemany, raw rows       {f:6.2f} s")
        for label, url in targets:
            env = {"PINGAN_DATABASE_URL": url}
            tj, _ = run_cli(
                env,
                tmp,
                "import",
                "jurisdictions",
                str(kml),
                "--prefix",
                "CHI",
                "--bureau-name",
                "Chicago PD",
            )
            ti, line = run_cli(
                env, tmp, "import", "incidents", str(csv_path), "--preset", "chicago"
            )
            ok = ti < 20
            print(
                f"{label:<10} pingan import incidents (whole command) {ti:6.2f} s  "
                f"(districts {tj:.2f} s)  ratio to floor {ti / f:4.1f}x  "
                f"target < 20 s: {'PASS' if ok else 'FAIL'}"
            )
            print(f"           {line}")


if __name__ == "__main__":
    main()
