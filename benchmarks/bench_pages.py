"""Benchmark of every page on the demo city: time to ready and the GETs each page makes.

Serves the demo database (``pingan demo --no-serve`` first; default ``./pingan-data``) with the
real server (warm: each page is loaded once before it is measured), signs in with headless
Chromium as an administrator and as a station chief, and loads each page ``--runs`` times:

- ``ready``: navigation start to ``body[data-ready="1"]``, which a page sets only when every
  panel and layer of its first view is drawn;
- every GET the page makes (the browser's resource timing of ``/api/`` requests): p95 by route.

The reference, side by side in the same browser and server, is the sign-in page (no data, the
same CSS and script): the floor a page's own work sits on; the ratio says what the data costs.
Budgets (issue 19): every page ready ≤ 1.5 s median and ≤ 2 s p95; every GET ≤ 300 ms p95;
a filter change on ``/analysis`` (another class, then apply) redrawn in ≤ 1 s (``redraw``).
``--json FILE`` writes the figures; ``--compare BEFORE.json AFTER.json`` prints the markdown
table of ``docs/benchmarks.md``.

Run: ``.venv/bin/python benchmarks/bench_pages.py [--data-dir pingan-data] [--runs 5]
[--pages /command,/analysis] [--roles admin] [--pg postgresql+psycopg://…/pages_demo]``
(``--pg`` serves that database instead of the data directory's SQLite file; the same as
``PINGAN_DATABASE_URL``). One line per page and role is printed as it is measured. A load that
is not ready within ``--timeout`` seconds (default 60) is counted as that many seconds and the
page's remaining runs are skipped, so a broken page cannot hold the whole run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.serverutil import free_port  # noqa: E402

from bench_page_paint import ARGS, CHROMIUM, _serve  # noqa: E402

PAGES = (
    "/command",
    "/analysis",
    "/coverage",
    "/ops/my",
    "/ops/board",
    "/casework",
    "/evaluation",
    "/audit",
    "/reports",
    "/jobs",
    "/premises",
    "/hazards",
)
USERS = {"admin": ("bench_admin", "admin"), "station_chief": ("bench_chief", "station_chief")}
PASSWORD = "bench-pages-Pass-1"
BUDGET_MEDIAN_S, BUDGET_P95_S, BUDGET_GET_P95_MS, BUDGET_REDRAW_S = 1.5, 2.0, 300.0, 1.0

# the GETs of the page, after a short settle so that lazy panels begun at ready are counted too
GETS_JS = """async () => {
  await new Promise((ok) => setTimeout(ok, 300));
  return performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/api/') && e.initiatorType !== 'navigation')
    .map((e) => [new URL(e.name).pathname, e.duration]);
}"""


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _station_code(env: dict[str, str]) -> str:
    """A station of the demo city, for the station chief (the first by code)."""
    code = (
        "from sqlalchemy import select\n"
        "from pingan.jurisdictions.models import Jurisdiction\n"
        "from pingan.store.engine import unit_of_work\n"
        "with unit_of_work(write=False) as s:\n"
        "    print(s.scalar(select(Jurisdiction.code).where(Jurisdiction.level == 'station')"
        ".order_by(Jurisdiction.code).limit(1)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return out.stdout.strip()


def _ensure_users(env: dict[str, str]) -> None:
    pingan = str(Path(sys.executable).with_name("pingan"))
    listed = subprocess.run([pingan, "users", "list"], env=env, capture_output=True, text=True)
    for name, role in USERS.values():
        if name in listed.stdout:
            continue
        cmd = [pingan, "users", "add", name, "--role", role, "--password", PASSWORD]
        if role == "station_chief":
            cmd += ["--jurisdiction", _station_code(env)]
        subprocess.run(cmd, env=env, check=True, capture_output=True)


def _load(page, url: str, timeout_s: float) -> tuple[float, list[tuple[str, float]]]:  # type: ignore[no-untyped-def]
    """Seconds from navigation start to ready and the page's GETs; ``timeout_s`` (and no
    GETs) when the page is not ready by then."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.goto(url, timeout=timeout_s * 1000, wait_until="commit")
        page.wait_for_selector('body[data-ready="1"]', timeout=timeout_s * 1000, state="attached")
    except PlaywrightTimeout:
        return timeout_s, []
    ready_ms = page.evaluate("() => performance.now()")
    return ready_ms / 1000.0, [(p, d) for p, d in page.evaluate(GETS_JS)]


