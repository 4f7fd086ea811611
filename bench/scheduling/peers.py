"""The two peers microfab is measured against, behind one call: ``run(name, instance, ...)``.

- ``textbook``: the CP-SAT model every tutorial shows (one interval per operation — one
  optional interval per machine when there is a choice —, NoOverlap per machine, precedences,
  minimise the makespan), no hint, no extra constraint.
- ``pyjobshop``: PyJobShop's own CP-SAT model, built through its public ``Model`` API.

Each returns its schedule in microfab's terms so that the same checker judges all three.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from microfab.scheduling.cpsat import Settings, solve
from microfab.scheduling.model import Assignment, Instance, Schedule


@dataclass(frozen=True)
class Outcome:
    solver: str
    schedule: Schedule | None
    makespan: int | None
    bound: int
    status: str
    seconds: float


def run(name: str, instance: Instance, time_limit: float, workers: int) -> Outcome:
    runner = {"microfab": _microfab, "textbook": _textbook, "pyjobshop": _pyjobshop}[name]
    return runner(instance, time_limit, workers)


def _microfab(instance: Instance, time_limit: float, workers: int) -> Outcome:
    solution = solve(instance, Settings(time_limit=time_limit, workers=workers))
    schedule = solution.schedule
    return Outcome(
        "microfab",
        schedule,
        schedule.makespan,
        solution.lower_bound,
        solution.status,
        solution.seconds,
    )


def _textbook(instance: Instance, time_limit: float, workers: int) -> Outcome:
    began = time.monotonic()
    model = cp_model.CpModel()
    horizon = sum(max(op.durations.values()) for op in instance.iter_operations())
    starts, ends, chosen = {}, {}, {}
    per_machine: dict[str, list[cp_model.IntervalVar]] = {m.id: [] for m in instance.machines}
    for op in instance.iter_operations():
        starts[op.id] = model.new_int_var(0, horizon, "")
        ends[op.id] = model.new_int_var(0, horizon, "")
        if len(op.durations) == 1:
            ((machine, duration),) = op.durations.items()
            interval = model.new_interval_var(starts[op.id], duration, ends[op.id], "")
            per_machine[machine].append(interval)
            chosen[op.id] = {machine: model.new_constant(1)}
            continue
        chosen[op.id] = {}
        for machine, duration in op.durations.items():
            lit = model.new_bool_var("")
            chosen[op.id][machine] = lit
            per_machine[machine].append(
                model.new_optional_interval_var(starts[op.id], duration, ends[op.id], lit, "")
            )
        model.add_exactly_one(chosen[op.id].values())
    for op_id, before in instance.predecessor.items():
        model.add(starts[op_id] >= ends[before.id])
    for intervals in per_machine.values():
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, [ends[j.operations[-1].id] for j in instance.jobs])
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    code = solver.solve(model)
    seconds = time.monotonic() - began
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome("textbook", None, None, 0, solver.status_name(code).lower(), seconds)
    rows = tuple(
        Assignment(
            op.id,
            next(m for m, lit in chosen[op.id].items() if solver.boolean_value(lit)),
            solver.value(starts[op.id]),
            solver.value(ends[op.id]),
        )
        for op in instance.iter_operations()
    )
    status = solver.status_name(code).lower()
    bound = int(solver.best_objective_bound)
    return Outcome("textbook", Schedule(rows), int(solver.objective_value), bound, status, seconds)


def _pyjobshop(instance: Instance, time_limit: float, workers: int) -> Outcome:
    from pyjobshop import Model  # the bench extra; imported only when asked for

    began = time.monotonic()
    model = Model()
    machines = {m.id: model.add_machine(name=m.id) for m in instance.machines}
    tasks, modes = {}, []
    for job in instance.jobs:
        pj_job = model.add_job(name=job.id)
        for op in job.operations:
            task = model.add_task(pj_job, name=op.id)
            tasks[op.id] = task
            for machine, duration in op.durations.items():
                model.add_mode(task, machines[machine], duration)
                modes.append((op.id, machine))
    for op_id, before in instance.predecessor.items():
        model.add_end_before_start(tasks[before.id], tasks[op_id])
    model.set_objective(weight_makespan=1)
    result = model.solve(time_limit=time_limit, display=False, num_workers=workers)
    seconds = time.monotonic() - began
    status = str(result.status.value).lower()
    if result.best is None or (status in {"infeasible", "time_limit"} and not result.best.tasks):
        return Outcome("pyjobshop", None, None, 0, status, seconds)
    names = [t.name for t in model.tasks]
    rows = tuple(
        Assignment(names[k], modes[t.mode][1], t.start, t.end)
        for k, t in enumerate(result.best.tasks)
    )
    bound = int(result.lower_bound)
    return Outcome("pyjobshop", Schedule(rows), int(result.objective), bound, status, seconds)
