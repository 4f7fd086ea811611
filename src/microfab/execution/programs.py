"""The files real machines run: a task's order line as a part, sliced into G-code for a printer.

A task leads to its job and the job to its order line (product template, parameters, material,
or the customer's uploaded model); the catalog builds the part, PrusaSlicer slices it with the
machine's profile. A machine without a slicer gets a G-code that only waits for the task's
planned minutes (``G4`` dwells, no motion, no heat): the printer host then runs the job for the
time the plan says, which is how a network is tried against OctoPrint's virtual printer, or a
real printer, before its profiles are ready. Files are kept per task, so a retry after a restart
sends the very same file.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from microfab.catalog.slicer import slice_part
from microfab.errors import MachineError
from microfab.machines.base import MachineJob
from microfab.network.model import Network, SlicerConfig
from microfab.orders.model import OrderLine
from microfab.storage import UnitOfWorkFactory

if TYPE_CHECKING:
    from microfab.catalog.service import CatalogService

DWELL_CHUNK_S = 60
"""One ``G4`` per minute, so that OctoPrint's progress follows the time."""


class JobPrograms:
    """G-code for tasks, looked up through the store (``Programs`` for the machine drivers)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        network: Network,
        catalog: Callable[[], CatalogService] | None = None,
        folder: Path | None = None,
    ) -> None:
        """``catalog`` gives the catalog service whose cache the order estimates filled (it is
        called on the first slice only, so a simulated network never loads the geometry)."""
        self._uow = uow
        self._network = network
        self._catalog = catalog
        self._folder = folder or Path(tempfile.gettempdir()) / "microfab-gcode"

    def gcode_for(self, job: MachineJob, slicer: SlicerConfig | None) -> Path:
        """The task's G-code file, made once and kept for a resend."""
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"{job.id}.gcode"
        if path.is_file():
            return path
        part = self._folder / f"{job.id}.part.gcode"
        if slicer is None:
            part.write_text(dwell_gcode(job.minutes, job.id), "ascii")
        else:
            model, copies, material = self._model(job.id)
            profile = slicer.profile_for(material)
            chosen = Path(profile).expanduser() if profile else None
            slice_part(model, part, chosen, slicer.program, copies)
        os.replace(part, path)
        return path

    def _model(self, task_id: str) -> tuple[Path, int, str]:
        """The task's part as a model file, how many copies go on the bed, and their material."""
        with self._uow() as uow:
            task = uow.tasks.get(task_id)
            job = uow.tasks.get_job(task.job_id)
            line = uow.orders.get(job.order_id).lines[job.line_index]
            if line.upload_id is not None:
                upload = uow.uploads.get(line.upload_id)
                path = self._folder / f"{task_id}{Path(upload.filename).suffix.lower()}"
                path.write_bytes(uow.uploads.data(line.upload_id))
                return path, line.quantity, line.material
        path = self._folder / f"{task_id}.stl"
        path.write_bytes(self._stl(line))
        return path, line.quantity, line.material

    def _stl(self, line: OrderLine) -> bytes:
        # imported on the first slice: geometry and exports cost ~140 ms, simulated networks none
        from microfab.catalog.exports import Labels, export
        from microfab.catalog.geometry import Solid
        from microfab.catalog.service import CatalogService

        if self._catalog is None:
            service = CatalogService()
            self._catalog = lambda: service
        catalog = self._catalog()
        product = self._network.product(line.product_id)
        template = catalog.template_of(product)
        names = {p.name for p in template.parameters}
        values = template.validate({k: v for k, v in line.params.items() if k in names})
        geometry = catalog.geometry(template, values)
        if not isinstance(geometry, Solid):
            raise MachineError(f"{product.id} is cut from a sheet; only solid parts are sliced")
        return export(geometry, ".stl", Labels(product.id, line.material))


def dwell_gcode(minutes: float, label: str) -> str:
    """G-code that shows ``label`` and waits ``minutes``, in one-minute dwells."""
    total_ms = max(1, round(minutes * 60_000))
    chunk = DWELL_CHUNK_S * 1000
    dwells = [f"G4 P{min(chunk, total_ms - i * chunk)}" for i in range(math.ceil(total_ms / chunk))]
    return "\n".join(
        [
            f"; microfab: no slicer for this machine; wait {minutes:g} planned minutes",
            f"M117 microfab {label}",
            *dwells,
            "M117 microfab done",
            "",
        ]
    )
