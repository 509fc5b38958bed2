"""Reference floor for the incident-creation benchmark: a bare FastAPI endpoint that validates a
small body with pydantic and inserts one row with SQLAlchemy Core in its own transaction. pingan
does much more per request (auth, taxonomy, CRS, cell assignment, repeat-call search, timeline,
hash-chained audit); the ratio says what that costs."""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine, insert

meta = MetaData()
rows = Table(
    "ref_incidents",
    meta,
    Column("id", Integer, primary_key=True),
    Column("subtype", String(40)),
    Column("lon", Float),
    Column("lat", Float),
)


def make_table(url: str) -> None:
    """A new, empty ``ref_incidents`` at ``url``: run once by the benchmark before the server
    starts (each worker creating it at import raced, and a late worker dropped the table under
    the first one's requests)."""
    eng = create_engine(url)
    meta.drop_all(eng)
    meta.create_all(eng)
    if url.startswith("sqlite"):
        with eng.begin() as c:
            c.exec_driver_sql("PRAGMA journal_mode=WAL")
    eng.dispose()


engine = create_engine(os.environ.get("REF_DATABASE_URL", "sqlite://"), pool_size=10)
app = FastAPI()


class Body(BaseModel):
    subtype: str
    lon: float
    lat: float


@app.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/v1/incidents", status_code=201)
def create(body: Body) -> dict[str, int]:
    with engine.begin() as c:
        new_id = c.execute(insert(rows).values(**body.model_dump())).inserted_primary_key[0]
    return {"id": int(new_id)}
