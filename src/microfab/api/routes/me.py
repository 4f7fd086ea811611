"""The caller: who their key says they are, and, for a person's key, their own work list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from microfab.access import Principal, Role
from microfab.api.auth import EVERYONE, allow
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.factories import PersonWorkPublic
from microfab.api.schemas.me import CallerPublic
from microfab.errors import PermissionDenied
from microfab.execution.views import person_view

router = APIRouter(prefix="/v1/me", tags=["me"])

Caller = Annotated[Principal, Depends(allow(*EVERYONE))]
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]


@router.get(
    "",
    operation_id="getCaller",
    summary="Who the API key in the request is: its role and what it is limited to",
    responses=problem_responses(401),
)
def get_caller(caller: Caller) -> CallerPublic:
    return CallerPublic.of(caller)


@router.get(
    "/work",
    operation_id="getMyWork",
    summary="A person's own work list, for the key that belongs to them",
    responses=problem_responses(401, 403, 404),
)
def get_my_work(services: ServicesDep, caller: Operator) -> PersonWorkPublic:
    if caller.person_id is None:
        raise PermissionDenied(
            "this operator key belongs to no one in particular: create one for the person with "
            "`microfab apikey create --role operator --factory F --person ID`, or read "
            "/v1/factories/{id}/people/{person}"
        )
    assert caller.factory_id is not None  # an operator key always names its factory
    view = person_view(
        services.uow, services.network, caller.factory_id, caller.person_id, services.clock.now()
    )
    return PersonWorkPublic.of_view(view)
