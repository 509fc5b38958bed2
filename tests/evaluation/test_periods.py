"""Evaluation periods in local days."""

from __future__ import annotations

import datetime as dt

import pytest

from pingan.errors import Invalid
from pingan.evaluation.periods import parse_period


def test_labels_and_bounds() -> None:
    q = parse_period("2026q3")
    assert (q.label, q.first, q.last) == ("2026Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert q.start == dt.datetime(2026, 6, 30, 16, tzinfo=dt.UTC)  # local midnight, UTC+8
    assert q.end == dt.datetime(2026, 9, 30, 16, tzinfo=dt.UTC)
    assert parse_period("2026-02").last == dt.date(2026, 2, 28)
    assert parse_period("2026H2").first == dt.date(2026, 7, 1)
    assert parse_period("2026").last == dt.date(2026, 12, 31)
    assert q.shift(-1).label == "2026Q2" and q.shift(-3).label == "2025Q4"
    assert q.last_year().label == "2025Q3"
    c = parse_period("2026-07-01..2026-07-10")
    assert c.kind == "custom" and c.shift(-1).first == dt.date(2026, 6, 21)


@pytest.mark.parametrize(
    "text,match",
    [
        ("2026Q5", r"period: '2026Q5' is not a period; use 2026Q3, 2026-07"),
        ("2026-09-01..2026-08-01", "period: the end 2026-08-01 is before the start 2026-09-01"),
        ("2026-13", r"period: '2026-13' is not a valid period \(month must be in 1..12\)"),
        ("", "period: '' is not a period"),
    ],
)
def test_bad_periods_name_the_field(text: str, match: str) -> None:
    with pytest.raises(Invalid, match=match):
        parse_period(text)
