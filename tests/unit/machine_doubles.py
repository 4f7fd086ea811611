"""Machines for tests: a wrapper that passes everything to a real driver, to override a part."""

from __future__ import annotations

from datetime import datetime

from microfab.machines.base import Machine, MachineJob, MachineStatus


class Wrapped:
    """A machine that does what ``inner`` does; subclasses change what they test."""

    def __init__(self, inner: Machine) -> None:
        self.inner = inner

    @property
    def id(self) -> str:
        return self.inner.id

    def status(self) -> MachineStatus:
        return self.inner.status()

    def start(self, job: MachineJob) -> None:
        self.inner.start(job)

    def resume(self, job: MachineJob, started_at: datetime) -> None:
        self.inner.resume(job, started_at)

    def acknowledge(self, job_id: str) -> None:
        self.inner.acknowledge(job_id)

    def next_change_at(self) -> datetime | None:
        return self.inner.next_change_at()
