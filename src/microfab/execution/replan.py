"""Re-planning a factory: its open tasks as a scheduling problem, and the answer back as tasks.

When a factory gets new orders, loses a machine or gets it back, the controller hands its open
work to ``microfab.scheduling``: every scheduled task becomes an operation that any capable
machine of the factory can run (its duration scaled by the machine's speed, in as many runs as
a batch machine's capacity needs for its pieces), with the job's due date (when it must be
ready to still arrive as promised), its setup family, and the skill of a person if it is
attended; running tasks are frozen where they are. The changeover-aware ATCS
rule gives a plan at once; with a time budget, CP-SAT then improves it. The plan is written back
as each task's machine and planned start and end, which is what the machines claim work by.

Time in the problem is whole minutes from ``now``.
"""

from __future__ import annotations

import math
import time as timer
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from microfab.execution.model import Job, Task, TaskState
from microfab.network.model import MachineSpec, Network, Process, Site, person_stretches, staff_runs
from microfab.network.model import Operator as Person
from microfab.orders.model import NORMAL_PRIORITY, OrderLine, line_machines, minutes_moved
from microfab.scheduling.model import (
    Assignment,
    Criterion,
    Instance,
    Machine,
    Objective,
    Operation,
    Operator,
    Schedule,
    Window,
    objective_value,
    ranking,
)
from microfab.scheduling.model import Job as SchedulingJob
from microfab.scheduling.repair import builds_in_time
from microfab.scheduling.rules import RULES, dispatch, kept_unless_beaten, tuned_atcs

HORIZONS = (timedelta(days=2), timedelta(days=7), timedelta(days=28))
"""How far ahead people's shifts are laid out: the shortest that fits the work (a longer one
only makes CP-SAT's model bigger)."""

SHIFT_LOOKBACK = timedelta(days=3)
"""How far before an attended step's latest end its last shift is looked for (a weekend)."""


@dataclass(frozen=True)
class PlanningSettings:
    """How to plan: ``greedy`` never re-plans (each order stays where it was first placed);
    ``atcs`` re-plans with the dispatch rule, and CP-SAT improves on it within ``seconds``."""

    planner: str = "atcs"
    seconds: float = 0.0
    workers: int = 1


@dataclass(frozen=True)
class FactoryState:
    """What re-planning a factory needs besides its tasks."""

    jobs: Mapping[str, Job]
    due: Mapping[str, datetime]
    """When each order must be ready (order id to time)."""
    down_until: Mapping[str, datetime] = field(default_factory=dict)
    """Machines that cannot work now, and until when."""
    lines: Mapping[str, OrderLine] = field(default_factory=dict)
    """Each job's order line, where known: its part's size rules out machines too small."""
    loaded: Mapping[str, str] = field(default_factory=dict)
    """The setup family each machine last started work of (machine id to family), where known:
    the plan's first task there of another family pays the changeover."""
    priority: Mapping[str, int] = field(default_factory=dict)
    """Each order's priority, the weight of its lateness (order id to priority; 1 if missing)."""
    closed: Mapping[str, Sequence[tuple[datetime, datetime]]] = field(default_factory=dict)
    """Each machine's maintenance windows (machine id to ``[start, end)``): the plan keeps the
    machine free then, after the work running on it."""


@dataclass(frozen=True)
class FactoryProblem:
    site: Site
    now: datetime
    instance: Instance
    frozen: Mapping[str, Assignment]
    tasks: Mapping[str, Task]
    minutes: Mapping[tuple[str, str], float]
    """Each task's exact minutes on each machine that can run it (the plan rounds them up)."""


@dataclass(frozen=True)
class Replan:
    """A factory's new plan: the tasks that moved, and the solver's account of it."""

    moved: list[Task]
    objective: int
    solver: str
    seconds: float


def replan_factory(
    network: Network,
    site: Site,
    tasks: Iterable[Task],
    state: FactoryState,
    now: datetime,
    settings: PlanningSettings,
) -> Replan:
    """Plan ``site``'s open work from ``now`` on and move its scheduled tasks to match."""
    tasks = list(tasks)
    for horizon in HORIZONS[:-1]:
        try:
            return replan(factory_problem(network, site, tasks, state, now, horizon), settings)
        except ValueError:
            continue  # some attended work does not fit in the shifts laid out: look further
    return replan(factory_problem(network, site, tasks, state, now, HORIZONS[-1]), settings)


