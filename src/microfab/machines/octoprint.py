"""A printer behind OctoPrint, driven over its REST API (the only module that speaks HTTP to one).

``start`` gets the job's G-code from a ``Programs`` service (sliced with PrusaSlicer, or a timed
wait) and uploads it with select and print. ``status`` reads ``GET /api/job``; once the job's
file is no longer printing, the file's print history (which OctoPrint writes when a print ends,
well or badly) says how it ended. The file is named after the task, so after a restart the driver
can tell whether OctoPrint still prints it, has printed it or never received it, and never prints
a job twice. An unreachable OctoPrint is an offline machine, never an exception.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from microfab.clock import Clock
from microfab.errors import MachineError, MicrofabError
from microfab.machines.base import JobReport, MachineJob, MachineState, MachineStatus, Programs
from microfab.network.model import DriverLink, MachineSpec

log = logging.getLogger(__name__)

STATES: dict[str, MachineState] = {
    "Operational": MachineState.IDLE,
    "Printing": MachineState.BUSY,
    "Starting": MachineState.BUSY,
    "Pausing": MachineState.BUSY,
    "Paused": MachineState.BUSY,
    "Resuming": MachineState.BUSY,
    "Finishing": MachineState.BUSY,
    "Cancelling": MachineState.BUSY,
    "Printing from SD": MachineState.BUSY,
    "Starting print from SD": MachineState.BUSY,
    "Sending file to SD": MachineState.BUSY,
    "Transferring file to SD": MachineState.BUSY,
    "Error": MachineState.DOWN,
    "Offline after error": MachineState.DOWN,
}
"""OctoPrint's state texts (``GET /api/job``); any other text (Offline, Connecting, ...) is
offline. A printer in an error state stays down until someone reconnects it in OctoPrint."""

GRACE_S = 15.0
"""How long a printer may look idle, without a record of the job's print, just after the upload
or after it was last seen printing the job, before the job counts as failed: OctoPrint may
report Operational a moment before it writes the print's record."""


@dataclass
class _Run:
    job: MachineJob
    file: str
    started_at: datetime
    seen_at: float | None
    """``time.monotonic()`` when OctoPrint last had the job (uploaded or printing it); None for a
    job resumed after a restart and not yet seen."""


@dataclass(frozen=True)
class _Seen:
    state: MachineState
    text: str
    file: str | None
    completion: float
    error: str


def file_name(job: MachineJob) -> str:
    """The name a job's G-code has on OctoPrint: one per task, so one print per task."""
    return f"microfab-{job.id}.gcode"


def connect(spec: MachineSpec, clock: Clock, programs: Programs | None) -> OctoPrintMachine:
    """The driver for ``spec``, with the API key read from the variable the network file names."""
    link = spec.link
    if link is None:
        raise MachineError(f"machine {spec.id}: the octoprint driver needs a url and api_key_env")
    key = os.environ.get(link.api_key_env, "")
    if not key:
        raise MachineError(
            f"machine {spec.id}: the environment variable {link.api_key_env} is empty; "
            f"put the API key of the OctoPrint at {link.url} in it"
        )
    client = httpx.Client(
        base_url=link.url,
        headers={"X-Api-Key": key},
        timeout=link.timeout_s,
        # a poll every scan cycle gains nothing from a kept connection; none is left open either
        limits=httpx.Limits(max_keepalive_connections=0),
    )
    return OctoPrintMachine(spec, link, clock, client, programs)


