"""A large OGC page is encoded in chunks (the worker's other threads run between them) and
is the same JSON as one encoding."""

from __future__ import annotations

import json
from typing import Any

from pingan.api.ogc import _answer


def test_a_large_page_is_the_same_json() -> None:
    features = [
        {
            "type": "Feature",
            "id": i,
            "geometry": {"type": "Point", "coordinates": [102.7 + i * 1e-6, 25.0]},
            "properties": {"code": f"警情-{i}", "state": "closed"},
        }
        for i in range(1234)
    ]
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": 5000,
        "numberReturned": 1234,
        "links": [{"href": "http://x/items?offset=1234&limit=1234", "rel": "next"}],
    }
    response = _answer(None, None, body, media_type="application/geo+json")  # type: ignore[arg-type]
    assert response.media_type == "application/geo+json"
    assert json.loads(bytes(response.body)) == body
    small = _answer(None, None, {**body, "features": features[:3]})  # type: ignore[arg-type]
    assert json.loads(bytes(small.body))["features"] == features[:3]