def factory_problem(
    network: Network,
    site: Site,
    tasks: Iterable[Task],
    state: FactoryState,
    now: datetime,
    horizon: timedelta = HORIZONS[0],
) -> FactoryProblem:
    """The scheduling instance of ``site``'s open ``tasks`` as they stand at ``now``."""
    by_job: dict[str, list[Task]] = {}
    for task in tasks:
        if task.state is TaskState.SCHEDULED or task.state is TaskState.RUNNING:
            by_job.setdefault(task.job_id, []).append(task)
    jobs: list[SchedulingJob] = []
    frozen: dict[str, Assignment] = {}
    minutes: dict[tuple[str, str], float] = {}
    runs = _run_numbers(t for ts in by_job.values() for t in ts)
    for job_id, job_tasks in by_job.items():
        job = state.jobs[job_id]
        operations = []
        for task in sorted(job_tasks, key=lambda t: t.step):
            line = state.lines.get(job_id)
            operation, on = _operation(network, site, job, task, line, now)
            operations.append(operation)
            minutes.update(((task.id, m), v) for m, v in on.items())
            if task.state is TaskState.RUNNING:
                run = runs.get(task.run) if task.run is not None else None
                frozen[task.id] = _running(task, now, run)
        due = state.due.get(job.order_id)
        if due is not None:
            waiting = [
                t for t in sorted(job_tasks, key=lambda t: t.step) if t.state is TaskState.SCHEDULED
            ]
            due = due_within_shifts(site, waiting, due)
        jobs.append(
            SchedulingJob(
                job_id,
                tuple(operations),
                due=None if due is None else _minutes(due - now),
                weight=state.priority.get(job.order_id, NORMAL_PRIORITY),
            )
        )
    running_until: dict[str, int] = {}
    for a in frozen.values():
        running_until[a.machine] = max(running_until.get(a.machine, 0), a.end)
    machines = tuple(
        _machine(
            m,
            _families_on(m.id, jobs, state.loaded),
            state.down_until,
            now,
            state.loaded.get(m.id, ""),
            _maintenance(
                state.closed.get(m.id, ()), now, running_until.get(m.id, 0), m.changeover_minutes
            ),
        )
        for m in site.machines
    )
    operators = tuple(_operator(site, person, now, horizon) for person in site.operators)
    instance = Instance(
        f"{site.id}@{now.isoformat()}", tuple(jobs), machines, operators, site.objective
    )
    instance, frozen = _with_people(instance, frozen)
    all_tasks = {t.id: t for ts in by_job.values() for t in ts}
    return FactoryProblem(site, now, instance, frozen, all_tasks, minutes)


def replan(problem: FactoryProblem, settings: PlanningSettings) -> Replan:
    """Plan the factory's open work and move its scheduled tasks to match."""
    began = timer.monotonic()
    rule = _rule(problem.instance.objective, settings.planner)
    if rule == "atcs":
        schedule = tuned_atcs(problem.instance, problem.frozen, 0)
    else:
        schedule = dispatch(problem.instance, rule, problem.frozen, 0)
    solver = rule
    kept = _kept(problem, schedule)
    if kept is not None:
        schedule, solver = kept, "kept"
    left = settings.seconds - (timer.monotonic() - began)  # the rule has taken its share
    if settings.seconds > 0 and _worth_solving(problem, left):
        improved = _improve(problem, schedule, settings, began)
        if improved is not None:
            schedule, solver = improved, "cp-sat"
    moved = _apply(problem, schedule)
    value = objective_value(problem.instance, schedule)
    return Replan(moved, value, solver, timer.monotonic() - began)


def _kept(problem: FactoryProblem, fresh: Schedule) -> Schedule | None:
    """The factory's current plan, compacted: each task on its machine, in its machine's
    order, with its run mates and its person, as early as they allow now, unless the rule's
    ``fresh`` plan ranks better (``rules.kept_unless_beaten``; a tie keeps it, so people and
    machines see their work in the order they were shown, unless the fresh plan finishes the
    jobs sooner in all). None too where its attended work overruns the shifts laid out (the
    fresh plan then decides how far ahead to look).
    """
    runs: dict[tuple[str, str | tuple[str, datetime]], int] = {}
    rows = []
    for task in problem.tasks.values():
        if task.state is not TaskState.SCHEDULED:
            continue
        batch = None
        machine = problem.instance.machine.get(task.machine_id)
        if machine is not None and machine.capacity > 1:
            key = (task.machine_id, task.run_key(True))
            batch = runs.setdefault(key, len(runs) + 1)
        start = _minutes(task.planned_start - problem.now)  # before now if overdue: its order
        rows.append(Assignment(task.id, task.machine_id, start, start, batch, task.operator_id))
    plan = Schedule((*problem.frozen.values(), *rows))
    return kept_unless_beaten(problem.instance, plan, fresh, problem.frozen, 0, no_earlier=False)