REDRAW_JS = """async (code) => {
  const sel = document.getElementById('f-class');
  sel.value = code;
  const t0 = performance.now();
  document.getElementById('f-apply').click();
  await new Promise((ok) => {
    const tick = () => (document.getElementById('status').textContent === '' ? ok() :
      requestAnimationFrame(tick));
    requestAnimationFrame(tick);
  });
  return (performance.now() - t0) / 1000;
}"""


def _redraw(page, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds from pressing apply with another class to the page's status clearing."""
    codes = page.evaluate(
        "() => [...document.querySelectorAll('#f-class option')].map((o) => o.value)"
    )
    out = []
    for i in range(runs):
        out.append(float(page.evaluate(REDRAW_JS, codes[(i + 1) % len(codes)])))
    page.evaluate(REDRAW_JS, "")
    return out


def compare(before: Path, after: Path) -> str:
    """A markdown table of two ``--json`` runs: ready median/p95 per page and role, GET p95."""
    import json

    b, a = json.loads(before.read_text()), json.loads(after.read_text())
    out = ["| page | role | before median / p95 s | after median / p95 s |", "|---|---|---|---|"]
    for key in a["ready"] | b["ready"]:
        page, role = key.rsplit(" ", 1)
        cell = [
            f"{d['ready'][key][0]:.2f} / {d['ready'][key][1]:.2f}" if key in d["ready"] else "–"
            for d in (b, a)
        ]
        out.append(f"| {page} | {role} | {cell[0]} | {cell[1]} |")
    out += ["", "| GET | before p95 ms | after p95 ms |", "|---|---|---|"]
    routes = sorted(a["gets"] | b["gets"], key=lambda r: -max(b["gets"].get(r, [0, 0])[1], 0))
    for r in routes:
        cell = [f"{d['gets'][r][1]:.0f}" if r in d["gets"] else "–" for d in (b, a)]
        out.append(f"| `{r}` | {cell[0]} | {cell[1]} |")
    return "\n".join(out)


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default="pingan-data")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--roles", default=",".join(USERS), help="admin,station_chief")
    ap.add_argument("--pg", default="", help="serve this PostgreSQL URL (PINGAN_DATABASE_URL)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds a load may take")
    ap.add_argument("--json", default="", help="write the figures to this file")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="print a table")
    args = ap.parse_args()
    if args.compare:
        print(compare(Path(args.compare[0]), Path(args.compare[1])))
        return 0
    data = Path(args.data_dir).resolve()
    env = dict(os.environ) | {"PINGAN_DATA_DIR": str(data)}
    if args.pg:
        env["PINGAN_DATABASE_URL"] = args.pg
    if not (data / "pingan.db").exists() and not env.get("PINGAN_DATABASE_URL"):
        print(f"SKIP: no demo database in {data} (run `pingan demo --no-serve` first)")
        return 0
    roles = [r for r in args.roles.split(",") if r]
    unknown = [r for r in roles if r not in USERS]
    if unknown:
        raise SystemExit(f"--roles: unknown {unknown}; known: {', '.join(USERS)}")
    from playwright.sync_api import sync_playwright

    t_start = time.monotonic()
    _ensure_users(env)
    port = free_port()
    proc = _serve(env, port, Path("/tmp/bench_pages.log"))
    _progress(f"server up in {time.monotonic() - t_start:.1f} s (users checked, port {port})")
    base = f"http://127.0.0.1:{port}"
    pages = [p for p in args.pages.split(",") if p]
    ready: dict[tuple[str, str], list[float]] = defaultdict(list)
    gets: dict[str, list[float]] = defaultdict(list)
    timeouts: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for role in roles:
                user = USERS[role][0]
                ctx = browser.new_context(viewport={"width": 1400, "height": 860})
                page = ctx.new_page()
                for _ in range(args.runs):  # the reference: the sign-in page
                    page.goto(f"{base}/login")
                    page.wait_for_selector("#login-submit")
                    ready[("/login (reference)", role)].append(
                        page.evaluate("() => performance.now()") / 1000.0
                    )
                page.fill("#username", user)
                page.fill("#password", PASSWORD)
                page.click("#login-submit")
                page.wait_for_load_state()
                for i, path in enumerate(pages, 1):
                    t0 = time.monotonic()
                    warm, _ = _load(page, base + path, args.timeout)  # warm
                    if warm >= args.timeout:
                        timeouts.append(f"{path} {role}")
                        ready[(path, role)].append(warm)
                        _progress(f"[{role} {i}/{len(pages)}] {path}: TIMEOUT warming")
                        continue
                    for _ in range(args.runs):
                        t, g = _load(page, base + path, args.timeout)
                        ready[(path, role)].append(t)
                        for route, dur in g:
                            gets[route].append(dur)
                        if t >= args.timeout:
                            timeouts.append(f"{path} {role}")
                            break
                    ts = ready[(path, role)]
                    line = (
                        f"[{role} {i}/{len(pages)}] {path}: warm {warm:.2f} s, median"
                        f" {statistics.median(ts):.2f} s, p95 {_p95(ts):.2f} s"
                    )
                    if path == "/analysis":
                        _redraw(page, 1)  # warm
                        ready[("/analysis redraw", role)] += _redraw(page, args.runs)
                        line += (
                            f", redraw {statistics.median(ready[('/analysis redraw', role)]):.2f} s"
                        )
                    _progress(line + f" ({time.monotonic() - t0:.0f} s)")
                ctx.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    load = os.getloadavg()
    _progress(f"measured in {time.monotonic() - t_start:.0f} s; load average {load[0]:.1f}")
    where = env.get("PINGAN_DATABASE_URL") or data
    print(f"pages on {where} ({args.runs} runs each, warm server; seconds to ready)")
    print(f"load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"{'page':<22} {'role':<14} {'median':>7} {'p95':>7} {'/ login':>8}")
    ok = True
    for (path, role), ts in ready.items():
        med, p95 = statistics.median(ts), _p95(ts)
        ref = statistics.median(ready[("/login (reference)", role)])
        print(f"{path:<22} {role:<14} {med:>7.3f} {p95:>7.3f} {med / ref:>7.1f}x")
        if path.endswith("redraw"):
            ok &= med <= BUDGET_REDRAW_S
        elif not path.startswith("/login"):
            ok &= med <= BUDGET_MEDIAN_S and p95 <= BUDGET_P95_S
    print(f"\n{'GET route':<58} {'n':>4} {'p95 ms':>8}")
    for route, ms in sorted(gets.items(), key=lambda kv: -_p95(kv[1])):
        print(f"{route[:58]:<58} {len(ms):>4} {_p95(ms):>8.1f}")
        ok &= _p95(ms) <= BUDGET_GET_P95_MS
    if timeouts:
        ok = False
        print(f"\nnot ready within {args.timeout:.0f} s: {', '.join(timeouts)}")
    if args.json:
        import json

        Path(args.json).write_text(
            json.dumps(
                {
                    "ready": {
                        f"{path} {role}": [statistics.median(ts), _p95(ts)]
                        for (path, role), ts in ready.items()
                    },
                    "gets": {r: [len(ms), _p95(ms)] for r, ms in gets.items()},
                    "load": load,
                },
                indent=1,
            )
        )
    print(
        f"\n{'PASS' if ok else 'FAIL'}: pages ready ≤ {BUDGET_MEDIAN_S} s median, "
        f"≤ {BUDGET_P95_S} s p95; GETs ≤ {BUDGET_GET_P95_MS:.0f} ms p95"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
