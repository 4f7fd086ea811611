"""The network controller: moves every open order one step further whenever it is called.

Each ``step`` is one transaction. It collects what machines report, routes and schedules new
orders, claims tasks that can start, ships finished orders and delivers arrived ones, and writes
it all at once. Commands to machines are sent only after the claim is committed, and a machine's
report is acknowledged only after its outcome is committed, so nothing is lost or done twice when
the process stops at any point. A step that loses a race with another writer (say, a customer
cancelling through the API) is rolled back whole and simply runs again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from microfab.clock import Clock
from microfab.errors import MachineError, OutOfStock, StaleState
from microfab.execution.active import RELOAD_EVERY, ActiveTasks
from microfab.execution.crew import Crew, name_people
from microfab.execution.holds import Hold, hold_for
from microfab.execution.maintenance import Closed, closed_machines, minutes_before
from microfab.execution.model import ACTIVE_TASK_STATES, Job, Task, TaskState
from microfab.execution.planning import jobs_and_tasks, next_attempt
from microfab.execution.queues import (
    backlog_hours,
    bookings,
    place_minutes,
    queued_hours,
    site_loads,
)
from microfab.execution.replan import FactoryState, PlanningSettings, minutes_on, replan_factory
from microfab.execution.slips import slipped
from microfab.footprint.model import transport_kg
from microfab.ids import IdFactory
from microfab.inventory.service import Shelves, receive_arrivals, reorder
from microfab.machines.base import JobReport, Machine, MachineJob, MachineState, MachineStatus
from microfab.network.model import MachineSpec, Network, Operator, Process, Site
from microfab.orders.model import (
    WAITING_FOR_ROUTE,
    Order,
    OrderLine,
    OrderState,
    Shipment,
    line_machines,
    stock_needs,
)
from microfab.quoting.service import (
    delivery_at,
    delivery_distance_km,
    ready_by,
    shipped_mass_kg,
)
from microfab.routing.service import choose_factory
from microfab.scheduling.dispatch import Plan, SiteLoad, plan_order, site_load
from microfab.scheduling.model import NoStart
from microfab.storage import MachineRecord, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

REPLAN_EVERY = timedelta(hours=1)
"""A factory is re-planned at least this often, so that drift from the plan is absorbed."""

REPLAN_GAP = timedelta(minutes=5)
"""The least time between two re-plans of a factory for new orders, at 100 open tasks."""


READY_TOLERANCE = timedelta(minutes=15)
"""How far a re-plan must move an order's finish before the order's ready time follows it."""


def replanning_gap(scheduled: int) -> timedelta:
    """How long new orders wait before their factory is re-planned again.

    The dispatch rule's time grows with the square of the open tasks (measured on one factory:
    200 operations 0.05 s, 400 0.22 s, 800 0.86 s), so a factory with a long queue is re-planned
    less often for new orders (they are placed into its plan meanwhile); a machine going down or
    coming back, or a failed task, re-plans it at once.
    """
    return REPLAN_GAP * max(1.0, (scheduled / 100) ** 2)


_UNAVAILABLE = frozenset({MachineState.DOWN, MachineState.OFFLINE})


@dataclass
class StepReport:
    routed: int = 0
    started: int = 0
    finished: int = 0
    failed: int = 0
    shipped: int = 0
    delivered: int = 0
    restocked: int = 0
    reordered: int = 0
    replanned: int = 0
    moved: int = 0
    slipped: int = 0
    acknowledgements: list[tuple[str, str]] = field(default_factory=list)
    recorded: dict[str, MachineState] = field(default_factory=dict)
    set_up: dict[str, str | None] = field(default_factory=dict)
    """The setup family recorded for each machine whose record was written."""


class NetworkController:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        network: Network,
        clock: Clock,
        machines: Mapping[str, Machine],
        ids: IdFactory,
        max_attempts: int = MAX_ATTEMPTS,
        planning: PlanningSettings | None = None,
    ) -> None:
        self._uow = uow
        self._network = network
        self._clock = clock
        self._machines = dict(machines)
        self._ids = ids
        self._max_attempts = max_attempts
        self._sites = {m.id: s for s in network.factories for m in s.machines}
        self._jobs: dict[str, Job] = {}
        self._recorded: dict[str, MachineState] = {}
        self._recorded_family: dict[str, str | None] = {}
        self._shift_waits: set[tuple[str, str]] = set()
        self._active: ActiveTasks | None = None
        self._planning = planning or PlanningSettings()
        self._due: dict[str, datetime] = {}
        self._priority: dict[str, int] = {}
        # The priorities of re-prioritised open orders as last read: a change re-plans at once.
        self._reprioritised: dict[str, int] = {}
        self._lines: dict[str, tuple[OrderLine, ...]] = {}
        self._to_plan: set[str] = set()
        self._urgent: set[str] = set()
        # The setup family of the work each machine last started: its plan starts from it.
        self._loaded: dict[str, str] = {}
        self._planned_at: dict[str, datetime] = {}
        self._plan_due: dict[str, datetime] = {}
        # The ready time each open order was last given (a step that fails forgets them all).
        self._expected: dict[str, datetime] = {}
        # Each machine's maintenance windows ahead, as read this step, and the windows each
        # factory was last planned with: a change re-plans it at once.
        self._closed: Closed = {}
        self._closed_seen: dict[str, set[tuple[str, datetime, datetime]]] = {}
        self._windows_changed: set[str] = set()

    @property
    def machines(self) -> Mapping[str, Machine]:
        return self._machines

    def recover(self) -> int:
        """After a restart: tell each machine which job the store says it is running, and
        remember what each machine is set up for."""
        with self._uow() as uow:
            running = uow.tasks.in_states(None, (TaskState.RUNNING,))
            records = uow.machines.all()
        for record in records:
            if record.family is not None and record.machine_id in self._machines:
                self._loaded[record.machine_id] = record.family
        for run in _runs(running):
            lead = run[0]
            if lead.machine_id in self._machines and lead.started_at is not None:
                self._machines[lead.machine_id].resume(_job_of(run), lead.started_at)
                self._loaded[lead.machine_id] = lead.setup_family
        return len(running)

    def step(self) -> StepReport:
        """Advance the network to the clock's now; retried once if another writer interferes."""
        try:
            return self._step()
        except StaleState as exc:
            log.info("step lost a race and will run again: %s", exc)
            return self._step()

    def _step(self) -> StepReport:
        now = self._clock.now()
        statuses = {mid: machine.status() for mid, machine in self._machines.items()}
        report = StepReport()
        try:
            with self._uow() as uow:
                active = self._active_tasks(uow)
                self._read_maintenance(uow, now)
                self._collect(uow, active, statuses, now, report)
                report.restocked = receive_arrivals(uow, now)
                routed = self._route(uow, active, now, report)
                self._replan(uow, active, statuses, now, report)
                self._promise(uow, active, routed, now)
                claimed = self._claim(uow, active, statuses, now, report)
                self._slip(uow, active, claimed, now, report)
                self._ship(uow, now, report)
                self._deliver(uow, now, report)
                self._record_machines(uow, statuses, claimed, now, report)
                uow.runtime.put("network_time", now.isoformat())
                uow.commit()
            self._recorded.update(report.recorded)
            self._recorded_family.update(report.set_up)
            for machine_id, job_id in report.acknowledgements:
                self._machines[machine_id].acknowledge(job_id)
            self._start(active, claimed, now, report)
        except BaseException:
            self._active = None
            self._closed_seen.clear()  # the next step takes every window as new
            self._planned_at.clear()
            self._plan_due.clear()
            self._expected.clear()
            raise
        return report

    def _active_tasks(self, uow: UnitOfWork) -> ActiveTasks:
        if self._active is None or self._active.steps >= RELOAD_EVERY:
            self._active = ActiveTasks(uow.tasks.in_states(None, ACTIVE_TASK_STATES))
            self._jobs.clear()
            self._due.clear()
            self._priority.clear()
            self._lines.clear()
        self._active.steps += 1
        return self._active

    # -- machine reports ---------------------------------------------------------------------

    def _collect(
        self,
        uow: UnitOfWork,
        active: ActiveTasks,
        statuses: Mapping[str, MachineStatus],
        now: datetime,
        report: StepReport,
    ) -> None:
        for machine_id, status in sorted(statuses.items()):
            if status.report is None:
                continue
            report.acknowledgements.append((machine_id, status.report.job_id))
            self._settle(uow, active, status.report, now, report)

    def _settle(
        self,
        uow: UnitOfWork,
        active: ActiveTasks,
        outcome: JobReport,
        now: datetime,
        report: StepReport,
    ) -> None:
        lead = active.get(outcome.job_id) or uow.tasks.get(outcome.job_id)
        if lead.state is not TaskState.RUNNING:
            return
        run = [lead]
        if lead.run is not None:
            run += [t for t in active.all() if t.run == lead.run and t is not lead]
        for task in run:
            if task.state is not TaskState.RUNNING:
                continue
            if outcome.finished:
                task.finish(outcome.at)
                uow.tasks.save(task)
                active.settle(task)
                report.finished += 1
                self._finish_order_if_done(uow, active, task.order_id, outcome.at)
            else:
                task.fail(outcome.at, outcome.reason)
                uow.tasks.save(task)
                active.settle(task)
                report.failed += 1
                self._retry(uow, active, task, now)

    def _finish_order_if_done(
        self, uow: UnitOfWork, active: ActiveTasks, order_id: str, at: datetime
    ) -> None:
        if active.for_order(order_id):
            return
        self._expected.pop(order_id, None)
        order = uow.orders.get(order_id)
        if order.state is OrderState.IN_PRODUCTION:
            order.finish(at)
            uow.orders.save(order)

    def _retry(self, uow: UnitOfWork, active: ActiveTasks, failed: Task, now: datetime) -> None:
        order = uow.orders.get(failed.order_id)
        if failed.attempt >= self._max_attempts:
            self._give_up(uow, active, order, failed, now)
            return
        site = self._network.site(failed.factory_id)
        booked = bookings(active.for_site(site.id), now)
        load = site_load(site, booked, now, self._loaded, self._closed)
        job = self._job(uow, failed.job_id)
        attempt = next_attempt(self._network, site, failed, job, order, load, self._ids("tsk"), now)
        uow.tasks.add(attempt)
        active.add(attempt)
        self._urgent.add(site.id)

    def _give_up(
        self, uow: UnitOfWork, active: ActiveTasks, order: Order, failed: Task, now: datetime
    ) -> None:
        reason = f"task {failed.operation} failed {failed.attempt} times at {failed.factory_id}"
        for task in active.for_order(order.id):
            if task.state is TaskState.SCHEDULED:
                task.cancel(now, reason)
                uow.tasks.save(task)
                active.settle(task)
        order.fail(now, reason)
        order.reroute(now, "made again elsewhere")
        uow.orders.save(order)

    # -- routing and scheduling ----------------------------------------------------------------

    def _route(
        self, uow: UnitOfWork, active: ActiveTasks, now: datetime, report: StepReport
    ) -> list[Order]:
        """Route waiting orders and place their tasks; the new tasks are added to ``active``."""
        waiting = uow.orders.in_states(WAITING_FOR_ROUTE)
        if not waiting:
            return []
        tasks = active.all()
        pieces = {t.job_id: self._job(uow, t.job_id).places for t in tasks}
        backlog = backlog_hours(self._network, tasks, pieces)
        loads = site_loads(self._network, tasks, now, pieces, self._loaded, self._closed)
        shelves = Shelves(uow)
        touched: list[tuple[str, str]] = []
        routed: list[Order] = []
        for order in waiting:
            plans = _Plans(self._network, order, loads, now)
            site = choose_factory(
                self._network, order, backlog, shelves.level, delivery=plans.delivery
            )
            if site is None:
                continue
            needs = stock_needs(self._network, order.lines)
            try:
                for sku, quantity in needs.items():
                    shelves.take(site.id, sku, quantity)
            except OutOfStock:
                continue
            touched.extend((site.id, sku) for sku in needs)
            plan = plans.at(site)
            jobs, tasks = jobs_and_tasks(order, plan, self._ids, now)
            name_people(site, active.for_site(site.id), tasks)
            for job in jobs:
                uow.tasks.add_job(job)
                self._jobs[job.id] = job
            for step in plan.steps:
                loads[site.id].book(step)
            for step, task in zip(plan.steps, tasks, strict=True):
                uow.tasks.add(task)
                active.add(task)
                key = (site.id, task.process)
                work = place_minutes(task.minutes, step.pieces, step.machine.batch_capacity)
                backlog[key] = backlog.get(key, 0.0) + queued_hours(site, task.process, work)
            order.route_to(site.id, now)
            self._due[order.id] = self._due_at(order, site)
            self._priority[order.id] = order.priority
            self._lines[order.id] = order.lines
            self._to_plan.add(site.id)
            routed.append(order)
            report.routed += 1
        report.reordered = len(reorder(uow, self._network, touched, now, self._ids))
        return routed

    def _due_at(self, order: Order, site: Site) -> datetime:
        """When ``order`` must be ready at ``site`` to arrive as promised."""
        return ready_by(self._network, site, order.destination, order.promised_at)

    def _replan(
        self,
        uow: UnitOfWork,
        active: ActiveTasks,
        statuses: Mapping[str, MachineStatus],
        now: datetime,
        report: StepReport,
    ) -> None:
        """Re-plan the factories that changed: at once when a machine went down or came back or
        a task failed, otherwise once the factory's re-planning gap has passed."""
        down = self._down_until(statuses, now)
        for machine_id, status in statuses.items():
            if (self._recorded.get(machine_id) in _UNAVAILABLE) != (status.state in _UNAVAILABLE):
                self._urgent.add(self._sites[machine_id].id)
        if self._planning.planner == "greedy":
            self._to_plan.clear()
            self._urgent.clear()
            return
        self._notice_priorities(uow)
        for site in self._network.factories:
            urgent = site.id in self._urgent
            waiting = self._plan_due.get(site.id)
            if not urgent and waiting is not None and now < waiting:
                continue  # within the gap: new orders were placed into its plan meanwhile
            last = self._planned_at.get(site.id)
            stale = last is None or now - last >= REPLAN_EVERY
            if not (urgent or stale or site.id in self._to_plan):
                continue
            self._replan_site(uow, active, site, down, now, report)
        self._to_plan -= {site_id for site_id, at in self._planned_at.items() if at == now}
        self._urgent.clear()

    def _replan_site(
        self,
        uow: UnitOfWork,
        active: ActiveTasks,
        site: Site,
        down: Mapping[str, datetime],
        now: datetime,
        report: StepReport,
    ) -> None:
        tasks = active.for_site(site.id)
        self._planned_at[site.id] = now
        scheduled = sum(1 for t in tasks if t.state is TaskState.SCHEDULED)
        self._plan_due[site.id] = now + replanning_gap(scheduled)
        if not scheduled:
            return
        state = FactoryState(
            jobs={t.job_id: self._job(uow, t.job_id) for t in tasks},
            due={t.order_id: self._due_of(uow, t.order_id) for t in tasks},
            down_until=down,
            lines={t.job_id: self._line_of(uow, t) for t in tasks},
            loaded=self._loaded,
            priority={t.order_id: self._priority_of(uow, t.order_id) for t in tasks},
            closed=self._closed,
        )
        try:
            plan = replan_factory(self._network, site, tasks, state, now, self._planning)
        except NoStart as exc:
            # e.g. attended work whose only machines are booked for maintenance past the
            # shifts laid out: the factory keeps its plan, and the others are planned
            log.warning("factory %s keeps its plan; it could not be re-planned: %s", site.id, exc)
            return
        uow.tasks.move(plan.moved)
        self._expect_ready(uow, active, {t.order_id for t in plan.moved})
        report.replanned += 1
        report.moved += len(plan.moved)

    def _read_maintenance(self, uow: UnitOfWork, now: datetime) -> None:
        """The maintenance windows ahead; a factory with a window booked or cancelled since the
        last step re-plans at once (one that is simply over changes nothing planned)."""
        windows = uow.maintenance.ahead(now)
        self._closed = closed_machines(windows, self._network, now)
        booked: dict[str, set[tuple[str, datetime, datetime]]] = {}
        for w in windows:
            booked.setdefault(w.factory_id, set()).add((w.id, w.start, w.end))
        for site_id in booked.keys() | self._closed_seen.keys():
            ahead, seen = booked.get(site_id, set()), self._closed_seen.get(site_id, set())
            if ahead - seen or any(end > now for _, _, end in seen - ahead):
                self._urgent.add(site_id)
                self._windows_changed.add(site_id)
        self._closed_seen = booked

    def _notice_priorities(self, uow: UnitOfWork) -> None:
        """Factories making an order whose priority a planner changed re-plan at once."""
        found = uow.orders.reprioritised()
        for change in found:
            if self._reprioritised.get(change.order_id) == change.priority:
                continue
            if change.order_id in self._priority:
                self._priority[change.order_id] = change.priority
            if change.factory_id is not None:
                self._urgent.add(change.factory_id)
        self._reprioritised = {c.order_id: c.priority for c in found}

    def _expect_ready(self, uow: UnitOfWork, active: ActiveTasks, order_ids: set[str]) -> None:
        """Orders whose work moved are expected when the new plan finishes it, once that is
        ``READY_TOLERANCE`` or more from the time they were last given."""
        for order_id in sorted(order_ids):
            ready = max(t.planned_end for t in active.for_order(order_id))
            known = self._expected.get(order_id)
            if known is not None and abs(ready - known) < READY_TOLERANCE:
                continue
            order = uow.orders.get(order_id)
            if order.expect_ready(ready):
                uow.orders.save(order)
            self._expected[order_id] = ready

    def _promise(
        self, uow: UnitOfWork, active: ActiveTasks, routed: list[Order], now: datetime
    ) -> None:
        """Newly routed orders are scheduled to be ready when their factory's plan says."""
        for order in routed:
            ready = max(t.planned_end for t in active.for_order(order.id))
            order.schedule(ready, now)
            uow.orders.save(order)
            self._expected[order.id] = ready

    def _due_of(self, uow: UnitOfWork, order_id: str) -> datetime:
        if order_id not in self._due:
            self._remember(uow.orders.get(order_id))
        return self._due[order_id]

    def _priority_of(self, uow: UnitOfWork, order_id: str) -> int:
        if order_id not in self._priority:
            self._remember(uow.orders.get(order_id))
        return self._priority[order_id]

    def _line_of(self, uow: UnitOfWork, task: Task) -> OrderLine:
        if task.order_id not in self._lines:
            self._remember(uow.orders.get(task.order_id))
        return self._lines[task.order_id][self._job(uow, task.job_id).line_index]

    def _remember(self, order: Order) -> None:
        assert order.factory_id is not None
        self._due[order.id] = self._due_at(order, self._network.site(order.factory_id))
        self._priority[order.id] = order.priority
        self._lines[order.id] = order.lines

    def _down_until(
        self, statuses: Mapping[str, MachineStatus], now: datetime
    ) -> dict[str, datetime]:
        """Machines that cannot take work now, and when they are expected back."""
        down = {}
        for machine_id, status in statuses.items():
            if status.state in _UNAVAILABLE:
                back = self._machines[machine_id].next_change_at()
                repair = timedelta(minutes=self._network.machine(machine_id)[1].repair_minutes)
                down[machine_id] = back if back is not None and back > now else now + repair
        return down

    # -- starting work -------------------------------------------------------------------------

    def _claim(
        self,
        uow: UnitOfWork,
        active: ActiveTasks,
        statuses: Mapping[str, MachineStatus],
        now: datetime,
        report: StepReport,
    ) -> list[Task]:
        claimed: list[Task] = []
        self._shift_waits.clear()
        by_site: dict[str, list[Task]] = {}
        for task in active.all():
            by_site.setdefault(task.factory_id, []).append(task)
        for site in self._network.factories:
            if site.id in by_site:
                claimed.extend(self._claim_at(uow, site, by_site[site.id], statuses, now))
        for order_id in dict.fromkeys(t.order_id for t in claimed):
            order = uow.orders.get(order_id)
            if order.state is OrderState.SCHEDULED:
                order.start_production(now)
                uow.orders.save(order)
        report.started += len(claimed)
        return claimed

    def _claim_at(
        self,
        uow: UnitOfWork,
        site: Site,
        active: list[Task],
        statuses: Mapping[str, MachineStatus],
        now: datetime,
    ) -> list[Task]:
        ready = _ready(active)
        if not ready:
            return []
        busy = {t.machine_id for t in active if t.state is TaskState.RUNNING}
        crew = Crew.of(site, active, now)
        # minutes each machine may work before its next maintenance window (none while on)
        spare = {m.id: minutes_before(self._closed.get(m.id, ()), now) for m in site.machines}
        idle = [
            m
            for m in site.machines
            if m.id not in busy
            and m.id in statuses
            and statuses[m.id].state is MachineState.IDLE
            and spare[m.id] > 0
        ]
        idle_ids = {m.id for m in idle}
        ready_ids = {t.id for t in ready}
        claimed: list[Task] = []
        started: set[str] = set()
        # First the work whose named person is free, then the rest with whoever is: nobody is
        # taken for other work while work the plan names them for can start.
        for named_only in (True, False):
            for machine in [m for m in idle if m.id not in started]:
                hold = hold_for(machine, active, ready_ids, now)  # after the claims before it
                picked = self._pick(
                    uow,
                    site,
                    machine,
                    ready,
                    idle_ids,
                    now,
                    crew,
                    hold,
                    named_only,
                    spare[machine.id],
                )
                if picked is None:
                    continue
                task, person = picked
                run = self._claim_run(
                    uow, machine, task, person, hold, ready, idle_ids, now, spare[machine.id]
                )
                if person is not None:
                    crew.take(person)
                started.add(machine.id)
                claimed.extend(run)
        return claimed

    def _claim_run(
        self,
        uow: UnitOfWork,
        machine: MachineSpec,
        task: Task,
        person: Operator | None,
        hold: Hold | None,
        ready: list[Task],
        idle_ids: set[str],
        now: datetime,
        spare: float = float("inf"),
    ) -> list[Task]:
        """Start ``task`` on ``machine`` now, with the parts that join its run, attended by
        ``person``; they leave ``ready``. The run ends within ``spare`` minutes, before the
        machine's next maintenance."""
        loaded = self._loaded.get(machine.id)
        change = machine.changeover_from(loaded, task.setup_family)
        room = float("inf") if hold is None else hold.room(machine, loaded, task, now)
        room = min(room, spare - change)
        # work planned on another machine takes this one's time: its speed, its runs
        task.minutes = self._minutes_here(uow, task, machine)
        run = [task, *self._mates(uow, machine, task, ready, idle_ids, room)]
        for member in run:
            member.machine_id = machine.id
        # The run ends when the machine has changed over and made its longest part: the
        # plan, the chart and the promises take that end from here on.
        ends = now + timedelta(minutes=change + max(t.minutes for t in run))
        for member in run:
            ready.remove(member)
            if len(run) > 1:
                member.run = task.id
            member.planned_end = ends
            if person is not None:
                member.operator_id = person.id
            member.start(now)
            uow.tasks.save(member)
        return run

    def _slip(
        self,
        uow: UnitOfWork,
        active: ActiveTasks,
        claimed: list[Task],
        now: datetime,
        report: StepReport,
    ) -> None:
        """Where work started later than planned or runs past its planned end, the plan after
        it slips (see ``execution.slips``), and the orders it delays are expected later."""
        late = [*claimed, *active.running_past(now)]
        # a factory whose windows changed slips its plan out of them too (a greedy planner
        # does not re-plan it)
        changed, self._windows_changed = self._windows_changed, set()
        for site_id in dict.fromkeys([*(t.factory_id for t in late), *sorted(changed)]):
            site = self._network.site(site_id)
            moved = slipped(site, active.for_site(site_id), now, self._closed)
            uow.tasks.move(moved)
            self._expect_ready(uow, active, {t.order_id for t in moved})
            report.slipped += len(moved)

    def _pick(
        self,
        uow: UnitOfWork,
        site: Site,
        machine: MachineSpec,
        ready: list[Task],
        idle_ids: set[str],
        now: datetime,
        crew: Crew,
        hold: Hold | None,
        named_only: bool = False,
        spare: float = float("inf"),
    ) -> tuple[Task, Operator | None] | None:
        """The machine's own next task, else one waiting for a machine that is not idle, with
        the person who attends it if it needs one (``named_only``: only the person the plan
        names, and nothing when the first task that needs someone does not have them); while
        the machine holds for a planned task, only work that ends before that task can
        start; only work that ends, changeover included, within ``spare`` minutes (before
        the machine's next maintenance)."""
        own = [t for t in ready if t.machine_id == machine.id]
        others = [
            t for t in ready if t.process == machine.process.value and t.machine_id not in idle_ids
        ]
        loaded = self._loaded.get(machine.id)
        for task in [*own, *others]:
            here = self._minutes_here(uow, task, machine)
            if hold is not None and not hold.allows(machine, loaded, task, here, now):
                continue
            # with the changeover: before maintenance, and the person sees it too
            minutes = machine.changeover_from(loaded, task.setup_family) + here
            if minutes > spare:
                continue
            if task.machine_id != machine.id and now + timedelta(minutes=minutes) > max(
                task.planned_end, now
            ):
                continue  # it would end later here than on its own machine, as planned
            if task.machine_id != machine.id and not self._can_take(uow, machine, task):
                continue
            if not task.attended:
                return task, None
            person = crew.person_for(task, minutes, named_only)
            if person is not None:
                return task, person
            if named_only:
                return None  # the second pass, with whoever is free, keeps the machine's order
            self._shift_waits.add((site.id, task.process))
        return None

    def _mates(
        self,
        uow: UnitOfWork,
        machine: MachineSpec,
        lead: Task,
        ready: list[Task],
        idle_ids: set[str],
        room: float,
    ) -> list[Task]:
        """What a batch machine makes in one run with ``lead``: ready tasks of its setup family
        and attendance, those the plan put in this run first, then this machine's later ones,
        then those waiting for a busy machine, as long as their pieces fit. An attended run
        takes no part longer than the lead, whose time the person on shift was found for; no
        part makes the run last longer than ``room`` minutes (a planned task is held for).
        Each mate takes its minutes on this machine (``_minutes_here``)."""
        if machine.batch_capacity < 2:
            return []
        alike = [
            t
            for t in ready
            if t is not lead
            and t.setup_family == lead.setup_family
            and t.attended == lead.attended
            and t.process == lead.process
            and (t.machine_id == machine.id or t.machine_id not in idle_ids)
        ]
        here = {t.id: self._minutes_here(uow, t, machine) for t in alike}
        fits = [
            t
            for t in alike
            if (not t.attended or here[t.id] <= lead.minutes)  # the person was found for lead's
            and here[t.id] <= max(room, lead.minutes)
        ]
        fits.sort(
            key=lambda t: (
                t.machine_id != machine.id,
                t.planned_start != lead.planned_start,
                t.planned_start,
                t.id,
            )
        )
        room = machine.batch_capacity - self._job(uow, lead.job_id).places
        mates: list[Task] = []
        for task in fits:
            pieces = self._job(uow, task.job_id).places
            if pieces > room:
                continue
            if task.machine_id == machine.id or self._can_take(uow, machine, task):
                task.minutes = here[task.id]  # its time on this machine, which takes it
                mates.append(task)
                room -= pieces
        return mates

    def _minutes_here(self, uow: UnitOfWork, task: Task, machine: MachineSpec) -> float:
        """``task``'s minutes on ``machine``: as planned on its own machine, else as the
        re-plan counts them there (``replan.minutes_on``)."""
        if task.machine_id == machine.id:
            return task.minutes
        job = self._job(uow, task.job_id)
        setup = self._network.product(job.product_id).routing[task.step].setup_minutes
        current = self._network.machine(task.machine_id)[1]
        return minutes_on(task, job, current, machine, setup)

    def _can_take(self, uow: UnitOfWork, machine: MachineSpec, task: Task) -> bool:
        product = self._network.product(self._job(uow, task.job_id).product_id)
        operation = product.routing[task.step]
        site = self._sites[machine.id]
        return machine in line_machines(site, self._line_of(uow, task), operation, product)

    def _start(
        self, active: ActiveTasks, claimed: list[Task], now: datetime, report: StepReport
    ) -> None:
        refused: list[tuple[Task, str]] = []
        for run in _runs(claimed):
            lead = run[0]
            try:
                self._machines[lead.machine_id].start(_job_of(run))
            except MachineError as exc:
                refused.extend((task, exc.message) for task in run)
            else:
                self._loaded[lead.machine_id] = lead.setup_family
        if not refused:
            return
        with self._uow() as uow:
            for task, reason in refused:
                task.fail(now, reason)
                uow.tasks.save(task)
                active.settle(task)
                report.failed += 1
                self._retry(uow, active, task, now)
            uow.commit()

    # -- shipping and delivery -----------------------------------------------------------------

    def _ship(self, uow: UnitOfWork, now: datetime, report: StepReport) -> None:
        for order in uow.orders.in_states((OrderState.FINISHED,)):
            assert order.factory_id is not None
            site = self._network.site(order.factory_id)
            lane = self._network.delivery_lane(site.id, order.destination.location)
            if lane is None:
                log.warning("no delivery lane from %s for order %s", site.id, order.id)
                continue
            distance = delivery_distance_km(site, lane, order.destination)
            mass = shipped_mass_kg(self._network, order.lines)
            order.ship(
                Shipment(
                    origin=site.id,
                    mode=lane.mode.value,
                    distance_km=round(distance, 1),
                    shipped_at=now,
                    arrives_at=now + lane.transit_time(distance),
                    cost_cents=round(lane.cents_per_shipment + lane.cents_per_kg * mass),
                    co2e_kg=round(
                        transport_kg(self._network.emission_factors, lane.mode, mass, distance), 6
                    ),
                )
            )
            uow.orders.save(order)
            report.shipped += 1

    def _deliver(self, uow: UnitOfWork, now: datetime, report: StepReport) -> None:
        for order in uow.orders.arriving_by(now):
            assert order.shipment is not None
            order.deliver(order.shipment.arrives_at)
            uow.orders.save(order)
            report.delivered += 1

    # -- bookkeeping ---------------------------------------------------------------------------

    def _record_machines(
        self,
        uow: UnitOfWork,
        statuses: Mapping[str, MachineStatus],
        claimed: list[Task],
        now: datetime,
        report: StepReport,
    ) -> None:
        """Write machine states and setup families that changed; remembered as written once the
        step commits. A machine starting work in this step is recorded set up for it: a job
        that starts and ends between two steps leaves no busy state to record it by."""
        starting = {t.machine_id: t.setup_family for t in claimed}
        for machine_id, status in statuses.items():
            family = starting.get(machine_id, self._loaded.get(machine_id))
            same = self._recorded_family.get(machine_id) == family
            if self._recorded.get(machine_id) is status.state and same:
                continue
            site = self._sites.get(machine_id)
            if site is None:
                continue
            uow.machines.record(
                MachineRecord(machine_id, site.id, status.state, now, status.job_id, family)
            )
            report.recorded[machine_id] = status.state
            report.set_up[machine_id] = family

    def _job(self, uow: UnitOfWork, job_id: str) -> Job:
        if job_id not in self._jobs:
            self._jobs[job_id] = uow.tasks.get_job(job_id)
        return self._jobs[job_id]

    def next_wakeup(self) -> datetime | None:
        """When something will next change by itself: a machine, a delivery, a shift start."""
        now = self._clock.now()
        times = [t for m in self._machines.values() if (t := m.next_change_at()) is not None]
        with self._uow() as uow:
            arrivals = (uow.orders.next_arrival(), uow.replenishments.next_arrival())
        times.extend(a for a in arrivals if a is not None)
        times.extend(self._plan_due[s] for s in self._to_plan if s in self._plan_due)
        # a machine takes work again when its maintenance ends
        times.extend(e for ws in self._closed.values() for _, e in ws if e > now)
        for site_id, process in self._shift_waits:
            site = self._network.site(site_id)
            starts = [b for b, _ in site.shift_windows(Process(process), now) if b > now]
            times.extend(starts[:1])
            times.append(now + timedelta(minutes=30))
        return min(times, default=None)


