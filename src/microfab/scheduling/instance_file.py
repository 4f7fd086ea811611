"""A whole factory's scheduling problem as a JSON file, read and written.

The benchmark formats (``formats``) carry only machines and times. This one carries all the
model holds, so a planner can solve their own shop from a file: changeover times between setup
families, machines' unavailable windows and batch capacities, people with skills and shifts,
release and due dates, weights and the objective. Times are whole numbers in one unit of the
file's choosing (minutes in microfab's own files), counted from the start of the plan::

    {
      "name": "print-farm",
      "objective": {"weights": {"tardiness": 4, "changeover": 1}},
      "machines": [
        {"id": "p1", "kind": "fdm", "changeover": 12, "setup": "white",
         "unavailable": [{"start": 600, "end": 720}]},
        {"id": "resin", "capacity": 6,
         "changeovers": [{"from": "clear", "to": "tough", "time": 25}]}
      ],
      "operators": [{"id": "ana", "skills": ["finish"], "shifts": [{"start": 360, "end": 840}]}],
      "jobs": [
        {"id": "o1", "due": 1440, "weight": 2, "operations": [
          {"id": "o1.print", "durations": {"p1": 95}, "family": "white"},
          {"id": "o1.finish", "durations": {"bench": 10}, "skill": "finish"}
        ]}
      ]
    }

A machine's ``changeover`` is the time between any two different families; ``changeovers``
sets pairs apart from it. An operation's ``skill`` needs a person skilled in it for
``attended`` time from its start (the whole operation when left out); its ``size`` is the room
it takes in a batch run (one larger than a machine's capacity runs alone there, its duration
covering all the runs it needs). Problems are reported with their place in the file, e.g.
``jobs[3].operations[0].durations: machine 'p9' is not in machines``, and syntax errors with
their line and column.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from microfab.errors import InvalidInput
from microfab.scheduling.model import (
    Criterion,
    Instance,
    Job,
    Machine,
    Objective,
    Operation,
    Operator,
    Window,
)
from microfab.validation import first_problem

LARGEST = 10**9
"""The largest time read: CP-SAT's domains hold times up to 2**62 in all."""

MOST_WEIGHT = 10**6
"""The largest weight, of a job or of a criterion."""
MOST_FAMILIES = 200
"""Setup families a machine with changeovers may see: its changeover table grows with the
square of them (200 took 3.6 s to read and solve for 2 s here; in a review, 700 took 20 s
and 1.4 GB, and 2,000 were still going after 120 s at over 3.3 GB)."""
MOST_OBJECTIVE = 2**62
"""CP-SAT holds integers of 64 bits: the worst objective a file allows must stay below this."""

