"""Declared state machines: allowed transitions in one table, enforced in one place.

Every workflow of pingan (incident lifecycle, instruction sign-off, disputes, ratings) declares
its states and transitions with :class:`StateMachine`; services call :meth:`StateMachine.check`
before changing a state, which raises :class:`pingan.errors.StateTransition` naming the allowed
targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pingan.errors import Invalid, StateTransition

__all__ = ["StateMachine"]


@dataclass(frozen=True)
class StateMachine:
    """A named workflow: ``transitions[state]`` is the tuple of states reachable from it."""

    name: str
    initial: str
    transitions: Mapping[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        targets = {t for ts in self.transitions.values() for t in ts}
        unknown = targets - set(self.transitions)
        if unknown:
            raise ValueError(f"{self.name}: transitions to undeclared states {sorted(unknown)}")
        if self.initial not in self.transitions:
            raise ValueError(f"{self.name}: initial state {self.initial!r} is not declared")

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
