"""Run a real pingan server in a subprocess on a free loopback port (crash and browser tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from tests.dbtemplate import city_sqlite
from tests.factories import SmallCity


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_db(path: Path) -> tuple[str, SmallCity]:
    """A migrated SQLite file with the small city committed; returns its URL and the city.

    A copy of a file built once per process (tests/dbtemplate.py): the row objects of the city
    are shared between the tests that ask, so treat them as read-only."""
    return city_sqlite(path)


def start_server(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    # scheduled jobs stay off: a test that wants them starts a Scheduler of its own
    env = os.environ | {"PINGAN_DATABASE_URL": url, "PINGAN_SCHEDULER": "0"}
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "pingan.server:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 180  # a loaded 2-core machine imports slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start in 180 s")
