"""Largest stall of a ticking thread (GIL held elsewhere) while each operation runs."""

import datetime as dt
import sys
import threading
import time

from fastapi.testclient import TestClient

from pingan.api.app import create_app
from pingan.scheduler import jobs

token = sys.argv[1]
gap = [0.0]
stop = [False]


def tick():
    last = time.perf_counter()
    while not stop[0]:
        time.sleep(0.005)
        now = time.perf_counter()
        gap[0] = max(gap[0], now - last)
        last = now


threading.Thread(target=tick, daemon=True).start()
app = create_app()
H = {"Authorization": f"Bearer {token}"}


def op(name, fn):
    gap[0] = 0.0
    t = time.perf_counter()
    try:
        r = fn()
        info = getattr(r, "status_code", "")
    except Exception as e:
        info = repr(e)[:100]
    print(
        f"{name}: {time.perf_counter() - t:.2f} s, largest stall {gap[0] * 1000:.0f} ms {info}",
        flush=True,
    )


with TestClient(app) as c:
    op(
        "ogc page 10000 @500k",
        lambda: c.get(
            "/api/v1/ogc/collections/incidents/items",
            params={"limit": 10000, "offset": 500000},
            headers=H,
        ),
    )
    op(
        "ogc page 10000 @0",
        lambda: c.get(
            "/api/v1/ogc/collections/incidents/items", params={"limit": 10000}, headers=H
        ),
    )
    op(
        "coverage-isochrones",
        lambda: c.get("/api/v1/ogc/collections/coverage-isochrones/items", headers=H),
    )
    op("coverage-cells", lambda: c.get("/api/v1/ogc/collections/coverage-cells/items", headers=H))
    for name in sys.argv[2:]:
        j = jobs.get_job(name)
        op("job " + name, lambda j=j: j.run(app.state.engine, dt.datetime.now(dt.UTC)))
