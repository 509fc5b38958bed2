"""Alembic environment: runs on the connection handed over by ``pingan.store.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import pingan.models  # noqa: F401  (registers every table on Base.metadata)
from pingan.store.base import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no connection or sqlalchemy.url given to alembic")
        engine = create_engine(url)
        with engine.begin() as conn:
            context.configure(
                connection=conn, target_metadata=target_metadata, render_as_batch=True
            )
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()


run()
