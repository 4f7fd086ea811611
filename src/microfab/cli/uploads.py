"""``microfab upload add|show``: a customer's STL or 3MF model, kept to quote and order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from microfab.cli.common import DbOption, console, user_errors
from microfab.cli.orders import JsonOption, _estimate_text, _services
from microfab.errors import InvalidInput
from microfab.orders.model import Upload

upload_app = typer.Typer(help="Upload models to order them as custom-print.", no_args_is_help=True)


@upload_app.command("add")
@user_errors
def add(
    path: Annotated[Path, typer.Argument(help="An .stl or .3mf file")],
    customer: Annotated[str, typer.Option(help="Customer id: whose model it is")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check, estimate and keep a model; prints the upload id to order it with."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    with _services(db) as services:
        uploaded = services.uploads.add(customer, path.name, data, thumbnail=False)
    _show(uploaded.upload, as_json)


@upload_app.command("show")
@user_errors
def show(
    upload_id: Annotated[str, typer.Argument(help="Upload id")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an upload and the estimate its prints are priced with."""
    with _services(db) as services:
        upload = services.uploads.get(upload_id)
    _show(upload, as_json)


def _as_dict(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "customer_id": upload.customer_id,
        "filename": upload.filename,
        "size_bytes": upload.size_bytes,
        "sha256": upload.sha256,
        "uploaded_at": upload.uploaded_at.isoformat(),
        "estimate": upload.estimate.as_dict(),
    }


def _show(upload: Upload, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(_as_dict(upload)))
        return
    x, y, z = upload.estimate.size_mm
    console.print(
        f"[bold]{upload.id}[/] {upload.filename} for {upload.customer_id}: "
        f"{upload.size_bytes} bytes, {x:g} × {y:g} × {z:g} mm",
        highlight=False,
    )
    console.print(f"  estimate: {_estimate_text(upload.estimate)}", highlight=False)
