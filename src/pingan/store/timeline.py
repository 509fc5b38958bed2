"""One shape for every timeline: the columns of an event table, and the writer of its rows.

Incidents, instructions and disputes keep a timeline each (``incident_events``,
``instruction_events``, ``dispute_events``): one row per transition, note, report or link, with
the same columns. :class:`TimelineEvent` declares them once; a domain's event model adds its
parent key (``incident_id`` …). :class:`Timeline` is the writer that
:meth:`pingan.workflow.StateMachine.apply` calls.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from pingan.store.base import UTCDateTime

__all__ = ["Timeline", "TimelineEvent", "event_data"]


class TimelineEvent:
    """Declarative mixin: the columns every timeline event table has.

    ``kind`` says what happened (``transition``, ``report``, ``note`` …); ``from_state`` and
    ``to_state`` are set for transitions; ``data`` is a JSON object of details.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="{}")


def event_data(data: Mapping[str, Any] | None) -> str:
    """The stored text of an event's ``data`` (``"{}"`` when there is none)."""
    return json.dumps(dict(data or {}), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class Timeline:
    """Writes entries of one row's timeline: ``Timeline(session, IncidentEvent,
    incident_id=inc.id)`` adds ``IncidentEvent`` rows keyed to the incident."""

    session: Session
    model: Callable[..., TimelineEvent]
    keys: Mapping[str, int | None]

    def __init__(
        self, session: Session, model: Callable[..., TimelineEvent], **keys: int | None
    ) -> None:
        object.__setattr__(self, "session", session)
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "keys", keys)

    def __call__(
        self,
        *,
        kind: str,
        at: dt.datetime,
        from_state: str | None = None,
        to_state: str | None = None,
        actor_id: int | None = None,
        note: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> TimelineEvent:
        """Add one entry to the session (the caller flushes and commits)."""
        event = self.model(
            **self.keys,
            at=at,
            kind=kind,
            from_state=from_state,
            to_state=to_state,
            actor_id=actor_id,
            note=note,
            data=event_data(data),
        )
        self.session.add(event)
        return event
