"""The plain ASGI middleware: body limit (413 with the JSON error shape) and security headers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.error_body import plain
from tests.factories import SmallCity


def test_body_over_the_limit_is_refused_before_reading(client: TestClient, city: SmallCity) -> None:
    limit = client.app.state.settings.max_request_bytes * 32  # type: ignore[attr-defined]
    r = client.post(
        "/api/v1/incidents",
        content=b"x" * (limit + 1),
        headers={**auth(city.tokens["dispatcher"]), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert plain(r.json()) == {
        "error": {
            "code": "too_large",
            "field": "body",
            "message": f"body: larger than {limit} bytes",
        }
    }


def test_security_headers_on_pages_and_api(client: TestClient) -> None:
    page = client.get("/login")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "same-origin"
    for path in ("/api/v1/docs", "/api/v1/redoc"):
        docs = client.get(path)
        assert docs.headers["x-content-type-options"] == "nosniff"
        # served offline with no inline script, so the docs pages keep the policy too
        assert "script-src 'self'" in docs.headers["content-security-policy"]
        assert "<script>" not in docs.text and "http" not in docs.text


def test_bearer_api_calls_skip_the_cookie_session(client: TestClient, city: SmallCity) -> None:
    """A bearer-token API call without a cookie gets no session (nor a cookie); the web session
    still works for pages, and for API calls that carry the cookie."""
    api = client.get("/api/v1/incidents", headers=auth(city.tokens["dispatcher"]))
    assert api.status_code == 200 and "set-cookie" not in api.headers
    assert not client.cookies  # nothing was set
    page = client.get("/login")  # the login form puts its CSRF token in the session
    assert page.status_code == 200 and "pingan_session" in page.headers.get("set-cookie", "")
    with_cookie = client.get("/api/v1/incidents", headers=auth(city.tokens["dispatcher"]))
    assert with_cookie.status_code == 200  # cookie and bearer together: the session is read


def test_a_server_process_freezes_its_startup_heap(monkeypatch, engine) -> None:  # type: ignore[no-untyped-def]
    """``pingan.server`` (what uvicorn serves) freezes the startup heap out of the cyclic GC
    and starts the background WAL checkpointer at startup (stopping it at shutdown); apps made
    by ``create_app`` for tests and tools do neither."""
    import pingan.api.app as app_module
    from pingan.api.app import create_app

    frozen: list[bool] = []
    checkpointer: list[str] = []
    monkeypatch.setattr(app_module.gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(app_module, "start_wal_checkpointer", lambda e: checkpointer.append("on"))
    monkeypatch.setattr(app_module, "stop_wal_checkpointer", lambda e: checkpointer.append("off"))
    with TestClient(create_app()):
        assert frozen == [] and checkpointer == []
    served = create_app()
    served.state.freeze_gc = True  # as pingan.server sets it
    with TestClient(served):
        assert frozen == [True]
        assert checkpointer == ["on"]  # SQLite's log checkpointed in the background
    assert checkpointer == ["on", "off"]
    import importlib
    import sys

    monkeypatch.setattr(app_module, "get_engine", lambda: engine)  # no process-wide engine
    monkeypatch.delitem(sys.modules, "pingan.server", raising=False)
    server = importlib.import_module("pingan.server")
    assert server.app.state.freeze_gc is True
    assert server.drill_feed not in server.app.state.background  # unless PINGAN_DRILL=1


def test_large_answers_are_compressed_and_the_stream_is_not(
    client: TestClient, city: SmallCity
) -> None:
    h = auth(city.tokens["dispatcher"])
    big = client.get("/api/v1/taxonomy", headers={**h, "Accept-Encoding": "gzip"})
    assert big.status_code == 200 and big.headers["content-encoding"] == "gzip"
    assert big.json()["subtypes"]  # decoded by the client as any browser does
    plain_ = client.get("/api/v1/taxonomy", headers={**h, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain_.headers
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under 1 KB: sent as it is
    with client.stream(
        "GET", "/api/v1/incidents/stream", headers={**h, "Accept-Encoding": "gzip"}
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in r.headers
        assert next(r.iter_text()).startswith("retry:")
