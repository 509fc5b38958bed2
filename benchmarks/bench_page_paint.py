"""Benchmark of the command-center page on the whole demo city: first paint and time to ready.

Serves the demo database (``pingan demo --no-serve`` first; default ``./pingan-data``) with the
real server, signs in with headless Chromium and measures, per run:

- ``first paint``: navigation start to the first contentful paint of ``/command``;
- ``ready``: navigation start to ``body[data-ready='1']`` (map loaded, jurisdictions, units,
  the last 24 h of incidents and the roads of the view fetched and drawn);
- ``street``: the layers a zoom-16 view fetches (grid cells, communities, cameras, roads), all
  at once from the signed-in page.

The reference, side by side in the same browser and server, is an empty MapLibre map with the
same local style and no data: the ratio says what the city's data costs over MapLibre itself.
Targets (issue 3): first paint under 2 s with the whole city loaded; the street-zoom view is
measured too.

Run: ``.venv/bin/python benchmarks/bench_page_paint.py [--data-dir pingan-data] [--runs 5]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.serverutil import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER, PASSWORD = "bench_paint", "bench-paint-Pass-1"
TARGET_FIRST_PAINT_S = 2.0

BARE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/maplibre-gl.css">
<style>html,body,#map{margin:0;height:100%}</style></head>
<body><div id="map"></div><script src="/static/vendor/maplibre-gl.js"></script>
<script src="/static/js/bench_bare.js"></script></body></html>"""


