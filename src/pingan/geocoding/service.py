"""Geocoding reads and the bulk writing of the address register.

Search (:func:`geocode`) works in two steps. The database fetches candidates whose search key
contains the query's key (:func:`pingan.geocoding.normalize.search_key`) through the substring
index (SQLite FTS5 trigram table ``geocode_fts``; PostgreSQL ``pg_trgm`` GIN index), shortest
keys first, inside the caller's jurisdiction; rapidfuzz's ``fuzz.ratio`` (normalised Indel
similarity of the keys, 号 ignored) then scores them, so among names containing the query the
closest in length wins (「北京88」 → 「北京路88号」 before 「北京路88号3栋」); ties go to door
plates, then junctions, roads and premises. (``WRatio`` was tried: its partial-match branch
put 「北京路88号3栋」 above 「北京路88号」 for 「北京88」.)

Queries of one or two characters cannot use a trigram index: they search roads, junctions and
premises only (a few thousand rows), not door plates. When nothing contains the
query, the door number moved behind the road (「88号北京路」) and the query shortened by up to
three characters from its end (a building not in the register) are tried (their candidates
are scored against the variant, times the share of the query it kept), then candidates
sharing the most trigrams with it are scored (FTS5 ``OR`` of the trigrams ranked by bm25;
``pg_trgm`` similarity), which finds typos.

Reverse geocoding (:func:`reverse_geocode`) reads the door plates in growing boxes around the
point (index on ``addresses(lat, lon)``) and answers the nearest one and its road.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.errors import Invalid
from pingan.geo.crs import haversine_m
from pingan.geocoding.normalize import MIN_INDEXED_CHARS, search_key
from pingan.store.bulk import bulk_insert, reset_sequence

__all__ = [
    "CANDIDATES",
    "Candidate",
    "Reverse",
    "geocode",
    "next_id",
    "reverse_geocode",
    "write_addresses",
    "write_names",
]

CANDIDATES = 200  # rows fetched from the index for rapidfuzz to score
BULK_REINDEX_ROWS = 50_000  # PostgreSQL: from this many new names, rebuild the trigram index
TRGM_INDEX_SQL = (  # as migration 0012_addresses makes it
    "CREATE INDEX ix_geocode_names_key_trgm ON geocode_names "
    "USING gin (key gin_trgm_ops) WITH (fastupdate = off)"
)
REVERSE_RADII_M = (100.0, 400.0, 1_600.0, 6_400.0)
_KIND_RANK = {"address": 0, "junction": 1, "road": 2, "premises": 3}
_trgm_cache: dict[int, bool] = {}


@dataclass(frozen=True)
class Candidate:
    """One geocoding answer: a named point with its score (0–1) and jurisdiction."""

    id: int
    kind: str
    label: str
    lon: float
    lat: float
    jurisdiction_code: str | None
    score: float
    distance_m: float | None = None


@dataclass(frozen=True)
class Reverse:
    """The nearest door plate to a point and the road it stands on (``None`` if none near)."""

    address: Candidate | None
    road: Candidate | None


def _scope(principal: Principal) -> tuple[str, dict[str, Any]]:
    if principal.jpath == "/":
        return "", {}
    # paths are digits and slashes only: no LIKE wildcard can appear in them
    return " AND g.jpath LIKE :scope", {"scope": principal.jpath + "%"}


def _has_trgm(conn: Connection) -> bool:
    """Whether PostgreSQL has the pg_trgm extension (cached per engine)."""
    key = id(conn.engine)
    if key not in _trgm_cache:
        _trgm_cache[key] = bool(
            conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first()
        )
    return _trgm_cache[key]


_SELECT = (
    "SELECT g.id, g.kind, g.label, g.key, g.lon, g.lat, j.code "
    "FROM {source} JOIN jurisdictions j ON j.id = g.jurisdiction_id "
)


def _like(key: str) -> str:
    return "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _contains(session: Session, key: str, principal: Principal) -> Sequence[Any]:
    """Candidates whose key contains ``key``, shortest first."""
    scope, params = _scope(principal)
    params |= {"n": CANDIDATES, "pat": _like(key)}
    dialect = session.get_bind().dialect.name
    if len(key) < MIN_INDEXED_CHARS:  # a plain substring test: no trigram index can serve it
        find = "instr(g.key, :q)" if dialect == "sqlite" else "strpos(g.key, :q)"
        sql = (
            _SELECT.format(source="geocode_names g")
            + f"WHERE g.kind IN ('road', 'junction', 'premises') AND {find} > 0"
        )
        params["q"] = key
    elif dialect == "sqlite":
        sql = (
            _SELECT.format(source="geocode_fts f JOIN geocode_names g ON g.id = f.rowid")
            + "WHERE geocode_fts MATCH :m"
        )
        params["m"] = '"' + key.replace('"', '""') + '"'
    else:
        sql = _SELECT.format(source="geocode_names g") + "WHERE g.key LIKE :pat ESCAPE '\\'"
    sql += scope + " ORDER BY length(g.key), g.id LIMIT :n"
    return session.execute(text(sql), params).all()


def _similar(session: Session, key: str, principal: Principal) -> Sequence[Any]:
    """Candidates sharing trigrams with ``key`` (for typos and other word orders)."""
    if len(key) < MIN_INDEXED_CHARS:
        return []
    scope, params = _scope(principal)
    params["n"] = CANDIDATES
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        grams = sorted({key[i : i + 3] for i in range(len(key) - 2)})
        params["m"] = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
        sql = (
            _SELECT.format(source="geocode_fts f JOIN geocode_names g ON g.id = f.rowid")
            + "WHERE geocode_fts MATCH :m"
            + scope
            + " ORDER BY f.rank LIMIT :n"
        )
    elif _has_trgm(conn):
        params["q"] = key
        sql = (
            _SELECT.format(source="geocode_names g")
            + "WHERE g.key % :q"
            + scope
            + " ORDER BY similarity(g.key, :q) DESC, g.id LIMIT :n"
        )
    else:
        return []
    return session.execute(text(sql), params).all()


_LEADING_NUMBER = re.compile(r"^(\d+(?:-\d+)?号?)(\D.*)$")


def _variants(key: str) -> list[str]:
    """The query's key, then what to try when no name contains it: the door number moved
    behind the road (「88号北京路」), then the key shortened from its end by up to three
    characters (a building or unit not in the register: 「北京路88号3栋」 → 「北京路88号」)."""
    out = [key]
    m = _LEADING_NUMBER.match(key)
    if m:
        out.append(m[2] + m[1])
    out += [key[:-k] for k in range(1, 4) if len(key) - k >= MIN_INDEXED_CHARS]
    return out


_CROSSING = re.compile(r"\s*[与和&＆、/／]\s*|\s+")


def _crossings(q: str) -> list[str]:
    """Keys of a junction typed as two roads in the other order or joined otherwise than the
    register's 与 (「二环路与北京路」, 「北京路和二环路」, 「二环 & 北京」 → 北京二环 and 二环北京):
    the two names' keys in both orders. Empty unless ``q`` reads as exactly two names."""
    parts = [search_key(p) for p in _CROSSING.split(q) if p.strip()]
    if len(parts) != 2 or not all(any(not c.isdigit() and c != "号" for c in p) for p in parts):
        return []
    a, b = parts
    return [a + b, b + a]


