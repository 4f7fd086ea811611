"""A simulated machine: runs jobs for their planned minutes on a ``Clock``, and sometimes fails.

A job of another setup family than the one before first takes the machine's changeover time.

Failures arrive as a Poisson process with ``failure_rate_per_hour`` while the machine works; a
failed job leaves the machine down for its repair time. All draws come from the ``random.Random``
passed in, so a seeded run repeats exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from microfab.clock import Clock
from microfab.errors import MachineError
from microfab.machines.base import JobReport, MachineJob, MachineState, MachineStatus
from microfab.network.model import MachineSpec


@dataclass
class _Run:
    job: MachineJob
    started_at: datetime
    ends_at: datetime
    fails_at: datetime | None


class SimulatedMachine:
    def __init__(
        self,
        spec: MachineSpec,
        clock: Clock,
        rng: random.Random,
        failure_rate_per_hour: float | None = None,
    ) -> None:
        self._spec = spec
        self._clock = clock
        self._rng = rng
        rate = (
            spec.failure_rate_per_hour if failure_rate_per_hour is None else failure_rate_per_hour
        )
        self._failure_rate = max(rate, 0.0)
        self._run: _Run | None = None
        self._report: JobReport | None = None
        self._down_until: datetime | None = None
        self._family: str | None = None

    @property
    def id(self) -> str:
        return self._spec.id

    def status(self) -> MachineStatus:
        now = self._clock.now()
        self._settle(now)
        if self._run is not None:
            run = self._run
            total = (run.ends_at - run.started_at).total_seconds()
            done = (now - run.started_at).total_seconds()
            progress = min(1.0, done / total) if total > 0 else 1.0
            return MachineStatus(MachineState.BUSY, run.job.id, progress, self._report)
        if self._down_until is not None and now < self._down_until:
            return MachineStatus(MachineState.DOWN, report=self._report)
        return MachineStatus(MachineState.IDLE, report=self._report)

    def start(self, job: MachineJob) -> None:
        state = self.status().state
        if state is not MachineState.IDLE:
            raise MachineError(f"machine {self.id} is {state.value}; it can start a job when idle")
        self._begin(job, self._clock.now())

    def resume(self, job: MachineJob, started_at: datetime) -> None:
        if self._run is None or self._run.job.id != job.id:
            self._down_until = None
            self._family = job.setup_family
            self._begin(job, started_at)

    def take_down(self, until: datetime, reason: str) -> None:
        """A technician takes the machine off the floor until ``until`` (unannounced
        maintenance, in the digital twin): the job it runs, if any, fails now with ``reason``."""
        now = self._clock.now()
        self._settle(now)
        if self._run is not None:
            self._report = JobReport(self._run.job.id, False, now, reason)
            self._run = None
        self._down_until = until

    def acknowledge(self, job_id: str) -> None:
        if self._report is not None and self._report.job_id == job_id:
            self._report = None

    def next_change_at(self) -> datetime | None:
        if self._run is not None:
            return self._run.fails_at or self._run.ends_at
        if self._down_until is not None and self._down_until > self._clock.now():
            return self._down_until
        return None

    def _begin(self, job: MachineJob, at: datetime) -> None:
        changeover = 0.0
        if self._family is not None and self._family != job.setup_family:
            changeover = self._spec.changeover_minutes
        self._family = job.setup_family
        ends_at = at + timedelta(minutes=changeover + job.minutes)
        fails_at = None
        if self._failure_rate > 0:
            hours_to_failure = self._rng.expovariate(self._failure_rate)
            candidate = at + timedelta(hours=hours_to_failure)
            fails_at = candidate if candidate < ends_at else None
        self._run = _Run(job, at, ends_at, fails_at)

    def _settle(self, now: datetime) -> None:
        run = self._run
        if run is None:
            return
        if run.fails_at is not None and now >= run.fails_at:
            self._report = JobReport(run.job.id, False, run.fails_at, "simulated machine fault")
            self._down_until = run.fails_at + timedelta(minutes=self._spec.repair_minutes)
            self._run = None
        elif now >= run.ends_at:
            self._report = JobReport(run.job.id, True, run.ends_at)
            self._run = None
