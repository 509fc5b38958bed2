"""One timeline shape: the event tables of incidents, instructions and disputes share the
columns of TimelineEvent, and the Timeline writer stores a row in any of them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy.orm import Session

from pingan.disputes.models import DisputeEvent
from pingan.incidents.models import IncidentEvent
from pingan.instructions.models import InstructionEvent
from pingan.store.timeline import Timeline, TimelineEvent
from tests.factories import SmallCity, incident_row

SHARED = ("id", "at", "kind", "from_state", "to_state", "actor_id", "note", "data")


@pytest.mark.parametrize(
    ("model", "parent"),
    [
        (IncidentEvent, ["incident_id"]),
        (InstructionEvent, ["instruction_id", "recipient_id"]),
        (DisputeEvent, ["dispute_id"]),
    ],
)
def test_event_tables_have_the_shared_columns_and_their_parent_keys(
    model: type[TimelineEvent], parent: list[str]
) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    assert sorted(table.columns.keys()) == sorted([*SHARED, *parent])
    assert table.c.actor_id.foreign_keys and table.c.data.default.arg == "{}"


def test_timeline_writes_a_row_with_data_as_json(session: Session, city: SmallCity) -> None:
    at = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    lon, lat = city.cell_center(0)
    inc = incident_row(
        "T-TIMELINE-1",
        at,
        lon=lon,
        lat=lat,
        priority=3,
        source="patrol",
        state="received",
        jpath=city.cells[0].path,
    )
    session.add(inc)
    session.flush()
    ev = Timeline(session, IncidentEvent, incident_id=inc.id)(
        kind="note", at=at, note="居民回访", data={"说明": "已回访"}
    )
    session.flush()
    stored = session.get(IncidentEvent, ev.id)
    assert stored is not None and stored.incident_id == inc.id and stored.at == at
    assert json.loads(stored.data) == {"说明": "已回访"} and "已回访" in stored.data
    empty = Timeline(session, IncidentEvent, incident_id=inc.id)(kind="note", at=at)
    session.flush()
    assert empty.data == "{}" and empty.note == ""
