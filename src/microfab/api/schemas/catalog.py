"""The catalog: product templates with the JSON Schema of their parameters."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, Field

from microfab.catalog.model import ProductTemplate
from microfab.network.model import Network


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
