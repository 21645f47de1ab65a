"""The server killed with SIGKILL under write load: after a restart, every write it acknowledged is there."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests

from portalctl.engine.accounts import bootstrap_admin
from tests.server.conftest import ADMIN, PASSWORD, TIMEOUT, Api, set_password, start_server
from tests.stores import Store

WRITERS = 8


def test_acknowledged_writes_survive_sigkill(store: Store, tmp_path: Path) -> None:
    portal = store.open()
    bootstrap_admin(portal, email=ADMIN, name="Admin")
    set_password(portal, ADMIN, PASSWORD)
    portal.close()
    server = start_server(store)
    token = requests.post(server.api + "/auth/login", json={"email": ADMIN, "password": PASSWORD},
                          timeout=TIMEOUT).json()["token"]
    acknowledged: list[tuple[int, str]] = []  # (ticket id, the reply's text) the server answered 2xx for
    lock, stop = threading.Lock(), threading.Event()

    def write(worker: int) -> None:
        api = Api(server, token)
        number = 0
        while not stop.is_set():
            number += 1
            text = f"writer {worker} reply {number}"
            try:
                created = api.post("/tickets", json={"subject": f"load {worker}-{number}", "body": "x"}, timeout=5)
                if created.status_code != 201:
                    continue
                ticket_id = created.json()["id"]
                with lock:
                    acknowledged.append((ticket_id, ""))
                replied = api.post(f"/tickets/{ticket_id}/replies", json={"body": text}, timeout=5)
                if replied.status_code == 200:
                    with lock:
                        acknowledged.append((ticket_id, text))
            except requests.RequestException:
                return  # the server is gone: what was acknowledged before is what counts

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(acknowledged) < 60:
        time.sleep(0.1)
    server.process.kill()  # SIGKILL: no shutdown, no flush by the server
    server.process.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    assert len(acknowledged) >= 20, "the load never got going"

    restarted = start_server(store, log=tmp_path / "restart.log")
    try:
        api = Api(restarted, token)
        for ticket_id, text in acknowledged:
            shown = api.get(f"/tickets/{ticket_id}")
            assert shown.status_code == 200, f"acknowledged ticket #{ticket_id} is gone"
            if text:
                assert text in [c["body"] for c in shown.json()["comments"]], f"acknowledged reply lost: {text}"
    finally:
        restarted.stop()
