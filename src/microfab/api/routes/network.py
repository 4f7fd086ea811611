"""The network at a glance: its sites, regions and size."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from microfab.access import Principal
from microfab.api.auth import PLANNERS, allow
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.factories import NetworkPublic

router = APIRouter(prefix="/v1/network", tags=["network"])


@router.get(
    "",
    operation_id="getNetwork",
    summary="The network: name, currency, counts, regions and every site",
    responses=problem_responses(401, 403),
)
def get_network(
    services: ServicesDep, caller: Annotated[Principal, Depends(allow(*PLANNERS))]
) -> NetworkPublic:
    return NetworkPublic.of(services.network)
