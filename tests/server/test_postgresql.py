"""What PostgreSQL is for: several server processes on one portal; a wrong URL told plainly; one schema on both."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

import requests

from tests.server.conftest import (
    ANA,
    PASSWORD,
    PDF,
    TIMEOUT,
    Api,
    free_port,
    seed_people,
    server_env,
    start_server,
)
from tests.stores import Store, new_store

RACERS = 12


def token(api_url: str, email: str) -> str:
    answer = requests.post(api_url + "/auth/login", json={"email": email, "password": PASSWORD}, timeout=TIMEOUT)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def seeded_postgres(folder: Path) -> Store:
    """A new PostgreSQL portal with the seeded people (passwords set)."""
    store = new_store("postgresql", folder)
    portal = store.open()
    try:
        seed_people(portal)
    finally:
        portal.close()
    return store


def test_two_server_processes_share_one_portal(tmp_path: Path) -> None:
    """Behind a load balancer: a de-duplicated CI report sent through both at once makes one ticket, and a file
    uploaded through one downloads through the other."""
    store = seeded_postgres(tmp_path)
    first, second = start_server(store, log=tmp_path / "first.log"), start_server(store, log=tmp_path / "second.log")
    try:
        apis = [Api(first, token(first.api, ANA)), Api(second, token(second.api, ANA))]
        key = f"ci-{uuid.uuid4()}"
        answers: list[requests.Response] = []
        start = threading.Barrier(RACERS)

        def report(number: int) -> None:
            start.wait()
            answers.append(apis[number % 2].post("/tickets", json={"subject": "Nightly build red",
                                                                   "body": f"run {number}", "dedupe_key": key}))

        threads = [threading.Thread(target=report, args=(n,)) for n in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(a.status_code for a in answers) == [200] * (RACERS - 1) + [201]
        [ticket_id] = {a.json()["id"] for a in answers}
        shown = apis[1].get(f"/tickets/{ticket_id}").json()
        assert len(shown["comments"]) == RACERS  # the first report and one comment per repeat

        upload = apis[0].post("/uploads", params={"filename": "informe.pdf"}, data=PDF).json()
        replied = apis[0].post(f"/tickets/{ticket_id}/replies", json={"body": "log", "uploads": [upload["id"]]})
        attachment = replied.json()["attachments"][0]["id"]
        assert apis[1].get(f"/tickets/{ticket_id}/attachments/{attachment}").content == PDF
    finally:
        first.stop()
        second.stop()


def test_an_unreachable_database_is_one_line_exit_6_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://portal:s3cret-pw@127.0.0.1:{free_port()}/portal"
    done = subprocess.run([sys.executable, "-m", "portalctl", "serve", "--port", str(free_port()), "--db", url],
                          capture_output=True, text=True, timeout=60, env=server_env(tmp_path / "home"),
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 6
    assert done.stderr.startswith("Error: cannot reach the PostgreSQL portal postgresql://portal:***@127.0.0.1:")
    assert "s3cret-pw" not in done.stdout + done.stderr


def test_both_schemas_have_the_same_tables_and_columns(tmp_path: Path) -> None:
    """A difference in the dialects' schema terms that adds or loses a column on one database fails here."""
    sqlite, postgres = new_store("sqlite", tmp_path / "s").open(), new_store("postgresql", tmp_path / "p").open()
    try:
        tables = [r[0] for r in sqlite.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' ORDER BY name")]
        on_sqlite = {t: {r[1] for r in sqlite.conn.execute(f"PRAGMA table_info({t})")} for t in tables}
        on_postgres: dict[str, set[str]] = {}
        for table, column in postgres.conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
                " AND table_name NOT LIKE '%fts%' AND table_name <> 'schema_version' AND column_name <> 'document'"):
            on_postgres.setdefault(table, set()).add(column)
    finally:
        sqlite.close()
        postgres.close()
    assert on_postgres == on_sqlite


def test_more_concurrent_requests_than_pooled_connections_all_succeed(tmp_path: Path) -> None:
    """Each POST holds two pooled connections for a moment; 60 at once (the pool has 40) must queue, not deadlock
    until the pool gives up."""
    store = seeded_postgres(tmp_path)
    server = start_server(store)
    try:
        api = Api(server, token(server.api, ANA))
        statuses: list[int] = []
        start = threading.Barrier(60)

        def create(number: int) -> None:
            start.wait()
            answer = api.post("/tickets", json={"subject": f"Pedido {number}", "body": "x"},
                              headers={"Idempotency-Key": str(uuid.uuid4())})
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=create, args=(n,)) for n in range(60)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [201] * 60
        assert len(api.get("/tickets", params={"limit": 100}).json()["items"]) == 60
    finally:
        server.stop()
