"""Side by side: one page's time to ready in two trees of the code, on the same demo data.

Serves this tree's ``src`` and another (``--before``: a ``src`` folder, e.g. ``git archive
<rev> src | tar -x -C /tmp/before``; the front-end packages are copied into it when missing)
at once, signs the same user in on each in a browser of its own, and loads ``--page``
``--runs`` times in each, alternating, so that both see the same machine. Two figures a load:

- ``set``: navigation start to the moment the page sets ``body[data-ready="1"]`` (recorded in
  the page by a MutationObserver);
- ``seen``: navigation start to the moment the harness finds it (what ``bench_pages.py`` and
  the tests measure: it includes the frame being drawn when ready was set).

Run: ``.venv/bin/python benchmarks/ab_ready.py --before /tmp/before/src --page /command
--user bench_chief --password bench-pages-Pass-1 [--data-dir pingan-data] [--runs 8] [--pg URL]``
(``bench_pages.py`` makes the users ``bench_admin`` and ``bench_chief``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_page_paint import ARGS, CHROMIUM, serve_trees, sign_in  # noqa: E402

READY_AT_JS = """new MutationObserver(() => {
  if (document.body && document.body.dataset.ready === '1' && !window.__readyAt)
    window.__readyAt = performance.now();
}).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="the other tree's src folder")
    ap.add_argument("--page", default="/command")
    ap.add_argument("--user", default="bench_chief")
    ap.add_argument("--password", default="bench-pages-Pass-1")
    ap.add_argument("--data-dir", default="pingan-data")
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--pg", default="", help="serve this PostgreSQL URL")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    env = dict(os.environ, PINGAN_DATA_DIR=str(Path(args.data_dir).resolve()))
    if args.pg:
        env["PINGAN_DATABASE_URL"] = args.pg
    trees = {"before": str(args.before.resolve()), "after": str(ROOT / "src")}
    figures: dict[str, dict[str, list[float]]] = {k: {"set": [], "seen": []} for k in trees}
    procs, bases = serve_trees(env, trees, "/tmp/ab_ready")
    try:
        with sync_playwright() as p:
            pages = {}
            for k in trees:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                ctx = browser.new_context(viewport={"width": 1440, "height": 900})
                ctx.add_init_script(READY_AT_JS)
                page = pages[k] = ctx.new_page()
                sign_in(page, bases[k], args.user, args.password)
            for r in range(args.runs + 1):  # the first round warms both servers
                for k in trees if r % 2 else list(trees)[::-1]:
                    page = pages[k]
                    page.goto(bases[k] + args.page, wait_until="commit")
                    page.wait_for_selector('body[data-ready="1"]', state="attached", timeout=60_000)
                    seen = page.evaluate("() => performance.now()")
                    if r:
                        figures[k]["seen"].append(seen / 1000)
                        figures[k]["set"].append(page.evaluate("() => window.__readyAt") / 1000)
    finally:
        for proc in procs.values():
            proc.kill()
    print(
        f"{args.page} as {args.user}, {args.runs} interleaved loads each; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'tree':<8} {'set median':>11} {'seen median':>12} {'seen max':>9}")
    for k in trees:
        f = figures[k]
        print(
            f"{k:<8} {statistics.median(f['set']):>11.3f} {statistics.median(f['seen']):>12.3f} "
            f"{max(f['seen']):>9.3f}"
        )
    ratio = statistics.median(figures["after"]["seen"]) / statistics.median(
        figures["before"]["seen"]
    )
    print(f"after / before (seen): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