def _no_hao(key: str) -> str:
    """Scoring ignores 号: 「北京88」 is as good a match of 「北京路88号」 as 「北京88号」."""
    return key.replace("号", "")


def geocode(session: Session, *, principal: Principal, q: str, limit: int = 10) -> list[Candidate]:
    """Candidates for the text ``q``, best first (at most ``limit``), in the caller's scope.

    Tolerates a missing 号 or 路, full-width digits and partial names (see the module
    docstring). Raises ``Invalid("q")`` for a query with nothing searchable in it.
    """
    key = search_key(q)
    if not key:
        raise Invalid("q", "type a road, door number or place name (letters or digits)")
    rows: Sequence[Any] = []
    variants = _variants(key)
    variants[1:1] = [c for c in _crossings(q) if c != key]  # before the shortened keys
    for used in variants:
        rows = _contains(session, used, principal)
        if rows:
            break
    else:
        used, rows = key, _similar(session, key, principal)
    if not rows:
        return []
    keys = [r[3] for r in rows]
    # scored against the variant that found them, scaled by how much of the query it kept
    scores = process.cdist([used], keys, scorer=fuzz.ratio, processor=_no_hao, dtype=np.float32)[0]
    scores *= len(used) / len(key)
    order = sorted(
        range(len(rows)),
        key=lambda i: (-float(scores[i]), _KIND_RANK.get(rows[i][1], 9), len(keys[i]), rows[i][0]),
    )
    return [
        Candidate(
            id=int(r[0]),
            kind=str(r[1]),
            label=str(r[2]),
            lon=float(r[4]),
            lat=float(r[5]),
            jurisdiction_code=r[6],
            score=round(float(scores[i]) / 100.0, 3),
        )
        for i in order[:limit]
        for r in (rows[i],)
    ]


