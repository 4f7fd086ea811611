"""The catalog: product templates, the JSON Schema of their parameters, previews, uploads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from microfab.access import Principal, Role
from microfab.api.auth import BUYERS, EVERYONE, allow, unseen
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.catalog import (
    PreviewCreate,
    PreviewPublic,
    ProductPublic,
    ProductsPublic,
    ProductSummary,
    UploadPublic,
)
from microfab.catalog.limits import IsolatedBuilder, Limits
from microfab.catalog.registry import Registry
from microfab.catalog.service import CatalogService, candidates
from microfab.errors import InvalidInput, NotFound

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


def get_catalog(request: Request, services: ServicesDep) -> CatalogService:
    """The app's catalog service, made on first use: templates from the environment, built in
    a worker process under a time and memory limit. When the services build orders' designs
    that way too (``microfab serve``), previews share their catalog: a preview and the order
    that follows it build the design once."""
    catalog: CatalogService | None = getattr(request.app.state, "catalog", None)
    if catalog is None:
        if services.estimator.isolated:
            catalog = services.estimator.catalog
        else:
            catalog = CatalogService(Registry.from_environment(), IsolatedBuilder(Limits()))
        request.app.state.catalog = catalog
    return catalog


CatalogDep = Annotated[CatalogService, Depends(get_catalog)]


@router.post(
    "/{product_id}/preview",
    operation_id="previewProduct",
    summary="Check parameters, build the design, check it can be made and estimate it",
    responses=problem_responses(401, 404, 422),
)
def preview_product(
    product_id: str,
    body: PreviewCreate,
    services: ServicesDep,
    catalog: CatalogDep,
    caller: Anyone,
) -> PreviewPublic:
    product = services.network.product(product_id)
    if body.material is not None:
        product.check_material(body.material)
    values = product.validate(body.params)
    template = catalog.template_of(product)
    colour = values.get("colour")
    preview = catalog.preview(
        template,
        values,
        candidates(services.network, template.processes, body.material),
        thumbnail=body.thumbnail,
        colour=colour if isinstance(colour, str) else None,
    )
    return PreviewPublic.of(product_id, preview)


uploads_router = APIRouter(prefix="/v1/uploads", tags=["catalog"])
Buyer = Annotated[Principal, Depends(allow(*BUYERS))]


@uploads_router.post(
    "",
    operation_id="uploadModel",
    summary="Upload an STL or 3MF model (the raw file as the body) to check, estimate and keep it",
    description="The answer's `id` is what a line of a product made from uploads (such as "
    "`custom-print`) names as `upload_id`. The same file uploaded again by the same customer "
    "answers 200 with the first upload; a new one answers 201.",
    status_code=201,
    responses={200: {"model": UploadPublic}, **problem_responses(401, 403, 413, 422)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_model(
    request: Request,
    response: Response,
    services: ServicesDep,
    caller: Buyer,
    filename: Annotated[str, Query(min_length=5, max_length=200, examples=["knob.stl"])],
    customer_id: Annotated[
        str | None,
        Query(max_length=100, description="Whose model it is; a customer key uploads its own."),
    ] = None,
) -> UploadPublic:
    if caller.role is not Role.CUSTOMER and not customer_id:
        raise InvalidInput("say which customer the upload is for (?customer_id=...)")
    customer = caller.customer_for(customer_id)
    data = await request.body()
    uploaded = await run_in_threadpool(services.uploads.add, customer, filename, data)
    if uploaded.created:
        response.headers["Location"] = str(
            request.url_for("get_upload", upload_id=uploaded.upload.id)
        )
    else:
        response.status_code = 200
    return UploadPublic.of(uploaded)


@uploads_router.get(
    "/{upload_id}",
    operation_id="getUpload",
    summary="An upload: its file name, size and the estimate lines made from it are priced with",
    responses=problem_responses(401, 403, 404),
)
def get_upload(upload_id: str, services: ServicesDep, caller: Buyer) -> UploadPublic:
    try:
        upload = services.uploads.get(upload_id, caller.customer_id)
    except NotFound:
        raise unseen(caller, "upload", upload_id) from None
    return UploadPublic.of_upload(upload)
