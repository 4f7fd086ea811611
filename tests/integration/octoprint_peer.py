"""A real OctoPrint with its virtual printer, started once per test session.

OctoPrint lives in its own venv (``scripts/peers`` installs it into ``.peers/octoprint``;
``MICROFAB_TEST_OCTOPRINT`` may name another ``octoprint`` executable). It is configured before
its first start to run headless and offline, with an admin whose API key the tests choose. Where
it (or PrusaSlicer) is missing the tests that need it skip, except on CI (``CI=true``), where a
skipped peer test would hide a broken driver: there they fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 90.0


@dataclass
class OctoPrint:
    url: str
    api_key: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-Api-Key": self.api_key}, timeout=10)


def missing(reason: str) -> None:
    """Skip, or fail on CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; on CI the peer tests must run (scripts/peers installs them)")
    pytest.skip(reason)


def executable() -> Path | None:
    named = os.environ.get("MICROFAB_TEST_OCTOPRINT")
    candidates = [named] if named else [str(ROOT / ".peers/octoprint/bin/octoprint"), "octoprint"]
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return Path(found)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def configure(basedir: Path, port: int, api_key: str) -> None:
    """Headless, offline, a virtual printer, an admin with a known key (no CLI sets one)."""
    basedir.mkdir(parents=True, exist_ok=True)
    disabled = [
        "announcements",
        "discovery",
        "softwareupdate",
        "tracking",
        "errortracking",
        "pluginmanager",
        "health_check",
        "achievements",
    ]
    (basedir / "config.yaml").write_text(
        f"server: {{host: 127.0.0.1, port: {port}, firstRun: false, "
        "onlineCheck: {enabled: false}, pluginBlacklist: {enabled: false}}\n"
        "serial: {autoconnect: false, port: VIRTUAL, baudrate: 115200}\n"
        f"plugins: {{_disabled: [{', '.join(disabled)}], "
        # it heats at 10 °C/s: at this "ambient" a sliced job does not wait 20 s for its nozzle
        "virtual_printer: {enabled: true, ambientTemperature: 220.0}}\n"
    )
    (basedir / "users.yaml").write_text(
        "_version: 2\n"
        "admin:\n"
        "  active: true\n"
        f"  apikey: {api_key}\n"
        "  groups: [admins]\n"
        "  password: not-used\n"
        "  permissions: []\n"
        "  roles: [user, admin]\n"
        "  settings: {}\n"
    )


def start(program: Path, basedir: Path) -> OctoPrint:
    port, api_key = free_port(), secrets.token_hex(16).upper()
    configure(basedir, port, api_key)
    log = basedir / "serve.log"
    with log.open("wb") as out:
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--iknowwhatimdoing"]
        process = subprocess.Popen(
            [str(program), "-b", str(basedir), *serve],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = OctoPrint(f"http://127.0.0.1:{port}", api_key, process, log)
    wait_until_up(server)
    return server


def wait_until_up(server: OctoPrint) -> None:
    """While it starts, OctoPrint answers /api/version with 404; poll until 200."""
    deadline = time.monotonic() + STARTUP_S
    with server.client() as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(f"OctoPrint exited with {server.process.returncode}:\n{tail(server)}")
            try:
                if client.get("/api/version").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    stop(server)
    pytest.fail(f"OctoPrint did not answer within {STARTUP_S:.0f} s:\n{tail(server)}")


def stop(server: OctoPrint) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def tail(server: OctoPrint) -> str:
    return "\n".join(server.log.read_text(errors="replace").splitlines()[-40:])


def operational(server: OctoPrint, seconds: float = 20.0) -> None:
    """Connect the virtual printer (again, after a fault), stop any print, wait until it is idle."""
    with server.client() as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            state = client.get("/api/connection").json()["current"]["state"]
            if state == "Operational":
                # moves at 20x: the G-code stays PrusaSlicer's, the virtual printer hurries
                client.post("/api/printer/command", json={"commands": ["M220 S2000"]})
                return
            if state.startswith(("Closed", "Offline", "Error")):
                client.post("/api/connection", json={"command": "connect"})
            if state.startswith(("Printing", "Paused")):  # left over from a failed test
                client.post("/api/job", json={"command": "cancel"})
            time.sleep(0.2)
    pytest.fail(f"the virtual printer did not become operational:\n{tail(server)}")
