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


def microfab(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "microfab", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ | {"COLUMNS": "200"},
        check=False,
    )


def start(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    """Start the CLI in the background; its output goes to ``<cwd>/<command>.log``."""
    with (cwd / f"{args[0]}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "microfab", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ | {"COLUMNS": "200"},
        )


def wait_for_health(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}; its log is beside its database")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"{url} did not become healthy within {seconds} s")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
