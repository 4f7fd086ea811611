"""The contract every machine driver fulfils, and the states the rest of microfab sees.

A driver hides its protocol. The execution service only ever asks a machine for its
``MachineStatus``, starts a ``MachineJob`` on it, and acknowledges a ``JobReport`` once the
outcome is safely stored, so that an outcome is handled exactly once even across a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from microfab.network.model import SlicerConfig


class MachineState(StrEnum):
    IDLE = "idle"
    BUSY = "busy"
    DOWN = "down"
    OFFLINE = "offline"


@dataclass(frozen=True)
class MachineJob:
    """Work for one machine: a task of a job, with what the machine needs to run it."""

    id: str
    minutes: float
    setup_family: str
    program: str | None = None


@dataclass(frozen=True)
class JobReport:
    """How a job ended: finished, or failed with the machine's reason."""

    job_id: str
    finished: bool
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class MachineStatus:
    state: MachineState
    job_id: str | None = None
    progress: float = 0.0
    report: JobReport | None = None


class Programs(Protocol):
    """Makes the file a real machine runs for a job (G-code for a printer)."""

    def gcode_for(self, job: MachineJob, slicer: SlicerConfig | None) -> Path:
        """The job's G-code: its part sliced with ``slicer``, or without one a timed wait."""
        ...


class Machine(Protocol):
    """What execution needs from a machine, whatever its protocol."""

    @property
    def id(self) -> str: ...

    def status(self) -> MachineStatus:
        """The state now, and the report of the last job if it ended and is not yet acknowledged."""
        ...

    def start(self, job: MachineJob) -> None:
        """Begin ``job``; raises ``MachineError`` unless the machine is idle."""
        ...

    def resume(self, job: MachineJob, started_at: datetime) -> None:
        """After a restart: the store says ``job`` runs here since ``started_at``; follow it."""
        ...

    def acknowledge(self, job_id: str) -> None:
        """The outcome of ``job_id`` is stored; forget its report."""
        ...

    def next_change_at(self) -> datetime | None:
        """When the status will change by itself, if the driver knows (simulated machines)."""
        ...