def _rule(objective: Objective, planner: str) -> str:
    """The dispatch rule for a factory's objective: most work remaining first where the makespan
    is all that counts, else the planner's (ATCS weighs lateness against changeovers)."""
    if objective.criteria == (Criterion.MAKESPAN,):
        return "mwkr"
    return planner if planner in RULES else "atcs"


def _improve(
    problem: FactoryProblem, schedule: Schedule, settings: PlanningSettings, began: float
) -> Schedule | None:
    from microfab.scheduling.cpsat import Settings, solve

    left = settings.seconds - (timer.monotonic() - began)
    if left < 0.1:
        return None
    solution = solve(
        problem.instance,
        Settings(time_limit=left, workers=settings.workers, lns=False),
        hint=schedule,
        frozen=problem.frozen,
        not_before=0,
    )
    better = ranking(problem.instance, solution.schedule) < ranking(problem.instance, schedule)
    return solution.schedule if better else None


def _worth_solving(problem: FactoryProblem, seconds: float) -> bool:
    """Whether CP-SAT's model can be built in the ``seconds`` left of the budget."""
    open_operations = len(problem.instance.operations) - len(problem.frozen)
    return open_operations > 0 and builds_in_time(problem.instance, open_operations, seconds)


def _apply(problem: FactoryProblem, schedule: Schedule) -> list[Task]:
    moved = []
    for task in problem.tasks.values():
        if task.state is not TaskState.SCHEDULED:
            continue
        a = schedule.of[task.id]
        start = problem.now + timedelta(minutes=a.start)
        minutes = problem.minutes[task.id, a.machine]
        # a batch run's parts are done when the run is: as long as its longest part
        end = start + timedelta(minutes=a.end - a.start if a.batch is not None else minutes)
        planned = (task.machine_id, task.planned_start, task.planned_end, task.operator_id)
        if planned == (a.machine, start, end, a.operator):
            continue
        task.minutes = minutes
        task.machine_id = a.machine
        task.planned_start = start
        task.planned_end = end
        task.operator_id = a.operator
        moved.append(task)
    return moved


# -- building the problem ------------------------------------------------------------------------


def _operation(
    network: Network,
    site: Site,
    job: Job,
    task: Task,
    line: OrderLine | None,
    now: datetime,
) -> tuple[Operation, dict[str, float]]:
    """The task as an operation, and its exact minutes on each machine that can run it.

    A task under way is what is left of it: it runs from now for the minutes it has to go.
    """
    if task.state is TaskState.RUNNING:
        minutes: dict[str, float] = {task.machine_id: _left(task, now, task.minutes)}
    else:
        routing = network.product(job.product_id).routing[task.step]
        if line is None:
            material = job.material if routing.uses_material else None
            capable = site.machines_for(Process(task.process), material)
        else:
            capable = line_machines(site, line, routing)
        current = next((m for m in site.machines if m.id == task.machine_id), None)
        setup = routing.setup_minutes
        minutes = {m.id: minutes_on(task, job, current, m, setup) for m in capable}
        # no machine gets work longer than it is ever open at a stretch
        minutes = {m.id: v for m in capable if (v := minutes[m.id]) <= site.longest_open(m)}
        minutes = minutes or {task.machine_id: task.minutes}
    durations = {m: max(1, math.ceil(v)) for m, v in minutes.items()}
    skill = task.process if task.attended else None
    attended = None
    longest = site.longest_shift(Process(task.process))
    if skill is not None and longest and max(durations.values()) > longest:
        attended = longest
    operation = Operation(
        task.id, job.id, durations, task.setup_family, skill, attended, size=job.places
    )
    return operation, minutes


