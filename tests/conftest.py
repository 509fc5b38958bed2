"""Shared fixtures: a real database per run (SQLite always, PostgreSQL when
``PINGAN_TEST_DATABASE_URL`` is set), each test inside a rolled-back transaction."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pingan.store.engine import make_engine, migrate
from tests import dbtemplate
from tests.factories import SmallCity, build_small_city

PG_URL = os.environ.get("PINGAN_TEST_DATABASE_URL")
# cheap argon2 parameters keep tests fast; production keeps the strong defaults
os.environ.setdefault("PINGAN_ARGON2_TIME_COST", "1")
os.environ.setdefault("PINGAN_ARGON2_MEMORY_KIB", "64")
# the files a run writes (session secret, report cache, attachments) go to a folder of its own
os.environ.setdefault("PINGAN_DATA_DIR", tempfile.mkdtemp(prefix="pingan-test-data-"))
# and a pytest-xdist worker (which inherits the controller's environment) to one of its own
# inside it; its databases are its own already (their names carry the process id)
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if XDIST_WORKER:
    os.environ["PINGAN_DATA_DIR"] = str(Path(os.environ["PINGAN_DATA_DIR"]) / XDIST_WORKER)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not PG_URL,
                reason="PINGAN_TEST_DATABASE_URL is not set (bash .ci/run sets it); "
                "PostgreSQL tests skipped",
            ),
        ],
    ),
]


@pytest.fixture(scope="session", autouse=True)
def _no_background_analyze() -> Iterator[None]:
    """No background ANALYZE (pingan.store.engine.analyze_soon) while tests run: their rows are
    never committed, so it would give the planner the statistics of an empty table."""
    from pingan.store import engine as store_engine

    store_engine.BACKGROUND_ANALYZE = False
    yield
    store_engine.BACKGROUND_ANALYZE = True


@pytest.fixture(autouse=True)
def _fresh_aggregate_caches() -> Iterator[None]:
    """Each test starts with no kept analysis answers and no remembered count grid: a test's
    rows (and the counts it built) are rolled back after it."""
    from pingan.aggregates.cache import clear_cache
    from pingan.aggregates.service import forget

    forget()
    clear_cache()
    yield


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


def _fresh_pg(url: str, suffix: str = "", *, migrated: bool = False) -> tuple[Engine, Engine, str]:
    """A new database for this test run beside the one ``url`` names, so that several runs (CI,
    developers, parallel workers) on one server never share a schema; ``migrated``: a copy of
    this process's migrated template (tests/dbtemplate.py)."""
    return dbtemplate.fresh_pg(url, suffix, migrated=migrated)


def _migrated(backend: str, sqlite_path: Path, pg_suffix: str) -> Iterator[Engine]:
    """A migrated engine on a new SQLite file or a new PostgreSQL database (dropped after).

    With ``pg_suffix`` (a test's own database) the schema is a copy of a template migrated once
    per process (tests/dbtemplate.py) and the database is dropped in the background; without,
    (the session database) the Alembic chain runs for real."""
    if backend == "sqlite":
        if pg_suffix:
            eng = make_engine(dbtemplate.migrated_sqlite(sqlite_path))
        else:
            eng = make_engine(f"sqlite:///{sqlite_path}")
            migrate(eng)
        yield eng
        eng.dispose()
        return
    assert PG_URL is not None
    eng, admin, name = _fresh_pg(PG_URL, pg_suffix, migrated=bool(pg_suffix))
    try:
        if not pg_suffix:
            migrate(eng)
        yield eng
    finally:
        eng.dispose()
        dbtemplate.drop_later(admin, name)


@pytest.fixture(scope="session", autouse=True)
def _template_databases() -> Iterator[None]:
    """The background drops finish and the template databases go when the session ends."""
    yield
    dbtemplate.finish()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database engine, one per backend per test run."""
    yield from _migrated(request.param, tmp_path_factory.mktemp("db") / "test.db", "")


@pytest.fixture(params=BACKENDS)
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of this test's own, for code that commits (the shared one never
    does)."""
    yield from _migrated(request.param, tmp_path / "own.db", "_own")


@pytest.fixture()
def session(engine: Engine) -> Iterator[Session]:
    """A session in a transaction rolled back after the test; ``commit()`` inside the code under
    test only releases a savepoint."""
    yield from rolled_back_session(engine)


def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session on ``engine`` inside a transaction that is rolled back at the end."""
    conn = engine.connect()
    trans = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        trans.rollback()
        conn.close()


@pytest.fixture()
def city(session: Session) -> SmallCity:
    """A small jurisdiction tree with users of every role and their tokens."""
    return build_small_city(session)


@pytest.fixture()
def app(engine: Engine, session: Session):  # type: ignore[no-untyped-def]
    """The app, with every request using the test's session."""
    from pingan.api.app import create_app
    from pingan.api.deps import get_read_sessions, get_session, get_writer
    from pingan.store.group import InlineWriter

    application = create_app(engine=engine)

    def _override() -> Iterator[Session]:
        yield session

    application.dependency_overrides[get_session] = _override
    application.dependency_overrides[get_read_sessions] = lambda: lambda: nullcontext(session)
    # the group writer commits on its own connections; here writes stay in the test's
    # transaction (pingan.store.group is tested against a database of its own)
    application.dependency_overrides[get_writer] = lambda: InlineWriter(session)
    return application


@pytest.fixture()
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An HTTP client for the app."""
    with TestClient(app) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    """Headers for a bearer token."""
    return {"Authorization": f"Bearer {token}"}
