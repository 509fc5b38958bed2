"""The served process: ``uvicorn pingan.server:app`` (what ``pingan serve`` and ``pingan demo``
run, and the tests and benchmarks that start a real server).

This is the composition root: the one module that puts the API (:func:`pingan.api.app.create_app`)
together with work that runs beside it in a server, here the drill feed of the demo city
(:class:`pingan.demo.drill.Drill`, when ``PINGAN_DRILL=1``). ``pingan.api`` never imports
``pingan.demo``; this module may import both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from pingan.api.app import Background, create_app
from pingan.config import get_settings

__all__ = ["app", "create_server_app", "drill_feed", "scheduled_jobs"]


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


def create_server_app() -> FastAPI:
    """The app a server process serves: the API for the configured database, marked as a server
    (its startup heap frozen out of the cyclic GC, SQLite's log checkpointed in the background;
    see ``pingan.api.app._lifespan``), with the drill feed when ``PINGAN_DRILL=1``."""
    background: list[Background] = []
    if get_settings().scheduler:
        background.append(scheduled_jobs)
    if os.environ.get("PINGAN_DRILL") == "1":
        background.append(drill_feed)
    served = create_app(background=background)
    served.state.freeze_gc = True
    return served


app = create_server_app()
