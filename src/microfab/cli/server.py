"""Running the HTTP API in a background thread beside the network runtime."""

from __future__ import annotations

import socket
import threading
import time

from microfab.bootstrap import Services
from microfab.errors import InvalidInput


class ApiServer:
    """uvicorn in a thread; ``stop()`` lets requests in flight finish."""

    def __init__(self, services: Services, host: str, port: int) -> None:
        # Imported here: FastAPI and uvicorn take about 0.6 s to import, which every other
        # command (order, network, apikey) would otherwise pay.
        import uvicorn

        from microfab.api.app import create_app

        _check_port(host, port)
        config = uvicorn.Config(
            create_app(services), host=host, port=port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="microfab-api", daemon=True)
        self.url = f"http://{host}:{port}"

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise InvalidInput(f"the API could not start on {self.url}")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise InvalidInput(
                f"port {port} on {host} is in use: pass --port with a free port, or --no-api"
            ) from None
