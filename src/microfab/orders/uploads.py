"""Customer uploads: keep a checked STL or 3MF model so that lines can quote and order it.

A file is read, checked on every kind of printer in the network and estimated once, when it is
uploaded; the record, the estimate and the bytes are stored in one transaction. The same file
uploaded again by the same customer returns the first upload.
"""

from __future__ import annotations

from dataclasses import dataclass

from microfab.catalog.lines import CheckedUpload, LineEstimator
from microfab.clock import Clock
from microfab.errors import Conflict, NotFound
from microfab.ids import IdFactory
from microfab.orders.model import Upload
from microfab.storage import UnitOfWorkFactory


@dataclass(frozen=True)
class Uploaded:
    upload: Upload
    checked: CheckedUpload
    created: bool


class UploadService:
    def __init__(
        self, uow: UnitOfWorkFactory, estimator: LineEstimator, clock: Clock, ids: IdFactory
    ) -> None:
        self._uow = uow
        self._estimator = estimator
        self._clock = clock
        self._ids = ids

    def add(self, customer_id: str, filename: str, data: bytes, thumbnail: bool = True) -> Uploaded:
        """Check, estimate and keep ``data``; refused files raise with what to change."""
        upload_id = self._ids("upl")
        checked = self._estimator.check_upload(data, filename, upload_id, thumbnail)
        upload = Upload(
            id=upload_id,
            customer_id=customer_id,
            filename=filename,
            sha256=checked.sha256,
            size_bytes=len(data),
            uploaded_at=self._clock.now(),
            estimate=checked.estimate,
        )
        with self._uow() as uow:
            earlier = uow.uploads.find(customer_id, checked.sha256)
            if earlier is not None:
                return Uploaded(earlier, checked, created=False)
            try:
                uow.uploads.add(upload, data)
                uow.commit()
            except Conflict:  # the same file, uploaded at the same moment by another request
                uow.rollback()
                earlier = uow.uploads.find(customer_id, checked.sha256)
                if earlier is None:
                    raise
                return Uploaded(earlier, checked, created=False)
        return Uploaded(upload, checked, created=True)

    def get(self, upload_id: str, customer_id: str | None = None) -> Upload:
        """The upload; ``NotFound`` as well when it is not ``customer_id``'s (if given)."""
        with self._uow() as uow:
            upload = uow.uploads.get(upload_id)
        if customer_id is not None and upload.customer_id != customer_id:
            raise NotFound(f"no upload {upload_id!r}")
        return upload

    def data(self, upload_id: str, customer_id: str | None = None) -> bytes:
        """The uploaded file's bytes, as received."""
        self.get(upload_id, customer_id)
        with self._uow() as uow:
            return uow.uploads.data(upload_id)
