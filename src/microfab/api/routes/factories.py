"""Micro-factories: the list, one factory now (machines, queue, stock, people on shift), its
plan, and the maintenance windows booked on its machines."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from microfab.access import Principal
from microfab.api.auth import STAFF, allow, check_factory, factory_scope
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.factories import (
    FactoriesPublic,
    FactoryPublic,
    FactorySchedulePublic,
    FactorySummary,
    LateJobPublic,
    MaintenanceBooking,
    MaintenanceListPublic,
    MaintenancePublic,
    PersonWorkPublic,
)
from microfab.execution.maintenance import BookMaintenance
from microfab.execution.views import factory_plan, factory_view, person_view
from microfab.scheduling.gantt import gantt_html, gantt_rows, gantt_svg, late_jobs

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


@router.get(
    "/{factory_id}/people/{operator_id}",
    operation_id="getPersonWork",
    summary="One person's work list: what they attend now and what the plan gives them next",
    responses=problem_responses(401, 403, 404, 422),
)
def get_person_work(
    factory_id: str, operator_id: str, services: ServicesDep, caller: Staff
) -> PersonWorkPublic:
    check_factory(caller, factory_id)
    view = person_view(
        services.uow, services.network, factory_id, operator_id, services.clock.now()
    )
    return PersonWorkPublic.of_view(view)


@router.get(
    "/{factory_id}/schedule",
    operation_id="getFactorySchedule",
    summary="The factory's current plan: a Gantt chart as JSON rows, an HTML page or an SVG image",
    responses={
        200: {
            "content": {"text/html": {}, "image/svg+xml": {}},
            "description": "JSON rows; HTML with format=html, an SVG image with format=svg",
        },
        **problem_responses(401, 403, 404, 422),
    },
)
def get_factory_schedule(
    factory_id: str,
    services: ServicesDep,
    caller: Staff,
    output: Annotated[Literal["json", "html", "svg"], Query(alias="format")] = "json",
) -> Response:
    check_factory(caller, factory_id)
    plan = factory_plan(services.uow, services.network, factory_id, services.clock.now())
    if output == "html":
        return HTMLResponse(gantt_html(plan.instance, plan.schedule))
    if output == "svg":
        return Response(gantt_svg(plan.instance, plan.schedule), media_type="image/svg+xml")
    body = FactorySchedulePublic(
        factory_id=factory_id,
        origin=plan.origin,
        unit="minutes",
        rows=gantt_rows(plan.instance, plan.schedule),
        late=[
            LateJobPublic(
                job_id=job["job"],
                order_id=plan.orders[job["job"]],
                ready_by=plan.at(job["due"]),
                planned_end=plan.at(job["end"]),
                minutes_late=job["late"],
            )
            for job in late_jobs(plan.instance, plan.schedule)
        ],
    )
    return JSONResponse(body.model_dump(mode="json"))


@router.get(
    "/{factory_id}/maintenance",
    operation_id="listMaintenance",
    summary="The maintenance windows on now or ahead at the factory, by start",
    responses=problem_responses(401, 403, 404, 422),
)
def list_maintenance(
    factory_id: str, services: ServicesDep, caller: Staff
) -> MaintenanceListPublic:
    check_factory(caller, factory_id)
    windows = services.maintenance.ahead(factory_id)
    return MaintenanceListPublic(items=[MaintenancePublic.of(w) for w in windows])


@router.post(
    "/{factory_id}/maintenance",
    operation_id="bookMaintenance",
    summary="Book a window when one machine takes no work; the factory re-plans around it",
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def book_maintenance(
    factory_id: str, body: MaintenanceBooking, services: ServicesDep, caller: Staff
) -> MaintenancePublic:
    check_factory(caller, factory_id)
    command = BookMaintenance(factory_id, body.machine_id, body.start, body.end, body.reason)
    return MaintenancePublic.of(services.maintenance.book(command))


@router.post(
    "/{factory_id}/maintenance/{maintenance_id}/cancel",
    operation_id="cancelMaintenance",
    summary="Cancel a maintenance window not yet over; the machine takes work again",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def cancel_maintenance(
    factory_id: str, maintenance_id: str, services: ServicesDep, caller: Staff
) -> MaintenancePublic:
    check_factory(caller, factory_id)
    return MaintenancePublic.of(services.maintenance.cancel(factory_id, maintenance_id))
