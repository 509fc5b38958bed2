"""Keyset paging of the OGC items: a ``next`` link carries an opaque ``cursor``, the sort key
of the page's last row, and the next page starts after it by the collection's index.

A page at offset *k* walks and drops *k* rows first (519,032 incidents: the last page of
10,000 read half a million rows and held the worker's GIL for seconds); a page after a cursor
seeks the sort index to the key and reads ``limit`` rows, O(log n + limit), whatever its depth.
Rows inserted or deleted while a client pages do not shift the pages (no row read twice or
skipped for that reason, unlike offsets).

The cursor is ``base64url(JSON [value, ...])`` of the sort columns (a time as ISO 8601 text, an
id as an integer): opaque to clients, checked on the way in (a bad one is a 400 naming
``cursor``). ``offset`` still works, bounded by :data:`MAX_OFFSET`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from pingan.errors import Invalid

__all__ = ["MAX_OFFSET", "after", "decode_cursor", "encode_cursor"]

MAX_OFFSET = 100_000
"""The deepest ``offset`` served (ten pages of the largest size); deeper, the 400 says to follow
the ``next`` links, whose cursor costs the same at any depth."""

_BAD = "not a cursor of this collection: follow the next link as it is"


def encode_cursor(values: list[Any]) -> str:
    """The cursor text of a row's sort key ``values`` (datetimes and integers)."""
    plain = [v.isoformat() if isinstance(v, dt.datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, kinds: list[str]) -> list[Any]:
    """The sort key of ``text``; ``kinds``: ``"time"`` or ``"id"`` per sort column. A cursor
    that does not decode to that many values of those kinds is ``Invalid("cursor")``."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Invalid("cursor", _BAD) from None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise Invalid("cursor", _BAD)
    out: list[Any] = []
    for value, kind in zip(values, kinds, strict=True):
        if kind == "time":
            try:
                when = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                when = None
            if when is None or when.tzinfo is None:
                raise Invalid("cursor", _BAD)
            out.append(when)
        elif type(value) is int and 0 <= value <= 2**63 - 1:
            out.append(value)
        else:
            raise Invalid("cursor", _BAD)
    return out


def after(
    columns: list[InstrumentedAttribute[Any]], values: list[Any], *, descending: bool
) -> ColumnElement[bool]:
    """Rows after the key ``values`` in the order of ``columns`` (all descending or all
    ascending): one row-value comparison, a range of the sort index on SQLite and PostgreSQL."""
    cond: ColumnElement[bool]
    if len(columns) == 1:
        cond = columns[0] < values[0] if descending else columns[0] > values[0]
    else:
        key, at = tuple_(*columns), tuple(values)  # each value bound by its column's type
        cond = key < at if descending else key > at
    return cond
