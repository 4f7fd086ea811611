"""Helpers for end-to-end tests: the CLI as a subprocess, free ports, waiting for a server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment() -> dict[str, str]:
    """The user's environment, minus a database URL that would point the CLI elsewhere."""
    scrubbed = {k: v for k, v in os.environ.items() if k != "MICROFAB_DATABASE_URL"}
    return scrubbed | {"COLUMNS": "200"}


def microfab(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "microfab", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(),
        check=False,
    )


def start(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    """Start the CLI in the background; its output goes to ``<cwd>/<command>.log``."""
    with log_of(cwd, args[0]).open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "microfab", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment(),
        )


def log_of(cwd: Path, command: str) -> Path:
    """Where ``start`` writes the output of ``command``."""
    return cwd / f"{command}.log"


def wait_for_health(
    url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60
) -> None:
    """Poll ``/healthz`` until it answers 200; fail with the server's log if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"{url} did not answer /healthz within {seconds} s:\n{log.read_text()}")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
