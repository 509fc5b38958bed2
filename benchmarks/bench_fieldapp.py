"""Benchmark of the field app (/m/, issue 24) in a phone-size headless Chromium.

Serves the small test city (two instructions to the officer, his unit linked) with the real
server and measures:

- ``shell JS``: the bytes of JavaScript the app's page loads before any map (idb, the queue,
  the app), raw and gzip; the service worker's (generated ``/m/sw.js`` and Workbox's modules)
  beside it. Budget (issue 24): ≤ 150 KB;
- ``ready after the first visit``: navigation start to ``body[data-ready="1"]`` (the
  ``pa-ready`` performance mark, set when the home is drawn from the last synced copy) on a
  throttled network (CDP ``Network.emulateNetworkConditions``, DevTools' "Fast 3G": 562.5 ms
  latency, 180 KB/s down, 84 KB/s up) with the service worker installed by one earlier visit;
  ``--runs`` loads. Budget: ≤ 1 s;
- the same with the network off (the worker's copy only), and the first visit on the same
  throttled network with service workers blocked (what the worker saves).

Chromium applies the emulation to the page's requests; the service worker's own fetches (the
shell page goes network-first, 2 s timeout) are throttled only where Chromium applies it to the
worker too, so the throttled number is a lower bound there: the offline number is the floor.

Run: ``.venv/bin/python benchmarks/bench_fieldapp.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.serverutil import free_port, prepare_db, start_server  # noqa: E402
from tests.web.test_fieldapp_browser import _seed  # noqa: E402

STATIC = ROOT / "src" / "pingan" / "web" / "static"
SHELL_JS = ("vendor/idb.js", "js/m/queue.js", "js/m/map.js", "js/m/app.js")
WORKER_JS = (
    *(f"vendor/workbox/workbox-{m}.prod.js" for m in (
        "core", "routing", "strategies", "cacheable-response", "expiration", "precaching",
    )),
    "js/m/sw-routes.js",
)  # fmt: skip
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
FAST_3G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 180 * 1024,
    "uploadThroughput": 84 * 1024,
}
BUDGET_JS_KB, BUDGET_READY_S = 150.0, 1.0


def sizes(files: tuple[str, ...]) -> tuple[int, int]:
    raw = b"".join((STATIC / f).read_bytes() for f in files)
    return len(raw), len(gzip.compress(raw, 9))


def _context(browser: Any, base: str, where: tuple[float, float], *, sw: bool) -> Any:
    ctx = browser.new_context(
        viewport=PHONE,
        geolocation={"longitude": where[0], "latitude": where[1]},
        permissions=["geolocation"],
        service_workers="allow" if sw else "block",
    )
    page = ctx.new_page()
    page.goto(f"{base}/login?next=/m/")
    page.fill("#username", "officer0")
    page.fill("#password", "correct-horse-1")
    page.click("#login-submit")
    page.wait_for_selector('body[data-ready="1"]')
    if sw:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#fa-sign li")  # the first visit's reads are kept
    return ctx, page


def _throttle_workers(browser: Any) -> int:
    """The same emulation on every service worker (its fetches are its own, not the page's):
    through the browser's CDP session, attached to each worker target. The number throttled."""
    cdp = browser.new_browser_cdp_session()
    n = 0
    for target in cdp.send("Target.getTargets")["targetInfos"]:
        if target["type"] != "service_worker":
            continue
        sid = cdp.send("Target.attachToTarget", {"targetId": target["targetId"]})["sessionId"]
        for i, (method, params) in enumerate(
            (("Network.enable", {}), ("Network.emulateNetworkConditions", FAST_3G))
        ):
            message = json.dumps({"id": 1000 + i, "method": method, "params": params})
            cdp.send("Target.sendMessageToTarget", {"sessionId": sid, "message": message})
        n += 1
    return n


def _ready_ms(page: Any, base: str) -> float:
    page.goto(f"{base}/m/")
    page.wait_for_selector('body[data-ready="1"]')
    page.wait_for_selector("#fa-sign li")
    return float(page.evaluate("() => performance.getEntriesByName('pa-ready')[0].startTime"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    raw, gz = sizes(SHELL_JS)
    wraw, wgz = sizes(WORKER_JS)
    verdict = "OK" if raw / 1024 <= BUDGET_JS_KB else "OVER"
    print(f"shell JS (page, before maps): {raw / 1024:.1f} KB raw, {gz / 1024:.1f} KB gzip "
          f"(budget {BUDGET_JS_KB:.0f} KB) {verdict}")  # fmt: skip
    print(f"service worker JS: {wraw / 1024:.1f} KB raw, {wgz / 1024:.1f} KB gzip")
    with tempfile.TemporaryDirectory() as tmp:
        url, city = prepare_db(Path(tmp) / "bench.db")
        ids = _seed(url, city)
        port = free_port()
        proc = start_server(url, port, Path(tmp) / "server.log")
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                out: dict[str, list[float]] = {"throttled": [], "offline": [], "no worker": []}
                for _ in range(args.runs):
                    ctx, page = _context(browser, base, ids["where"], sw=True)
                    cdp = ctx.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.emulateNetworkConditions", FAST_3G)
                    _throttle_workers(browser)
                    out["throttled"].append(_ready_ms(page, base))
                    ctx.set_offline(True)
                    out["offline"].append(_ready_ms(page, base))
                    ctx.close()
                    ctx, page = _context(browser, base, ids["where"], sw=False)
                    cdp = ctx.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.emulateNetworkConditions", FAST_3G)
                    out["no worker"].append(_ready_ms(page, base))
                    ctx.close()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    for name, values in out.items():
        med = statistics.median(values)
        print(f"ready, {name:10s}: median {med:7.0f} ms, max {max(values):7.0f} ms "
              f"over {len(values)} loads")  # fmt: skip
    med = statistics.median(out["throttled"]) / 1000
    print(f"budget ready ≤ {BUDGET_READY_S:.1f} s after the first visit (Fast 3G): "
          f"{'OK' if med <= BUDGET_READY_S else 'OVER'} ({med:.2f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
