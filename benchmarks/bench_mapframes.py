"""The map pages' first view, before and after ``static/js/mapframes.js`` (issue #19), side by side.

Serves the demo database twice at once — the tree ``--before`` (a directory holding ``src/``,
e.g. ``git archive <commit> src | tar -x -C DIR`` plus the vendor folder) and this tree — and
loads each page in headless Chromium on the two servers in turn (interleaved, so the machine's
load weighs on both alike). For each load, from navigation start:

- ``ready``: ``body[data-ready="1"]`` (the old pages set it before their map had drawn);
- ``view``: ready *and* the map has drawn its whole view (``map.loaded()`` in a frame at or
  after ready): the honest "first view drawn";
- ``frames``: the map's frames up to ``view``, and up to its first ``idle``.

The map is found by wrapping ``maplibregl.Map`` (an init script), so the old pages need no hook.

Run: ``.venv/bin/python benchmarks/bench_mapframes.py --before /tmp/mf-before
[--data-dir /tmp/mf-demo] [--runs 5] [--pages /analysis,/coverage,/hazards] [--role admin]``
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

from tests.serverutil import free_port  # noqa: E402

from bench_page_paint import ARGS, CHROMIUM, _serve  # noqa: E402
from bench_pages import PASSWORD, USERS, _ensure_users  # noqa: E402

WATCH_JS = """(() => {
  const W = window.__mf = { frames: 0, view: null, viewFrames: null, idles: [] };
  const ready = () => document.body && document.body.dataset.ready === "1";
  const watch = (map) => {
    const check = () => {
      if (W.view != null || !ready() || !map.loaded()) return;
      W.view = performance.now(); W.viewFrames = W.frames;
    };
    map.on("render", () => { W.frames++; check(); });
    // the frame counts at each idle (the ready frame may itself be idle, before ready is set)
    map.on("idle", () => { W.idles.push(W.frames); check(); });
    new MutationObserver(check).observe(document.documentElement,
      { attributes: true, subtree: true, attributeFilter: ["data-ready"] });
  };
  let ml;
  Object.defineProperty(window, "maplibregl", { configurable: true, get() { return ml; }, set(v) {
    ml = v;
    const M = v.Map;
    v.Map = class extends M { constructor(o) { super(o); watch(this); } };
  } });
})();"""

RESULT_JS = """async () => {
  const W = window.__mf, t0 = performance.now();
  const idle = () => W.view != null && W.idles.find((n) => n >= W.viewFrames);
  while (!idle() && performance.now() - t0 < 8000) await new Promise((ok) => setTimeout(ok, 50));
  return { view: W.view, viewFrames: W.viewFrames, idleFrames: idle() || null };
}"""


def _load(page, url: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    page.goto(url, wait_until="commit")
    page.wait_for_selector('body[data-ready="1"]', timeout=60_000, state="attached")
    ready = page.evaluate("() => performance.now()")
    r = page.evaluate(RESULT_JS)
    return {
        "ready": ready / 1000,
        "view": (r["view"] or float("nan")) / 1000,
        "frames": r["viewFrames"] if r["viewFrames"] is not None else float("nan"),
        "idle_frames": r["idleFrames"] if r["idleFrames"] is not None else float("nan"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", required=True, help="a tree holding the old src/")
    ap.add_argument("--data-dir", default="pingan-data")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pages", default="/analysis,/coverage,/hazards")
    ap.add_argument("--role", default="admin", choices=sorted(USERS))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    data = Path(args.data_dir).resolve()
    env = dict(os.environ) | {"PINGAN_DATA_DIR": str(data)}
    _ensure_users(env)
    trees = {"before": Path(args.before).resolve(), "after": ROOT}
    procs, bases = [], {}
    try:
        for side, tree in trees.items():
            port = free_port()
            procs.append(
                _serve(env | {"PYTHONPATH": str(tree / "src")}, port, Path(f"/tmp/mf-{side}.log"))
            )
            bases[side] = f"http://127.0.0.1:{port}"
        out: dict[tuple[str, str], list[dict[str, float]]] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            pages = {}
            for side, base in bases.items():
                ctx = browser.new_context(viewport={"width": 1400, "height": 860})
                ctx.add_init_script(WATCH_JS)
                page = ctx.new_page()
                page.goto(f"{base}/login")
                page.fill("#username", USERS[args.role][0])
                page.fill("#password", PASSWORD)
                page.click("#login-submit")
                page.wait_for_load_state()
                pages[side] = page
            for path in [p for p in args.pages.split(",") if p]:
                for side in bases:  # warm
                    _load(pages[side], bases[side] + path)
                for _ in range(args.runs):
                    for side in bases:
                        out.setdefault((path, side), []).append(
                            _load(pages[side], bases[side] + path)
                        )
            browser.close()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    load = os.getloadavg()[0]
    print(f"{args.runs} interleaved loads per page and tree, role {args.role}, load {load:.1f}")
    print(
        "| page | ready s before → after | view s before → after | view ratio |"
        " frames to view before → after | frames to idle before → after |"
    )
    print("|---|---|---|---|---|---|")

    def med(rows: list[dict[str, float]], k: str) -> float:
        return statistics.median(r[k] for r in rows)

    for path in dict.fromkeys(p for p, _ in out):
        b, a = out[(path, "before")], out[(path, "after")]
        print(
            f"| {path} | {med(b, 'ready'):.2f} → {med(a, 'ready'):.2f}"
            f" | {med(b, 'view'):.2f} → {med(a, 'view'):.2f}"
            f" | {med(a, 'view') / med(b, 'view'):.2f}x"
            f" | {med(b, 'frames'):.0f} → {med(a, 'frames'):.0f}"
            f" | {med(b, 'idle_frames'):.0f} → {med(a, 'idle_frames'):.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