Name = Annotated[str, Field(min_length=1, max_length=128)]
Label = Annotated[str, Field(max_length=128)]
Time = Annotated[int, Field(ge=0, le=LARGEST, strict=True)]
Length = Annotated[int, Field(ge=1, le=LARGEST, strict=True)]
Weight = Annotated[int, Field(ge=1, le=MOST_WEIGHT, strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class WindowFile(_Strict):
    start: Time
    end: Time

    @model_validator(mode="after")
    def _ordered(self) -> WindowFile:
        if self.end <= self.start:
            raise ValueError(f"ends at {self.end}, not after its start {self.start}")
        return self


class ChangeoverFile(_Strict):
    before: Label = Field(alias="from")
    after: Label = Field(alias="to")
    time: Time

    @model_validator(mode="after")
    def _two_families(self) -> ChangeoverFile:
        if self.before == self.after:
            raise ValueError(f"a changeover from {self.before!r} to itself takes no time")
        return self


class MachineFile(_Strict):
    id: Name
    kind: Label = ""
    capacity: Length = 1
    setup: Label = ""
    changeover: Time = 0
    changeovers: list[ChangeoverFile] = []
    unavailable: list[WindowFile] = []

    @model_validator(mode="after")
    def _pairs_once(self) -> MachineFile:
        pairs = Counter((c.before, c.after) for c in self.changeovers)
        twice = [pair for pair, n in pairs.items() if n > 1]
        if twice:
            raise ValueError(f"changeovers: {twice[0][0]!r} to {twice[0][1]!r} is given twice")
        return self


class OperatorFile(_Strict):
    id: Name
    skills: list[Name] = Field(min_length=1)
    shifts: list[WindowFile] = Field(min_length=1)


class OperationFile(_Strict):
    id: Name
    durations: dict[Name, Time] = Field(min_length=1)
    family: Label = ""
    skill: Name | None = None
    attended: Length | None = None
    size: Length = 1

    @model_validator(mode="after")
    def _attended_needs_skill(self) -> OperationFile:
        if self.attended is not None and self.skill is None:
            raise ValueError("attended is the time a person is needed: give the skill too")
        machine, longest = max(self.durations.items(), key=lambda pair: pair[1])
        if self.attended is not None and self.attended > longest:
            raise ValueError(
                f"attended {self.attended} is longer than the step itself ({longest} on "
                f"{machine}): a person is needed for the whole step at most"
            )
        return self


class JobFile(_Strict):
    id: Name
    release: Time = 0
    due: Time | None = None
    weight: Weight = 1
    operations: list[OperationFile] = Field(min_length=1)


class ObjectiveFile(_Strict):
    weights: dict[Criterion, Annotated[int, Field(ge=0, le=MOST_WEIGHT, strict=True)]] | None = None
    lexicographic: list[Criterion] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ObjectiveFile:
        if (self.weights is None) == (self.lexicographic is None):
            raise ValueError("give either weights or lexicographic (an order of criteria)")
        if self.weights is not None and not any(self.weights.values()):
            raise ValueError("weights: give at least one criterion a weight above 0")
        if self.lexicographic is not None:
            if not self.lexicographic:
                raise ValueError("lexicographic: name at least one criterion")
            if len(set(self.lexicographic)) < len(self.lexicographic):
                raise ValueError("lexicographic: a criterion is named twice")
        return self


class InstanceFile(_Strict):
    version: Annotated[int, Field(strict=True)] = 1
    name: Name = "instance"
    objective: ObjectiveFile = ObjectiveFile(weights={Criterion.MAKESPAN: 1})
    machines: list[MachineFile] = Field(min_length=1)
    operators: list[OperatorFile] = []
    jobs: list[JobFile] = Field(min_length=1)

    @field_validator("version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if version != 1:
            raise ValueError(f"version {version} is unknown: this microfab reads version 1")
        return version


def read_instance_json(path: Path) -> Instance:
    """Read a JSON instance file, or raise ``InvalidInput`` naming the place of the problem."""
    return instance_from_json(_read_json(path), str(path))


def read_with_rush(path: Path, rush: Path) -> tuple[Instance, tuple[Job, ...]]:
    """A whole-factory file and rush orders for it from a JSON file ``{"jobs": [...]}`` (each
    job as in a whole-factory file, on its machines and people): the instance without them,
    whose machines' changeovers cover the rush orders' families too, and the rush jobs."""
    document = _read_json(path)
    before = instance_from_json(document, str(path))
    extra = _read_json(rush)
    rush_from_json(extra, before, str(rush))  # says what is wrong in the rush file's terms
    combined = {**document, "jobs": [*document["jobs"], *extra["jobs"]]}
    both = instance_from_json(combined, f"{path} with the rush orders of {rush}")
    count = len(before.jobs)
    return replace(both, jobs=both.jobs[:count]), both.jobs[count:]


class RushFile(_Strict):
    jobs: list[JobFile] = Field(min_length=1)


def rush_from_json(document: Any, instance: Instance, source: str = "rush") -> tuple[Job, ...]:
    """The rush orders a parsed document describes, checked against ``instance``."""
    try:
        spec = RushFile.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(f"{source}: {first_problem(exc)}") from None
    machines = set(instance.machine)
    skills = {s for o in instance.operators for s in o.skills}
    taken = set(instance.job) | set(instance.operations)
    problems = [
        *_unique("jobs", (j.id for j in spec.jobs)),
        *_unique("operations", (op.id for j in spec.jobs for op in j.operations)),
        *_references(spec.jobs, machines, skills),
        *(
            (f"jobs[{j}]", f"the id {name!r} is in the plan already")
            for j, job in enumerate(spec.jobs)
            for name in (job.id, *(op.id for op in job.operations))
            if name in taken
        ),
    ]
    for where, problem in problems:
        raise InvalidInput(f"{source}: {where}: {problem}")
    return tuple(_job(j) for j in spec.jobs)


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is allowed
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc})") from exc
    try:
        document = json.loads(text, object_pairs_hook=_once_each)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path}: line {exc.lineno}, column {exc.colno}: not JSON ({exc.msg})"
        ) from None
    except _KeyTwice as exc:
        raise InvalidInput(f"{path}: {exc}") from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, deep nesting
        raise InvalidInput(f"{path}: not a JSON file microfab can read ({exc})") from None
    return document