def _ensure_user(env: dict[str, str]) -> None:
    pingan = str(Path(sys.executable).with_name("pingan"))
    out = subprocess.run(
        [pingan, "users", "list"], env=env, capture_output=True, text=True, check=False
    )
    if USER in out.stdout:
        return
    subprocess.run(
        [pingan, "users", "add", USER, "--role", "commander", "--password", PASSWORD],
        env=env,
        check=True,
        capture_output=True,
    )


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "pingan.server:app"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            ],
            env=env | {"PINGAN_SCHEDULER": "0"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 180  # a loaded 2-core machine imports slowly
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start: {log.read_text()[-2000:]}")


def sign_in(page, base: str, user: str, password: str, *, ready_s: float = 300) -> None:  # type: ignore[no-untyped-def]
    """Sign ``user`` in on ``page`` and wait until the landing page is ready."""
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_selector('body[data-ready="1"]', timeout=ready_s * 1000, state="attached")


def serve_trees(
    env: dict[str, str], trees: dict[str, str], log_prefix: str
) -> tuple[dict[str, subprocess.Popen[bytes]], dict[str, str]]:
    """Serve each tree of the code (``name → src folder``) at once on a port of its own; the
    front-end packages (not in git) are copied into a tree that lacks them. The servers and
    their base URLs by name (the caller stops the servers)."""
    vendor = Path("pingan/web/static/vendor")
    procs, bases = {}, {}
    for name, src in trees.items():
        if not (Path(src) / vendor).exists():
            shutil.copytree(
                Path(__file__).resolve().parents[1] / "src" / vendor, Path(src) / vendor
            )
        port = free_port()
        procs[name] = _serve(env | {"PYTHONPATH": src}, port, Path(f"{log_prefix}_{name}.log"))
        bases[name] = f"http://127.0.0.1:{port}"
    return procs, bases


PAINT_JS = """() => {
  const p = performance.getEntriesByName('first-contentful-paint')[0];
  return p ? p.startTime : null;
}"""


def _measure(page, url: str, ready_selector: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.wait_for_selector(ready_selector, timeout=60_000, state="attached")
    ready_ms = page.evaluate("() => performance.now()")
    fcp_ms = page.evaluate(PAINT_JS)
    return (fcp_ms or ready_ms) / 1000.0, ready_ms / 1000.0


STREET_JS = """async () => {
  const bbox = '102.700,25.035,102.716,25.045';  // about 1.6 x 1.1 km: zoom 16 on 1400 px
  const urls = [
    '/api/v1/ogc/collections/grid-cells/items?bbox=' + bbox,
    '/api/v1/ogc/collections/communities/items?bbox=' + bbox,
    '/api/v1/ogc/collections/cameras/items?bbox=' + bbox,
    '/api/v1/map/roads?bbox=' + bbox + '&zoom=16',
  ];
  const t0 = performance.now();
  const get = (u) => fetch(u).then((r) => r.text()).then((t) => t.length);
  const sizes = await Promise.all(urls.map(get));
  return [performance.now() - t0, sizes.reduce((a, b) => a + b, 0)];
}"""


def _street(page) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Street zoom: the layers a zoom-16 view fetches (cells, communities, cameras, roads)."""
    ms, _size = page.evaluate(STREET_JS)
    return ms / 1000.0, ms / 1000.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default="pingan-data")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="3 runs")
    args = ap.parse_args()
    runs = 3 if args.quick else args.runs
    data = Path(args.data_dir).resolve()
    if not (data / "pingan.db").exists():
        print(f"SKIP: no demo database in {data} (run `pingan demo --no-serve` first)")
        return 0
    from playwright.sync_api import sync_playwright

    env = os.environ | {"PINGAN_DATA_DIR": str(data)}
    _ensure_user(env)
    # the bare reference page needs its script served from the same origin (CSP: no inline)
    bare_js = ROOT / "src/pingan/web/static/js/bench_bare.js"
    bare_js.write_text(
        "const m = new maplibregl.Map({container: 'map', center: [102.71, 25.04], zoom: 11,"
        " style: {version: 8, sources: {}, layers: [{id: 'bg', type: 'background',"
        " paint: {'background-color': '#eef1f5'}}]}});"
        " m.on('load', () => { document.body.dataset.ready = '1'; });\n"
    )
    port = free_port()
    log = Path("/tmp/bench_page_paint.log")
    proc = _serve(env, port, log)
    base = f"http://127.0.0.1:{port}"
    rows: dict[str, list[tuple[float, float]]] = {"city": [], "street": [], "bare": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            ctx = browser.new_context(viewport={"width": 1400, "height": 860})
            page = ctx.new_page()
            page.goto(f"{base}/login")
            page.fill("#username", USER)
            page.fill("#password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_selector("body[data-ready='1']", timeout=60_000, state="attached")
            page.route(
                f"{base}/bench-bare", lambda r: r.fulfill(body=BARE, content_type="text/html")
            )
            for _ in range(runs):
                rows["city"].append(_measure(page, f"{base}/command", "body[data-ready='1']"))
                rows["street"].append(_street(page))
                rows["bare"].append(_measure(page, f"{base}/bench-bare", "body[data-ready='1']"))
            page.goto(f"{base}/command")
            page.wait_for_selector("body[data-ready='1']", timeout=60_000, state="attached")
            out = ROOT / "test-artifacts"
            out.mkdir(exist_ok=True)
            time.sleep(1.5)
            page.screenshot(path=str(out / "bench-command-city.png"))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
        bare_js.unlink(missing_ok=True)
    print(f"command-center page on {data} ({runs} runs, median; seconds)")
    print(f"{'view':<8} {'first paint':>12} {'ready':>8}")
    med = {
        k: (statistics.median(a for a, _ in v), statistics.median(b for _, b in v))
        for k, v in rows.items()
    }
    for k, (fp, rd) in med.items():
        print(f"{k:<8} {fp:>12.3f} {rd:>8.3f}")
    ratio = med["city"][1] / med["bare"][1]
    print(f"ready: city page / bare MapLibre = {ratio:.1f}x")
    ok = med["city"][0] < TARGET_FIRST_PAINT_S and med["street"][1] < TARGET_FIRST_PAINT_S
    print(
        f"{'PASS' if ok else 'FAIL'}: first paint < {TARGET_FIRST_PAINT_S} s (city view) and"
        f" street-zoom layers < {TARGET_FIRST_PAINT_S} s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
