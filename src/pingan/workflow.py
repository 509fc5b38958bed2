"""Declared state machines: allowed transitions in one table, enforced in one place.

Every workflow of pingan (incident lifecycle, instruction sign-off, disputes, ratings) declares
its states, transitions and the timestamp column each state stamps with :class:`StateMachine`.
Services move a row with :meth:`StateMachine.apply`, which checks the step (raising
:class:`pingan.errors.StateTransition` naming the allowed targets), sets the state, stamps the
state's timestamp and writes the timeline entry; :meth:`StateMachine.check` alone is for a step
that is only validated.

This module is pure: the timeline is any callable of the :class:`TimelineWriter` shape
(:class:`pingan.store.timeline.Timeline` writes it to a domain's event table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pingan.errors import Invalid, StateTransition

__all__ = ["StateMachine", "TimelineWriter"]


class TimelineWriter(Protocol):
    """Writes one timeline entry (a domain's event row)."""

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
    ) -> object: ...


@dataclass(frozen=True)
class StateMachine:
    """A named workflow: ``transitions[state]`` is the tuple of states reachable from it;
    ``stamps[state]`` names the timestamp attribute set when a row enters ``state``."""

    name: str
    initial: str
    transitions: Mapping[str, tuple[str, ...]]
    stamps: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        targets = {t for ts in self.transitions.values() for t in ts}
        unknown = targets - set(self.transitions)
        if unknown:
            raise ValueError(f"{self.name}: transitions to undeclared states {sorted(unknown)}")
        if self.initial not in self.transitions:
            raise ValueError(f"{self.name}: initial state {self.initial!r} is not declared")
        stray = set(self.stamps) - set(self.transitions)
        if stray:
            raise ValueError(f"{self.name}: timestamps of undeclared states {sorted(stray)}")

    @property
    def states(self) -> tuple[str, ...]:
        """Every declared state."""
        return tuple(self.transitions)

    @property
    def final_states(self) -> tuple[str, ...]:
        """States with no way out."""
        return tuple(s for s, ts in self.transitions.items() if not ts)

    def allowed(self, current: str) -> list[str]:
        """States reachable in one step from ``current``."""
        return list(self.transitions.get(current, ()))

    def check(self, current: str, target: str) -> None:
        """Raise unless ``current → target`` is declared."""
        if target not in self.transitions:
            raise Invalid(
                "to_state",
                f"{target!r} is not a {self.name} state; use one of {', '.join(self.states)}",
            )
        if target not in self.transitions.get(current, ()):
            raise StateTransition(self.name, current, target, self.allowed(current))

    def apply(
        self,
        obj: Any,
        target: str,
        *,
        at: dt.datetime,
        actor: int | None,
        note: str = "",
        timeline: TimelineWriter | None = None,
        kind: str = "transition",
        data: Mapping[str, Any] | None = None,
    ) -> str:
        """Move ``obj`` (anything with a ``state`` attribute) to ``target`` at ``at``.

        Checks the step (:meth:`check`), sets ``obj.state``, stamps the state's timestamp
        attribute (:attr:`stamps`) and writes one timeline entry of ``kind`` from the old to
        the new state by ``actor`` (a user id) with ``note`` and ``data``. Returns the state
        it left. The caller audits, and nothing is written if the step is not allowed.
        """
        previous: str = obj.state
        self.check(previous, target)
        obj.state = target
        column = self.stamps.get(target)
        if column is not None:
            setattr(obj, column, at)
        if timeline is not None:
            timeline(
                kind=kind,
                at=at,
                from_state=previous,
                to_state=target,
                actor_id=actor,
                note=note,
                data=data,
            )
        return previous
