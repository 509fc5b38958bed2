"""Storage: engine, sessions and the unit of work, the declarative Base, migrations."""

from pingan.store.base import Base, utcnow
from pingan.store.engine import (
    get_engine,
    make_engine,
    migrate,
    reset_engine,
    session_factory,
    unit_of_work,
)

__all__ = [
    "Base",
    "get_engine",
    "make_engine",
    "migrate",
    "reset_engine",
    "session_factory",
    "unit_of_work",
    "utcnow",
]
