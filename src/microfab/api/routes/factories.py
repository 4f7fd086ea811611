"""Micro-factories: the list, and one factory now (machines, queue, stock, people on shift)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from microfab.access import Principal
from microfab.api.auth import STAFF, allow, check_factory, factory_scope
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.factories import FactoriesPublic, FactoryPublic, FactorySummary
from microfab.execution.views import factory_view

router = APIRouter(prefix="/v1/factories", tags=["factories"])

Staff = Annotated[Principal, Depends(allow(*STAFF))]


@router.get(
    "",
    operation_id="listFactories",
    summary="The micro-factories (an operator sees only their own)",
    responses=problem_responses(401, 403),
)
def list_factories(services: ServicesDep, caller: Staff) -> FactoriesPublic:
    only = factory_scope(caller, None)
    sites = [s for s in services.network.factories if only in (None, s.id)]
    return FactoriesPublic(items=[FactorySummary.of(s) for s in sites])


@router.get(
    "/{factory_id}",
    operation_id="getFactory",
    summary="One factory now: machines with their live state, queue, stock, people on shift",
    responses=problem_responses(401, 403, 404, 422),
)
def get_factory(factory_id: str, services: ServicesDep, caller: Staff) -> FactoryPublic:
    check_factory(caller, factory_id)
    view = factory_view(services.uow, services.network, factory_id, services.clock.now())
    return FactoryPublic.of_view(view)
