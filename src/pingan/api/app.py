"""The application factory: ``create_app()`` wires settings, the engine, middleware and routers.

The served process is built by ``pingan.server`` (the composition root), which adds what a
server runs beside the API (the drill feed); this package never imports ``pingan.demo``."""

from __future__ import annotations

import gc
import importlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager, ExitStack, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy import Engine
from starlette.middleware.gzip import GZipMiddleware

import pingan
from pingan.api.errors import Overloaded503, install_error_handlers
from pingan.api.idempotency import IdempotencyKeys
from pingan.api.inputs import refuse_nul
from pingan.api.middleware import AuthBeforeBody, BodyLimit, CookieSessions
from pingan.api.shedding import LoadShed, limits_for
from pingan.config import Settings, get_settings, session_secret
from pingan.store.engine import get_engine, start_wal_checkpointer, stop_wal_checkpointer

__all__ = ["Background", "create_app"]

Background = Callable[[FastAPI], AbstractContextManager[object]]
"""Work that runs beside the API for the app's lifetime: entered at startup, exited at shutdown."""

_ROUTERS = (
    "pingan.auth.views",
    "pingan.audit.views",
    "pingan.incidents.views",
    "pingan.dispatch.views",
    "pingan.alerts.views",
    "pingan.jobs.views",
    "pingan.scheduler.views",
    "pingan.web.jobs",
    "pingan.web.reports",
    "pingan.jurisdictions.views",
    "pingan.places.views",
    "pingan.resources.views",
    "pingan.api.ogc",
    "pingan.api.docs",
    "pingan.web.views",
    "pingan.web.duties",
    "pingan.web.disputes",
    "pingan.web.crime_analysis",
    "pingan.web.province",
    "pingan.web.rapid_response",
    "pingan.web.evaluation",
    "pingan.web.audit",
    "pingan.instructions.views",
    "pingan.checklists.views",
    "pingan.disputes.views",
    "pingan.evaluation.views",
    "pingan.rapid_response.views",
    "pingan.crime_analysis.views",
    "pingan.geocoding.views",
    "pingan.ratings.views",
    "pingan.web.ratings",
    "pingan.keyplaces.views",
    "pingan.web.keyplaces",
    "pingan.cameras.views",
    "pingan.web.cameras",
    "pingan.citizens.views",
    "pingan.citizens.public",
    "pingan.citizens.open311_views",
    "pingan.web.citizens",
    "pingan.patrols.views",
    "pingan.web.patrols",
    "pingan.events.views",
    "pingan.web.events",
    "pingan.fieldapp.views",
    "pingan.web.fieldapp",
    "pingan.ledger.views",
    "pingan.volunteers.views",
    "pingan.web.ledger",
    "pingan.web.volunteers",
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
    try:
        with ExitStack() as background:
            for start in app.state.background:
                background.enter_context(start(app))
            yield
    finally:
        if server:
            stop_wal_checkpointer(app.state.engine)


def create_app(
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
    background: Sequence[Background] = (),
) -> FastAPI:
    """Build the FastAPI app for ``engine`` (default: the configured database); ``background``
    are context managers run for the app's lifetime, after the server's own startup work."""
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="pingan 平安",
        version=pingan.__version__,
        description="API of pingan, the platform of a city public-security bureau. Every read is "
        "scoped to the caller's jurisdiction; every change is audited.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served offline by pingan.api.docs
        redoc_url=None,
        dependencies=[Depends(refuse_nul)],
    )
    app.state.settings = settings
    app.state.engine = engine or get_engine()
    app.state.session_factories = {}
    app.state.background = tuple(background)
    # innermost: a keyed change by a signed-in caller answered once (pingan.api.idempotency)
    app.add_middleware(IdempotencyKeys)
    app.add_middleware(AuthBeforeBody)  # inside the sessions: it reads the decoded one
    app.add_middleware(
        CookieSessions,
        secret_key=session_secret(settings),
        session_cookie="pingan_session",
        max_age=settings.session_max_age_s,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes * 32)
    # answers of 1 KB and more compressed for a client that accepts it (a station on a slow
    # link: the coverage page's cells 1.09 MB → ~0.2 MB); never the event stream
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    # outermost: a request shed when the worker is full costs no session, body or thread
    app.add_middleware(
        LoadShed,
        limits=limits_for(
            app.state.engine.dialect.name,
            reads=settings.max_reads,
            writes=settings.max_writes,
            queue=settings.queue_max,
            wait_s=settings.queue_wait_s,
        ),
    )

    install_error_handlers(app)
    for name in _ROUTERS:
        module = importlib.import_module(name)
        router: Any = module.router
        app.include_router(router)
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)

    _document_busy(app)

    @app.get("/healthz", tags=["ops"], operation_id="health")
    async def health() -> dict[str, str]:  # async: answered on the event loop
        return {"status": "ok", "version": pingan.__version__}

    return app


def _document_busy(app: FastAPI) -> None:
    """Every operation may be shed under load (:mod:`pingan.api.shedding`): its OpenAPI
    answers list the 503 with ``Retry-After`` (the health check, added after this, is never
    shed)."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = base()
        for path, operations in schema.get("paths", {}).items():
            if path == "/healthz" or path.startswith("/api/v1/incidents/stream"):
                continue
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["responses"].setdefault("503", Overloaded503)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
