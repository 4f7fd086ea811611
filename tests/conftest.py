"""Fixtures any kind of test may use: the real OctoPrint, started once per session if asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration import octoprint_peer as peer


@pytest.fixture(scope="session")
def octoprint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[peer.OctoPrint]:
    """OctoPrint with its virtual printer (skips without it, fails on CI)."""
    program = peer.executable()
    if program is None:
        peer.missing("OctoPrint is not installed: run scripts/peers")
    assert program is not None
    server = peer.start(program, tmp_path_factory.mktemp("octoprint"))
    yield server
    peer.stop(server)
