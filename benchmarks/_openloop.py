"""An open-loop HTTP load generator: requests start on a fixed schedule (``rate`` per second)
whatever the server's answers, and each latency is measured from the request's scheduled start,
so a stalled server cannot hide its stall by slowing the client down (no coordinated omission,
as in wrk2). Keep-alive connections are taken from an idle pool and a new one is opened only when
every open connection is busy, as many clients of a real service would; one the server closed
while idle is dropped, not reused.

Pure asyncio with pre-built request bytes: about 0.1 ms of client CPU per request, so the
server keeps the cores.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class OpenLoopResult:
    """What a run measured: latencies (ms, from scheduled start), errors, connections used."""

    latencies_ms: np.ndarray
    errors: int
    late_starts: int
    connections: int
    seconds: float
    error_kinds: dict[str, int] = field(default_factory=dict)  # "HTTP 500", "ConnectionResetError"
    started_at: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Wall-clock time (Unix seconds) each answered request was scheduled to start, in the
    order of ``latencies_ms``: a timeline to set beside the server's and database's own logs."""

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return len(self.latencies_ms) / self.seconds

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile latency in ms."""
        return float(np.percentile(self.latencies_ms, q)) if len(self.latencies_ms) else 0.0


KEEPALIVE_EXPIRY_S = 4.0
"""A connection idle for longer is not reused (uvicorn closes idle ones after 5 s; a request sent
as the server closes would fail), as HTTP clients do (httpx's ``keepalive_expiry``)."""


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.perf_counter()

    async def roundtrip(self, payload: bytes) -> int:
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        if length:
            await self.reader.readexactly(length)
        return status


async def _run(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    rate: float,
    seconds: float,
    expect: int,
    max_connections: int,
) -> OpenLoopResult:
    n = int(rate * seconds)
    payloads = [make_request(i) for i in range(n)]
    idle: list[_Conn] = []
    opened = 0
    latencies: list[float] = []
    started: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    late = 0
    slots = asyncio.Semaphore(max_connections)

    async def one(i: int, scheduled: float) -> None:
        nonlocal opened, errors
        async with slots:
            conn = idle.pop() if idle else None
            while conn is not None and (
                conn.reader.at_eof()
                or conn.writer.is_closing()
                or time.perf_counter() - conn.idle_since > KEEPALIVE_EXPIRY_S
            ):
                # the server closed it while it was idle, or is about to (keep-alive timeout):
                # as HTTP clients do, drop it and take another
                conn.writer.close()
                conn = idle.pop() if idle else None
            try:
                if conn is None:
                    opened += 1
                    conn = _Conn(*await asyncio.open_connection(host, port))
                status = await conn.roundtrip(payloads[i])
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors += 1
                kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
                return
            latencies.append((time.perf_counter() - scheduled) * 1000)
            started.append(scheduled + wall_offset)
            if status != expect:
                errors += 1
                kinds[f"HTTP {status}"] = kinds.get(f"HTTP {status}", 0) + 1
            conn.idle_since = time.perf_counter()
            idle.append(conn)

    tasks = []
    start = time.perf_counter() + 0.05
    wall_offset = time.time() - time.perf_counter()
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005:
            late += 1  # the client itself fell behind its schedule by more than 5 ms
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    for c in idle:
        c.writer.close()
    return OpenLoopResult(np.array(latencies), errors, late, opened, wall, kinds, np.array(started))


def run_open_loop(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    *,
    rate: float,
    seconds: float,
    expect: int = 201,
    max_connections: int = 64,
) -> OpenLoopResult:
    """Send ``rate`` requests per second for ``seconds``; request ``i`` is ``make_request(i)``
    (complete HTTP/1.1 bytes, keep-alive)."""
    return asyncio.run(_run(host, port, make_request, rate, seconds, expect, max_connections))


def post_json(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """The bytes of a keep-alive HTTP/1.1 POST with a JSON body."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
