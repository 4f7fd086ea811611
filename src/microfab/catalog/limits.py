"""Building geometry under a time and memory limit, so one request cannot stall the service.

``IsolatedBuilder`` keeps one worker process (started with ``spawn``, its address space capped
with ``RLIMIT_AS``) that builds templates on request. A build that runs past the time limit gets
its worker killed and replaced; one that runs out of memory fails alone. Measured
(bench/catalog/generation.py): phone grip build + checks, median 92 ms through the worker and
96 ms in-process, i.e. the pipe costs less than the run-to-run noise.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
from manifold3d import CrossSection, FillRule

from microfab.catalog.errors import GenerationLimit
from microfab.catalog.geometry import Geometry, Sheet, Solid
from microfab.catalog.model import ParamValue
from microfab.errors import InvalidInput, InvalidParameter, MicrofabError, NotFound

START_SECONDS = 60.0
"""Time allowed for a new worker to import its libraries (~1 s here; slow disks take longer)."""


@dataclass(frozen=True)
class Limits:
    seconds: float = 5.0
    memory_mb: int = 1024
    """Address space of the worker: ~320 MB is used after building every shipped template."""


class IsolatedBuilder:
    """Builds templates in a worker process; thread-safe (one build at a time)."""

    def __init__(self, limits: Limits = Limits(), folders: Sequence[Path] = ()) -> None:
        self.limits = limits
        self.folders = tuple(str(f) for f in folders)
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None

    def build(self, template_id: str, values: Mapping[str, ParamValue]) -> Geometry:
        with self._lock:
            conn = self._connection()
            conn.send((template_id, dict(values)))
            if not conn.poll(self.limits.seconds):
                self._stop()
                raise GenerationLimit(
                    f"making this product took longer than {self.limits.seconds:g} s, the "
                    "limit for one request; try simpler parameters"
                )
            try:
                status, payload = conn.recv()
            except EOFError:
                self._stop()
                raise GenerationLimit(
                    f"making this product needed more than {self.limits.memory_mb} MB of memory"
                ) from None
        return _answer(status, payload, self.limits)

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _connection(self) -> Connection:
        if self._conn is None or self._process is None or not self._process.is_alive():
            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe()
            self._process = context.Process(
                target=_serve, args=(child, self.folders, self.limits.memory_mb), daemon=True
            )
            self._process.start()
            child.close()
            if not parent.poll(START_SECONDS):
                self._process.kill()
                raise MicrofabError("the geometry worker did not start")
            parent.recv()
            self._conn = parent
        return self._conn

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None


def _answer(status: str, payload: Any, limits: Limits) -> Geometry:
    if status == "solid":
        solid = Solid.of_mesh(*payload)
        if solid is None:
            raise MicrofabError("the template built a mesh that is not closed")
        return solid
    if status == "sheet":
        cut, engrave, labels = payload
        section = CrossSection(engrave, FillRule.NonZero) if engrave else CrossSection()
        return Sheet(tuple(np.asarray(c) for c in cut), section, tuple(labels))
    if status == "memory":
        raise GenerationLimit(
            f"making this product needed more than {limits.memory_mb} MB of memory"
        )
    if status == "invalid":
        kind, message = payload
        raise {"InvalidParameter": InvalidParameter, "NotFound": NotFound}.get(kind, InvalidInput)(
            message
        )
    raise MicrofabError(f"the template failed: {payload}")


def _serve(conn: Connection, folders: Sequence[str], memory_mb: int) -> None:
    """The worker: cap memory, then build what is asked until the pipe closes."""
    import resource

    from microfab.catalog.registry import Registry

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    registry = Registry([Path(f) for f in folders])
    conn.send("ready")
    while True:
        try:
            template_id, values = conn.recv()
        except EOFError:
            return
        conn.send(_build(registry, template_id, values))


def _build(registry: Any, template_id: str, values: dict[str, ParamValue]) -> tuple[str, Any]:
    try:
        geometry = registry.get(template_id).build(values)
    except MemoryError:
        return "memory", None
    except MicrofabError as exc:
        return "invalid", (type(exc).__name__, exc.message)
    except Exception as exc:  # a user's template may fail in any way: report, keep serving
        return "crash", f"{type(exc).__name__}: {exc}"
    if isinstance(geometry, Solid):
        mesh = geometry.manifold.to_mesh()
        return "solid", (np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts))
    engrave = [np.asarray(p) for p in geometry.engrave.to_polygons()]
    return "sheet", (list(geometry.cut), engrave, list(geometry.labels))