class OctoPrintMachine:
    def __init__(
        self,
        spec: MachineSpec,
        link: DriverLink,
        clock: Clock,
        client: httpx.Client,
        programs: Programs | None,
    ) -> None:
        self._spec = spec
        self._link = link
        self._clock = clock
        self._client = client
        self._programs = programs
        self._run: _Run | None = None
        self._report: JobReport | None = None

    @property
    def id(self) -> str:
        return self._spec.id

    def status(self) -> MachineStatus:
        try:
            seen = self._look()
            if self._run is not None:
                seen = self._follow(self._run, seen)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("machine %s: OctoPrint at %s: %s", self.id, self._link.url, exc)
            job_id = self._run.job.id if self._run else None
            return MachineStatus(MachineState.OFFLINE, job_id, report=self._report)
        if seen.state is MachineState.BUSY and self._run is not None:
            return MachineStatus(seen.state, self._run.job.id, seen.completion, self._report)
        return MachineStatus(seen.state, report=self._report)

    def start(self, job: MachineJob) -> None:
        state = MachineState.BUSY if self._run is not None else self.status().state
        if state is not MachineState.IDLE:
            raise MachineError(f"machine {self.id} is {state.value}; it can start a job when idle")
        self._run = _Run(job, file_name(job), self._clock.now(), None)
        try:
            self._upload(self._run)
        except MachineError:
            self._run = None
            raise

    def resume(self, job: MachineJob, started_at: datetime) -> None:
        if self._run is None or self._run.job.id != job.id:
            self._run = _Run(job, file_name(job), started_at, None)

    def acknowledge(self, job_id: str) -> None:
        if self._report is not None and self._report.job_id == job_id:
            self._report = None

    def next_change_at(self) -> datetime | None:
        return None

    # -- following a job -----------------------------------------------------------------------

    def _look(self) -> _Seen:
        body = self._get("/api/job")
        text = str(body.get("state") or "Offline")
        state = STATES.get(text, MachineState.OFFLINE)
        if text.startswith("Error"):
            state = MachineState.DOWN
        if text == "Offline":
            self._connect()
        job = body.get("job") or {}
        progress = body.get("progress") or {}
        return _Seen(
            state,
            text,
            (job.get("file") or {}).get("name"),
            float(progress.get("completion") or 0.0) / 100.0,
            str(body.get("error") or ""),
        )

    def _follow(self, run: _Run, seen: _Seen) -> _Seen:
        """Settle ``run`` if it ended; start it if a restart came before OctoPrint got it."""
        if seen.file == run.file and seen.state is MachineState.BUSY:
            run.seen_at = time.monotonic()
            return seen
        known = self._file(run.file)
        last = (known.get("prints") or {}).get("last") if known is not None else None
        if isinstance(last, dict):
            self._end(run, bool(last.get("success")), _age(last), seen.error)
            return seen
        if run.seen_at is None:
            return self._catch_up(run, seen, known is not None)
        if seen.state is MachineState.IDLE and time.monotonic() - run.seen_at < GRACE_S:
            return replace(seen, state=MachineState.BUSY)
        self._end(run, False, 0.0, seen.error or f"OctoPrint is {seen.text} and never finished it")
        return seen

    def _catch_up(self, run: _Run, seen: _Seen, has_file: bool) -> _Seen:
        """A job resumed after a restart that OctoPrint is not printing and has no record of."""
        if has_file:
            self._end(run, False, 0.0, "OctoPrint has the job's file but no record of printing it")
        elif seen.state is MachineState.IDLE:
            try:
                self._upload(run)  # claimed, then the process stopped before the printer heard
            except MachineError as exc:
                self._end(run, False, 0.0, exc.message)
                return seen
            return replace(seen, state=MachineState.BUSY, file=run.file, completion=0.0)
        elif seen.state is not MachineState.OFFLINE:
            self._end(run, False, 0.0, f"the printer is {seen.text}; the job never reached it")
        return seen

    def _end(self, run: _Run, finished: bool, age_s: float, error: str) -> None:
        now = self._clock.now()
        at = max(run.started_at, now - timedelta(seconds=age_s))
        reason = "" if finished else (error or "OctoPrint logged the print as failed or cancelled")
        self._report = JobReport(run.job.id, finished, min(at, now), reason)
        self._run = None

    # -- talking to OctoPrint ------------------------------------------------------------------

    def _upload(self, run: _Run) -> None:
        if self._programs is None:
            raise MachineError(f"machine {self.id}: no G-code source was given to the driver")
        try:
            gcode = self._programs.gcode_for(run.job, self._link.slicer)
        except MicrofabError as exc:
            raise MachineError(f"machine {self.id}: {exc.message}") from None
        except Exception as exc:  # a part that cannot be made fails its task, not the controller
            log.exception("machine %s: no G-code for %s", self.id, run.job.id)
            raise MachineError(f"machine {self.id}: no G-code for the job: {exc}") from None
        try:
            with gcode.open("rb") as stream:
                response = self._client.post(
                    "/api/files/local",
                    files={"file": (run.file, stream, "application/octet-stream")},
                    data={"select": "true", "print": "true"},
                )
        except httpx.HTTPError as exc:
            raise MachineError(f"machine {self.id}: cannot reach OctoPrint: {exc}") from None
        if response.status_code != 201:
            raise MachineError(
                f"machine {self.id}: OctoPrint refused the job ({response.status_code}): "
                f"{_error_text(response)}"
            )
        run.seen_at = time.monotonic()

    def _file(self, name: str) -> dict[str, Any] | None:
        """What OctoPrint knows of an uploaded file (with its print history), None if absent."""
        response = self._client.get(f"/api/files/local/{name}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body = response.json()
        return body if isinstance(body, dict) else {}

    def _connect(self) -> None:
        """Ask OctoPrint to open the printer's serial port with its own saved settings."""
        try:
            self._client.post("/api/connection", json={"command": "connect"})
        except httpx.HTTPError as exc:
            log.info("machine %s: connect failed: %s", self.id, exc)

    def _get(self, path: str) -> dict[str, Any]:
        response = self._client.get(path)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{path} answered {type(body).__name__}, not an object")
        return body


def _age(record: dict[str, Any]) -> float:
    """How long ago OctoPrint logged the print's end (its clock and ours are both wall clocks)."""
    date = record.get("date")
    return max(0.0, time.time() - float(date)) if isinstance(date, int | float) else 0.0


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("error", body))[:200] if isinstance(body, dict) else str(body)[:200]
