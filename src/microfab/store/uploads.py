"""Uploaded models in SQL: the ``UploadRepository`` over the ``uploads`` table.

Reads of the record leave the file's bytes in the database; ``data`` fetches them alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from microfab.catalog.model import LineEstimate
from microfab.errors import Conflict, NotFound
from microfab.orders.model import Upload
from microfab.store.statements import insert_new
from microfab.store.tables import uploads

RECORD = [c for c in uploads.c if c.name != "data"]


class SqlUploads:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, upload: Upload, data: bytes) -> None:
        row = {
            "id": upload.id,
            "customer_id": upload.customer_id,
            "filename": upload.filename,
            "sha256": upload.sha256,
            "size_bytes": upload.size_bytes,
            "uploaded_at": upload.uploaded_at,
            "estimate": upload.estimate.as_dict(),
            "data": data,
        }
        if not insert_new(self._session, uploads, row):
            raise Conflict(f"upload {upload.id} or this file of {upload.customer_id} exists")

    def get(self, upload_id: str) -> Upload:
        row = self._session.execute(select(*RECORD).where(uploads.c.id == upload_id)).first()
        if row is None:
            raise NotFound(f"no upload {upload_id!r}")
        return _upload(row)

    def find(self, customer_id: str, sha256: str) -> Upload | None:
        statement = select(*RECORD).where(
            uploads.c.customer_id == customer_id, uploads.c.sha256 == sha256
        )
        row = self._session.execute(statement).first()
        return _upload(row) if row is not None else None

    def data(self, upload_id: str) -> bytes:
        data = self._session.scalar(select(uploads.c.data).where(uploads.c.id == upload_id))
        if data is None:
            raise NotFound(f"no upload {upload_id!r}")
        return bytes(data)


def _upload(row: Row[Any]) -> Upload:
    return Upload(
        id=row.id,
        customer_id=row.customer_id,
        filename=row.filename,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        uploaded_at=row.uploaded_at,
        estimate=LineEstimate.from_dict(row.estimate),
    )
