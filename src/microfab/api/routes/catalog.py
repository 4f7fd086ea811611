"""The catalog: product templates, the JSON Schema of their parameters, previews, uploads."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from microfab.access import Principal
from microfab.api.auth import BUYERS, EVERYONE, allow
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.catalog import (
    GeometryPublic,
    MachineCheckPublic,
    PreviewCreate,
    PreviewPublic,
    ProductPublic,
    ProductsPublic,
    ProductSummary,
    UploadPublic,
)
from microfab.catalog.dfm import check
from microfab.catalog.errors import NotManufacturable
from microfab.catalog.estimate import estimate
from microfab.catalog.exports import export
from microfab.catalog.geometry import Solid
from microfab.catalog.limits import IsolatedBuilder, Limits
from microfab.catalog.profiles import PROFILES
from microfab.catalog.registry import Registry
from microfab.catalog.service import (
    Candidate,
    CatalogService,
    MachineCheck,
    candidate_for,
    refusal,
)
from microfab.catalog.uploads import read_model
from microfab.network.model import Network

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


def get_catalog(request: Request) -> CatalogService:
    """The app's catalog service, made on first use: templates from the environment, built in
    a worker process under a time and memory limit."""
    catalog: CatalogService | None = getattr(request.app.state, "catalog", None)
    if catalog is None:
        catalog = CatalogService(Registry.from_environment(), IsolatedBuilder(Limits()))
        request.app.state.catalog = catalog
    return catalog


CatalogDep = Annotated[CatalogService, Depends(get_catalog)]


def candidates(
    network: Network, processes: tuple[str, ...], material: str | None
) -> list[Candidate]:
    """One candidate per kind of machine in the network's factories that could make the part."""
    seen: dict[tuple[str, str, object], Candidate] = {}
    for site in network.factories:
        for machine in site.machines:
            if machine.process.value not in processes or machine.process.value not in PROFILES:
                continue
            if material is not None and machine.materials and material not in machine.materials:
                continue
            key = (machine.process.value, machine.model, machine.build_volume_mm)
            if key not in seen:
                seen[key] = candidate_for(*key)
    return list(seen.values())


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


@uploads_router.post(
    "",
    operation_id="uploadModel",
    summary="Upload an STL or 3MF model (the raw file as the body) to check and estimate it",
    responses=problem_responses(401, 403, 413, 422),
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
    services: ServicesDep,
    caller: Annotated[Principal, Depends(allow(*BUYERS))],
    filename: Annotated[str, Query(min_length=5, max_length=200, examples=["knob.stl"])],
) -> UploadPublic:
    data = await request.body()
    return await run_in_threadpool(_check_upload, data, filename, services.network)


def _check_upload(data: bytes, filename: str, network: Network) -> UploadPublic:
    solid = read_model(data, filename)
    checks = [_machine_check(solid, c) for c in candidates(network, ("fdm",), None)]
    if checks and not any(c.report.ok for c in checks):
        raise NotManufacturable(refusal(tuple(checks)))
    return UploadPublic(
        filename=filename,
        geometry=GeometryPublic.of(solid),
        machines=[MachineCheckPublic.of(c) for c in checks],
        thumbnail_png=base64.b64encode(export(solid, ".png")).decode("ascii"),
    )


def _machine_check(solid: Solid, candidate: Candidate) -> MachineCheck:
    report = check(solid, candidate.profile)
    return MachineCheck(
        candidate, report, estimate(solid, candidate.profile) if report.ok else None
    )
