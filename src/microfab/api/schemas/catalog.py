"""The catalog: product templates with the JSON Schema of their parameters, and previews."""

from __future__ import annotations

import base64
from typing import Any, Self

from pydantic import BaseModel, Field

from microfab.api.schemas.common import Input, UtcTime
from microfab.api.schemas.orders import EstimatePublic
from microfab.catalog.geometry import Geometry, Solid
from microfab.catalog.model import ProductTemplate
from microfab.catalog.service import MachineCheck, Preview
from microfab.network.model import Network
from microfab.orders.model import Upload
from microfab.orders.uploads import Uploaded


class ProductSummary(BaseModel):
    id: str = Field(examples=["phone-grip"])
    name: str
    description: str
    version: int
    materials: list[str]
    unit_mass_kg: float

    @classmethod
    def of(cls, product: ProductTemplate) -> Self:
        return cls(
            id=product.id,
            name=product.name,
            description=product.description,
            version=product.version,
            materials=list(product.materials),
            unit_mass_kg=product.unit_mass_kg,
        )


class ProductsPublic(BaseModel):
    items: list[ProductSummary]


class MaterialPublic(BaseModel):
    id: str
    name: str
    unit: str


class OperationPublic(BaseModel):
    name: str
    process: str
    setup_minutes: float
    attended: bool


class ComponentUsePublic(BaseModel):
    sku: str
    name: str
    quantity: int


class ProductPublic(ProductSummary):
    """A product template: the JSON Schema of its parameters, materials and routing."""

    parameters: dict[str, Any] = Field(description="A JSON Schema for `params` of an order line.")
    material_options: list[MaterialPublic]
    routing: list[OperationPublic]
    components: list[ComponentUsePublic]

    @classmethod
    def of_template(cls, product: ProductTemplate, network: Network) -> Self:
        materials = [network.materials[m] for m in product.materials]
        return cls(
            **dict(ProductSummary.of(product)),
            parameters=product.json_schema(),
            material_options=[MaterialPublic(id=m.id, name=m.name, unit=m.unit) for m in materials],
            routing=[
                OperationPublic(
                    name=op.name,
                    process=op.process,
                    setup_minutes=op.setup_minutes,
                    attended=op.attended,
                )
                for op in product.routing
            ],
            components=[
                ComponentUsePublic(
                    sku=use.sku, name=network.components[use.sku].name, quantity=use.quantity
                )
                for use in product.components
            ],
        )


class PreviewCreate(Input):
    """Parameters a customer typed, to see the product before ordering it."""

    params: dict[str, Any] = Field(default_factory=dict, examples=[{"name": "Ada"}])
    material: str | None = Field(default=None, examples=["pla"])
    thumbnail: bool = Field(default=True, description="Include a PNG preview (base64).")


class MachineCheckPublic(BaseModel):
    """The printability checks of the part on one kind of machine, and its estimate there."""

    machine: str
    process: str
    printable: bool
    problems: list[str]
    notes: list[str]
    estimate: dict[str, Any] | None

    @classmethod
    def of(cls, check: MachineCheck) -> Self:
        return cls(
            machine=check.candidate.profile.name,
            process=check.candidate.process,
            printable=check.report.ok,
            problems=[f.message for f in check.report.problems],
            notes=[f.message for f in check.report.notes],
            estimate=check.estimate.as_dict() if check.estimate else None,
        )


class GeometryPublic(BaseModel):
    kind: str = Field(examples=["solid"])
    size_mm: list[float] = Field(examples=[[72.0, 30.0, 4.0]])
    volume_mm3: float | None = None
    triangles: int | None = None
    cut_length_mm: float | None = None

    @classmethod
    def of(cls, geometry: Geometry) -> Self:
        if isinstance(geometry, Solid):
            return cls(
                kind="solid",
                size_mm=[round(s, 2) for s in geometry.size_mm],
                volume_mm3=round(geometry.volume_mm3, 1),
                triangles=int(geometry.manifold.num_tri()),
            )
        return cls(
            kind="sheet",
            size_mm=[round(s, 2) for s in geometry.size_mm],
            cut_length_mm=round(geometry.cut_length_mm, 1),
        )


class PreviewPublic(BaseModel):
    """A checked design: its geometry, where it can be made, how long it takes, a thumbnail."""

    product: str
    template: str
    version: int
    params: dict[str, Any]
    geometry: GeometryPublic
    machines: list[MachineCheckPublic]
    build_ms: float
    thumbnail_png: str | None = Field(default=None, description="PNG, base64-encoded.")

    @classmethod
    def of(cls, product_id: str, preview: Preview) -> Self:
        return cls(
            product=product_id,
            template=preview.template.id,
            version=preview.template.version,
            params=preview.values,
            geometry=GeometryPublic.of(preview.geometry),
            machines=[MachineCheckPublic.of(c) for c in preview.checks],
            build_ms=round(preview.build_ms, 1),
            thumbnail_png=preview.thumbnail_base64 if preview.thumbnail_png else None,
        )


class UploadPublic(BaseModel):
    """An uploaded model, checked and estimated on the network's printers, kept to be ordered."""

    id: str = Field(description="Name it as `upload_id` in an order line.")
    customer_id: str
    filename: str
    size_bytes: int
    sha256: str
    uploaded_at: UtcTime
    estimate: EstimatePublic = Field(description="What lines made from it are priced with.")
    geometry: GeometryPublic | None = Field(
        default=None, description="On upload only, as are `machines` and the thumbnail."
    )
    machines: list[MachineCheckPublic] = []
    thumbnail_png: str | None = Field(default=None, description="PNG, base64-encoded.")

    @classmethod
    def of_upload(cls, upload: Upload) -> Self:
        return cls(
            id=upload.id,
            customer_id=upload.customer_id,
            filename=upload.filename,
            size_bytes=upload.size_bytes,
            sha256=upload.sha256,
            uploaded_at=upload.uploaded_at,
            estimate=EstimatePublic.of(upload.estimate),
        )

    @classmethod
    def of(cls, uploaded: Uploaded) -> Self:
        checked = uploaded.checked
        return cls.of_upload(uploaded.upload).model_copy(
            update={
                "geometry": GeometryPublic.of(checked.solid),
                "machines": [MachineCheckPublic.of(c) for c in checked.checks],
                "thumbnail_png": base64.b64encode(checked.thumbnail_png).decode("ascii"),
            }
        )
