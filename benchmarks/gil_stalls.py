"""Largest stall of a ticking thread (GIL held elsewhere) while each operation runs.

    python benchmarks/gil_stalls.py [--token TOKEN] [JOB ...]

With ``PINGAN_DATABASE_URL`` / ``PINGAN_DATA_DIR`` pointing at the demo city. With a token: OGC
pages (by offset and by the next link's cursor) and the coverage collections. Each JOB is run
twice: as before, in a thread of this process (as the scheduler ran it inside a web worker), and
as ``pingan serve`` runs it now, in the job process (``pingan.scheduler.runner.JobProcess``),
while this process only waits: the ticker measures what a web worker's requests would feel.
"""

import argparse
import datetime as dt
import threading
import time

from fastapi.testclient import TestClient

from pingan.api.app import create_app
from pingan.scheduler import jobs
from pingan.scheduler.flows import begin_run_flow
from pingan.scheduler.runner import JobProcess

gap = [0.0]
stop = [False]


def tick():
    last = time.perf_counter()
    while not stop[0]:
        time.sleep(0.005)
        now = time.perf_counter()
        gap[0] = max(gap[0], now - last)
        last = now


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


def _next(page):
    """The path of a page's next link (``http://testserver/api/...`` → ``/api/...``)."""
    href = next(x["href"] for x in page["links"] if x["rel"] == "next")
    return "/" + href.split("/", 3)[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--token", help="a bearer token: also measure OGC and coverage reads")
    parser.add_argument("jobs", nargs="*", help="scheduled jobs to run (e.g. warnings)")
    args = parser.parse_args()
    threading.Thread(target=tick, daemon=True).start()
    app = create_app()
    H = {"Authorization": f"Bearer {args.token}"}
    items = "/api/v1/ogc/collections/incidents/items"
    with TestClient(app) as c:
        if args.token:
            op(
                "ogc page 10000 @100k",
                lambda: c.get(items, params={"limit": 10000, "offset": 100000}, headers=H),
            )
            op("ogc page 10000 @0", lambda: c.get(items, params={"limit": 10000}, headers=H))
            page = c.get(items, params={"limit": 10000}, headers=H).json()
            for _ in range(9):  # follow the next links' cursor ten pages deep
                page = c.get(_next(page), headers=H).json()
            nxt = _next(page)
            op("ogc page 10000 by cursor @100k", lambda: c.get(nxt, headers=H))
            op(
                "coverage-isochrones",
                lambda: c.get("/api/v1/ogc/collections/coverage-isochrones/items", headers=H),
            )
            op(
                "coverage-cells",
                lambda: c.get("/api/v1/ogc/collections/coverage-cells/items", headers=H),
            )
        engine = app.state.engine
        child = JobProcess(engine)
        now = dt.datetime.now(dt.UTC)
        try:
            warm = jobs.get_job("escalate")
            run = begin_run_flow(
                engine, warm, slot_at=now - dt.timedelta(days=400), trigger="manual"
            )
            op(
                "job process start (spawn, first job: escalate)",
                lambda: child.submit(warm, run_id=run).result(),
            )
            for k, name in enumerate(args.jobs):
                j = jobs.get_job(name)
                op(
                    f"job {name} in a thread of this process (before)",
                    lambda j=j: j.run(engine, dt.datetime.now(dt.UTC)),
                )
                slot = now - dt.timedelta(days=300 + k)
                run = begin_run_flow(engine, j, slot_at=slot, trigger="manual")
                op(
                    f"job {name} in the job process (now)",
                    lambda j=j, run=run: child.submit(j, run_id=run).result(),
                )
        finally:
            child.shutdown()


if __name__ == "__main__":
    main()
