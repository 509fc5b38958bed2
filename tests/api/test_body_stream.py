"""Bodies against a real server (uvicorn in a subprocess): a chunked body past the limit is cut
off with 413 while it streams, and a large body from a caller that is not signed in is refused
with 401 before a byte of it is read; the worker's memory stays flat either way."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.error_body import plain
from tests.serverutil import free_port, prepare_db, start_server

LIMIT_BYTES = 100_000 * 32  # PINGAN_MAX_REQUEST_BYTES=100000 below; the limit is 32 times it
SENT_BYTES = 200 * 1024 * 1024
CHUNK = b"x" * (1024 * 1024)


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _chunked_post(port: int, headers: dict[str, str], total: int) -> tuple[int, dict, int, float]:
    """POST ``total`` bytes chunked (1 MiB chunks) while reading the answer; the status, the
    JSON body, the bytes sent before the server answered and the seconds it took."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = "POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sent = 0
    answered = threading.Event()

    def send() -> None:
        nonlocal sent
        try:
            sock.sendall(head.encode())
            while sent < total and not answered.is_set():
                sock.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                sent += len(CHUNK)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed the connection: expected

    t0 = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            part = sock.recv(65536)
            if not part:
                break
            data += part
        answered.set()
        elapsed = time.monotonic() - t0
        head_part, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head_part.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            part = sock.recv(65536)
            if not part:
                break
            body += part
    finally:
        answered.set()
        sender.join(timeout=30)
        sock.close()
    status = int(head_part.split(b" ")[1])
    return status, json.loads(body[:length]), sent, elapsed


def test_streamed_bodies_are_limited_and_authenticated_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGAN_MAX_REQUEST_BYTES", "100000")
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))
    url, city = prepare_db(tmp_path / "s.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    try:
        token = {"Authorization": f"Bearer {city.tokens['dispatcher']}"}
        # a small chunked body is read and handled as usual
        status, body, _, _ = _chunked_post(port, token, 1)
        assert status == 422 and body["error"]["code"] == "invalid", body
        before_kib = _rss_kib(proc.pid)

        status, body, sent, elapsed = _chunked_post(port, token, SENT_BYTES)
        assert status == 413
        assert plain(body) == {
            "error": {
                "code": "too_large",
                "field": "body",
                "message": f"body: larger than {LIMIT_BYTES} bytes",
            }
        }
        assert sent < SENT_BYTES / 2 and elapsed < 10

        for headers in ({"Authorization": "Bearer pa_bogus"}, {}):
            status, body, sent, elapsed = _chunked_post(port, headers, SENT_BYTES)
            assert status == 401 and sent < SENT_BYTES / 2 and elapsed < 10
            assert body["error"]["message"] == (
                "sign in or send a valid bearer token before a large body"
            )
        growth_mib = (_peak_rss_kib(proc.pid) - before_kib) / 1024
        assert growth_mib < 40, f"the worker grew by {growth_mib:.0f} MiB"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