def reverse_geocode(session: Session, *, principal: Principal, lon: float, lat: float) -> Reverse:
    """The nearest door plate within 6.4 km of (lon, lat) in the caller's scope, and its road."""
    scope, params = _scope(principal)
    sql = (
        "SELECT a.id, a.text_zh, a.road_zh, a.lon, a.lat, j.code FROM addresses a "
        "JOIN jurisdictions j ON j.id = a.jurisdiction_id "
        "WHERE a.lat BETWEEN :s AND :n AND a.lon BETWEEN :w AND :e"
        + scope.replace("g.jpath", "a.jpath")
    )
    cos = max(math.cos(math.radians(lat)), 0.01)
    for radius_m in REVERSE_RADII_M:
        dlat = radius_m / 111_320.0
        dlon = dlat / cos
        box = {"s": lat - dlat, "n": lat + dlat, "w": lon - dlon, "e": lon + dlon}
        rows = session.execute(text(sql), params | box).all()
        if not rows:
            continue
        d = haversine_m(lon, lat, [r[3] for r in rows], [r[4] for r in rows])
        k = int(np.argmin(d))
        if d[k] > radius_m and radius_m != REVERSE_RADII_M[-1]:
            continue  # a plate in the box's corner: one outside it may be nearer
        r = rows[k]
        dist = round(float(d[k]), 1)
        addr = Candidate(int(r[0]), "address", r[1], r[3], r[4], r[5], 1.0, dist)
        road = None
        if r[2]:
            road = Candidate(int(r[0]), "road", r[2], r[3], r[4], r[5], 1.0, dist)
        return Reverse(address=addr, road=road)
    return Reverse(address=None, road=None)


