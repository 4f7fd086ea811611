"""The CP-SAT model of a factory schedule, warm-started from a dispatch rule.

Each operation gets one optional interval per eligible machine; machines get a NoOverlap over
those intervals and their unavailable windows, plus a circuit of successor literals carrying the
changeover times when the machine has a changeover matrix. On batch machines the parts
regroup: each machine gets run slots (the hint's runs and a few spare ones) and every part
picks one, within the capacity and of one family, the slot's changeovers depending on the
family it takes; attended and frozen runs are taken as the dispatch rule formed them (the
members share one interval). Operators get an
optional interval per skilled person and a NoOverlap with their off-shift time. A
large-neighbourhood search (LNS) around CP-SAT then re-optimises a part of the schedule at a
time with the rest of it fixed.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ortools.sat.python import cp_model

from microfab.scheduling import tabu
from microfab.scheduling.model import (
    Assignment,
    Criterion,
    Instance,
    Machine,
    Operation,
    Schedule,
    Solution,
    Window,
    lower_bound,
    score,
)
from microfab.scheduling.rules import best_dispatch, dispatch

STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "invalid",
    cp_model.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class Settings:
    """How long and how hard to search."""

    time_limit: float = 30.0
    workers: int = 2
    seed: int = 0
    lns: bool = True
    log: bool = False


@dataclass(eq=False)
class _Task:
    """What CP-SAT schedules: one operation, or the leader of a batch with its mates."""

    members: list[Operation]
    start: cp_model.IntVar
    end: cp_model.IntVar
    on: dict[str, cp_model.IntVar] = field(default_factory=dict)
    intervals: dict[str, cp_model.IntervalVar] = field(default_factory=dict)
    by: dict[str, cp_model.IntVar] = field(default_factory=dict)
    # A part free to join any run slot of its machines (see CpModel._slots); its runs are
    # the machines' slots, not intervals of its own.
    regrouped: bool = False

    @property
    def lead(self) -> Operation:
        return self.members[0]


@dataclass(eq=False)
class _Slot:
    """A run a batch machine may make: the parts that pick it share its start and end."""

    start: cp_model.IntVar
    end: cp_model.IntVar
    length: cp_model.IntVar
    used: cp_model.IntVar
    interval: cp_model.IntervalVar
    parts: dict[str, cp_model.IntVar] = field(default_factory=dict)  # part -> in this run
    kinds: dict[str, cp_model.IntVar] = field(default_factory=dict)  # family -> the run's
    hinted: set[str] = field(default_factory=set)  # the parts the hint runs in it
    hint_start: int | None = None  # where the hint runs it (None: the hint leaves it unused)
    hint_family: str | None = None
    family: str = ""  # the one family its parts can have, where there is only one


@dataclass(frozen=True)
class _Node:
    """What a changeover circuit orders: a task, or a run slot whose family may be open."""

    start: cp_model.IntVar
    end: cp_model.IntVar
    present: cp_model.IntVar  # on this machine, or the slot is used
    families: dict[str, cp_model.IntVar | None]  # family -> it has that family (None: surely)
    frozen_start: int | None
    hint_start: int | None  # None where the hint does not run it on this machine
    hint_family: str | None


@dataclass
class _Circuit:
    """A machine's changeover circuit: its nodes (1..n; 0 is the plan's start and end)."""

    nodes: list[_Node]
    arcs: list[tuple[int, int, cp_model.LiteralT]] = field(default_factory=list)
    # (from, to, from family, to family) -> the changeover between them is paid
    paid: dict[tuple[int, int, str | None, str], cp_model.IntVar] = field(default_factory=dict)


class CpModel:
    """The CP-SAT model of one instance around a feasible hint schedule."""

    def __init__(
        self,
        instance: Instance,
        hint: Schedule,
        frozen: Mapping[str, Assignment] | None = None,
        not_before: int = 0,
    ) -> None:
        self.instance = instance
        self.hint = hint
        self.frozen = frozen or {}
        self.cp = cp_model.CpModel()
        self.horizon = max(instance.horizon(), hint.makespan)
        # the hint's runs whose parts regroup, by machine (see _slots)
        self.hint_runs: dict[str, list[list[Assignment]]] = {}
        self.tasks = self._tasks(not_before)
        self.task_of = {op.id: t for t in self.tasks for op in t.members}
        # True when some batch machine has fewer slots than parts: the model is then a
        # restriction, and its optimum and bound say nothing of the instance's (see _slots)
        self.restricted = False
        self.slots = self._slots()
        self.changeover_terms: list[tuple[int, cp_model.IntVar]] = []
        self.circuits: dict[str, _Circuit] = {}
        self._precedences()
        for machine in instance.machines:
            self._machine(machine)
        self._operators()
        self.terms = self._criteria()
        self._hint()

    def _tasks(self, not_before: int) -> list[_Task]:
        tasks = []
        for group in _batches(self.instance, self.hint):
            regrouped = self._regroupable(group)
            if regrouped:
                run = [self.hint.of[op.id] for op in group]
                self.hint_runs.setdefault(run[0].machine, []).append(run)
            for members in [[op] for op in group] if regrouped else [group]:
                lead = members[0]
                low = max(self.instance.job[op.job].release for op in members)
                if lead.id not in self.frozen:
                    low = max(low, not_before)
                start = self.cp.new_int_var(low, self.horizon, f"s_{lead.id}")
                end = self.cp.new_int_var(low, self.horizon, f"e_{lead.id}")
                task = _Task(members, start, end, regrouped=regrouped)
                self._alternatives(task)
                tasks.append(task)
        return tasks

    def _regroupable(self, group: list[Operation]) -> bool:
        """A hint run whose parts may leave it for other runs.

        Only unattended parts that are not frozen, each fitting every machine it may use (a
        larger one runs alone, as formed). Where the machine changes over between families,
        a slot's changeovers hang on the family it takes (see _circuit).
        """
        if self.instance.machine[self.hint.of[group[0].id].machine].capacity < 2:
            return False
        return all(
            op.id not in self.frozen
            and not op.skill
            and all(self._slotted(self.instance.machine[m], op) for m in op.durations)
            for op in group
        )

    @staticmethod
    def _slotted(machine: Machine, op: Operation) -> bool:
        return machine.capacity >= 2 and op.size <= machine.capacity

    def _alternatives(self, task: _Task) -> None:
        machines = set.intersection(*(set(op.durations) for op in task.members))
        fixed = self.frozen.get(task.lead.id)
        for m in sorted(machines):
            duration = max(op.durations[m] for op in task.members)
            if fixed is not None and fixed.machine != m:
                continue
            if task.regrouped:  # its runs are the machine's slots (see _slots)
                task.on[m] = (
                    self.cp.new_constant(1) if len(machines) == 1 else self.cp.new_bool_var("")
                )
                continue
            if len(machines) == 1 or fixed is not None:
                # No choice, so a plain interval: the job shop model then matches the
                # textbook one exactly (the optional form left presolve work to undo).
                task.on[m] = self.cp.new_constant(1)
                task.intervals[m] = self.cp.new_interval_var(task.start, duration, task.end, "")
                continue
            lit = self.cp.new_bool_var(f"x_{task.lead.id}_{m}")
            task.on[m] = lit
            task.intervals[m] = self.cp.new_optional_interval_var(
                task.start, duration, task.end, lit, ""
            )
        if len(task.on) > 1:
            self.cp.add_exactly_one(task.on.values())
        if fixed is not None:
            self.cp.add(task.start == fixed.start)

    def _slots(self) -> dict[str, list[_Slot]]:
        """Run slots on the machines where parts regroup, and each part's pick among them.

        A machine with at most ``EXACT_PARTS`` parts that may use it gets a slot per part, so
        that every grouping is there. A busier one gets one slot per run the hint makes there
        and ``SPARE_RUNS`` more, so a run can split or a new one open anywhere in time (the
        model is then a restriction). A part sits in one slot of the machine it runs on; a slot
        holds pieces up to the capacity, of one family, and lasts at least as long as its
        longest part (``schedule`` trims it to that).
        """
        parts = [t for t in self.tasks if t.regrouped]
        slots: dict[str, list[_Slot]] = {}
        for machine in self.instance.machines:
            here = [t for t in parts if machine.id in t.on]
            if not here:
                continue
            runs = sorted(self.hint_runs.get(machine.id, []), key=lambda run: run[0].start)
            families = sorted({t.lead.family for t in here})
            count = len(here) if len(here) <= EXACT_PARTS else len(runs) + SPARE_RUNS
            self.restricted |= count < len(here)
            slots[machine.id] = [self._slot(machine, here, families) for _ in range(count)]
            self._order_spares(slots[machine.id][len(runs) :])
            self._hint_slots(slots[machine.id], runs)
        for task in parts:
            for m, on in task.on.items():
                self.cp.add(sum(slot.parts[task.lead.id] for slot in slots[m]) == on)
        return slots

    def _slot(self, machine: Machine, here: list[_Task], families: list[str]) -> _Slot:
        start = self.cp.new_int_var(0, self.horizon, "")
        end = self.cp.new_int_var(0, self.horizon, "")
        length = self.cp.new_int_var(0, self.horizon, "")
        used = self.cp.new_bool_var("")
        interval = self.cp.new_optional_interval_var(start, length, end, used, "")
        slot = _Slot(start, end, length, used, interval)
        if len(families) > 1:
            slot.kinds = {f: self.cp.new_bool_var("") for f in families}
            self.cp.add_at_most_one(slot.kinds.values())
        else:
            slot.family = families[0]
        pieces = []
        for task in here:
            op, lit = task.lead, self.cp.new_bool_var("")
            slot.parts[op.id] = lit
            self.cp.add_implication(lit, used)
            self.cp.add(task.start == start).only_enforce_if(lit)
            self.cp.add(task.end == end).only_enforce_if(lit)
            self.cp.add(length >= op.durations[machine.id]).only_enforce_if(lit)
            if slot.kinds:
                self.cp.add_implication(lit, slot.kinds[op.family])
            pieces.append((op.size, lit))
        self.cp.add(
            cp_model.LinearExpr.weighted_sum([p for _, p in pieces], [n for n, _ in pieces])
            <= machine.capacity
        )
        self.cp.add_bool_or(list(slot.parts.values())).only_enforce_if(used)
        return slot

    def _order_spares(self, spares: list[_Slot]) -> None:
        """Spare slots are alike: they are used, and start, in their order."""
        for before, after in itertools.pairwise(spares):
            self.cp.add_implication(after.used, before.used)
            self.cp.add(after.start >= before.start).only_enforce_if(after.used)

    def _hint_slots(self, slots: list[_Slot], runs: list[list[Assignment]]) -> None:
        for k, slot in enumerate(slots):
            run = runs[k] if k < len(runs) else []
            members = {a.operation for a in run}
            slot.hinted = members
            self.cp.add_hint(slot.used, bool(run))
            self.cp.add_hint(slot.start, run[0].start if run else 0)
            self.cp.add_hint(slot.end, run[0].end if run else 0)
            self.cp.add_hint(slot.length, run[0].end - run[0].start if run else 0)
            for op_id, lit in slot.parts.items():
                self.cp.add_hint(lit, op_id in members)
            if run:
                slot.hint_start = run[0].start
                slot.hint_family = self.instance.operations[run[0].operation].family
            for f, lit in slot.kinds.items():
                self.cp.add_hint(lit, f == slot.hint_family)

    def _precedences(self) -> None:
        for op_id, before in self.instance.predecessor.items():
            task, prior = self.task_of[op_id], self.task_of[before.id]
            if task is not prior:
                self.cp.add(task.start >= prior.end)

    def _machine(self, machine: Machine) -> None:
        tasks = [t for t in self.tasks if machine.id in t.intervals]
        slots = self.slots.get(machine.id, [])
        intervals = [t.intervals[machine.id] for t in tasks]
        intervals += [slot.interval for slot in slots]
        intervals += [self._fixed(w) for w in machine.unavailable]
        self.cp.add_no_overlap(intervals)
        if any(machine.changeovers.values()) and (len(tasks) + len(slots) > 1 or machine.setup):
            nodes = [self._task_node(t, machine.id) for t in tasks]
            self._circuit(machine, nodes + [self._slot_node(s) for s in slots])

    def _task_node(self, task: _Task, machine: str) -> _Node:
        family = task.lead.family
        hinted = self.hint.of[task.lead.id]
        return _Node(
            task.start,
            task.end,
            task.on[machine],
            {family: None},
            frozen_start=self.frozen[task.lead.id].start if task.lead.id in self.frozen else None,
            hint_start=hinted.start if hinted.machine == machine else None,
            hint_family=family,
        )

    @staticmethod
    def _slot_node(slot: _Slot) -> _Node:
        return _Node(
            slot.start,
            slot.end,
            slot.used,
            dict(slot.kinds) or {slot.family: None},
            frozen_start=None,
            hint_start=slot.hint_start,
            hint_family=slot.hint_family,
        )

    def _fixed(self, window: Window) -> cp_model.IntervalVar:
        return self.cp.new_fixed_size_interval_var(window.start, window.end - window.start, "")

    def _circuit(self, machine: Machine, nodes: list[_Node]) -> None:
        """Successor literals on the machine; each arc carries its changeover time.

        A run slot's family is open, so an arc to or from one carries a changeover for each
        pair of families it may join. Frozen runs keep their order, so between two of them
        only the arc to the next frozen run can ever be used; leaving the others out keeps LNS
        and repair models small.
        """
        fixed = sorted(
            (i for i, n in enumerate(nodes, start=1) if n.frozen_start is not None),
            key=lambda i: nodes[i - 1].frozen_start or 0,
        )
        allowed = set(itertools.pairwise(fixed))
        ends = {0: fixed[0], -1: fixed[-1]} if fixed else {}
        fixed_nodes = set(fixed)
        circuit = _Circuit(nodes)
        circuit.arcs.append((0, 0, self.cp.new_bool_var("")))
        for i, node in enumerate(nodes, start=1):
            if i not in fixed_nodes or i == ends[0]:
                lit = self.cp.new_bool_var("")
                circuit.arcs.append((0, i, lit))
                self._first_run(machine, circuit, i, lit)
            if i not in fixed_nodes or i == ends[-1]:
                circuit.arcs.append((i, 0, self.cp.new_bool_var("")))
            circuit.arcs.append((i, i, ~node.present))
            for j in range(1, len(nodes) + 1):
                if i == j or (i in fixed_nodes and j in fixed_nodes and (i, j) not in allowed):
                    continue
                lit = self.cp.new_bool_var("")
                circuit.arcs.append((i, j, lit))
                self._changeover(machine, circuit, i, j, lit)
        self.cp.add_circuit(circuit.arcs)
        self.circuits[machine.id] = circuit

    def _first_run(self, machine: Machine, circuit: _Circuit, i: int, lit: cp_model.IntVar) -> None:
        """The changeover from the family the machine is set up for, before its first run.

        A frozen run has started: its changeover is done, but it still counts, as in
        ``score`` (else an LNS model that keeps the first run in place would count it short).
        """
        node = circuit.nodes[i - 1]
        for family, which in node.families.items():
            setup = machine.first_changeover(family)
            if setup:
                when = [lit] if which is None else [lit, which]
                if node.frozen_start is None:
                    self.cp.add(node.start >= setup).only_enforce_if(when)
                self._pay(setup, when, circuit, (0, i, None, family))

    def _changeover(
        self, machine: Machine, circuit: _Circuit, i: int, j: int, lit: cp_model.IntVar
    ) -> None:
        """Node j follows node i: it starts after i's end and the changeover between them."""
        before, after = circuit.nodes[i - 1], circuit.nodes[j - 1]
        self.cp.add(after.start >= before.end).only_enforce_if(lit)
        for (a, is_a), (b, is_b) in itertools.product(
            before.families.items(), after.families.items()
        ):
            setup = machine.changeover(a, b)
            if setup:
                when = [lit, *(x for x in (is_a, is_b) if x is not None)]
                self.cp.add(after.start >= before.end + setup).only_enforce_if(when)
                self._pay(setup, when, circuit, (i, j, a, b))

    def _pay(
        self,
        setup: int,
        when: list[cp_model.IntVar],
        circuit: _Circuit,
        key: tuple[int, int, str | None, str],
    ) -> None:
        """Count ``setup`` minutes of changeover whenever all of ``when`` hold."""
        if len(when) == 1:
            self.changeover_terms.append((setup, when[0]))
            return
        paid = self.cp.new_bool_var("")
        self.cp.add_bool_or([*(~x for x in when), paid])
        self.changeover_terms.append((setup, paid))
        circuit.paid[key] = paid

    def _operators(self) -> None:
        busy: dict[str, list[cp_model.IntervalVar]] = {o.id: [] for o in self.instance.operators}
        for task in self.tasks:
            skill = next((op.skill for op in task.members if op.skill), None)
            if skill is None:
                continue
            fixed = self.frozen.get(task.lead.id)
            for operator in self.instance.operators:
                if skill not in operator.skills or (fixed and fixed.operator != operator.id):
                    continue
                lit = self.cp.new_bool_var("")
                task.by[operator.id] = lit
                busy[operator.id].append(self._attended(task, lit))
            self.cp.add_exactly_one(task.by.values())
        for operator in self.instance.operators:
            off = _off_shift(operator.shifts, self.horizon)
            self.cp.add_no_overlap(busy[operator.id] + [self._fixed(w) for w in off])

    def _attended(self, task: _Task, lit: cp_model.IntVar) -> cp_model.IntervalVar:
        lengths = {max(op.durations[m] for op in task.members) for m in task.on}
        attended = task.lead.attended
        if attended is not None and attended <= min(lengths):
            return self.cp.new_optional_fixed_size_interval_var(task.start, attended, lit, "")
        if attended is None and len(lengths) == 1:
            return self.cp.new_optional_fixed_size_interval_var(task.start, lengths.pop(), lit, "")
        size = self.cp.new_int_var(0, self.horizon, "")
        self.cp.add(size == task.end - task.start)
        stop = self.cp.new_int_var(0, self.horizon, "")
        self.cp.add(stop == task.start + size)
        return self.cp.new_optional_interval_var(task.start, size, stop, lit, "")

    def _criteria(self) -> dict[Criterion, cp_model.LinearExprT]:
        ends = [self.task_of[j.operations[-1].id].end for j in self.instance.jobs if j.operations]
        makespan = self.cp.new_int_var(lower_bound(self.instance), self.horizon, "makespan")
        self._loads(makespan)
        # Inequalities, not a max equality: presolve kept the LinMax and la29's bound stayed
        # at 1105 for 30 s; as inequalities it reached 1114 at once, as the textbook's does.
        for end in ends:
            self.cp.add(makespan >= end)
        lateness, weights = [], []
        for job in self.instance.jobs:
            if job.due is None or not job.operations:
                continue
            late = self.cp.new_int_var(0, self.horizon, "")
            self.cp.add_hint(late, max(0, self.hint.of[job.operations[-1].id].end - job.due))
            self.cp.add(late >= self.task_of[job.operations[-1].id].end - job.due)
            lateness.append(late)
            weights.append(job.weight)
        changeover = cp_model.LinearExpr.weighted_sum(
            [lit for _, lit in self.changeover_terms], [s for s, _ in self.changeover_terms]
        )
        return {
            Criterion.MAKESPAN: makespan,
            Criterion.TARDINESS: cp_model.LinearExpr.weighted_sum(lateness, weights),
            Criterion.CHANGEOVER: changeover,
        }

    def _loads(self, makespan: cp_model.IntVar) -> None:
        """Redundant energy cuts: each machine's work fits before the makespan."""
        for machine in self.instance.machines:
            work = [
                (max(op.durations[machine.id] for op in t.members), t.on[machine.id])
                for t in self.tasks
                if machine.id in t.on
            ]
            if work and machine.capacity == 1:
                load = cp_model.LinearExpr.weighted_sum([v for _, v in work], [d for d, _ in work])
                self.cp.add(load <= makespan)

    def _hint(self) -> None:
        for task in self.tasks:
            a = self.hint.of[task.lead.id]
            self.cp.add_hint(task.start, a.start)
            self.cp.add_hint(task.end, a.end)
            for m, lit in task.on.items():
                if len(task.on) > 1:
                    self.cp.add_hint(lit, m == a.machine)
            for o, lit in task.by.items():
                self.cp.add_hint(lit, o == a.operator)
        for circuit in self.circuits.values():
            self._hint_circuit(circuit)

    def _hint_circuit(self, circuit: _Circuit) -> None:
        nodes = dict(enumerate(circuit.nodes, start=1))
        order = sorted(
            (i for i, n in nodes.items() if n.hint_start is not None),
            key=lambda i: nodes[i].hint_start or 0,
        )
        chosen = set(zip([0, *order], [*order, 0], strict=False)) if order else {(0, 0)}
        used = set(order)
        for i, j, lit in circuit.arcs:
            on = (i, j) in chosen or (i == j and i != 0 and i not in used)
            if isinstance(lit, cp_model.IntVar):
                self.cp.add_hint(lit, on)
        for (i, j, a, b), paid in circuit.paid.items():
            families = (i == 0 or nodes[i].hint_family == a) and nodes[j].hint_family == b
            self.cp.add_hint(paid, (i, j) in chosen and families)

    def keep(self, schedule: Schedule, free: set[str]) -> None:
        """Fix machine and order of every operation outside ``free`` as in ``schedule``.

        A part that regroups stays in its run, and its runs keep their order; parts that are
        free may still join them.
        """
        for machine in self.instance.machines:
            kept = [
                a
                for a in schedule.on_machine(machine.id)
                if a.operation not in free and self.task_of[a.operation].lead.id == a.operation
            ]
            for a in kept:
                self.cp.add_bool_and(self.task_of[a.operation].on[machine.id])
            runs = [a for a in kept if not self.task_of[a.operation].regrouped]
            for a, b in itertools.pairwise(runs):
                self.cp.add(self.task_of[b.operation].start >= self.task_of[a.operation].end)
            slots = self.slots.get(machine.id, [])
            held = [s for s in slots if any(a.operation in s.hinted for a in kept)]
            for a in kept:
                for slot in held:
                    if a.operation in slot.hinted:
                        self.cp.add_bool_and(slot.parts[a.operation])
            for before, after in itertools.pairwise(held):
                self.cp.add(after.start >= before.end)

    def _batch_id(self, k: int, task: _Task, machine: str) -> int | None:
        """Frozen runs keep their batch number; new runs are numbered after them."""
        if self.instance.machine[machine].capacity == 1:
            return None
        fixed = self.frozen.get(task.lead.id)
        if fixed is not None:
            return fixed.batch
        return _unused(self.frozen) + k

    def schedule(self, solver: cp_model.CpSolver) -> Schedule:
        rows = []
        for k, task in enumerate(self.tasks):
            if task.regrouped:
                continue
            machine = next(m for m, lit in task.on.items() if solver.boolean_value(lit))
            operator = next((o for o, lit in task.by.items() if solver.boolean_value(lit)), None)
            batch = self._batch_id(k, task, machine)
            start, end = solver.value(task.start), solver.value(task.end)
            for op in task.members:
                who = operator if op.skill else None
                rows.append(Assignment(op.id, machine, start, end, batch, who))
        return Schedule((*rows, *self._slotted_rows(solver)))

    def _slotted_rows(self, solver: cp_model.CpSolver) -> Iterator[Assignment]:
        """Each used slot as a run, as long as its longest part (a slot may be longer)."""
        batch = _unused(self.frozen) + len(self.tasks)
        for machine, slots in self.slots.items():
            for slot in slots:
                parts = [p for p, lit in slot.parts.items() if solver.boolean_value(lit)]
                if not parts:
                    continue
                start = solver.value(slot.start)
                end = start + max(self.instance.operations[p].durations[machine] for p in parts)
                yield from (Assignment(p, machine, start, end, batch) for p in parts)
                batch += 1


