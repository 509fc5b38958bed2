"""PostgreSQL at province size: ``incidents`` partitioned by month of ``reported_at``.

Opt-in, for a province department's database (tens of millions of incidents): with
``PINGAN_PARTITION_INCIDENTS=1`` migration ``0031_partitions`` runs :func:`convert`, and
``pingan db partitions --convert`` / ``--unconvert`` run :func:`convert` / :func:`unconvert` on an
existing database; by default ``incidents`` stays one plain table (a city bureau's writes stay
as fast as before). Converted, ``incidents`` is a declaratively partitioned table
(``PARTITION BY RANGE (reported_at)``): one partition a month, ``incidents_pYYYY_MM``, created
ahead by the scheduler's ``partitions`` job, and ``incidents_default`` for any date outside them
(an odd date never fails a write). SQLite keeps the one plain table; the models are the same.

PostgreSQL wants a partitioned table's primary and unique keys to include the partition key, and a
foreign key to point at a unique key. So (design (a) of issue 25, see ``docs/deployment.md``):

* ``incidents`` has the primary key ``(id, reported_at)``; its indexes are the same as before
  (each partition has its own, so a read pruned to a few months walks a few small trees);
* ``incident_keys (id PK, code UNIQUE, (dataset, external_id) UNIQUE, reported_at)`` is a small,
  unpartitioned table that keeps ``id``, ``code`` and ``(dataset, external_id)`` unique across
  every partition, under the constraint names the plain table had;
* every foreign key that pointed at ``incidents.id`` (timeline, idempotency keys, assignments,
  citizens' reports, instructions, disputes, ``repeat_of_id``) points at ``incident_keys.id``,
  with the same ``ON DELETE`` rule, and ``incidents.id`` itself at ``incident_keys.id``
  (``ON DELETE CASCADE``);
* triggers keep the key table in step inside the writing statement: a ``BEFORE INSERT`` row
  adds the key (a duplicate ``code`` or ``(dataset, external_id)`` fails the insert), a
  ``BEFORE UPDATE`` of those columns or of ``reported_at`` changes it, and an ``AFTER DELETE``
  removes it, which cascades to the timeline, keys, assignments… as the plain table did.

A row whose ``reported_at`` changes month moves partition (PostgreSQL deletes and inserts it);
the key was changed by the ``BEFORE UPDATE`` trigger, so the delete trigger sees a key with the
new time and keeps it. Rows are moved out of the default partition (when a month is created
after rows of it arrived there) with ``pingan.moving_partition`` set, so the delete trigger
leaves their keys alone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

__all__ = [
    "AHEAD_MONTHS",
    "DEFAULT_PARTITION",
    "Partition",
    "convert",
    "ensure_partitions",
    "is_partitioned",
    "list_partitions",
    "month_of",
    "partition_name",
    "unconvert",
]

AHEAD_MONTHS = 3
"""Months created ahead of the current one (the scheduler runs daily; three months ahead leave
room for a quarter of missed runs before a write falls into the default partition)."""

DEFAULT_PARTITION = "incidents_default"
PARENT = "incidents"
KEYS = "incident_keys"
_NAME = re.compile(r"^incidents_p(\d{4})_(\d{2})$")

REFERENCING: tuple[tuple[str, str, str, str | None], ...] = (
    # (table, column, constraint name, ON DELETE)
    ("incidents", "repeat_of_id", "fk_incidents_repeat_of_id_incidents", None),
    ("incident_events", "incident_id", "fk_incident_events_incident_id_incidents", "CASCADE"),
    ("idempotency_keys", "incident_id", "fk_idempotency_keys_incident_id_incidents", "CASCADE"),
    ("assignments", "incident_id", "fk_assignments_incident_id_incidents", "CASCADE"),
    ("citizen_reports", "incident_id", "fk_citizen_reports_incident_id_incidents", "CASCADE"),
    ("instructions", "incident_id", "fk_instructions_incident_id_incidents", None),
    ("disputes", "incident_id", "fk_disputes_incident_id_incidents", None),
)
"""Every foreign key onto an incident's id, by the names the models give them."""

UNIQUES: tuple[tuple[str, str], ...] = (
    ("uq_incidents_code", "code"),
    ("uq_incidents_dataset_external", "dataset, external_id"),
)

