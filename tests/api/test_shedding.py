"""Load shedding (pingan.api.shedding): a worker runs a bounded number of reads and writes at
once, queues a bounded number more for a bounded time, and answers the rest 503 with
Retry-After and the one JSON error shape at once; the OpenAPI document says so (and 429)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from pingan.api.shedding import Gate, Limits, LoadShed, limits_for


class _Slow:
    """An ASGI app that answers 200 once ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.running += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        self.running -= 1


async def _call(app: Any, method: str = "POST", path: str = "/api/v1/incidents") -> dict[str, Any]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "http", "method": method, "path": path, "headers": []}, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return {"status": start["status"], "headers": dict(start["headers"]), "body": body}


def test_queue_full_and_waited_out_are_503_with_retry_after() -> None:
    async def run() -> None:
        inner = _Slow()
        app = LoadShed(inner, limits=Limits(reads=4, writes=2, queue=1, wait_s=0.3))
        running = [asyncio.create_task(_call(app)) for _ in range(2)]
        queued = asyncio.create_task(_call(app))  # waits in the queue
        await asyncio.sleep(0.05)
        assert inner.running == 2 and app.writes.waiting == 1
        shed = await _call(app)  # the queue is full: at once
        assert shed["status"] == 503
        assert shed["headers"][b"retry-after"] == b"1"
        error = json.loads(shed["body"])["error"]
        assert error["code"] == "overloaded"
        assert error["message"].startswith("the server is busy (2 writes running, 1 waiting)")
        assert error["detail"] == {"kind": "write", "running": 2, "waiting": 1}
        # reads have a gate of their own
        read = asyncio.create_task(_call(app, "GET", "/api/v1/incidents"))
        await asyncio.sleep(0.05)
        assert inner.running == 3
        late = await queued  # waited 0.3 s without a slot
        assert late["status"] == 503
        inner.release.set()
        assert [(await t)["status"] for t in running] == [200, 200]
        assert (await read)["status"] == 200
        assert app.writes.running == 0 and app.reads.running == 0
        assert app.writes.shed == 2

    asyncio.run(run())


def test_a_slot_passes_to_the_first_waiting() -> None:
    async def run() -> None:
        gate = Gate(limit=1, queue=5, wait_s=5)
        order: list[int] = []
        assert await gate.enter()

        async def wait(i: int) -> None:
            assert await gate.enter()
            order.append(i)
            await asyncio.sleep(0.01)
            gate.leave()

        tasks = [asyncio.create_task(wait(i)) for i in range(3)]
        await asyncio.sleep(0.01)
        assert gate.waiting == 3
        gate.leave()
        await asyncio.gather(*tasks)
        assert order == [0, 1, 2] and gate.running == 0

    asyncio.run(run())


def test_a_cancelled_waiter_gives_its_slot_on() -> None:
    async def run() -> None:
        gate = Gate(limit=1, queue=5, wait_s=5)
        assert await gate.enter()
        first = asyncio.create_task(gate.enter())
        second = asyncio.create_task(gate.enter())
        await asyncio.sleep(0.01)
        first.cancel()  # the client went away while waiting
        gate.leave()
        assert await second
        gate.leave()
        assert gate.running == 0 and gate.waiting == 0

    asyncio.run(run())


@pytest.mark.parametrize("path", ["/healthz", "/static/css/app.css", "/api/v1/incidents/stream"])
def test_health_static_and_stream_pass(path: str) -> None:
    async def run() -> None:
        inner = _Slow()
        inner.release.set()
        app = LoadShed(inner, limits=Limits(reads=1, writes=1, queue=0, wait_s=0.01))
        app.reads.running = app.reads.limit  # full
        assert (await _call(app, "GET", path))["status"] == 200
        assert (await _call(app, "GET", "/api/v1/incidents"))["status"] == 503

    asyncio.run(run())


def test_limits_per_database() -> None:
    assert limits_for("sqlite") == Limits(reads=16, writes=8)
    assert limits_for("postgresql") == Limits(reads=16, writes=12)
    assert limits_for("sqlite", reads=0, writes=3, queue=9, wait_s=1.5) == Limits(0, 3, 9, 1.5)


def test_openapi_documents_503_and_429(app: FastAPI) -> None:
    doc = app.openapi()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if path in ("/healthz", "/api/v1/incidents/stream"):
                continue
            busy = op["responses"].get("503")
            assert busy is not None, (method, path)
            assert "Retry-After" in busy["headers"], (method, path)
            assert "overloaded" in busy["description"]
    throttled = doc["paths"]["/api/v1/auth/token"]["post"]["responses"]["429"]
    assert "Retry-After" in throttled["headers"]
    schema = throttled["content"]["application/json"]["schema"]
    assert schema["required"] == ["error"]
