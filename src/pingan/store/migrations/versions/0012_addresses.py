"""Standard addresses and the geocoder's search indexes.

``addresses`` gets the parts of a door plate (road, door number, building, unit) and a
(lat, lon) index for reverse geocoding. ``geocode_names`` is the gazetteer the geocoder searches
(door plates, premises, roads, junctions; :mod:`pingan.geocoding.models`); its ``key`` column
(the normalised name, :func:`pingan.geocoding.normalize.search_key`) carries a substring index:

* SQLite: an external-content FTS5 table ``geocode_fts`` with the trigram tokenizer. Triggers
  take deleted and changed names out of it; new names are added by their writer in one
  ``INSERT … SELECT`` after a bulk insert (:func:`pingan.geocoding.service.write_names`; a
  trigger per inserted row made 150,000 names take 20 s instead of 2 s).
* PostgreSQL: a GIN ``gin_trgm_ops`` index, after ``CREATE EXTENSION IF NOT EXISTS pg_trgm``,
  with ``fastupdate = off``: the demo's 18,600 names added after the door plates sat in the
  index's pending list, which every search reads in full (14.6 ms a search instead of 0.15).
  If the role may not create the extension, the migration goes on without the index (the
  geocoder then scans, correctly but slower) and says so in a warning.

Premises names are searchable places: triggers on ``premises`` insert and update their gazetteer
row (a deleted premises takes its row along by ``ON DELETE CASCADE``), so every writer (the API,
the demo's bulk COPY, imports) keeps it in step. The triggers compute the key with the same
removals as the Python code (``SQL_REMOVALS``, repeated here so that this migration does not
change when the application does).

Revision ID: 0012_addresses
Revises: 0011_dispatch
Create Date: 2026-12-06 23:00:00
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_addresses"
down_revision: str | None = "0011_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# keep in step with pingan.geocoding.normalize.SQL_REMOVALS
_REMOVALS = ("交叉口", "路口", "路", "街", "巷", "与", " ", "·", "(", ")", "（", "）")


def _key(column: str) -> str:
    expr = f"lower({column})"
    for word in _REMOVALS:
        expr = f"replace({expr}, '{word}', '')"
    return expr


_PREMISES_ROW = (
    "'premises', NEW.name, {key}, NEW.lon, NEW.lat, NEW.jurisdiction_id, NEW.jpath, NEW.id"
).format(key=_key("NEW.name"))
_COLS = "kind, label, key, lon, lat, jurisdiction_id, jpath, premises_id"
_FTS_PREMISES = (
    "INSERT INTO geocode_fts(rowid, key) SELECT id, key FROM geocode_names "
    "WHERE premises_id = NEW.id;"
)


def upgrade() -> None:
    op.add_column("addresses", sa.Column("road_zh", sa.String(length=100), nullable=True))
    op.add_column("addresses", sa.Column("door_no", sa.String(length=20), nullable=True))
    op.add_column("addresses", sa.Column("building", sa.String(length=40), nullable=True))
    op.add_column("addresses", sa.Column("unit", sa.String(length=40), nullable=True))
    op.create_index("ix_addresses_lat_lon", "addresses", ["lat", "lon"])
    op.create_table(
        "geocode_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("premises_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["addresses.id"],
            name=op.f("fk_geocode_names_address_id_addresses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_geocode_names_premises_id_premises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geocode_names")),
    )
    for col in ("kind", "address_id", "premises_id"):
        op.create_index(f"ix_geocode_names_{col}", "geocode_names", [col])
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE geocode_fts USING fts5("
        "key, content='geocode_names', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER geocode_names_ad AFTER DELETE ON geocode_names BEGIN "
        "INSERT INTO geocode_fts(geocode_fts, rowid, key) VALUES ('delete', old.id, old.key); END"
    )
    op.execute(
        "CREATE TRIGGER geocode_names_au AFTER UPDATE ON geocode_names BEGIN "
        "INSERT INTO geocode_fts(geocode_fts, rowid, key) VALUES ('delete', old.id, old.key); "
        "INSERT INTO geocode_fts(rowid, key) VALUES (new.id, new.key); END"
    )
    op.execute(
        "CREATE TRIGGER premises_geocode_ai AFTER INSERT ON premises BEGIN "
        f"INSERT INTO geocode_names ({_COLS}) VALUES ({_PREMISES_ROW}); {_FTS_PREMISES} END"
    )
    op.execute(
        "CREATE TRIGGER premises_geocode_au AFTER UPDATE OF name, lon, lat, jurisdiction_id, "
        "jpath ON premises BEGIN "
        "DELETE FROM geocode_names WHERE premises_id = OLD.id; "
        f"INSERT INTO geocode_names ({_COLS}) VALUES ({_PREMISES_ROW}); {_FTS_PREMISES} END"
    )


def _upgrade_postgresql() -> None:
    bind = op.get_bind()
    has_trgm = False
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        has_trgm = True
    except sa.exc.DBAPIError as exc:
        warnings.warn(
            "pg_trgm could not be created (ask the database owner to run CREATE EXTENSION "
            f"pg_trgm); the geocoder will scan instead of using an index: {exc.orig}",
            stacklevel=1,
        )
    if has_trgm:
        op.execute(
            "CREATE INDEX ix_geocode_names_key_trgm ON geocode_names "
            "USING gin (key gin_trgm_ops) WITH (fastupdate = off)"
        )
    op.execute(
        "CREATE FUNCTION premises_geocode() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'UPDATE' THEN DELETE FROM geocode_names WHERE premises_id = OLD.id; END IF; "
        f"INSERT INTO geocode_names ({_COLS}) VALUES ({_PREMISES_ROW}); "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER premises_geocode_aiu AFTER INSERT OR UPDATE OF name, lon, lat, "
        "jurisdiction_id, jpath ON premises FOR EACH ROW EXECUTE FUNCTION premises_geocode()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS premises_geocode_aiu ON premises")
        op.execute("DROP FUNCTION IF EXISTS premises_geocode()")
    else:
        for trig in ("premises_geocode_ai", "premises_geocode_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trig}")
        op.execute("DROP TABLE IF EXISTS geocode_fts")
    op.drop_table("geocode_names")
    op.drop_index("ix_addresses_lat_lon", table_name="addresses")
    for col in ("unit", "building", "door_no", "road_zh"):
        op.drop_column("addresses", col)