TRIGGERS_SQL = """
CREATE OR REPLACE FUNCTION pingan_incident_key_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- a row moving partition (its reported_at changed month) finds the key the BEFORE UPDATE
    -- trigger already changed; any other insert adds its key (duplicates fail here)
    IF NOT EXISTS (
        SELECT 1 FROM incident_keys k
        WHERE k.id = NEW.id AND k.code = NEW.code AND k.reported_at = NEW.reported_at
    ) THEN
        INSERT INTO incident_keys (id, code, dataset, external_id, reported_at)
        VALUES (NEW.id, NEW.code, NEW.dataset, NEW.external_id, NEW.reported_at);
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION pingan_incident_key_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'an incident''s id cannot change' USING ERRCODE = 'check_violation';
    END IF;
    UPDATE incident_keys
    SET code = NEW.code, dataset = NEW.dataset, external_id = NEW.external_id,
        reported_at = NEW.reported_at
    WHERE id = OLD.id;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION pingan_incident_key_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('pingan.moving_partition', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    -- a key whose time differs belongs to the same incident moved to another partition
    DELETE FROM incident_keys WHERE id = OLD.id AND reported_at = OLD.reported_at;
    RETURN NULL;
END $$;

CREATE TRIGGER incident_key_insert BEFORE INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION pingan_incident_key_insert();
CREATE TRIGGER incident_key_update BEFORE UPDATE OF id, code, dataset, external_id, reported_at
    ON incidents FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.code IS DISTINCT FROM NEW.code
          OR OLD.dataset IS DISTINCT FROM NEW.dataset
          OR OLD.external_id IS DISTINCT FROM NEW.external_id
          OR OLD.reported_at IS DISTINCT FROM NEW.reported_at)
    EXECUTE FUNCTION pingan_incident_key_update();
CREATE TRIGGER incident_key_delete AFTER DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION pingan_incident_key_delete();
"""


@dataclass(frozen=True)
class Partition:
    """One partition of ``incidents``: its name, the month range (``None`` for the default)
    and the planner's estimate of its rows."""

    name: str
    lower: dt.datetime | None
    upper: dt.datetime | None
    rows: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "from": self.lower.isoformat() if self.lower else None,
            "to": self.upper.isoformat() if self.upper else None,
            "rows": self.rows,
        }


def month_of(at: dt.datetime | dt.date) -> dt.date:
    """The first day of ``at``'s month (UTC for datetimes)."""
    if isinstance(at, dt.datetime):
        at = at.astimezone(dt.UTC).date() if at.tzinfo else at.date()
    return at.replace(day=1)


def _next(month: dt.date, n: int = 1) -> dt.date:
    y, m = divmod(month.month - 1 + n, 12)
    return dt.date(month.year + y, m + 1, 1)


def partition_name(month: dt.date) -> str:
    """``incidents_pYYYY_MM``."""
    return f"incidents_p{month.year:04d}_{month.month:02d}"


def _bound(month: dt.date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def is_partitioned(conn: Connection) -> bool:
    """Whether ``incidents`` is a partitioned table (PostgreSQL after migration 0031)."""
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass('incidents')")
    ).scalar()
    return kind == "p"


def list_partitions(conn: Connection) -> list[Partition]:
    """The partitions of ``incidents``, the months in order then the default; ``[]`` when the
    table is not partitioned (SQLite)."""
    if not is_partitioned(conn):
        return []
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'incidents'::regclass"
        )
    ).all()
    out: list[Partition] = []
    for name, _bound_sql, tuples in rows:
        m = _NAME.match(name)
        n = max(int(tuples), 0)
        if m:
            lower = dt.datetime(int(m[1]), int(m[2]), 1, tzinfo=dt.UTC)
            upper_d = _next(lower.date())
            upper = dt.datetime(upper_d.year, upper_d.month, 1, tzinfo=dt.UTC)
            out.append(Partition(name, lower, upper, n))
        else:
            out.append(Partition(name, None, None, n))
    out.sort(key=lambda p: (p.lower is None, p.lower or dt.datetime.min.replace(tzinfo=dt.UTC)))
    return out


def _has_default(conn: Connection) -> bool:
    return conn.execute(text(f"SELECT to_regclass('{DEFAULT_PARTITION}')")).scalar() is not None


