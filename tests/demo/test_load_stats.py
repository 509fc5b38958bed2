"""Loading the demo city leaves PostgreSQL with planner statistics of what it loaded."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from pingan.demo.city import build_city
from pingan.demo.load import load_city


def test_the_demo_load_leaves_statistics(own_engine: Engine) -> None:
    """The final ANALYZE is committed: one rolled back loses the statistics it wrote while the
    activity counters say it ran, so autovacuum would not analyze the tables again soon."""
    if own_engine.dialect.name != "postgresql":
        pytest.skip("planner statistics after the load are PostgreSQL's (pg_stats)")
    load_city(own_engine, build_city(), None)
    with own_engine.connect() as c:
        n = c.execute(
            text("SELECT count(*) FROM pg_stats WHERE tablename = 'jurisdictions'")
        ).scalar_one()
    assert n > 0
