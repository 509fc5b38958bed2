"""``pingan serve``'s worker supervision (pingan.serving), on a real two-worker server.

A worker that answers its supervisor late is busy, not hung: uvicorn killed it after 5 s (with
its requests in flight, e.g. a long export, and no log line at the level pingan logs at). Here a
worker is held still with SIGSTOP, the way a long stretch without the GIL holds its answering
thread, and the connection it serves must survive; a worker past the limit is replaced with a
WARNING line that says why.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from pingan.serving import describe_exit
from tests.serverutil import free_port, prepare_db

pytestmark = pytest.mark.slow  # two real servers, ~40 s


def _serve(tmp_path: Path, url: str, **env: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    environ = os.environ | {
        "PINGAN_DATABASE_URL": url,
        "PINGAN_DATA_DIR": str(tmp_path / "data"),
        "PINGAN_SCHEDULER": "0",
        **env,
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pingan.cli", "serve", "--port", str(port), "--workers", "2"],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if (
                httpx.get(f"{base}/healthz", timeout=1).status_code == 200
                and len(_workers(proc)) == 2
            ):
                return proc, base, log
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, "server did not start in 180 s"
        time.sleep(0.2)


def _workers(proc: subprocess.Popen[bytes]) -> list[int]:
    """The worker processes of the server ``proc`` (children running multiprocessing's spawn)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == proc.pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _token(base: str) -> str:
    r = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": "dispatcher", "password": "correct-horse-1"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def test_a_busy_worker_keeps_its_connections(tmp_path: Path) -> None:
    """Both workers held still for 7 s (past uvicorn's 5 s): the open event stream carries on
    and the same worker processes serve on; on the old code both were killed and the stream
    cut."""
    url, city = prepare_db(tmp_path / "s.db")
    proc, base, log = _serve(tmp_path, url)
    try:
        token = _token(base)
        headers = {"Authorization": f"Bearer {token}"}
        lines: list[str] = []
        ended: list[str] = []
        opened = threading.Event()

        def read() -> None:
            try:
                with httpx.stream(
                    "GET", f"{base}/api/v1/incidents/stream", headers=headers, timeout=60
                ) as r:
                    opened.set()
                    for line in r.iter_lines():
                        lines.append(line)
                ended.append("closed by the server")
            except httpx.HTTPError as exc:
                ended.append(repr(exc))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert opened.wait(30)
        workers = _workers(proc)
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(7)
        killed = []
        for pid in workers:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                killed.append(pid)
        assert not killed, f"busy workers {killed} were killed; log: {log.read_text()[-1500:]}"
        lon, lat = city.cell_center(0)
        r = httpx.post(
            f"{base}/api/v1/incidents",
            json={"subtype": "fight", "lon": lon, "lat": lat},
            headers=headers,
            timeout=30,
        )
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 20
        while "event: incident" not in lines and time.monotonic() < deadline and not ended:
            time.sleep(0.1)
        assert not ended, f"the stream was cut: {ended}; server log: {log.read_text()[-1500:]}"
        assert "event: incident" in lines
        assert _workers(proc) == workers
    finally:
        _stop(proc)


def test_a_worker_past_the_limit_is_replaced_and_logged(tmp_path: Path) -> None:
    url, _ = prepare_db(tmp_path / "r.db")
    proc, base, log = _serve(tmp_path, url, PINGAN_WORKER_HEALTHCHECK_S="2")
    try:
        victim = _workers(proc)[0]
        os.kill(victim, signal.SIGSTOP)
        deadline = time.monotonic() + 30
        while victim in _workers(proc) and time.monotonic() < deadline:
            time.sleep(0.2)
        while len(_workers(proc)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert victim not in _workers(proc) and len(_workers(proc)) == 2
        text = log.read_text()
        assert f"WARNING:     worker {victim} did not answer the supervisor's health check" in text
        assert "PINGAN_WORKER_HEALTHCHECK_S); killed" in text
        assert _token(base)  # served on (the new worker may still be importing the app)
    finally:
        _stop(proc)


def test_describe_exit() -> None:
    assert describe_exit(-9) == "ended by signal SIGKILL"
    assert describe_exit(1) == "exited with code 1"
    assert describe_exit(None) == "still running"
