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
from pingan.store.partitions import is_partitioned


def _partition_layout(name: str | None, type_: str, parent: object) -> bool:
    """PostgreSQL's month partitions of ``incidents`` and the key table of migration 0031
    (``pingan.store.partitions``): made by the migration and the scheduler, not the models."""
    names = [
        name or "",
        str((parent or {}).get("table_name") or "") if isinstance(parent, dict) else "",
    ]
    return any(
        n == "incident_keys" or n.startswith("incidents_p") or n == "incidents_default"
        for n in names
    )


def _modelled(name: str | None, type_: str, _parent: object) -> bool:
    if _partition_layout(name, type_, _parent):
        return False
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
        partitioned = is_partitioned(conn)
    if partitioned:
        diff = [d for d in diff if not _partitioned_incidents(d)]
    assert diff == []


def _partitioned_incidents(d: object) -> bool:
    """The differences the partitioned layout makes on purpose: ``incidents``' unique keys live
    in ``incident_keys``, and the foreign keys onto an incident point there."""
    op = d[0] if isinstance(d, tuple) else None
    if op in ("add_constraint", "remove_constraint") and d[1].table.name == "incidents":  # type: ignore[index]
        return d[1].name in ("uq_incidents_code", "uq_incidents_dataset_external")  # type: ignore[index]
    if op in ("add_fk", "remove_fk"):
        fk = d[1]  # type: ignore[index]
        return fk.name.endswith("_incidents") or fk.name == "fk_incidents_id_incident_keys"
    return False


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
