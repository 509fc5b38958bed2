"""The served process: ``uvicorn pingan.server:app`` (what ``pingan serve`` and ``pingan demo``
run, and the tests and benchmarks that start a real server).

This is the composition root: the one module that puts the API (:func:`pingan.api.app.create_app`)
together with work that runs beside it in a server: the scheduled jobs, the caches of the day
(:func:`day_caches`) and the drill feed of the demo city (:class:`pingan.demo.drill.Drill`,
when ``PINGAN_DRILL=1``). ``pingan.api`` never imports
``pingan.demo``; this module may import both.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session

from pingan.api.app import Background, create_app
from pingan.config import get_settings

__all__ = [
    "app",
    "create_server_app",
    "day_caches",
    "drill_feed",
    "scheduled_jobs",
    "seconds_to_next_fill",
]

log = logging.getLogger(__name__)


@contextmanager
def drill_feed(app: FastAPI) -> Iterator[None]:
    """Feed simulated incidents live while the server runs (``pingan serve --drill``), at
    ``PINGAN_DRILL_SPEED`` times real time (default 60)."""
    from pingan.demo.drill import Drill

    drill = Drill(
        app.state.engine,
        app.state.settings.data_dir,
        speed=float(os.environ.get("PINGAN_DRILL_SPEED", "60")),
    )
    drill.start()
    app.state.drill = drill
    try:
        yield
    finally:
        drill.close()


@contextmanager
def scheduled_jobs(app: FastAPI) -> Iterator[None]:
    """Run the scheduled jobs while the server runs (``PINGAN_SCHEDULER``, on by default): one
    leader across workers, by a database lease (:class:`pingan.scheduler.runner.Scheduler`)."""
    from pingan.scheduler.runner import Scheduler

    scheduler = Scheduler(app.state.engine)
    scheduler.start()
    app.state.scheduler = scheduler
    try:
        yield
    finally:
        scheduler.stop()


DAY_CACHES_AFTER_MIDNIGHT_S = 120.0
"""How long after local midnight the caches of the new day are filled (the day's counts of the
scheduled jobs settle first)."""


def seconds_to_next_fill(now: dt.datetime) -> float:
    """Seconds from ``now`` to :data:`DAY_CACHES_AFTER_MIDNIGHT_S` past the next local
    midnight, in the zone whose days the hazards count (:data:`pingan.ratings.hazards.LOCAL_TZ`)."""
    from pingan.ratings.hazards import LOCAL_TZ

    local = now.astimezone(LOCAL_TZ)
    nxt = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_TZ)
    return (nxt - local).total_seconds() + DAY_CACHES_AFTER_MIDNIGHT_S


@contextmanager
def day_caches(app: FastAPI) -> Iterator[None]:
    """Fill the caches kept per local day in this worker, when it starts and after each local
    midnight, in a thread of its own: the hazards' counts of the year before today
    (:func:`pingan.ratings.hazards.warm_whole_days`), which the first ``/hazards`` of a day
    otherwise computed while its caller waited. Each worker process keeps its own caches, so
    each fills its own. A failure is logged and tried again at the next fill."""
    from pingan.ratings.hazards import warm_whole_days

    engine = app.state.engine
    stop = threading.Event()

    def fill() -> None:
        while not stop.is_set():
            try:
                with Session(engine) as session:
                    warm_whole_days(session)
            except Exception:  # a database away: the next day (or request) fills it
                log.warning("filling the day's caches failed", exc_info=True)
            stop.wait(seconds_to_next_fill(dt.datetime.now(dt.UTC)))

    worker = threading.Thread(target=fill, name="pingan-day-caches", daemon=True)
    worker.start()
    app.state.day_caches = worker
    try:
        yield
    finally:
        stop.set()
        worker.join(timeout=5)


def create_server_app() -> FastAPI:
    """The app a server process serves: the API for the configured database, marked as a server
    (its startup heap frozen out of the cyclic GC, SQLite's log checkpointed in the background;
    see ``pingan.api.app._lifespan``), with the drill feed when ``PINGAN_DRILL=1``."""
    background: list[Background] = []
    if get_settings().scheduler:  # the server's own work: the jobs, the caches of the day
        background.append(scheduled_jobs)
        background.append(day_caches)
    if os.environ.get("PINGAN_DRILL") == "1":
        background.append(drill_feed)
    served = create_app(background=background)
    served.state.freeze_gc = True
    return served


app = create_server_app()
