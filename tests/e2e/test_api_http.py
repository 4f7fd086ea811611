"""The API over real HTTP: the CLI loads the demo network, creates keys and serves; httpx talks.

Everything runs as a user would run it: separate processes on a SQLite file in a temporary
directory, a free port on the loopback address, and SIGINT to stop.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port, log_of, microfab, start, wait_for_health

pytestmark = pytest.mark.slow

START_SECONDS = 30
STOP_SECONDS = 10
PERSON = "berlin-early-assembly-1"
ORDER = {
    "destination": {"lat": 52.53, "lon": 13.41, "label": "Torstraße 1, Berlin"},
    "lines": [
        {"product": "phone-grip", "quantity": 1, "material": "pla", "params": {"name": "Ada"}}
    ],
}


@dataclass
class Server:
    url: str
    admin: str
    customer: str
    person: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, secret: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


def _create_key(cwd: Path, db: Path, *options: str) -> str:
    done = microfab("apikey", "create", *options, "--db", str(db), cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1].strip()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db = tmp_path / "microfab.db"
    loaded = microfab("network", "load", "--db", str(db), cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    admin = _create_key(tmp_path, db, "--role", "admin", "--name", "e2e-admin")
    customer = _create_key(
        tmp_path, db, "--role", "customer", "--name", "e2e-customer", "--customer", "cust-e2e"
    )
    person = _create_key(
        tmp_path, db, "--role", "operator", "--factory", "berlin", "--person", PERSON
    )
    port = free_port()
    log = log_of(tmp_path, "serve")
    process = start(
        "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port), "--speed", "60",
        cwd=tmp_path,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, log, START_SECONDS)
        yield Server(url, admin, customer, person, process, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


def test_a_real_server_takes_an_order_once_and_stops_cleanly_on_sigint(server: Server) -> None:
    with server.client(server.customer) as customer, server.client(server.admin) as admin:
        key = {"Idempotency-Key": "e2e-order-1"}
        placed = customer.post("/v1/orders", json=ORDER, headers=key)
        replayed = customer.post("/v1/orders", json=ORDER, headers=key)
        order_id = placed.json()["id"]
        fetched = customer.get(f"/v1/orders/{order_id}")
        listed = admin.get("/v1/orders", params={"customer_id": "cust-e2e"})
        quoted = customer.post("/v1/quotes", json=ORDER)
    with server.client(None) as anonymous:
        refused = anonymous.get("/v1/orders")

    assert placed.status_code == 201, placed.text
    assert placed.headers["Location"].endswith(f"/v1/orders/{order_id}")
    assert replayed.status_code == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["id"] == order_id
    assert fetched.status_code == 200
    assert fetched.json()["customer_id"] == "cust-e2e"
    assert [o["id"] for o in listed.json()["items"]] == [order_id]
    assert quoted.status_code == 200
    assert quoted.json()["best"]["price"]["currency"] == "EUR"
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"

    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=STOP_SECONDS) == 0, server.log.read_text()


def test_a_real_server_keeps_an_upload_and_makes_an_order_of_it(server: Server) -> None:
    import trimesh  # the catalog's mesh library, only for this test's model

    stl = trimesh.creation.box((40, 25, 12)).export(file_type="stl")
    with server.client(server.customer) as customer:
        uploaded = customer.post(
            "/v1/uploads",
            params={"filename": "block.stl"},
            content=stl,
            headers={"Content-Type": "application/octet-stream"},
        )
        upload_id = uploaded.json().get("id")
        line = {"product": "custom-print", "quantity": 1, "material": "petg",
                "params": {"colour": "blue"}, "upload_id": upload_id}  # fmt: skip
        body = {"destination": ORDER["destination"], "lines": [line]}
        placed = customer.post("/v1/orders", json=body, headers={"Idempotency-Key": "e2e-upl"})
        fetched = customer.get(f"/v1/orders/{placed.json().get('id')}")
        unknown = customer.post(
            "/v1/orders", json={**body, "lines": [line | {"upload_id": "upl_nope"}]}
        )

    assert uploaded.status_code == 201, uploaded.text
    assert placed.status_code == 201, placed.text
    estimate = fetched.json()["lines"][0]["estimate"]
    assert estimate == uploaded.json()["estimate"]
    assert estimate["processes"][0]["minutes"] > 0
    assert unknown.status_code == 422
    assert "there is no upload 'upl_nope'" in unknown.json()["detail"]


def test_a_persons_key_shows_them_their_own_work(server: Server) -> None:
    with server.client(server.person) as person, server.client(server.customer) as customer:
        me = person.get("/v1/me")
        assert me.status_code == 200, me.text
        assert me.json() | {"key_id": None} == {
            "key_id": None, "role": "operator", "factory_id": "berlin", "customer_id": None,
            "person_id": PERSON,
        }  # fmt: skip
        work = person.get("/v1/me/work")
        assert work.status_code == 200, work.text
        assert work.json()["id"] == PERSON
        assert work.json()["factory_id"] == "berlin"
        same = person.get(f"/v1/factories/berlin/people/{PERSON}").json()
        assert set(work.json()) == set(same)  # the same view; the network clock runs on
        refused = customer.get("/v1/me/work")
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