def _unused(frozen: Mapping[str, Assignment]) -> int:
    return 1 + max((a.batch or 0 for a in frozen.values()), default=0)


def _batches(instance: Instance, hint: Schedule) -> list[list[Operation]]:
    """Operations grouped as the hint runs them; a group is a batch run or a single operation."""
    groups: dict[object, list[Operation]] = {}
    for op in instance.iter_operations():
        a = hint.of[op.id]
        batch = a.batch is not None and instance.machine[a.machine].capacity > 1
        key: object = (a.machine, a.batch) if batch else op.id
        groups.setdefault(key, []).append(op)
    return list(groups.values())


def _off_shift(shifts: Iterable[Window], horizon: int) -> list[Window]:
    gaps, reached = [], 0
    for shift in sorted(shifts, key=lambda s: s.start):
        if shift.start > reached:
            gaps.append(Window(reached, shift.start))
        reached = max(reached, shift.end)
    if reached < horizon:
        gaps.append(Window(reached, horizon + 1))
    return gaps


def solve(
    instance: Instance,
    settings: Settings | None = None,
    hint: Schedule | None = None,
    frozen: Mapping[str, Assignment] | None = None,
    not_before: int = 0,
) -> Solution:
    """The best schedule found within the time limit, with CP-SAT's proven bound.

    Lexicographic objectives are optimised one criterion at a time, each stage keeping the
    earlier criteria at their best values and splitting the remaining time evenly.
    """
    settings = settings or Settings()
    clock = _Clock(settings.time_limit)
    frozen = frozen or {}
    if hint is None:
        if frozen:
            hint = dispatch(instance, "atcs", frozen, not_before)
        else:  # the rules may use a third of the time limit, and at least one of them runs
            hint = best_dispatch(instance, deadline=clock.began + settings.time_limit / 3)
    objective = instance.objective
    stages = [{c: 1} for c in objective.lexicographic] or [dict(objective.weights)]
    caps: dict[Criterion, int] = {}
    outcomes = []
    for k, weights in enumerate(stages):
        if k and clock.left() < MIN_STAGE:
            break  # its model's building would only overrun the budget (see repair.builds_in_time)
        search = _Search(instance, frozen, not_before, settings, caps, weights)
        hint, bound, status = search.run(hint, clock.left() / (len(stages) - k))
        caps.update({c: score(instance, hint).value(c) for c in weights})
        outcomes.append((search.value(hint), bound, status))
    _, bound, status = outcomes[0]
    first = _Search(instance, frozen, not_before, settings, {}, stages[0])
    value = first.value(hint)
    # Where CP-SAT proved nothing in time (a short limit), the bound without it still holds.
    bound = max(bound, first.trivial_bound())
    if len(outcomes) < len(stages):
        status = "feasible"  # the later criteria had no time
    elif all(o[2] == "optimal" for o in outcomes):
        status = "optimal"
    else:
        status = outcomes[-1][2]
    if len(stages) == 1 and status == "feasible" and value <= bound:
        status = "optimal"
    return Solution(hint, value, min(bound, value), status, clock.elapsed(), "microfab")


