"""Fixtures of the citizen services: cheap proofs of work, a device cookie, a supervisor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pingan.citizens import pow
from pingan.config import get_settings


@pytest.fixture(autouse=True)
def _cheap_pow(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Proofs of work of 4 bits (16 hashes) so that tests post many forms quickly."""
    monkeypatch.setenv("PINGAN_PUBLIC_POW_BITS", "4")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def solved(client: TestClient) -> dict[str, str]:
    """A fresh challenge and its solution, as form fields."""
    c = client.get("/public/api/challenge").json()
    return {"pow_challenge": c["challenge"], "pow_counter": pow.solve(c["challenge"])}


def post_report(client: TestClient, *, lon: float, lat: float, **extra: Any) -> Any:
    """POST /public/api/reports as the page does (multipart), with a solved challenge."""
    files = extra.pop("files", None)
    data = {
        "category": "theft",
        "description": "我的电动车电瓶在楼下被偷了",
        "lon": str(lon),
        "lat": str(lat),
        **solved(client),
        **{k: str(v) for k, v in extra.items()},
    }
    return client.post("/public/api/reports", data=data, files=files or [("x", ("", b""))][:0])
