"""The catalog's own errors, beneath ``microfab.errors`` (the API maps them in its one table)::

InvalidInput
├── NotManufacturable   the geometry fails a printability check on every machine   (422)
├── GenerationLimit     building it took more time or memory than a request may    (422)
└── UploadRejected      a malformed, non-manifold or dangerous model file          (422)
    └── UploadTooLarge  over the size limit, packed or unpacked                    (413)
"""

from __future__ import annotations

from microfab.errors import InvalidInput


class NotManufacturable(InvalidInput):
    title = "Cannot be made"


class GenerationLimit(InvalidInput):
    title = "Generation limit exceeded"


class UploadRejected(InvalidInput):
    title = "Upload rejected"


class UploadTooLarge(UploadRejected):
    title = "Upload too large"