class _Clock:
    def __init__(self, limit: float) -> None:
        self.began = time.monotonic()
        self.limit = limit

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def left(self) -> float:
        return max(self.limit - self.elapsed(), 0.05)


@dataclass
class _Search:
    """One optimisation stage: a full CP-SAT solve, then LNS on the best schedule."""

    instance: Instance
    frozen: Mapping[str, Assignment]
    not_before: int
    settings: Settings
    caps: Mapping[Criterion, int]
    weights: Mapping[Criterion, int]

    def model(self, hint: Schedule, frozen: Mapping[str, Assignment] | None = None) -> CpModel:
        frozen = self.frozen if frozen is None else frozen
        model = CpModel(self.instance, hint, frozen, self.not_before)
        for criterion, cap in self.caps.items():
            model.cp.add(model.terms[criterion] <= cap)
        criteria = list(self.weights)
        model.cp.minimize(
            cp_model.LinearExpr.weighted_sum(
                [model.terms[c] for c in criteria], [self.weights[c] for c in criteria]
            )
        )
        return model

    def value(self, schedule: Schedule) -> int:
        scores = score(self.instance, schedule)
        return sum(w * scores.value(c) for c, w in self.weights.items())

    def trivial_bound(self) -> int:
        """A bound that holds without CP-SAT: the makespan's, and nothing below zero."""
        return self.weights.get(Criterion.MAKESPAN, 0) * lower_bound(self.instance)

    def _lns(self) -> bool:
        """LNS only where machines must be chosen: there it paid (mk10 222 → 214 in 30 s).

        On la29, a plain job shop, our 30 s trials ended at 1171-1185 with it and 1177-1204
        without: inside CP-SAT's run-to-run spread, so the full model keeps all the time.
        """
        flexible = any(len(op.durations) > 1 for op in self.instance.iter_operations())
        return self.settings.lns and flexible

    def _large(self) -> bool:
        """Models with changeover circuits over many operations, where the full model is slow.

        The 960-operation factory model took about 8 s to build and load, and then found
        nothing better than its hint in the rest of a 9 s slice; LNS starts at once instead.
        """
        return self.instance.has_changeovers and len(self.instance.operations) > LARGE

    def run(self, hint: Schedule, limit: float) -> tuple[Schedule, int, str]:
        clock = _Clock(limit)
        use_tabu = self._tabu()
        if use_tabu:
            tabu.warm_up()  # compiles while CP-SAT's first pass runs
        if self._lns() and self._large():
            best, bound, status = hint, self.trivial_bound(), "feasible"
        else:
            share = TABU_SHARE if use_tabu else FULL_SHARE if self._lns() else 1.0
            best, bound, status = self._full(hint, limit * share)
        if status in {"optimal", "infeasible", "invalid"}:
            return best, bound, status
        if use_tabu:
            return self._alternate(hint, best, bound, clock, limit)
        if not self._lns():
            return best, bound, status
        size = 0.15 if self._large() else 0.3
        lns = _Neighbourhoods(self, random.Random(self.settings.seed), size)
        best = lns.improve(best, bound, clock)
        return best, bound, "optimal" if self.value(best) <= bound else "feasible"

    def _alternate(
        self, hint: Schedule, best: Schedule, bound: int, clock: _Clock, limit: float
    ) -> tuple[Schedule, int, str]:
        """The tabu search while it improves, then CP-SAT from its schedule, in turns.

        CP-SAT proves what the tabu search found, or leaves the basin the tabu search settled
        in; it hands back after ``CP_PATIENCE`` seconds without a better schedule or a bound
        near it (see ``_Patience``), but for the last turn and once a tabu turn found nothing
        better. The tabu searches then go on
        where they paused, those that had settled from a fresh start (see ``tabu.Searches``),
        until time is up.
        """
        target = max(bound, lower_bound(self.instance))
        searches = tabu.Searches(
            self.instance, best, self.settings.workers, self.settings.seed, other=hint
        )
        while clock.left() > MIN_TURN:
            seconds = max(clock.left() - limit * TABU_SHARE, clock.left() / 2)
            found = searches.run(
                seconds, target, patience=max(seconds * TABU_PATIENCE, MIN_PATIENCE)
            )
            quiet = self.value(found) >= self.value(best)
            best = min(best, found, key=self.value)
            if self.value(best) <= target:
                return best, target, "optimal"
            # CP-SAT's tree searches from the tabu search's schedule (see TREE_SUBSOLVERS).
            # They hand back once quiet, unless the tabu search has stopped improving or this
            # is likely the last turn: then they keep the rest of the time, for the proof
            # (ft10, where CP-SAT's first pass found 930, was never proved in 5 s turns).
            last = quiet or clock.left() <= 2 * limit * TABU_SHARE
            final, last_bound, _ = self._full(
                best, clock.left(), search="tree", patience=None if last else CP_PATIENCE
            )
            best = min(best, final, key=self.value)
            bound = max(bound, last_bound)
            target = max(target, bound)
            if self.value(best) <= bound:
                return best, bound, "optimal"
        return best, bound, "feasible"

    def _tabu(self) -> bool:
        """A plain (flexible) job shop for its makespan: the tabu search pays there.

        CP-SAT proves the easy instances optimal in its share of the time; on the hard ones its
        search stalls (la27 1269-1275, la29 1175-1184, mk10 206-211 with LNS in 30 s), where
        the tabu search (``microfab.scheduling.tabu``) reached 1235, 1156-1157 and 198.
        """
        makespan_only = dict(self.weights) == {Criterion.MAKESPAN: 1} and not self.caps
        return (
            self.settings.lns
            and self.instance.is_plain
            and len(self.instance.operations) <= tabu.MAX_OPERATIONS
            and makespan_only
            and not self.frozen
            and self.not_before == 0
        )

    def _full(
        self,
        hint: Schedule,
        limit: float,
        search: Literal["portfolio", "tree"] = "portfolio",
        patience: float | None = None,
    ) -> tuple[Schedule, int, str]:
        """Solve the whole model; without a solution in time, the hint stands (it is feasible).

        Building the model counts against ``limit``: CP-SAT gets what is left of it. The
        ``portfolio`` is CP-SAT's own choice for the worker count (with two workers, one tree
        search with a light LP and one large-neighbourhood search). ``tree``: a tree search
        without LP beside one that prices with the LP's reduced costs (``TREE_SUBSOLVERS``),
        from a good hint the pair that improves and proves fastest. With ``patience`` the
        solve stops once it has found no better schedule for that many seconds.
        """
        began = time.monotonic()
        model = self.model(hint)
        solver = _solver(self.settings, limit - (time.monotonic() - began), model)
        if search == "tree":
            solver.parameters.subsolvers.extend(TREE_SUBSOLVERS)
            solver.parameters.num_full_subsolvers = min(self.settings.workers, len(TREE_SUBSOLVERS))
        if patience is None:
            code = solver.solve(model.cp)
        else:
            with _Patience(solver, patience) as watch:
                code = solver.solve(model.cp, watch)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = min(model.schedule(solver), hint, key=self.value)
            if model.restricted:
                bound = self.trivial_bound()
                return found, bound, "optimal" if self.value(found) <= bound else "feasible"
            return found, int(solver.best_objective_bound), STATUS[code]
        return hint, 0, "feasible" if code == cp_model.UNKNOWN else STATUS[code]


