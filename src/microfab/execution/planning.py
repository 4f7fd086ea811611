"""Turning a routed order into jobs and tasks, and a failed task into a new attempt."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from microfab.execution.model import Job, Task
from microfab.ids import IdFactory
from microfab.network.model import Network, Site
from microfab.orders.model import Order, OrderLine, piece_places
from microfab.scheduling.dispatch import Plan, PlannedStep, SiteLoad, place_step


def jobs_and_tasks(
    order: Order, plan: Plan, ids: IdFactory, now: datetime
) -> tuple[list[Job], list[Task]]:
    """One job per order line, one task per planned step."""
    jobs = [
        Job(
            ids("job"),
            order.id,
            i,
            plan.site.id,
            line.product_id,
            line.quantity,
            line.material,
            now,
            _piece_places(plan, i, line),
        )
        for i, line in enumerate(order.lines)
    ]
    tasks = [_task(ids("tsk"), jobs[step.line_index], order, step) for step in plan.steps]
    return jobs, tasks


def _piece_places(plan: Plan, line_index: int, line: OrderLine) -> int:
    """The places a piece of the line takes in its batch steps' runs at the plan's factory,
    whichever of its batch machines the plan or the floor gives it (one if it has none)."""
    processes = {s.operation.process for s in plan.steps if s.line_index == line_index}
    return max((piece_places(plan.site, p, line) for p in processes), default=1)


def _task(task_id: str, job: Job, order: Order, step: PlannedStep) -> Task:
    return Task(
        id=task_id,
        job_id=job.id,
        order_id=order.id,
        factory_id=job.factory_id,
        step=step.step,
        operation=step.operation.name,
        process=step.operation.process,
        machine_id=step.machine.id,
        setup_family=step.setup_family,
        attended=step.operation.attended,
        minutes=round(step.minutes, 3),
        planned_start=step.start,
        planned_end=step.end,
    )


def next_attempt(
    network: Network,
    site: Site,
    failed: Task,
    job: Job,
    order: Order,
    load: SiteLoad,
    new_id: str,
    now: datetime,
) -> Task:
    """The same operation again, on whichever capable machine finishes it first."""
    product = network.product(job.product_id)
    line = order.lines[job.line_index]
    operation = product.routing[failed.step]
    step = place_step(site, product, line, (job.line_index, failed.step), operation, now, load)
    return replace(
        _task(new_id, job, order, step),
        attempt=failed.attempt + 1,
    )