def _ready(active: list[Task]) -> list[Task]:
    """Scheduled tasks whose earlier steps in the job are all done, by planned start."""
    first_open: dict[str, int] = {}
    for task in active:
        first_open[task.job_id] = min(first_open.get(task.job_id, task.step), task.step)
    return [t for t in active if t.state is TaskState.SCHEDULED and first_open[t.job_id] == t.step]


def _runs(tasks: list[Task]) -> list[list[Task]]:
    """Tasks grouped by the run they are made in, each run's leader first."""
    runs: dict[str, list[Task]] = {}
    for task in tasks:
        runs.setdefault(task.run or task.id, []).append(task)
    return [sorted(run, key=lambda t: t.id != (t.run or t.id)) for run in runs.values()]


def _job_of(run: list[Task]) -> MachineJob:
    """The machine's job for a run: the leader's id, as long as the run's longest task."""
    lead = run[0]
    return MachineJob(lead.id, max(t.minutes for t in run), lead.setup_family)


class _Plans:
    """An order's work placed on each factory's plan that routing looks at, each made once."""

    def __init__(
        self, network: Network, order: Order, loads: Mapping[str, SiteLoad], now: datetime
    ) -> None:
        self._network = network
        self._order = order
        self._loads = loads
        self._now = now
        self._plans: dict[str, Plan] = {}

    def at(self, site: Site) -> Plan:
        if site.id not in self._plans:
            lines = self._order.lines
            self._plans[site.id] = plan_order(
                self._network, site, lines, self._now, self._loads[site.id]
            )
        return self._plans[site.id]

    def delivery(self, site: Site) -> datetime | None:
        """When the order would reach its customer from ``site``, as its plan stands."""
        return delivery_at(self._network, self.at(site), self._order.destination)
