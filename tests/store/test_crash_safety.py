"""Kill the server with SIGKILL in the middle of a burst of incident creations: after a restart
every incident that got a 201 must be there."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.serverutil import free_port, prepare_db, start_server


def test_every_acknowledged_incident_survives_sigkill(tmp_path: Path) -> None:
    url, city = prepare_db(tmp_path / "crash.db")
    port = free_port()
    log = tmp_path / "server.log"
    proc = start_server(url, port, log)
    headers = {"Authorization": f"Bearer {city.tokens['dispatcher']}"}
    lon, lat = city.cell_center(3)
    acked: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def fire(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    r = c.post(
                        "/api/v1/incidents",
                        headers=headers,
                        json={
                            "subtype": "fight",
                            "lon": lon + worker * 0.002,
                            "lat": lat,
                            "summary": f"w{worker}-{i}",
                        },
                    )
                except httpx.HTTPError:
                    return  # the server died mid-request: that one was never acknowledged
                if r.status_code == 201:
                    with lock:
                        acked.append(r.json()["id"])

    threads = [threading.Thread(target=fire, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) >= 50, f"too few acknowledged before the kill: {len(acked)}"

    proc = start_server(url, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            present: set[int] = set()
            offset = 0
            while True:
                page = c.get(
                    "/api/v1/incidents", headers=headers, params={"limit": 1000, "offset": offset}
                ).json()
                present |= {i["id"] for i in page["items"]}
                offset += 1000
                if offset >= page["total"]:
                    break
            missing = sorted(set(acked) - present)
            assert not missing, f"{len(missing)} acknowledged incidents lost: {missing[:10]}"
            admin = {"Authorization": f"Bearer {city.tokens['admin']}"}
            assert c.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)


pytestmark = pytest.mark.timeout(120)
