"""Bounds every input shares: integers that fit the columns, text without NUL.

Every integer the API takes (an id in a path, an offset or a filter in a query, an id or a count
in a body) is stored in or compared with a 32-bit ``INTEGER`` column on PostgreSQL (SQLite's are
64-bit). A larger number made the driver fail (a 500) before any row was read, so each one is
declared with one of these types and refused with 422 naming the field; the OpenAPI document
shows the bound (``maximum``), and a test walks it so that no integer is left without one.

NUL (``\\u0000``) cannot be stored in a PostgreSQL text column and was kept as-is on SQLite;
``pingan.api.inputs.refuse_nul`` refuses it in every path, query, form and JSON value of every
request, and ``check_text`` does the same for the importers.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, TypeVar

import annotated_types as at
from pydantic import AfterValidator

__all__ = [
    "INT4_MAX",
    "Count",
    "Day",
    "Id",
    "Instant",
    "Offset",
    "check_instant",
    "check_text",
    "has_nul",
    "refuse_null",
]

T = TypeVar("T")

INT4_MAX = 2**31 - 1
"""The largest value of a PostgreSQL ``INTEGER`` column (every id and count in pingan)."""

Id = Annotated[int, at.Ge(1), at.Le(INT4_MAX)]
"""A row id: 1 to 2,147,483,647."""

Offset = Annotated[int, at.Ge(0), at.Le(INT4_MAX)]
"""A page offset or a keyset position: 0 to 2,147,483,647."""

Count = Annotated[int, at.Ge(0), at.Le(INT4_MAX)]
"""A count stored in an integer column: 0 to 2,147,483,647."""


def has_nul(text: str) -> bool:
    """Whether ``text`` holds a NUL character (refused: PostgreSQL cannot store it)."""
    return "\x00" in text


def check_text(field: str, text: str) -> str:
    """``text`` unchanged, or ``ValueError`` naming ``field`` if it holds a NUL character."""
    if has_nul(text):
        raise ValueError(f"{field}: contains a NUL character (\\u0000); remove it")
    return text


EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def check_instant(value: dt.datetime) -> dt.datetime:
    """``value`` if it lies in 1900-01-01 .. 9999-12-30 UTC, else ``ValueError``.

    ``0001-01-01T00:00:00+14:00`` is a valid RFC 3339 time whose UTC value lies before year 1:
    converting it, or taking ten minutes off it for the repeat-call window, overflowed (a 500).
    """
    if value.tzinfo is None:
        return value  # the service asks for a timezone, naming the field
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        utc = EARLIEST - dt.timedelta(days=1) if value.year < 5000 else LATEST
    if not EARLIEST <= utc < LATEST:
        raise ValueError("must lie between 1900-01-01 and 9999-12-30 (UTC)")
    return value


Instant = Annotated[dt.datetime, AfterValidator(check_instant)]

Day = Annotated[dt.date, at.Ge(dt.date(1900, 1, 1)), at.Le(dt.date(2100, 12, 31))]
"""A calendar day of the bureau's work: 1900-01-01 to 2100-12-31 (times computed from a day
far outside it overflowed, or were stored as NULL)."""
"""A date-time that converts to UTC and leaves room for the windows computed around it."""


def refuse_null(value: T | None) -> T:
    """``value``, or ``ValueError`` if it is ``None``: for fields of an update that may be left
    out but not set to null (their columns are NOT NULL)."""
    if value is None:
        raise ValueError("may not be null: leave the field out to keep its value")
    return value
