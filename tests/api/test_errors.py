"""The API's one error shape for errors that are not the caller's fault."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from pingan.api.errors import install_error_handlers
from pingan.errors import Unavailable
from tests.error_body import plain


def test_api_answers_unavailable_with_503_and_retry_after() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/x")
    async def x() -> None:
        raise Unavailable("the database did not take the write after 4 attempts")

    r = TestClient(app).post("/x")
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert plain(r.json()) == {
        "error": {
            "code": "unavailable",
            "message": "the database did not take the write after 4 attempts",
        }
    }


def test_an_unexpected_fault_is_a_500_in_the_one_shape() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    err = r.json()["error"]
    assert err["code"] == "internal" and err["detail"]["path"] == "/boom"
    assert err["message"] == (
        f"internal error at {err['detail']['at']} UTC: the server's log has the cause; "
        "if the request changed something, look it up before sending it again"
    )