def _create_month(conn: Connection, month: dt.date) -> int:
    """Create the month's partition; rows of that month already in the default partition move
    into it (their keys and referencing rows untouched). Answers the rows moved."""
    name, lo, hi = partition_name(month), _bound(month), _bound(_next(month))
    moved = 0
    if _has_default(conn):
        moved = int(
            conn.execute(
                text(
                    f"SELECT count(*) FROM {DEFAULT_PARTITION} "
                    "WHERE reported_at >= CAST(:lo AS timestamptz) "
                    "AND reported_at < CAST(:hi AS timestamptz)"
                ),
                {"lo": lo, "hi": hi},
            ).scalar_one()
        )
    if not moved:
        conn.execute(
            text(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM ('{lo}') TO ('{hi}')")
        )
        return 0
    # the default partition holds rows of the month: PostgreSQL refuses the new partition until
    # they leave it; they go to a table of the same shape that then joins as the partition
    cols = _stored_columns(conn)
    conn.execute(text("SELECT set_config('pingan.moving_partition', 'on', true)"))
    conn.execute(
        text(
            f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING GENERATED "
            "INCLUDING STORAGE)"
        )
    )
    conn.execute(
        text(
            f"WITH gone AS (DELETE FROM {DEFAULT_PARTITION} "
            "WHERE reported_at >= CAST(:lo AS timestamptz) "
            "AND reported_at < CAST(:hi AS timestamptz) RETURNING *) "
            f"INSERT INTO {name} ({cols}) SELECT {cols} FROM gone"
        ),
        {"lo": lo, "hi": hi},
    )
    conn.execute(
        text(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ('{lo}') TO ('{hi}')")
    )
    conn.execute(text("SELECT set_config('pingan.moving_partition', 'off', true)"))
    return moved


def _stored_columns(conn: Connection, table: str = PARENT) -> str:
    """The table's columns a row is written with (not the generated ``lat_band``)."""
    names = conn.execute(
        text(
            "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) "
            "AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum"
        ),
        {"t": table},
    ).scalars()
    return ", ".join(f'"{n}"' for n in names)


def ensure_partitions(
    conn: Connection,
    *,
    now: dt.datetime,
    ahead: int = AHEAD_MONTHS,
    since: dt.date | None = None,
) -> dict[str, Any]:
    """The month partitions from ``since`` (default: ``now``'s month) to ``ahead`` months after
    ``now``'s, and the default partition, created where missing. Idempotent: a second call
    creates nothing. Answers ``{"created": [names], "moved": rows, "partitions": n}`` (nothing
    on an unpartitioned table)."""
    if not is_partitioned(conn):
        return {"created": [], "moved": 0, "partitions": 0, "partitioned": False}
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('pingan.partitions'))"))
    have = {p.name for p in list_partitions(conn)}
    created: list[str] = []
    moved = 0
    if DEFAULT_PARTITION not in have:
        conn.execute(text(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {PARENT} DEFAULT"))
        created.append(DEFAULT_PARTITION)
    month = month_of(since) if since else month_of(now)
    last = _next(month_of(now), ahead)
    while month <= last:
        name = partition_name(month)
        if name not in have:
            moved += _create_month(conn, month)
            created.append(name)
        month = _next(month)
    return {
        "created": created,
        "moved": moved,
        "partitions": len(have) + len(created),
        "partitioned": True,
    }


def convert(conn: Connection, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Turn the plain ``incidents`` table, with its rows, into the partitioned layout (the
    upgrade of migration 0031, PostgreSQL only; idempotent)."""
    if conn.dialect.name != "postgresql" or is_partitioned(conn):
        return {"converted": False}
    now = now or dt.datetime.now(dt.UTC)
    x = conn.execute
    first, n = x(text("SELECT min(reported_at), count(*) FROM incidents")).one()
    # the plain table's secondary indexes, re-made on the partitioned one by the same names
    indexdefs = list(
        x(
            text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = 'incidents'::regclass AND NOT indisprimary AND NOT indisunique"
            )
        ).all()
    )
    for table, _col, fk, _rule in REFERENCING:
        x(text(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {fk}"))
    x(text("ALTER TABLE incidents RENAME TO incidents_unpartitioned"))
    for name, _ddl in indexdefs:
        x(text(f'ALTER INDEX "{name}" RENAME TO "{name}_old"'))
    for name, _cols in UNIQUES:
        x(text(f"ALTER TABLE incidents_unpartitioned RENAME CONSTRAINT {name} TO {name}_old"))
    x(
        text(
            "ALTER TABLE incidents_unpartitioned RENAME CONSTRAINT pk_incidents TO pk_incidents_old"
        )
    )
    # the keys: unique across every partition, the target of every foreign key
    x(
        text(
            f"CREATE TABLE {KEYS} ("
            "id integer NOT NULL, code varchar(40) NOT NULL, dataset varchar(40), "
            "external_id varchar(80), reported_at timestamptz NOT NULL, "
            "CONSTRAINT pk_incident_keys PRIMARY KEY (id), "
            + ", ".join(f"CONSTRAINT {name} UNIQUE ({cols})" for name, cols in UNIQUES)
            + ")"
        )
    )
    x(
        text(
            f"INSERT INTO {KEYS} (id, code, dataset, external_id, reported_at) "
            "SELECT id, code, dataset, external_id, reported_at FROM incidents_unpartitioned"
        )
    )
    x(
        text(
            "CREATE TABLE incidents (LIKE incidents_unpartitioned INCLUDING DEFAULTS "
            "INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS) "
            "PARTITION BY RANGE (reported_at)"
        )
    )
    x(text("ALTER SEQUENCE incidents_id_seq OWNED BY incidents.id"))
    since = month_of(first) if first is not None else None
    ensure_partitions(conn, now=now, since=since)
    cols = _stored_columns(conn)
    if n:
        x(
            text(
                f"INSERT INTO incidents ({cols}) SELECT {cols} FROM incidents_unpartitioned "
                "ORDER BY reported_at"
            )
        )
    # foreign keys of the plain table (users, jurisdictions) come along by name
    fks = x(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'incidents_unpartitioned'::regclass AND contype = 'f' "
            "AND confrelid <> 'incidents_unpartitioned'::regclass"
        )
    ).all()
    x(text("DROP TABLE incidents_unpartitioned"))
    x(text("ALTER TABLE incidents ADD CONSTRAINT pk_incidents PRIMARY KEY (id, reported_at)"))
    # the repeat-call search's index first: a new month's partition copies the indexes in this
    # order, and on a partition without statistics the planner keeps the first of two indexes
    # it costs alike (the band seek is the one the search wants, see tests/incidents)
    indexdefs.sort(key=lambda d: (d[0] != "ix_incidents_repeat_band", d[0]))
    for _name, ddl in indexdefs:
        x(text(ddl))  # read before the rename: "ON public.incidents"
    for name, ddl in fks:
        x(text(f"ALTER TABLE incidents ADD CONSTRAINT {name} {ddl}"))
    x(
        text(
            f"ALTER TABLE incidents ADD CONSTRAINT fk_incidents_id_incident_keys "
            f"FOREIGN KEY (id) REFERENCES {KEYS} (id) ON DELETE CASCADE"
        )
    )
    for table, col, fk, rule in REFERENCING:
        on_delete = f" ON DELETE {rule}" if rule else ""
        x(
            text(
                f"ALTER TABLE {table} ADD CONSTRAINT {fk} FOREIGN KEY ({col}) "
                f"REFERENCES {KEYS} (id){on_delete}"
            )
        )
    x(text(TRIGGERS_SQL))
    if n:  # the months' statistics; an empty table stays "never analyzed", as a new one is
        x(text(f"ANALYZE {KEYS}"))
        x(text("ANALYZE incidents"))
    return {"converted": True, "rows": int(n)}


def unconvert(conn: Connection) -> dict[str, Any]:
    """The partitioned layout back into one plain table with its rows (the downgrade)."""
    if not is_partitioned(conn):
        return {"converted": False}
    x = conn.execute
    indexdefs = list(
        x(
            text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = 'incidents'::regclass AND NOT indisprimary AND NOT indisunique"
            )
        ).all()
    )
    fks = x(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'incidents'::regclass AND contype = 'f' "
            "AND confrelid NOT IN ('incident_keys'::regclass)"
        )
    ).all()
    for table, _col, fk, _rule in REFERENCING:
        x(text(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {fk}"))
    x(text("ALTER TABLE incidents RENAME TO incidents_partitioned"))
    x(text("ALTER TABLE incidents_partitioned DROP CONSTRAINT pk_incidents"))
    for name, _ddl in indexdefs:
        x(text(f'DROP INDEX "{name}"'))
    x(
        text(
            "CREATE TABLE incidents (LIKE incidents_partitioned INCLUDING DEFAULTS "
            "INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS)"
        )
    )
    x(text("ALTER SEQUENCE incidents_id_seq OWNED BY incidents.id"))
    cols = _stored_columns(conn)
    x(text(f"INSERT INTO incidents ({cols}) SELECT {cols} FROM incidents_partitioned"))
    x(text("DROP TABLE incidents_partitioned CASCADE"))
    x(text(f"DROP TABLE {KEYS} CASCADE"))
    x(text("DROP FUNCTION pingan_incident_key_insert()"))
    x(text("DROP FUNCTION pingan_incident_key_update()"))
    x(text("DROP FUNCTION pingan_incident_key_delete()"))
    x(text("ALTER TABLE incidents ADD CONSTRAINT pk_incidents PRIMARY KEY (id)"))
    for name, cols_ in UNIQUES:
        x(text(f"ALTER TABLE incidents ADD CONSTRAINT {name} UNIQUE ({cols_})"))
    for _name, ddl in indexdefs:
        x(text(ddl.replace("ON ONLY public.incidents ", "ON public.incidents ")))
    for name, ddl in fks:
        x(text(f"ALTER TABLE incidents ADD CONSTRAINT {name} {ddl}"))
    for table, col, fk, rule in REFERENCING:
        on_delete = f" ON DELETE {rule}" if rule else ""
        x(
            text(
                f"ALTER TABLE {table} ADD CONSTRAINT {fk} FOREIGN KEY ({col}) "
                f"REFERENCES incidents (id){on_delete}"
            )
        )
    return {"converted": True}
