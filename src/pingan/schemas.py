"""Schemas every domain shares: one page of a listing (:class:`Page` and :func:`paginate`) and
the reason given to reveal personal data (:class:`RevealIn`).

A domain names its page by subclassing, so the API definition keeps its schema names::

    class IncidentPage(Page[IncidentRead]):
        \"\"\"A page of incidents.\"\"\"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

__all__ = ["Page", "RevealIn", "paginate"]

T = TypeVar("T")
P = TypeVar("P", bound="Page[Any]")


class Page(BaseModel, Generic[T]):
    """One page of a listing: the items, how many match in all, and where the page is."""

    items: list[T]
    total: int
    limit: int
    offset: int


class RevealIn(BaseModel):
    """Why personal data (a caller, a premises contact, the parties of a dispute) is needed;
    written to the audit log with the view."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def paginate(
    session: Session,
    query: Select[Any],
    *,
    limit: int,
    offset: int,
    to: Callable[[Any], T],
    page: type[P],
    order_by: Any = None,
    count: Callable[[Session, Select[Any]], int] = _count,
) -> P:
    """The page of ``query`` at ``offset`` (``limit`` rows), each row turned by ``to``, and
    the total (``count``: a plain ``COUNT(*)`` over the query unless a domain has a faster
    one). ``order_by`` orders the page, not the count."""
    rows = session.scalars(
        (query if order_by is None else query.order_by(order_by)).limit(limit).offset(offset)
    ).all()
    return page(
        items=[to(r) for r in rows], total=count(session, query), limit=limit, offset=offset
    )
