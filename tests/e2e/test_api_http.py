"""The API over real HTTP: the CLI loads the demo network, creates keys and serves; httpx talks.

Everything runs as a user would run it: separate processes on a SQLite file in a temporary
directory, a free port on the loopback address, and SIGINT to stop.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

START_SECONDS = 30
STOP_SECONDS = 10
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
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, secret: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "MICROFAB_DATABASE_URL"}


def _cli(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "microfab", *args],
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"microfab {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _create_key(cwd: Path, db: Path, *options: str) -> str:
    out = _cli(cwd, "apikey", "create", *options, "--db", str(db))
    return out.strip().splitlines()[-1].strip()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not answer /healthz within {START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db = tmp_path / "microfab.db"
    _cli(tmp_path, "network", "load", "--db", str(db))
    admin = _create_key(tmp_path, db, "--role", "admin", "--name", "e2e-admin")
    customer = _create_key(
        tmp_path, db, "--role", "customer", "--name", "e2e-customer", "--customer", "cust-e2e"
    )
    port = _free_port()
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "microfab", "serve", "--db", str(db)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--speed", "60"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=_environment(), stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log)
        yield Server(url, admin, customer, process, log)
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
