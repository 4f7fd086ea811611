"""The catalog's own errors, beneath ``microfab.errors`` (the API maps them in its one table)::

InvalidInput
├── NotManufacturable   the geometry fails a printability check on every machine   (422)
├── GenerationLimit     building it took more time or memory than a request may    (422)
└── UploadRejected      a malformed, non-manifold or dangerous model file          (422)
    └── UploadTooLarge  over the size limit, packed or unpacked                    (413)

MachineError
└── SlicerFailed        PrusaSlicer is missing or cannot slice a part              (502)
"""

from __future__ import annotations

from microfab.errors import InvalidInput, MachineError


class NotManufacturable(InvalidInput):
    title = "Cannot be made"


class GenerationLimit(InvalidInput):
    title = "Generation limit exceeded"


class UploadRejected(InvalidInput):
    title = "Upload rejected"


class UploadTooLarge(UploadRejected):
    title = "Upload too large"


class SlicerFailed(MachineError):
    """The slicer is missing, or could not turn a part into G-code (the message says which)."""

    title = "Slicing failed"
