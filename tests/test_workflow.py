"""StateMachine: the one place that checks a step, sets the state, stamps it and writes the
timeline entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from pingan.errors import Invalid, StateTransition
from pingan.workflow import StateMachine

AT = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
FLOW = StateMachine(
    name="parcel",
    initial="new",
    transitions={"new": ("sent", "lost"), "sent": ("delivered",), "delivered": (), "lost": ()},
    stamps={"sent": "sent_at", "delivered": "delivered_at"},
)


@dataclass
class Parcel:
    state: str = "new"
    sent_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None


def test_apply_sets_the_state_stamps_it_and_writes_one_timeline_entry() -> None:
    p, written = Parcel(), list[dict[str, Any]]()

    def timeline(**kw: Any) -> None:
        written.append(kw)

    previous = FLOW.apply(p, "sent", at=AT, actor=7, note="by post", timeline=timeline)
    assert previous == "new"
    assert (p.state, p.sent_at, p.delivered_at) == ("sent", AT, None)
    assert written == [
        {
            "kind": "transition",
            "at": AT,
            "from_state": "new",
            "to_state": "sent",
            "actor_id": 7,
            "note": "by post",
            "data": None,
        }
    ]


def test_apply_of_a_state_without_timestamp_and_with_kind_and_data() -> None:
    p, written = Parcel(), list[dict[str, Any]]()
    FLOW.apply(
        p,
        "lost",
        at=AT,
        actor=None,
        kind="report",
        data={"n": 1},
        timeline=lambda **kw: written.append(kw),
    )
    assert (p.state, p.sent_at) == ("lost", None)
    assert written[0]["kind"] == "report" and written[0]["data"] == {"n": 1}


def test_a_step_not_allowed_changes_nothing_and_writes_nothing() -> None:
    p, written = Parcel(), list[dict[str, Any]]()
    with pytest.raises(StateTransition) as err:
        FLOW.apply(p, "delivered", at=AT, actor=1, timeline=lambda **kw: written.append(kw))
    assert err.value.message == "parcel cannot go from 'new' to 'delivered'; allowed: sent, lost"
    assert (p.state, p.delivered_at, written) == ("new", None, [])
    with pytest.raises(Invalid, match=r"'gone' is not a parcel state; use one of new, sent"):
        FLOW.apply(p, "gone", at=AT, actor=1)
    assert p.state == "new"


def test_stamps_of_undeclared_states_are_refused() -> None:
    with pytest.raises(ValueError, match=r"parcel: timestamps of undeclared states \['lots'\]"):
        StateMachine(name="parcel", initial="a", transitions={"a": ()}, stamps={"lots": "x"})