class _KeyTwice(ValueError):
    pass


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different (the last of two would win unseen)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _KeyTwice(f"the key {key!r} is given twice in one object")
        found[key] = value
    return found


def instance_from_json(document: Any, source: str = "instance") -> Instance:
    """The instance a parsed JSON document describes (see the module's description)."""
    try:
        spec = InstanceFile.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(f"{source}: {first_problem(exc)}") from None
    for where, problem in _cross_check(spec):
        raise InvalidInput(f"{source}: {where}: {problem}")
    instance = _instance(spec)
    if _worst_objective(instance) >= MOST_OBJECTIVE:
        raise InvalidInput(
            f"{source}: its times and weights are too large for the solver's 64-bit numbers: "
            "count time in a coarser unit (minutes, not seconds) or use smaller weights"
        )
    return instance


def _cross_check(spec: InstanceFile) -> Iterator[tuple[str, str]]:
    """What refers to what: each id once, durations on known machines, skills someone has."""
    yield from _unique("machines", (m.id for m in spec.machines))
    yield from _unique("operators", (o.id for o in spec.operators))
    yield from _unique("jobs", (j.id for j in spec.jobs))
    yield from _unique("operations", (op.id for j in spec.jobs for op in j.operations))
    machines = {m.id for m in spec.machines}
    skills = {s for o in spec.operators for s in o.skills}
    yield from _references(spec.jobs, machines, skills)
    yield from _families(spec)


def _references(
    jobs: Iterable[JobFile], machines: Iterable[str], skills: set[str]
) -> Iterator[tuple[str, str]]:
    """Steps on machines that exist, needing skills someone has."""
    for j, job in enumerate(jobs):
        for k, op in enumerate(job.operations):
            where = f"jobs[{j}].operations[{k}]"
            unknown = sorted(set(op.durations) - set(machines))
            if unknown:
                yield f"{where}.durations", f"machine {unknown[0]!r} is not in machines"
            if op.skill is not None and op.skill not in skills:
                yield f"{where}.skill", f"no operator has the skill {op.skill!r}"


def _families(spec: InstanceFile) -> Iterator[tuple[str, str]]:
    """Machines with changeovers see at most ``MOST_FAMILIES`` families of work."""
    for m, machine in enumerate(spec.machines):
        if not (machine.changeover or machine.changeovers):
            continue
        families = {
            op.family for job in spec.jobs for op in job.operations if machine.id in op.durations
        }
        if len(families) > MOST_FAMILIES:
            yield (
                f"machines[{m}]",
                f"its work has {len(families)} setup families; at most {MOST_FAMILIES} are "
                "supported with changeovers (give work that needs the same set-up one family)",
            )


def _worst_objective(instance: Instance) -> int:
    """An upper bound on the objective of any schedule the solver may consider."""
    horizon = instance.horizon()
    tardiness = sum(job.weight for job in instance.jobs) * horizon
    changeover = sum(
        max(m.changeovers.values(), default=0) * (len(instance.operations) + 1)
        for m in instance.machines
    )
    weight = max(instance.objective.weights.values(), default=1)
    return max(weight, 1) * (horizon + tardiness + changeover)


def _unique(kind: str, ids: Iterable[str]) -> Iterator[tuple[str, str]]:
    twice = [i for i, n in Counter(ids).items() if n > 1]
    if twice:
        yield kind, f"the id {twice[0]!r} is used twice"


def _instance(spec: InstanceFile) -> Instance:
    families: dict[str, set[str]] = {m.id: set() for m in spec.machines}
    for job in spec.jobs:
        for op in job.operations:
            for machine in op.durations:
                families[machine].add(op.family)
    return Instance(
        name=spec.name,
        jobs=tuple(_job(j) for j in spec.jobs),
        machines=tuple(_machine(m, families[m.id]) for m in spec.machines),
        operators=tuple(
            Operator(o.id, frozenset(o.skills), _windows(o.shifts)) for o in spec.operators
        ),
        objective=_objective(spec.objective),
    )