# Seconds a later stage of a lexicographic objective needs at least to be started.
MIN_STAGE = 0.1
# Share of a stage's time given to the full model before LNS takes over.
FULL_SHARE = 0.3
# Share of a plain job shop's time given to CP-SAT before the tabu search (the easy instances
# are proved optimal within it; see _Search._tabu).
TABU_SHARE = 0.15
# The tabu search hands back to CP-SAT (another TABU_SHARE of the time, or all that is left)
# once no thread has improved for this share of the time it was given. Its successful runs on
# la21-la39 went quiet for at most 3.3 s; where it settles (la40 at 1224 within a few seconds,
# CP-SAT from there at 1222), the time is CP-SAT's. With the default final pass, la40 ended at
# 1224 with 3 seeds of 4 at 0.4, and with 1 of 4 at 0.2.
TABU_PATIENCE = 0.2
# CP-SAT's subsolvers for the turns after the tabu search, each on a worker of its own (with
# two workers CP-SAT would otherwise run one tree search and give the other worker to its
# LNS). From the tabu search's schedules, 10 s: la40 at 1224 reached 1222 after 0.1-0.5 s (3
# seeds; the interleaved search 5.7-7.6 s) with a bound of 1212-1214 (1170 for the tree search
# without LP and LNS beside it, 1182 interleaved); bounds of 1149 on la38 and 960 on la25
# (1056 and 889 for CP-SAT's default portfolio); ft10 proved optimal from 930 in 5.6-6.6 s,
# where the default portfolio stayed at a bound of 808 for 19 s.
TREE_SUBSOLVERS = ("no_lp", "reduced_costs")
# Seconds without a better schedule after which CP-SAT's turn hands back to the tabu search
# (unless it is the last turn). Chosen for the interleaved search the turns used before: from
# the tabu search's la40 schedules at 1224 and 1228 it found 1222 after 2.3 and 3.7 s, then
# searched on for 7.5-9 s for nothing. The tree searches find 1222 sooner (0.1-0.5 s).
CP_PATIENCE = 5.0
# A CP-SAT turn whose proven bound still rises within this share of its best schedule goes on
# past its patience (see _Patience).
CLOSE = 0.025
# The least patience, in seconds, for the tabu search's short turns after CP-SAT stopped early.
MIN_PATIENCE = 3.0
# Seconds left below which the tabu search and CP-SAT take no further turn.
MIN_TURN = 1.0
# Operations above which a model with changeovers skips the full solve (see _Search._large).
LARGE = 300


