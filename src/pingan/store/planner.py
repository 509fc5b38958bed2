"""How PostgreSQL plans pingan's hot searches: whether a prepared search is planned with its
values at each call or may settle on a generic plan, a new table's background ANALYZE, and
searches over latitude bands (one index seek per band, joined by UNION ALL).

A prepared statement settles on a generic plan at its sixth call on a connection and keeps it
until the table is analyzed again. Made without statistics it was seen to take the wrong
index; made from the statistics of a nearly empty table, 0.7 ms a search at a few thousand
rows. Made from statistics of at least :data:`GENERIC_PLAN_MIN_ROWS` rows it was the band seeks
at every size tried, also on a table grown 30 times past its statistics, and saves the
0.3-2 ms that planning each call costs. So :func:`plan_each_call` says "plan with the values"
while a table is new, and has it analyzed in the background (:func:`analyze_soon`); after that,
fresher statistics are autovacuum's to make: each ANALYZE makes every connection plan its
statements again, a 40-60 ms bump in the latency of a busy server.

Storage machinery only: no domain module is imported; the domain says which table and what
one band's branch selects (see :mod:`pingan.incidents.service`).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import CompoundSelect, Connection, Engine, Select, text, union_all

from pingan.store.driver import DriverStatement
from pingan.store.engine import analyze_soon

__all__ = [
    "GENERIC_PLAN_MIN_ROWS",
    "SEARCH_STATS_TARGET",
    "STATS_TTL_S",
    "STATS_TTL_SMALL_S",
    "BandedSearch",
    "custom_plans",
    "lat_band",
    "plan_each_call",
]

STATS_TTL_S = 10.0
"""How long a reading of a table's statistics state is trusted, per engine."""
SEARCH_STATS_TARGET = 10
"""The statistics target pingan's own ANALYZE samples at: 3,000 rows, enough to choose a
search's plan, and a short pause on a server busy taking calls (27 ms on 12,000 rows, against
150 ms at the default target). The whole table, not the search's columns only: PostgreSQL
resets the count of rows changed since the last ANALYZE only after a whole-table one, and that
count is what says the table has grown. Autovacuum, when on, refreshes them at the full
target."""
STATS_TTL_SMALL_S = 1.0
"""The same while the search is planned at every call: a new table is analyzed soon after it
has grown past :data:`GENERIC_PLAN_MIN_ROWS`."""
GENERIC_PLAN_MIN_ROWS = 1000
"""Below this many rows (as last analyzed) a search is planned at every call: a generic plan
made from the statistics of a nearly empty table took 0.7 ms a search once the table had
grown to a few thousand rows (the band seeks take 0.04 ms)."""
_STATS_STATE = text(
    "SELECT c.reltuples AS tuples, "
    # a partitioned table (incidents, migration 0031) counts no changes of its own: its
    # partitions' changes are its changes
    "s.n_mod_since_analyze + coalesce((SELECT sum(p.n_mod_since_analyze) "
    "FROM pg_inherits i JOIN pg_stat_user_tables p ON p.relid = i.inhrelid "
    "WHERE i.inhparent = c.oid), 0) AS changed, "
    "coalesce(s.last_analyze, s.last_autoanalyze) IS NOT NULL AS analyzed "
    "FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
    "WHERE c.oid = to_regclass(CAST(:table AS text))"
)
_PLAN_EACH_CALL: weakref.WeakKeyDictionary[Engine, dict[str, tuple[float, bool]]] = (
    weakref.WeakKeyDictionary()
)


