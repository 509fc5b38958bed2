"""The warnings' alarms from the precomputed day counts are the warnings of the full
computation from every incident of the history: the same keys, figures and texts, by station
and by district, with partial first and last days (the period ends at a UTC midnight, 08:00 in
the bureau's zone)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pingan.aggregates.flows import aggregates_rebuild_flow
from pingan.audit.service import Actor
from pingan.auth.service import principal_for
from pingan.crime_analysis import data, flows, precomputed, service
from tests.crime_analysis.test_crime_analysis import END, _fill
from tests.factories import SmallCity


def _shown(warnings: list[Any]) -> list[dict[str, Any]]:
    return sorted((dataclasses.asdict(w) for w in warnings), key=lambda w: w["dedup_key"])


@pytest.mark.parametrize("by", ["station", "district"])
def test_alarms_from_the_counts_equal_the_full_computation(
    session: Session, city: SmallCity, by: str
) -> None:
    _fill(session, city, n_days=120)
    aggregates_rebuild_flow(session, actor=Actor.system("test"))
    p = principal_for(session, city.users["analyst"])
    since = END - dt.timedelta(days=flows.HISTORY_DAYS)
    full_frame = data.load_incidents(session, principal=p, since=since, until=END)
    as_of = flows.as_of_of(full_frame)
    full = service.warnings_for(session, full_frame, as_of=as_of, by=by, replications=199)
    counts = precomputed.warning_counts(session, p, since=since, until=END, by=by)
    assert counts is not None
    assert int(counts.n.sum()) == len(full_frame)
    assert counts.n.size < len(full_frame)  # entries per area, day and subtype
    recent = data.load_incidents(
        session, principal=p, since=END - dt.timedelta(days=flows.RECENT_DAYS), until=END
    )
    assert len(recent) < len(full_frame)
    assert flows.as_of_of(recent) == as_of
    fast = service.warnings_for(
        session, recent, as_of=as_of, by=by, replications=199, counts=counts
    )
    assert {w.kind for w in full} >= {"cusum"}
    assert _shown(fast) == _shown(full)


def test_no_counts_where_they_cannot_answer(session: Session, city: SmallCity) -> None:
    p = principal_for(session, city.users["analyst"])
    since, until = END - dt.timedelta(days=400), END
    # never built: the incidents are read
    assert precomputed.warning_counts(session, p, since=since, until=until, by="station") is None
    _fill(session, city, n_days=5)
    aggregates_rebuild_flow(session, actor=Actor.system("test"))
    # communities are not counted by day
    assert precomputed.warning_counts(session, p, since=since, until=until, by="community") is None
    chief = principal_for(session, city.users["chief0"])  # a station: no districts below it
    assert (
        precomputed.warning_counts(session, chief, since=since, until=until, by="district") is None
    )
    assert (
        precomputed.warning_counts(session, chief, since=since, until=until, by="station")
        is not None
    )