class _Patience(cp_model.CpSolverSolutionCallback):
    """Stops a solve that has found no better schedule for ``seconds``.

    While the proven bound rises within ``CLOSE`` of the best schedule, the solve goes on: a
    proof is near. From ft10's 930 the bound rose every 1-2 s, to 904 after 2.7-2.9 s and
    911 (within 2.5 %) after 4.4-4.7 s, just before a 5 s patience ran out; the proof came at
    4.6-6.4 s (3 seeds). la38's bound rose as steadily but stayed 3.4-4.3 % below its
    schedule over 15 s, where the tabu search's fresh starts need the time.
    """

    def __init__(self, solver: cp_model.CpSolver, seconds: float) -> None:
        super().__init__()
        self.solver = solver
        self.seconds = seconds
        self.last = time.monotonic()
        self.objective = float("inf")
        self.done = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="cp-sat-patience", daemon=True)
        solver.best_bound_callback = self._bound

    def on_solution_callback(self) -> None:
        self.last = time.monotonic()
        self.objective = self.objective_value

    def _bound(self, bound: float) -> None:
        if bound >= (1 - CLOSE) * self.objective:  # never before a first schedule (inf)
            self.last = time.monotonic()

    def __enter__(self) -> _Patience:
        self.watcher.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.watcher.join()

    def _watch(self) -> None:
        while not self.done.wait(0.1):
            if time.monotonic() - self.last > self.seconds:
                self.solver.stop_search()
                return