def minutes_on(
    task: Task, job: Job, current: MachineSpec | None, machine: MachineSpec, setup: float
) -> float:
    """``task``'s minutes (as planned on ``current``) on ``machine``: set-ups stay as they
    are; a piece's time scales with the machines' speeds, and a batch machine makes the job's
    pieces in as many runs as its places need, a one-part machine one after another."""
    if current is None or machine.id == current.id:
        return task.minutes
    moved = minutes_moved(task.minutes, job.quantity, setup, current, machine, job.piece_places)
    return round(moved, 3)


def _run_numbers(tasks: Iterable[Task]) -> dict[str, tuple[int, float]]:
    """Each batch run under way: its number, so its tasks stay one batch in the new plan, and
    its length, its longest task's."""
    lengths: dict[str, float] = {}
    for t in tasks:
        if t.state is TaskState.RUNNING and t.run:
            lengths[t.run] = max(lengths.get(t.run, 0.0), t.minutes)
    return {run: (k, lengths[run]) for k, run in enumerate(sorted(lengths), start=1)}


def _running(task: Task, now: datetime, run: tuple[int, float] | None = None) -> Assignment:
    """A task under way holds its machine (with its run) from now for the time the run has left.

    The plan starts at now: work placed before it would break the release dates, shifts and
    set-up the plan starts from, and CP-SAT's model, whose times begin at 0, would have no
    schedule at all.
    """
    batch, minutes = run if run is not None else (None, task.minutes)
    person = task.operator_id if task.attended else None
    return Assignment(task.id, task.machine_id, 0, _left(task, now, minutes), batch, person)


def _left(task: Task, now: datetime, minutes: float) -> int:
    """Whole minutes left at ``now`` of the work the task started (one at least).

    The work is ``minutes`` long, or longer when the machine changed over first (the task's
    planned end, set when it started, counts the changeover). Its length and the minutes since
    its start are each rounded up, as the plan had them when it placed the work at its start:
    rounding what is left up instead put work under way up to a minute later, and in the live
    benchmark (48 h, seeds 1 and 3) late deliveries went from 40 and 26 to 69 and 59.
    """
    if task.started_at is None:
        return max(1, math.ceil(minutes))
    length = max(math.ceil(minutes), _minutes(task.planned_end - task.started_at))
    return max(1, length - _minutes(now - task.started_at))


def due_within_shifts(site: Site, steps: Sequence[Task], due: datetime) -> datetime:
    """When a job of ``steps`` (in order) must be done to be ready by ``due``, given that its
    attended steps wait for a person on shift.

    An attended step must end in the last shift window that fits it before the step's latest
    end; work after it must follow. A job whose last step is a pack due at 3 a.m. is due when
    the evening shift ends: packed after that, it waits for the morning shift and is late, and a
    plan that counted its slack to 3 a.m. would let it slip there.
    """
    bound = due
    latest = due
    after = 0.0
    for step in reversed(steps):
        if step.attended:
            latest = _latest_attended_end(site, Process(step.process), latest, step.minutes)
            bound = min(bound, latest + timedelta(minutes=after))
        after += step.minutes
        latest -= timedelta(minutes=step.minutes)
    return bound


def _latest_attended_end(
    site: Site, process: Process, latest: datetime, minutes: float
) -> datetime:
    """The latest end, at or before ``latest``, of ``minutes`` of work done within one shift
    window (``latest`` itself when no window in the days before fits it)."""
    need = timedelta(minutes=minutes)
    windows = site.shift_windows(process, latest - SHIFT_LOOKBACK, SHIFT_LOOKBACK.days + 1)
    ends = [min(end, latest) for begin, end in windows if begin + need <= min(end, latest)]
    return max(ends, default=latest)


