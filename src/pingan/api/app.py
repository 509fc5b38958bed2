"""The application factory: ``create_app()`` wires settings, the engine, middleware and routers."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

import pingan
from pingan.api.errors import install_error_handlers
from pingan.api.inputs import refuse_nul
from pingan.api.middleware import BodyLimit, CookieSessions
from pingan.config import Settings, get_settings, session_secret
from pingan.store.engine import get_engine, start_wal_checkpointer, stop_wal_checkpointer

__all__ = ["create_app"]

_ROUTERS = (
    "pingan.auth.views",
    "pingan.audit.views",
    "pingan.incidents.views",
    "pingan.alerts.views",
    "pingan.jobs.views",
    "pingan.jurisdictions.views",
    "pingan.places.views",
    "pingan.resources.views",
    "pingan.api.ogc",
    "pingan.web.views",
    "pingan.web.ops",
    "pingan.web.casework",
    "pingan.web.analysis",
    "pingan.web.coverage",
    "pingan.web.evaluation",
    "pingan.web.audit",
    "pingan.tasks.views",
    "pingan.disputes.views",
    "pingan.evaluation.views",
    "pingan.coverage_api.views",
    "pingan.analysis_api.views",
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    server = getattr(app.state, "freeze_gc", False)
    if server:
        # everything loaded so far lives as long as the process: keep it out of the cyclic
        # collector's full passes, which otherwise scan it all (100 ms and more a pass, a stall
        # of every request in flight, every thousand or so requests)
        gc.collect()
        gc.freeze()
        # and checkpoint SQLite's write-ahead log in the background, not in a request's commit
        start_wal_checkpointer(app.state.engine)
    drill = None
    if os.environ.get("PINGAN_DRILL") == "1":
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
        if drill is not None:
            drill.close()
        if server:
            stop_wal_checkpointer(app.state.engine)


def create_app(*, settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the FastAPI app for ``engine`` (default: the configured database)."""
    import importlib

    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="pingan 平安",
        version=pingan.__version__,
        description="API of pingan, the platform of a city public-security bureau. Every read is "
        "scoped to the caller's jurisdiction; every change is audited.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        dependencies=[Depends(refuse_nul)],
    )
    app.state.settings = settings
    app.state.engine = engine or get_engine()
    app.state.session_factories = {}
    app.add_middleware(
        CookieSessions,
        secret_key=session_secret(settings),
        session_cookie="pingan_session",
        max_age=settings.session_max_age_s,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes * 32)

    install_error_handlers(app)
    for name in _ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # a domain not built yet
            raise
        router: Any = module.router
        app.include_router(router)
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)

    @app.get("/healthz", tags=["ops"], operation_id="health")
    async def health() -> dict[str, str]:  # async: answered on the event loop
        return {"status": "ok", "version": pingan.__version__}

    return app
