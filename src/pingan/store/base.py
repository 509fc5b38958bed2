"""The declarative Base and the column types every domain shares."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import (
    ColumnElement,
    DateTime,
    MetaData,
    Select,
    String,
    TypeDecorator,
    and_,
    func,
    literal_column,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

__all__ = [
    "Base",
    "EncryptedStr",
    "UTCDateTime",
    "bytewise",
    "count_rows",
    "count_upto",
    "prefix_end",
    "prefix_match",
    "set_data_key",
    "sorted_not_walked",
    "unindexed",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every pingan table."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pingan stores timezone-aware UTC only")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


_fernet: Fernet | None = None


def set_data_key(key: bytes) -> None:
    """Install the Fernet key used by :class:`EncryptedStr` (done by the engine factory)."""
    global _fernet
    _fernet = Fernet(key)


class EncryptedStr(TypeDecorator[str]):
    """A string encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

    Used for personal data: names, phone numbers, ID numbers. The key comes from
    ``PINGAN_DATA_KEY``. Values are not searchable in SQL by design.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if _fernet is None:
            raise RuntimeError("data key not installed; create the engine with make_engine()")
        return _fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if _fernet is None:
            raise RuntimeError("data key not installed; create the engine with make_engine()")
        try:
            return _fernet.decrypt(value.encode("ascii")).decode("utf-8")
        except InvalidToken:
            return "[undecryptable: wrong PINGAN_DATA_KEY]"


def count_rows(session: Session, query: Select[Any]) -> int:
    """Number of rows a list query matches (its ordering dropped): the ``total`` of a page."""
    sub = query.order_by(None).subquery()
    return int(session.scalar(select(func.count()).select_from(sub)) or 0)


def count_upto(session: Session, query: Select[Any], cap: int) -> int:
    """Number of rows a list query matches, counted no further than ``cap + 1`` (so a result
    above ``cap`` means "more than ``cap``"). The rows are read as a constant, not as the
    query's columns: SQLite cannot flatten a subquery with a ``LIMIT`` into the count, and
    reading 10,001 full rows took 97 ms where the index entries alone took 1.4 ms (a demo
    station's 52,000 incidents). O(min(matched, cap)) index entries."""
    sub = (
        query.order_by(None)
        .with_only_columns(literal_column("1"), maintain_column_froms=True)
        .limit(cap + 1)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(sub)) or 0)


class bytewise(FunctionElement[str]):  # noqa: N801 (an SQL construct, named as one)
    """A text column compared in byte (code point) order: ``col COLLATE "C"`` on PostgreSQL,
    the column itself on SQLite (whose default collation is already bytewise)."""

    type = String()
    inherit_cache = True
    name = "bytewise"


@compiles(bytewise)
def _bytewise_default(element: bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(bytewise, "postgresql")
def _bytewise_postgresql(element: bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


class _PlannerHint(FunctionElement[Any]):
    """A column wrapped for one database's planner, of the column's own type; compiled to the
    column itself unless a dialect says otherwise (the subclasses' ``@compiles``)."""

    inherit_cache = True

    @property
    def type(self) -> Any:  # type: ignore[override]
        return self.clauses.clauses[0].type


@compiles(_PlannerHint)
def _hint_default(element: _PlannerHint, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


class unindexed(_PlannerHint):  # noqa: N801 (an SQL construct, named as one)
    """A column that SQLite must not search by an index (``+col``), so that its planner, which
    has no statistics, follows the index of the ``ORDER BY`` instead: right when the filter
    keeps many rows, where sorting them all would cost more than scanning in order. Other
    databases plan from statistics and get the column as it is."""

    inherit_cache = True
    name = "unindexed"


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


class sorted_not_walked(_PlannerHint):  # noqa: N801 (an SQL construct, named as one)
    """A time column as a sort key no index serves (PostgreSQL: ``col + interval '0'``), for a
    page whose matches were counted few: the database must find them by the filter's index and
    sort them, and may not walk the time index hoping to meet them soon. PostgreSQL's estimate
    of a filter can be far off (a subtype common in the city and absent from one station: 0
    rows expected as 15,000), and with ``ORDER BY time LIMIT 50`` it then walked the whole time
    index, 1.6 s at 12.5 million rows, to return nothing. SQLite (steered by
    :class:`unindexed`) gets the column as it is."""

    inherit_cache = True
    name = "sorted_not_walked"


@compiles(sorted_not_walked, "postgresql")
def _sorted_postgresql(element: sorted_not_walked, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} + interval '0')"


def prefix_end(prefix: str) -> str:
    """The first string after every string that starts with ``prefix`` in byte order: the
    prefix with its last character moved one up (``/1/2/`` → ``/1/20``)."""
    if not prefix:
        raise ValueError("prefix: must not be empty")
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def prefix_match(column: Any, prefix: str, *, indexed: bool = True) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range an index can search:
    ``prefix <= column < prefix⁺`` (the last character moved one up) in byte order. The same
    rows as ``LIKE 'prefix%'``, which neither SQLite (case-insensitive ``LIKE``) nor
    PostgreSQL (a non-C collation, or a generic plan) answers from a B-tree index. On
    PostgreSQL the index must be on ``(column COLLATE "C")``. ``indexed=False``: see
    :class:`unindexed`."""
    upper = prefix_end(prefix)
    key: Any = bytewise(column)
    if not indexed:
        key = unindexed(key)
    return and_(key >= prefix, key < upper)
