"""The schema is made only by migrations: they must match the models exactly, and go down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import pingan.models  # noqa: F401
from pingan.store.base import Base
from pingan.store.engine import MIGRATIONS_DIR, make_engine, migrate


def _modelled(name: str | None, type_: str, _parent: object) -> bool:
    # the geocoder's search indexes (migration 0012): SQLite's FTS5 table and its shadow
    # tables, PostgreSQL's pg_trgm index; neither can be described by the models; nor the
    # bytewise (COLLATE "C") scope index of migration 0017, PostgreSQL only
    return not (name or "").startswith(
        ("geocode_fts", "ix_geocode_names_key_trgm", "ix_incidents_jpath_bytewise")
    )


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": _modelled})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    eng = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(eng)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert inspect(eng).get_table_names() == ["alembic_version"]
    migrate(eng)
    assert "incidents" in inspect(eng).get_table_names()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    eng = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