def plan_each_call(conn: Connection, table: str) -> bool:
    """Whether PostgreSQL should plan a search of ``table`` with its values at each call: yes
    until the table has been analyzed with at least :data:`GENERIC_PLAN_MIN_ROWS` rows. Read
    at most every :data:`STATS_TTL_S` seconds per engine and table (:data:`STATS_TTL_SMALL_S`
    while the answer is yes). While the table is new (never analyzed, or analyzed small and
    grown by half since), :func:`pingan.store.engine.analyze_soon` has it analyzed in the
    background and the next call reads the state again. Always False on SQLite."""
    if conn.dialect.name != "postgresql":
        return False
    now = time.monotonic()
    seen = _PLAN_EACH_CALL.get(conn.engine, {}).get(table)
    if seen is not None and now - seen[0] < (STATS_TTL_SMALL_S if seen[1] else STATS_TTL_S):
        return seen[1]
    row = conn.execute(_STATS_STATE, {"table": table}).one_or_none()
    each = row is None or not row.analyzed or float(row.tuples) < GENERIC_PLAN_MIN_ROWS
    engine = conn.engine
    _PLAN_EACH_CALL.setdefault(engine, {})[table] = (now, each)
    if (
        each
        and row is not None
        and (not row.analyzed or row.changed > 0.5 * max(float(row.tuples), 0.0))
    ):
        # a new table: do not wait for autovacuum (which may be slow to come, or off); a plan
        # made with its statistics replaces the planning at every call within seconds
        analyze_soon(
            engine,
            table,
            statistics_target=SEARCH_STATS_TARGET,
            then=lambda: _PLAN_EACH_CALL.get(engine, {}).pop(table, None),
        )
    return each


_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


def custom_plans(conn: Connection) -> None:
    """Have PostgreSQL plan the statements of ``conn``'s transaction with their values, never by
    a generic plan (``SET LOCAL plan_cache_mode``; nothing on SQLite). For reads whose best
    index depends on the values: psycopg prepares a statement run five times on a connection,
    and PostgreSQL may then settle on a generic plan estimated without them. The OGC items of a
    city's bbox over 30 days on one plain table settled on walking the time index: 10 ms a page
    set with their values, 95-180 ms by the generic plan at 1 M incidents, seconds at 10 M
    (docs/benchmarks.md). One round trip; the setting ends with the transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(_CUSTOM_PLANS)


def lat_band(lat: float, dialect: str) -> int:
    """The latitude band of ``lat`` as the database computes a ``lat_band`` column (migration
    0008): ``CAST(lat * 1000 AS INTEGER)``, which SQLite truncates toward zero and PostgreSQL
    rounds half to even (as Python's ``round``). Monotone in ``lat`` on both."""
    x = lat * 1000
    return round(x) if dialect == "postgresql" else int(x)


class BandedSearch:
    """A search over the latitude bands a box spans: one branch per band, joined by UNION ALL,
    each an equality on the band (bound as ``b0``, ``b1``, …) that a plan made with statistics
    serves by one index seek. A single ``band IN (...)`` left PostgreSQL free to scan every
    entry of the other keys and filter the bands (it did, once the table had statistics and
    the values lay past their histogram).

    ``branch(i)`` builds the branch of the ``i``-th band; the union and its driver statement
    are built once per band count, so each call binds values only.
    """

    def __init__(self, branch: Callable[[int], Select[Any]]) -> None:
        self.branch = branch
        self._unions: dict[int, CompoundSelect[Any]] = {}
        self._drivers: dict[int, DriverStatement] = {}

    def statement(self, n_bands: int) -> CompoundSelect[Any]:
        """The union over ``n_bands`` bands (built once per band count)."""
        cached = self._unions.get(n_bands)
        if cached is None:
            cached = self._unions[n_bands] = union_all(*(self.branch(i) for i in range(n_bands)))
        return cached

    def send(
        self,
        conn: Connection,
        params: dict[str, Any],
        *,
        lat0: float,
        lat1: float,
        prepare: bool | None,
    ) -> tuple[DriverStatement, Any]:
        """Send the search over the bands of ``lat0``..``lat1`` with ``params`` (the bands'
        values are added); read it with :meth:`rows`. ``prepare`` is psycopg's: False while
        :func:`plan_each_call` says so, else None (prepared after a few calls)."""
        dialect = conn.dialect.name
        b0, b1 = lat_band(lat0, dialect), lat_band(lat1, dialect)
        for i, b in enumerate(range(b0, b1 + 1)):
            params[f"b{i}"] = b
        n = b1 - b0 + 1
        stmt = self._drivers.get(n)
        if stmt is None:
            stmt = self._drivers[n] = DriverStatement(self.statement(n))
        return stmt, stmt.execute(conn, params, prepare=prepare)

    @staticmethod
    def rows(conn: Connection, sent: tuple[DriverStatement, Any]) -> list[tuple[Any, ...]]:
        """The rows of a search sent by :meth:`send`."""
        stmt, cur = sent
        return stmt.rows(conn, cur)
