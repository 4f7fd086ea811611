"""Kill -9 in the middle of a run, then serve the same database: nothing acknowledged is lost."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port, log_of, microfab, start, wait_for_health

pytestmark = pytest.mark.slow

SPEED = "3600"  # one network hour per wall second


def order(i: int) -> dict[str, object]:
    return {
        "customer_id": f"crash-{i % 3}",
        "destination": {"lat": 52.52 + i / 100, "lon": 13.40, "label": "Berlin"},
        "lines": [{"product": "phone-grip", "quantity": 1, "params": {"name": f"Kim {i}"}}],
    }


def place_all(client: httpx.Client, count: int) -> dict[str, str]:
    """Place orders; return the id of each one the API acknowledged, by idempotency key."""
    acknowledged: dict[str, str] = {}
    for i in range(count):
        key = f"crash-test-{i}"
        response = client.post("/v1/orders", json=order(i), headers={"Idempotency-Key": key})
        assert response.status_code == 201, response.text
        acknowledged[key] = response.json()["id"]
    return acknowledged


def test_orders_survive_a_kill_and_the_network_carries_on(workdir: Path) -> None:
    port = free_port()
    demo = start(
        "demo",
        "--headless",
        "--speed",
        SPEED,
        "--duration",
        "30d",
        "--orders-per-hour",
        "20",
        "--seed",
        "9",
        "--db",
        "crash.db",
        "--port",
        str(port),
        cwd=workdir,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, demo, log_of(workdir, "demo"))
        made = microfab("apikey", "create", "--role", "admin", "--db", "crash.db", cwd=workdir)
        key = made.stdout.strip().splitlines()[-1]
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=10) as client:
            acknowledged = place_all(client, 12)
        time.sleep(2)
    finally:
        demo.send_signal(signal.SIGKILL)
        demo.wait(timeout=10)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve = start("serve", "--db", "crash.db", "--port", str(port), "--speed", SPEED, cwd=workdir)
    try:
        wait_for_health(url, serve, log_of(workdir, "serve"))
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=10) as client:
            check_recovered(client, acknowledged)
    finally:
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=15) == 0


def check_recovered(client: httpx.Client, acknowledged: dict[str, str]) -> None:
    """Every acknowledged order is there, a retry returns it, and all of them get delivered."""
    for idempotency_key, order_id in acknowledged.items():
        found = client.get(f"/v1/orders/{order_id}")
        assert found.status_code == 200, found.text
        i = int(idempotency_key.rsplit("-", 1)[1])
        again = client.post(
            "/v1/orders", json=order(i), headers={"Idempotency-Key": idempotency_key}
        )
        assert again.status_code == 200
        assert again.json()["id"] == order_id
    deadline = time.monotonic() + 90
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {i: client.get(f"/v1/orders/{i}").json()["state"] for i in acknowledged.values()}
        if set(states.values()) == {"delivered"}:
            break
        time.sleep(1)
    assert set(states.values()) == {"delivered"}, states


def wait_for_orders(
    db: Path, demo: subprocess.Popen[bytes], orders: int = 30, seconds: float = 90
) -> None:
    """Wait until the running demo has stored ``orders`` orders, about an hour of network time
    (set-up takes longer on a busy machine); with fewer, serve may have none to move on."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert demo.poll() is None, f"the demo exited with {demo.returncode}"
        try:
            with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as con:
                if con.execute("SELECT count(*) FROM orders").fetchone()[0] >= orders:
                    return
        except sqlite3.OperationalError:
            pass  # no schema yet, or the demo holds the write lock
        time.sleep(0.5)
    pytest.fail(f"the demo stored fewer than {orders} orders within {seconds} s")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_demo_leaves_a_consistent_database_and_serve_carries_on(
    workdir: Path, stop: signal.Signals
) -> None:
    demo = start(
        "demo", "--headless", "--speed", SPEED, "--duration", "30d", "--seed", "9",
        "--db", "stop.db", "--no-api", cwd=workdir,
    )  # fmt: skip
    wait_for_orders(workdir / "stop.db", demo)
    demo.send_signal(stop)
    assert demo.wait(timeout=20) == 0
    log = log_of(workdir, "demo").read_text("utf-8")
    assert "stopped: the database is consistent" in log
    assert "orders placed" in log
    before = microfab("order", "list", "--db", "stop.db", "--json", "--limit", "500", cwd=workdir)
    assert json.loads(before.stdout), "the demo placed orders before it was stopped"

    port = free_port()
    serve = start("serve", "--db", "stop.db", "--port", str(port), "--speed", SPEED, cwd=workdir)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", serve, log_of(workdir, "serve"))
        time.sleep(3)
    finally:
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=15) == 0
    after = microfab("order", "list", "--db", "stop.db", "--json", "--limit", "500", cwd=workdir)
    states_before = {o["id"]: o["state"] for o in json.loads(before.stdout)}
    states_after = {o["id"]: o["state"] for o in json.loads(after.stdout)}
    assert states_after.keys() == states_before.keys()
    assert states_after != states_before, "serve moved the open orders on"
