"""Jobs: one order line made at one factory, with its tasks (every attempt)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from microfab.access import Principal
from microfab.api.auth import STAFF, allow, factory_scope, unseen
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.factories import JobDetail, JobPublic, JobsPublic
from microfab.errors import NotFound
from microfab.execution.views import job_view, jobs
from microfab.storage import MAX_PAGE

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

Staff = Annotated[Principal, Depends(allow(*STAFF))]


@router.get(
    "",
    operation_id="listJobs",
    summary="The newest jobs, of one factory or one order (an operator sees their factory's)",
    responses=problem_responses(401, 403, 422),
)
def list_jobs(
    services: ServicesDep,
    caller: Staff,
    factory_id: Annotated[str | None, Query(max_length=100)] = None,
    order_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> JobsPublic:
    found = jobs(services.uow, factory_scope(caller, factory_id), order_id, limit)
    return JobsPublic(items=[JobPublic.of(j) for j in found])


@router.get(
    "/{job_id}",
    operation_id="getJob",
    summary="One job with its tasks",
    responses=problem_responses(401, 403, 404, 422),
)
def get_job(job_id: str, services: ServicesDep, caller: Staff) -> JobDetail:
    try:
        view = job_view(services.uow, job_id)
    except NotFound:
        raise unseen(caller, "job", job_id) from None
    if factory_scope(caller, None) not in (None, view.job.factory_id):
        raise unseen(caller, "job", job_id)
    return JobDetail.of_view(view)