def next_id(conn: Connection, table: str) -> int:
    """The first free id of ``table`` (the caller holds the write transaction)."""
    return int(conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").scalar_one())


def write_names(
    conn: Connection,
    *,
    kind: str,
    label: Sequence[str],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    jurisdiction_id: NDArray[np.int64],
    jpath: Sequence[str],
    address_id: NDArray[np.int64] | None = None,
) -> int:
    """Bulk-insert searchable names (roads, junctions, door plates) into the gazetteer.

    Every writer of ``geocode_names`` goes through here: on SQLite it also adds the new rows to
    the FTS5 index (deletions and updates are handled by triggers). On PostgreSQL a batch of
    ``BULK_REINDEX_ROWS`` or more drops the trigram index and builds it again after the COPY,
    inside the transaction (searches wait for it to commit). Runs in the caller's transaction,
    which must hold the write lock (ids are ``max(id) + 1, …``).
    """
    keys = [search_key(s) for s in label]
    aid: list[int | None] = (
        [None] * len(keys) if address_id is None else [int(x) for x in address_id.tolist()]
    )
    rows = zip(
        [kind] * len(keys),
        label,
        keys,
        np.asarray(lon, dtype=np.float64).tolist(),
        np.asarray(lat, dtype=np.float64).tolist(),
        np.asarray(jurisdiction_id, dtype=np.int64).tolist(),
        jpath,
        aid,
        strict=True,
    )
    cols = ("id", "kind", "label", "key", "lon", "lat", "jurisdiction_id", "jpath", "address_id")
    first = next_id(conn, "geocode_names")
    rebuild = conn.dialect.name == "postgresql" and len(keys) >= BULK_REINDEX_ROWS
    rebuild = rebuild and bool(
        conn.exec_driver_sql(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'ix_geocode_names_key_trgm'"
        ).first()
    )
    if rebuild:  # building the GIN index once is about twice as fast as growing it row by row
        conn.exec_driver_sql("DROP INDEX ix_geocode_names_key_trgm")
    n = bulk_insert(conn, "geocode_names", cols, ((first + i, *r) for i, r in enumerate(rows)))
    reset_sequence(conn, "geocode_names")
    if rebuild:
        conn.exec_driver_sql(TRGM_INDEX_SQL)
    if conn.dialect.name == "sqlite":  # one pass over the new rows (migration 0012_addresses)
        conn.exec_driver_sql(
            "INSERT INTO geocode_fts(rowid, key) SELECT id, key FROM geocode_names WHERE id >= ?",
            (first,),
        )
    return n


def write_addresses(
    conn: Connection,
    *,
    code: Sequence[str] | None,
    text_zh: Sequence[str],
    road_zh: Sequence[str | None],
    door_no: Sequence[str | None],
    building: Sequence[str | None],
    unit: Sequence[str | None],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    jurisdiction_id: NDArray[np.int64],
    jpath: Sequence[str],
    created_at: str,
) -> int:
    """Bulk-insert door plates into ``addresses`` and the gazetteer; returns the count.

    ``code`` defaults to ``A`` and the zero-padded row id (``A0000088``).
    Values are in storage form (``created_at`` from :func:`pingan.store.bulk.timestamps_for`).
    Runs in the caller's transaction; O(n).
    """
    n = len(text_zh)
    first = next_id(conn, "addresses")
    ids = np.arange(first, first + n, dtype=np.int64)
    if code is None:
        code = np.char.add("A", np.char.zfill(ids.astype(str), 7)).tolist()
    lon_l = np.asarray(lon, dtype=np.float64).tolist()
    lat_l = np.asarray(lat, dtype=np.float64).tolist()
    jid_l = np.asarray(jurisdiction_id, dtype=np.int64).tolist()
    rows = zip(
        ids.tolist(),
        code,
        text_zh,
        road_zh,
        door_no,
        building,
        unit,
        lon_l,
        lat_l,
        jid_l,
        jpath,
        [created_at] * n,
        strict=True,
    )
    cols = (
        "id",
        "code",
        "text_zh",
        "road_zh",
        "door_no",
        "building",
        "unit",
        "lon",
        "lat",
        "jurisdiction_id",
        "jpath",
        "created_at",
    )
    bulk_insert(conn, "addresses", cols, rows)
    reset_sequence(conn, "addresses")
    write_names(
        conn,
        kind="address",
        label=text_zh,
        lon=np.asarray(lon, dtype=np.float64),
        lat=np.asarray(lat, dtype=np.float64),
        jurisdiction_id=np.asarray(jurisdiction_id, dtype=np.int64),
        jpath=jpath,
        address_id=ids,
    )
    return n