def _job(spec: JobFile) -> Job:
    operations = tuple(
        Operation(
            op.id, spec.id, dict(op.durations), op.family, op.skill, op.attended, size=op.size
        )
        for op in spec.operations
    )
    return Job(spec.id, operations, spec.release, spec.due, spec.weight)


def _machine(spec: MachineFile, families: set[str]) -> Machine:
    """The machine with its changeover between every two families of work it may get: the
    file's ``changeover`` unless ``changeovers`` sets the pair apart. Work of no family
    (``""``) needs no set-up unless ``changeovers`` says so."""
    named = {f for f in (*families, spec.setup) if f}
    changeovers = {(a, b): spec.changeover for a in named for b in named if a != b}
    changeovers.update({(c.before, c.after): c.time for c in spec.changeovers})
    changeovers = {pair: time for pair, time in changeovers.items() if time}
    return Machine(
        spec.id, spec.kind, changeovers, _windows(spec.unavailable), spec.capacity, spec.setup
    )


def _windows(windows: Iterable[WindowFile]) -> tuple[Window, ...]:
    return tuple(Window(w.start, w.end) for w in windows)


def _objective(spec: ObjectiveFile) -> Objective:
    if spec.lexicographic is not None:
        return Objective(weights={}, lexicographic=tuple(spec.lexicographic))
    assert spec.weights is not None
    return Objective(weights={c: w for c, w in spec.weights.items() if w})


def instance_to_json(instance: Instance) -> dict[str, Any]:
    """The instance as a JSON document ``instance_from_json`` reads back to the same problem.

    A machine's most common changeover is written once as ``changeover``; pairs that differ
    from it (including pairs that cost nothing) are listed."""
    objective: dict[str, Any] = (
        {"lexicographic": [c.value for c in instance.objective.lexicographic]}
        if instance.objective.lexicographic
        else {"weights": {c.value: w for c, w in instance.objective.weights.items()}}
    )
    return {
        "version": 1,
        "name": instance.name,
        "objective": objective,
        "machines": [_machine_json(instance, m) for m in instance.machines],
        "operators": [
            {"id": o.id, "skills": sorted(o.skills), "shifts": _windows_json(o.shifts)}
            for o in instance.operators
        ],
        "jobs": [_job_json(j) for j in instance.jobs],
    }


def _machine_json(instance: Instance, machine: Machine) -> dict[str, Any]:
    families = {op.family for op in instance.iter_operations() if machine.id in op.durations}
    families.add(machine.setup)
    times = {(a, b): machine.changeover(a, b) for a in families for b in families if a != b}
    named = Counter(time for (a, b), time in times.items() if a and b)
    usual = named.most_common(1)[0][0] if named else 0
    found: dict[str, Any] = {"id": machine.id}
    if machine.kind:
        found["kind"] = machine.kind
    if machine.capacity != 1:
        found["capacity"] = machine.capacity
    if machine.setup:
        found["setup"] = machine.setup
    if usual:
        found["changeover"] = usual
    apart = [
        {"from": a, "to": b, "time": time}
        for (a, b), time in sorted(times.items())
        if time != (usual if a and b else 0)
    ]
    if apart:
        found["changeovers"] = apart
    if machine.unavailable:
        found["unavailable"] = _windows_json(machine.unavailable)
    return found


def _job_json(job: Job) -> dict[str, Any]:
    found: dict[str, Any] = {"id": job.id}
    if job.release:
        found["release"] = job.release
    if job.due is not None:
        found["due"] = job.due
    if job.weight != 1:
        found["weight"] = job.weight
    found["operations"] = [_operation_json(op) for op in job.operations]
    return found


def _operation_json(op: Operation) -> dict[str, Any]:
    found: dict[str, Any] = {"id": op.id, "durations": dict(op.durations)}
    if op.family:
        found["family"] = op.family
    if op.skill is not None:
        found["skill"] = op.skill
    if op.attended is not None:
        found["attended"] = op.attended
    if op.size != 1:
        found["size"] = op.size
    return found


def _windows_json(windows: Iterable[Window]) -> list[dict[str, int]]:
    return [{"start": w.start, "end": w.end} for w in windows]


def write_instance_json(path: Path, instance: Instance) -> None:
    path.write_text(json.dumps(instance_to_json(instance), indent=1) + "\n", encoding="utf-8")