def _solver(settings: Settings, limit: float, model: CpModel) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(limit, 0.05)
    solver.parameters.num_workers = settings.workers
    solver.parameters.random_seed = settings.seed + 1
    solver.parameters.log_search_progress = settings.log
    if model.slots:
        # Run slots are interchangeable; presolve's symmetry breaking then cut off the
        # hint's numbering of them, and the 68 SLS orders of the print farm started from a
        # schedule 26 times worse than their hint.
        solver.parameters.symmetry_level = 0
    return solver


@dataclass
class _Neighbourhoods:
    """Relax part of the schedule (some machines, a time window, some jobs) and re-solve it."""

    search: _Search
    rng: random.Random
    size: float = 0.3
    # The batch window's size, in runs of its machines (see _batch_window), adapted on its own.
    runs: float = 2.0
    in_runs: bool = False  # whether the last neighbourhood picked was a batch window
    # The late part a batch window ended at, and the late parts whose windows were solved
    # without a gain since the last one.
    anchor: str | None = None
    settled: set[str] = field(default_factory=set)

    def improve(self, best: Schedule, bound: int, clock: _Clock) -> Schedule:
        value = self.search.value(best)
        while clock.left() > 0.2 and value > bound:
            model = self.neighbour(best, self.pick(best))
            large = self.search._large()
            limit = SUBSOLVE_SECONDS * (2 if large else 1)
            solver = _solver(self.search.settings, min(limit, clock.left()), model)
            if large:
                # Presolve probing took 5.9 s of a 9 s budget on the full 960-operation
                # factory model (14 changeover circuits, 23k literals) before any search.
                solver.parameters.cp_model_probing_level = 0
            # Without the LP the hint loads in 0.08 s instead of 0.3-0.7 s on mk10.
            solver.parameters.linearization_level = 0
            code = solver.solve(model.cp)
            gained = 0
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                candidate = model.schedule(solver)
                gained = value - self.search.value(candidate)
                if gained >= 0:
                    best, value = candidate, self.search.value(candidate)
            if gained > 0:
                self.settled.clear()
            elif code == cp_model.OPTIMAL and self.anchor is not None:
                self.settled.add(self.anchor)  # its stretch holds nothing better
            self._adapt(solved=code == cp_model.OPTIMAL)
        return best

    def _adapt(self, solved: bool) -> None:
        """Grow the neighbourhood just tried while its sub-solves finish, else shrink it."""
        if self.in_runs:
            self.runs = min(8.0, self.runs * 1.1) if solved else max(1.0, self.runs / 1.1)
        else:
            self.size = min(0.8, self.size * 1.05) if solved else max(0.05, self.size / 1.05)

    def neighbour(self, best: Schedule, free: set[str]) -> CpModel:
        """The model with everything outside ``free`` held as in ``best``.

        With changeover circuits the rest is frozen in time, which drops most arcs: on the
        factory instance a sub-model then builds and loads in well under a second, where
        keeping only the machine order left 39k variables to presolve per iteration.
        Without circuits only machine and order are kept, a looser and better neighbourhood.
        """
        if self.search.instance.has_changeovers:
            free = _whole_runs(self.search.instance, best, free)
            held = {a.operation: a for a in best.assignments if a.operation not in free}
            return self.search.model(best, {**held, **self.search.frozen})
        model = self.search.model(best)
        model.keep(best, free)
        return model

    def pick(self, best: Schedule) -> set[str]:
        """Operations to free, in one of six ways drawn at random among those that apply.

        Some machines; a stretch of time; random jobs; the late jobs first; a stretch of runs
        on batch machines of one kind from a random part; and the stretch that ends at a late
        part whose stretch has not yet been solved to no avail since the last gain, drawn
        half the time before the others while there is such a part (``LATE_PART_SHARE``).
        """
        late = self._late_jobs(best)
        parts = self._batch_parts(best)
        operations = self.search.instance.operations
        tardy = [
            a
            for a in parts
            if operations[a.operation].job in late and a.operation not in self.settled
        ]
        kinds = [k for k, on in enumerate((True, True, True, late, parts, tardy)) if on]
        # A late part's stretch first, half the time: it is small and solved in well under a
        # second, and the one that regroups the right runs is worth more than all the rest.
        late_first = bool(tardy) and self.rng.random() < LATE_PART_SHARE
        kind = 5 if late_first else self.rng.choice(kinds)
        self.in_runs = kind >= 4
        self.anchor = None
        if kind == 5:
            anchor = self.rng.choice(tardy)
            self.anchor = anchor.operation
            return self._batch_window(parts, anchor, ending=True)
        if kind == 4:
            return self._batch_window(parts, self.rng.choice(parts), ending=False)
        count = max(2, int(self.size * len(operations)))
        if kind == 0:
            machines = [m.id for m in self.search.instance.machines]
            self.rng.shuffle(machines)
            free: set[str] = set()
            for m in machines:
                if len(free) >= count:
                    break
                free.update(a.operation for a in best.on_machine(m))
            return free
        if kind == 1:
            ordered = sorted(best.assignments, key=lambda a: a.start)
            first = self.rng.randrange(max(1, len(ordered) - count))
            return {a.operation for a in ordered[first : first + count]}
        jobs = list(self.search.instance.jobs)
        self.rng.shuffle(jobs)
        if kind == 3:  # the late jobs first, in a random order, then others
            jobs.sort(key=lambda job: job.id not in late)
        free = set()
        for job in jobs:
            if len(free) >= count:
                break
            free.update(op.id for op in job.operations)
        return free

    def _batch_parts(self, best: Schedule) -> list[Assignment]:
        """The parts in runs on batch machines where parts regroup, in time order."""
        machine = self.search.instance.machine
        return sorted(
            (
                a
                for a in best.assignments
                if machine[a.machine].capacity > 1
                and CpModel._slotted(
                    machine[a.machine], self.search.instance.operations[a.operation]
                )
            ),
            key=lambda a: a.start,
        )

    def _batch_window(self, parts: list[Assignment], anchor: Assignment, ending: bool) -> set[str]:
        """Whole jobs whose parts run in a stretch of time on batch machines of one kind.

        The stretch starts at ``anchor`` or, ``ending``, ends at it: a late part's run cannot
        move earlier while the runs before it keep their parts and those parts' later steps
        stay where they are.

        The stretch holds ``runs`` machine loads of parts (counted in places), whatever the
        generic size: what a sub-solve costs is the regrouping of parts into runs. On the farm
        a stretch of 16 SLS parts around a late one was regrouped (and its objective cut by
        1,288) in under a second, where the 48 parts of the generic size ran out of its 2 s.
        """
        instance = self.search.instance
        machine = instance.machine[anchor.machine]
        parts = [a for a in parts if instance.machine[a.machine].kind == machine.kind]
        places = max(2, round(self.runs * machine.capacity))
        here = parts.index(anchor)
        first = here
        if ending:  # back from the anchor while the stretch has room
            taken = self._places(anchor)
            while first > 0 and taken + self._places(parts[first - 1]) <= places:
                first -= 1
                taken += self._places(parts[first])
        free: set[str] = set()
        taken = 0
        for a in [*parts[first:], *reversed(parts[:first])]:  # on, then back from the start
            if taken >= places:
                break
            taken += self._places(a)
            job = instance.job[instance.operations[a.operation].job]
            free.update(op.id for op in job.operations)
        return free

    def _places(self, part: Assignment) -> int:
        return self.search.instance.operations[part.operation].size

    def _late_jobs(self, best: Schedule) -> set[str]:
        """Jobs finished after their due date, where the objective weighs tardiness."""
        if not self.search.weights.get(Criterion.TARDINESS):
            return set()
        return {
            job.id
            for job in self.search.instance.jobs
            if job.due is not None
            and job.operations
            and best.of[job.operations[-1].id].end > job.due
        }


