"""The catalog: product templates and the JSON Schema of their parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from microfab.access import Principal
from microfab.api.auth import EVERYONE, allow
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.catalog import ProductPublic, ProductsPublic, ProductSummary

router = APIRouter(prefix="/v1/catalog", tags=["catalog"])

Anyone = Annotated[Principal, Depends(allow(*EVERYONE))]


@router.get(
    "",
    operation_id="listProducts",
    summary="Every product that can be ordered",
    responses=problem_responses(401),
)
def list_products(services: ServicesDep, caller: Anyone) -> ProductsPublic:
    products = sorted(services.network.products.values(), key=lambda p: p.id)
    return ProductsPublic(items=[ProductSummary.of(p) for p in products])


@router.get(
    "/{product_id}",
    operation_id="getProduct",
    summary="One product: its parameters as JSON Schema, its materials and routing",
    responses=problem_responses(401, 404, 422),
)
def get_product(product_id: str, services: ServicesDep, caller: Anyone) -> ProductPublic:
    product = services.network.product(product_id)
    return ProductPublic.of_template(product, services.network)