def _with_people(
    instance: Instance, frozen: Mapping[str, Assignment]
) -> tuple[Instance, dict[str, Assignment]]:
    """Attended work under way holds people as the floor has it (``network.model.staff_runs``,
    as ``execution.crew`` counts them): a run keeps the person attending it while they are on
    shift, for as long as their shift lasts; a run that names nobody, or someone at another
    run, takes a skilled person on shift who is free, each their own as far as the people
    allow, so two sewing runs under way hold both sewers, not the first of them twice. A run
    whose person has gone home, or that nobody is left for, goes on unattended, holding
    nobody, as on the floor."""
    on = {p.id: p for p in instance.operators if p.off_at(0) is not None}
    runs: dict[tuple[str, int | str], list[Assignment]] = {}
    for a in frozen.values():
        if instance.operations[a.operation].skill is not None:
            key = (a.machine, a.batch if a.batch is not None else a.operation)
            runs.setdefault(key, []).append(a)
    needs = [(m[0].operator, instance.operations[m[0].operation].skill) for m in runs.values()]
    gone = {p.id for p in instance.operators} - set(on)
    staffed = staff_runs([(p.id, p.skills) for p in on.values()], needs, gone)
    people = dict(frozen)
    changed: dict[str, Operation] = {}
    for members, who in zip(runs.values(), staffed, strict=True):
        off = on[who].off_at(0) if who is not None else None
        for a in members:
            op = instance.operations[a.operation]
            if off is None:
                changed[op.id] = replace(op, skill=None, attended=None)
            elif op.attended_time(a.end - a.start) > off:
                changed[op.id] = replace(op, attended=off)
            people[a.operation] = replace(a, operator=who)
    return _with_operations(instance, changed), people


def _with_operations(instance: Instance, changed: Mapping[str, Operation]) -> Instance:
    if not changed:
        return instance
    jobs = tuple(
        replace(j, operations=tuple(changed.get(op.id, op) for op in j.operations))
        for j in instance.jobs
    )
    return replace(instance, jobs=jobs)


def _families_on(
    machine_id: str, jobs: Iterable[SchedulingJob], loaded: Mapping[str, str]
) -> set[str]:
    """The setup families a machine may have to change between: its possible work's, and the
    one it holds now. A machine whose work is all one family (a resin printer with only one
    resin to print) then has no changeovers."""
    families = {op.family for j in jobs for op in j.operations if machine_id in op.durations}
    if machine_id in loaded:
        families.add(loaded[machine_id])
    return families


def changeover_matrix(spec: MachineSpec, families: Iterable[str]) -> dict[tuple[str, str], int]:
    """The machine's changeover, in whole minutes, between every two of ``families``."""
    minutes = math.ceil(spec.changeover_minutes)
    if minutes <= 0:
        return {}
    families = set(families)
    return {(a, b): minutes for a in families for b in families if a != b}


def _machine(
    spec: MachineSpec,
    families: set[str],
    down_until: Mapping[str, datetime],
    now: datetime,
    setup: str = "",
    maintenance: Sequence[Window] = (),
) -> Machine:
    changeovers = changeover_matrix(spec, families)
    windows = list(maintenance)
    back = down_until.get(spec.id)
    if back is not None and back > now:
        windows.append(Window(0, max(1, _minutes(back - now))))
    return Machine(
        spec.id, spec.process.value, changeovers, tuple(windows), spec.batch_capacity, setup
    )


def _maintenance(
    windows: Iterable[tuple[datetime, datetime]],
    now: datetime,
    running_until: int,
    changeover: float = 0.0,
) -> list[Window]:
    """A machine's maintenance windows in the plan's minutes, each from when the work running
    on the machine ends if that is later (it finishes first), and lasting its ``changeover``
    longer: the solvers count a changeover before the work after a window, which may not fall
    in it, so the plan leaves room for one (work of the family the machine holds may start
    that much earlier on the floor)."""
    found = []
    for start, end in windows:
        begin = max(_minutes_down(start - now), running_until, 0)
        finish = _minutes(end - now)
        if finish > begin:
            found.append(Window(begin, finish + math.ceil(changeover)))
    return found


def _operator(site: Site, person: Person, now: datetime, horizon: timedelta) -> Operator:
    """The person with their shifts in whole minutes from ``now``, each within the shift: its
    start rounded up and its end down. Ends rounded up had let the plan finish a pack up to a
    minute after the evening shift; the floor then could not start it, the plan slipped it to
    the morning and the next re-plan put it back, up to 12 times for one order (five of 37
    late orders over five 48 h demo days ended that way, 2026-12-08)."""
    first = now.astimezone(site.tz).date() - timedelta(days=1)
    stretches = person_stretches(site.tz, person, first, horizon.days + 2)
    minutes = ((_minutes(begin - now), _minutes_down(end - now)) for begin, end in stretches)
    windows = tuple(Window(max(start, 0), end) for start, end in minutes if end > 0)
    return Operator(person.id, frozenset(p.value for p in person.skills), windows)


def _minutes(delta: timedelta) -> int:
    return math.ceil(delta.total_seconds() / 60)


def _minutes_down(delta: timedelta) -> int:
    return math.floor(delta.total_seconds() / 60)