def _whole_runs(instance: Instance, schedule: Schedule, free: set[str]) -> set[str]:
    """``free`` with the other parts of every batch run it touches, so that no run is split."""
    runs: dict[tuple[str, int], list[str]] = {}
    for a in schedule.assignments:
        if a.batch is not None and instance.machine[a.machine].capacity > 1:
            runs.setdefault((a.machine, a.batch), []).append(a.operation)
    whole = set(free)
    for parts in runs.values():
        if not whole.isdisjoint(parts):
            whole.update(parts)
    return whole


# Run slots a batch machine gets beyond the hint's runs, for runs to split or open, where it
# has more than EXACT_PARTS parts to make; with fewer, it gets a slot per part (_slots).
SPARE_RUNS = 2
EXACT_PARTS = 12
# Time limit of one LNS sub-solve.
SUBSOLVE_SECONDS = 1.0
# How often the LNS frees the stretch of batch runs that ends at a late part, while one has
# not been solved to no avail since the last gain, before drawing among all six ways. Drawn
# as one of six, the stretch that cut the print farm's objective by about 1,290 came 14-23 s
# into a 30 s solve, or not at all: 30 s solves with seeds 0-7 ended at 1,916-2,141 in six
# and 2,729-3,302 (seed 3, twice) and 3,148 in two. Half the time, it came at 3.2-7.6 s and
# all eight ended at 2,077-2,161 (2026-12-08 01:07-01:17 UTC).
LATE_PART_SHARE = 0.5
