"""One session secret for every worker: a cookie signed by one process is accepted by the others.

Before, each worker of ``pingan serve`` drew its own random key with the local placeholder, so
sign-in and cookie requests failed at random depending on which worker took the connection.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from pingan.config import Settings, session_secret
from tests.serverutil import free_port, prepare_db


def _secret_in_child(data_dir: str) -> str:
    return session_secret(Settings(data_dir=Path(data_dir)))


def test_local_secret_is_kept_in_the_data_directory(tmp_path: Path) -> None:
    first = session_secret(Settings(data_dir=tmp_path / "data"))
    again = session_secret(Settings(data_dir=tmp_path / "data"))
    assert first == again and len(first) >= 32
    path = tmp_path / "data" / "session-secret"
    assert path.read_text() == first
    assert (path.stat().st_mode & 0o777) == 0o600
    assert session_secret(Settings(data_dir=tmp_path / "other")) != first
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["session-secret"]  # no temp left


def test_a_configured_secret_is_used_as_is(tmp_path: Path) -> None:
    key = "k" * 40
    assert session_secret(Settings(data_dir=tmp_path, secret_key=key)) == key
    assert not (tmp_path / "session-secret").exists()


def test_a_truncated_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "session-secret").write_text("short")
    with pytest.raises(ValueError, match="shorter than 32 characters; delete it"):
        session_secret(Settings(data_dir=tmp_path))


def test_concurrent_processes_agree_on_one_secret(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        keys = pool.map(_secret_in_child, [str(tmp_path)] * 8)
    assert len(set(keys)) == 1
    assert (tmp_path / "session-secret").read_text() == keys[0]


@pytest.mark.browser
def test_two_workers_share_sign_in(tmp_path: Path) -> None:
    """``pingan serve --workers 2``: sign in once, then 40 cookie requests on new connections
    (spread over both workers) all succeed; before the fix about half were sent to sign-in."""
    url, _ = prepare_db(tmp_path / "w.db")
    port = free_port()
    log = tmp_path / "serve.log"
    env = os.environ | {
        "PINGAN_DATABASE_URL": url,
        "PINGAN_DATA_DIR": str(tmp_path / "data"),
        "PINGAN_SCHEDULER": "0",
    }
    env.pop("PINGAN_SECRET_KEY", None)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pingan.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "server did not start in 120 s"
            time.sleep(0.2)
        cookies: dict[str, str] = {}
        page = httpx.get(f"{base}/login", timeout=10)
        cookies.update(page.cookies)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        resp = httpx.post(
            f"{base}/login",
            data={
                "username": "dispatcher",
                "password": "correct-horse-1",
                "csrf": csrf.group(1),
                "next": "/command",
            },
            cookies=cookies,
            timeout=10,
        )
        assert resp.status_code == 303, resp.text[:300]
        cookies.update(resp.cookies)
        codes = []
        for _ in range(40):  # a new connection each time: uvicorn's workers share the socket
            r = httpx.get(f"{base}/command", cookies=cookies, timeout=10, follow_redirects=False)
            codes.append(r.status_code)
        assert codes == [200] * 40
        assert (tmp_path / "data" / "session-secret").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
