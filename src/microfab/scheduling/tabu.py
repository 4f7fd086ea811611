"""Tabu search over machines and machine sequences, for plain and flexible job shops.

CP-SAT proves the easy textbook instances optimal in seconds but stalls on the hard ones
(la24-la29, mk06, mk10 at 30 s on two cores). There a local search that knows the problem's
structure does better: it keeps each operation's machine and one sequence per machine,
computes each operation's earliest start (its head) and the time still needed after it (its
tail), and moves along a critical path.

The moves are classic ones. In each block of the critical path (operations that follow each
other on one machine) an inner operation moves to the block's front or back, and the first or
last operation moves inside (the N7 neighbourhood). Where operations may run on several
machines, a critical operation also moves to another of its machines, at the place there that
the heads and tails without it say is best and safe. Each move is judged by a quick estimate
of the longest path through what it changes; the best move that is not tabu (or that beats
the best schedule seen) is made, and undoing it is tabu for a few iterations. After a long
stretch without improvement the search goes back to the best schedule and shakes it with a
few random swaps.

The kernels are compiled with numba, because a Python loop would make a few thousand moves a
second where these make hundreds of thousands; they release the GIL, so two searches with
different seeds run on two cores at once.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from microfab.scheduling.model import Assignment, Instance, Schedule

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Sequencing:
    """An instance flattened to arrays; ``alternatives[k, m]`` is operation k's time on m.

    A machine that cannot do the operation has -1 there.
    """

    ids: tuple[str, ...]
    machines: tuple[str, ...]
    alternatives: Ints
    release: Ints
    job_prev: Ints
    job_next: Ints

    @classmethod
    def of(cls, instance: Instance) -> Sequencing:
        ops = list(instance.iter_operations())
        machines = tuple(m.id for m in instance.machines)
        index = {op.id: k for k, op in enumerate(ops)}
        where = {m: k for k, m in enumerate(machines)}
        job_prev = np.full(len(ops), -1, dtype=np.int64)
        job_next = np.full(len(ops), -1, dtype=np.int64)
        for job in instance.jobs:
            for a, b in itertools.pairwise(job.operations):
                job_next[index[a.id]] = index[b.id]
                job_prev[index[b.id]] = index[a.id]
        alternatives = np.full((len(ops), len(machines)), -1, dtype=np.int64)
        for k, op in enumerate(ops):
            for m, d in op.durations.items():
                alternatives[k, where[m]] = d
        return cls(
            ids=tuple(index),
            machines=machines,
            alternatives=alternatives,
            release=np.array([instance.job[op.job].release for op in ops], dtype=np.int64),
            job_prev=job_prev,
            job_next=job_next,
        )

    def assigned(self, schedule: Schedule) -> tuple[Ints, Ints]:
        """Each operation's machine and its time there, as ``schedule`` has them."""
        where = {m: k for k, m in enumerate(self.machines)}
        machine = np.array([where[schedule.of[op].machine] for op in self.ids], dtype=np.int64)
        duration = self.alternatives[np.arange(len(self.ids)), machine].copy()
        return machine, duration

    def links(self, schedule: Schedule) -> tuple[Ints, Ints]:
        """Each operation's predecessor and successor on its machine, as ``schedule`` runs."""
        index = {op: k for k, op in enumerate(self.ids)}
        prev = np.full(len(self.ids), -1, dtype=np.int64)
        nxt = np.full(len(self.ids), -1, dtype=np.int64)
        for m in self.machines:
            order = [index[a.operation] for a in schedule.on_machine(m)]
            for a, b in itertools.pairwise(order):
                nxt[a], prev[b] = b, a
        return prev, nxt

    def schedule(self, machine: Ints, duration: Ints, prev: Ints, nxt: Ints) -> Schedule:
        """The semi-active schedule of these machines and sequences: each operation at its head."""
        head, tail = np.zeros_like(duration), np.zeros_like(duration)
        order, indegree = np.zeros_like(duration), np.zeros_like(duration)
        _heads_tails(
            self.job_prev,
            self.job_next,
            prev,
            nxt,
            duration,
            self.release,
            head,
            tail,
            order,
            indegree,
        )
        return Schedule(
            tuple(
                Assignment(op, self.machines[m], int(h), int(h + d))
                for op, m, h, d in zip(
                    self.ids, machine.tolist(), head.tolist(), duration.tolist(), strict=True
                )
            )
        )


def improve(
    instance: Instance,
    start: Schedule,
    seconds: float,
    workers: int = 2,
    seed: int = 0,
    target: int = 0,
    patience: float | None = None,
    other: Schedule | None = None,
) -> Schedule:
    """The best schedule ``workers`` searches from ``start`` find within ``seconds``.

    With ``other``, every second search starts from it instead: from two schedules of
    different origin the searches explore different regions. The searches stop early when one
    reaches ``target`` (a proven lower bound: nothing is better), or when none has improved on
    the best makespan for ``patience`` seconds.
    """
    return Searches(instance, start, workers, seed, other).run(seconds, target, patience)


class Searches:
    """Tabu searches that can pause and go on where they were, one thread each per run.

    The solver pauses them while CP-SAT takes a turn; a search that was slowly improving
    then goes on from its own schedule and tabu marks instead of starting over. A search that
    had not improved on its own best for ``SETTLED`` seconds when its turn ended starts the
    next one afresh from the last origin (the dispatch schedule, when there are two) with a
    new seed: where it settled, it stays (la38 at 1198 for 15 s in 3 of 16 seeds from the
    dispatch schedule), while a new seed from the same start reaches 1196 in most runs (13 of
    16, after 0.5-14.6 s, median 4.3 s).
    """

    def __init__(
        self,
        instance: Instance,
        start: Schedule,
        workers: int = 2,
        seed: int = 0,
        other: Schedule | None = None,
    ) -> None:
        self.flat = Sequencing.of(instance)
        origins = [start] if other is None else [start, other]
        self.fresh = origins[-1]
        self.seeds = itertools.count(seed)
        self.searches = [
            _Search(self.flat, origins[k % len(origins)], next(self.seeds))
            for k in range(max(1, workers))
        ]
        first = min(self.searches, key=lambda s: s.best)
        self.champion = self.flat.schedule(*first.kept)

    @property
    def best(self) -> int:
        return self.champion.makespan

    def run(self, seconds: float, target: int = 0, patience: float | None = None) -> Schedule:
        """Go on for at most ``seconds``; the best schedule found so far (see ``improve``)."""
        self.searches = [
            _Search(self.flat, self.fresh, next(self.seeds)) if s.settled else s
            for s in self.searches
        ]
        race = _Race(time.monotonic() + seconds, target, patience, self.best)
        threads = [threading.Thread(target=s.run, args=(race,)) for s in self.searches]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ended = time.monotonic()
        for search in self.searches:
            search.settled = ended - search.improved_at >= SETTLED
        best = min(self.searches, key=lambda s: s.best)
        if best.best < self.best:
            self.champion = self.flat.schedule(*best.kept)
        return self.champion


def warm_up() -> threading.Thread:
    """Compile the kernels in a background thread, and return it.

    The first compile takes about 7 s (then numba keeps the machine code on disk); the solver
    starts it before CP-SAT's first pass, so that the two overlap instead of the compile
    eating into the tabu search's time.
    """
    thread = threading.Thread(target=_compile, name="tabu-warm-up", daemon=True)
    thread.start()
    return thread


def _compile() -> None:
    # Two operations on two machines, either machine for each: every kernel is reached.
    flat = Sequencing(
        ids=("a", "b"),
        machines=("m1", "m2"),
        alternatives=np.array([[1, 2], [2, 1]], dtype=np.int64),
        release=np.zeros(2, dtype=np.int64),
        job_prev=np.array([-1, 0], dtype=np.int64),
        job_next=np.array([1, -1], dtype=np.int64),
    )
    machine = np.array([0, 1], dtype=np.int64)
    duration = np.array([1, 1], dtype=np.int64)
    none = np.full(2, -1, dtype=np.int64)
    kept = (machine.copy(), duration.copy(), none.copy(), none.copy())
    _tabu_search(
        flat.job_prev,
        flat.job_next,
        flat.alternatives,
        flat.release,
        machine,
        duration,
        none.copy(),
        none.copy(),
        *kept,
        np.zeros(4, dtype=np.int64),
        np.zeros(4, dtype=np.int64),
        np.array([0, 0, 2, 0], dtype=np.int64),
        1,
        0,
        TENURE,
        STALL,
    )


class _Race:
    """What the searches share: the deadline, the target and when a search last improved.

    The searches go on while any of them improves on its own best: a search started afresh
    is far above the best schedule for a while, and its way down counts.
    """

    def __init__(self, deadline: float, target: int, patience: float | None, best: int) -> None:
        self.deadline = deadline
        self.target = target
        self.patience = patience
        self.best = best
        self.improved = time.monotonic()
        self.lock = threading.Lock()

    def report(self, makespan: int, improved: bool) -> bool:
        """Note a search's best and whether it just improved; True while the searches go on."""
        now = time.monotonic()
        with self.lock:
            if improved:
                self.improved = now
            self.best = min(self.best, makespan)
            quiet = self.patience is not None and now - self.improved > self.patience
            return now < self.deadline and self.best > self.target and not quiet


class _Search:
    """One tabu search thread; the kernel runs in slices so the deadline is checked between."""

    def __init__(self, flat: Sequencing, start: Schedule, seed: int) -> None:
        n, machines = flat.alternatives.shape
        self.flat = flat
        # current and best: machine, duration, machine predecessor, machine successor
        machine, duration = flat.assigned(start)
        prev, nxt = flat.links(start)
        self.now = (machine, duration, prev, nxt)
        self.kept = (machine.copy(), duration.copy(), prev.copy(), nxt.copy())
        self.forbidden = np.zeros(n * n, dtype=np.int64)
        self.forbidden_machine = np.zeros(n * machines, dtype=np.int64)
        # iteration, last improving iteration, best makespan, seed
        self.state = np.array([0, 0, start.makespan, seed], dtype=np.int64)
        # when its best last fell (a turn's start counts), and whether it had stopped
        # improving when its last turn ended (see Searches)
        self.improved_at = time.monotonic()
        self.settled = False

    @property
    def best(self) -> int:
        return int(self.state[2])

    def run(self, race: _Race) -> None:
        f = self.flat
        self.improved_at = time.monotonic()
        known = self.best
        while race.report(self.best, self.best < known):
            if self.best < known:
                known, self.improved_at = self.best, time.monotonic()
            _tabu_search(
                f.job_prev,
                f.job_next,
                f.alternatives,
                f.release,
                *self.now,
                *self.kept,
                self.forbidden,
                self.forbidden_machine,
                self.state,
                SLICE,
                race.target,
                TENURE,
                STALL,
            )


# Seconds without improving on its own best after which a search counts as settled.
SETTLED = 3.0
# The tabu marks take operations² entries per search: 32 MB at this size.
MAX_OPERATIONS = 2000
# Iterations per kernel call: a few hundredths of a second on a 300-operation instance.
SLICE = 5000
# A move stays tabu to undo for TENURE to 2 x TENURE iterations, and the search goes back to
# its best schedule after STALL iterations without improving it. Tuned on la21, la27, la29,
# la37 and la40 (6 s, two seeds): tenures 2, 3, 4, 5, 8 and 2 + jobs/2 gave mean gaps of 1.27, 0.35,
# 0.25, 0.35, 0.38 and 0.48 %; stalls of 5,000 and 100,000 gave 0.62 and 0.30 %.
TENURE = 4
STALL = 20_000


@njit(cache=True, nogil=True)
def _past(a: int, times: Ints, duration: Ints) -> int:
    """Where operation a's head (or tail) plus its time reaches; 0 for no operation (-1)."""
    return int(times[a] + duration[a]) if a >= 0 else 0


@njit(cache=True, nogil=True)
def _heads_tails(
    job_prev: Ints,
    job_next: Ints,
    prev: Ints,
    nxt: Ints,
    duration: Ints,
    release: Ints,
    head: Ints,
    tail: Ints,
    order: Ints,
    indegree: Ints,
) -> int:
    """Heads, tails and the makespan; -1 when the sequences contain a cycle."""
    n = duration.size
    top = 0
    for v in range(n):
        d = 0
        if job_prev[v] >= 0:
            d += 1
        if prev[v] >= 0:
            d += 1
        indegree[v] = d
        if d == 0:
            order[top] = v
            top += 1
    k = 0
    while k < top:
        v = order[k]
        k += 1
        w = job_next[v]
        if w >= 0:
            indegree[w] -= 1
            if indegree[w] == 0:
                order[top] = w
                top += 1
        w = nxt[v]
        if w >= 0:
            indegree[w] -= 1
            if indegree[w] == 0:
                order[top] = w
                top += 1
    if top < n:
        return -1
    makespan = 0
    for k in range(n):
        v = order[k]
        h = max(release[v], _past(job_prev[v], head, duration), _past(prev[v], head, duration))
        head[v] = h
        if h + duration[v] > makespan:
            makespan = h + duration[v]
    for k in range(n - 1, -1, -1):
        v = order[k]
        tail[v] = max(_past(job_next[v], tail, duration), _past(nxt[v], tail, duration))
    return makespan


@njit(cache=True, nogil=True)
def _critical_path(
    job_prev: Ints, prev: Ints, duration: Ints, head: Ints, tail: Ints, makespan: int, path: Ints
) -> int:
    """One critical path, first operation first, into ``path``; returns its length.

    It ends at a random critical operation without a tail and walks back preferring the machine
    predecessor, which makes blocks long.
    """
    n = duration.size
    ends = 0
    for v in range(n):
        if tail[v] == 0 and head[v] + duration[v] == makespan:
            ends += 1
    if ends == 0:
        return 0
    pick = np.random.randint(ends)
    v = -1
    for u in range(n):
        if tail[u] == 0 and head[u] + duration[u] == makespan:
            if pick == 0:
                v = u
                break
            pick -= 1
    length = 0
    while v >= 0:
        path[length] = v
        length += 1
        a = prev[v]
        b = job_prev[v]
        if a >= 0 and head[a] + duration[a] == head[v]:
            v = a
        elif b >= 0 and head[b] + duration[b] == head[v]:
            v = b
        else:
            v = -1
    path[:length] = path[:length][::-1].copy()
    return length


@njit(cache=True, nogil=True)
def _moves(
    nxt: Ints,
    job_prev: Ints,
    job_next: Ints,
    duration: Ints,
    head: Ints,
    tail: Ints,
    path: Ints,
    length: int,
    moves: Ints,
) -> int:
    """The moves of the N7 neighbourhood on ``path``, as (i, j, direction) triples.

    In each block of the path (operations that follow each other on one machine) an inner
    operation moves to the block's front or back, and the first or last operation moves inside.
    Direction 1 moves ``path[i]`` just after ``path[j]``; -1 moves ``path[j]`` just before
    ``path[i]`` (i < j). Moves that could close a cycle are left out (the tests of Balas and
    Vazacopoulos on heads and tails).
    """
    count = 0
    start = 0
    while start < length:
        end = start
        while end + 1 < length and nxt[path[end]] == path[end + 1]:
            end += 1
        for i in range(start, end):
            for j in range(i + 1, end + 1):
                if i != start and j != end:
                    continue
                if _forward_ok(path[i], path[j], job_next, duration, tail):
                    moves[3 * count] = i
                    moves[3 * count + 1] = j
                    moves[3 * count + 2] = 1
                    count += 1
                if j - i > 1 and _backward_ok(path[i], path[j], job_prev, duration, head):
                    moves[3 * count] = i
                    moves[3 * count + 1] = j
                    moves[3 * count + 2] = -1
                    count += 1
        start = end + 1
    return count


@njit(cache=True, nogil=True)
def _forward_ok(u: int, v: int, job_next: Ints, duration: Ints, tail: Ints) -> bool:
    """Moving u just after v (both on the critical path, u first) cannot close a cycle."""
    after = job_next[u]
    return bool(after < 0 or tail[v] + duration[v] >= tail[after] + duration[after])


@njit(cache=True, nogil=True)
def _backward_ok(u: int, v: int, job_prev: Ints, duration: Ints, head: Ints) -> bool:
    """Moving v just before u (both on the critical path, u first) cannot close a cycle."""
    before = job_prev[v]
    return bool(before < 0 or head[u] + duration[u] >= head[before] + duration[before])


@njit(cache=True, nogil=True)
def _reordered(path: Ints, i: int, j: int, direction: int, segment: Ints) -> int:
    """The operations path[i..j] in the order the move leaves them, into ``segment``."""
    k = 0
    if direction == 1:
        for t in range(i + 1, j + 1):
            segment[k] = path[t]
            k += 1
        segment[k] = path[i]
    else:
        segment[k] = path[j]
        for t in range(i, j):
            k += 1
            segment[k] = path[t]
    return j - i + 1


@njit(cache=True, nogil=True)
def _estimate(
    segment: Ints,
    size: int,
    before: int,
    after: int,
    job_prev: Ints,
    job_next: Ints,
    duration: Ints,
    release: Ints,
    head: Ints,
    tail: Ints,
    new_head: Ints,
) -> int:
    """The longest path through the reordered segment, from the old heads and tails.

    ``before`` and ``after`` are the machine neighbours around the segment (-1 for none).
    """
    reach = _past(before, head, duration)
    for k in range(size):
        v = segment[k]
        h = max(reach, release[v], _past(job_prev[v], head, duration))
        new_head[k] = h
        reach = h + duration[v]
    rest = _past(after, tail, duration)
    longest = 0
    for k in range(size - 1, -1, -1):
        v = segment[k]
        t = max(rest, _past(job_next[v], tail, duration))
        if new_head[k] + duration[v] + t > longest:
            longest = new_head[k] + duration[v] + t
        rest = t + duration[v]
    return longest


@njit(cache=True, nogil=True)
def _relink(segment: Ints, size: int, before: int, after: int, prev: Ints, nxt: Ints) -> None:
    """Put ``segment`` between ``before`` and ``after`` on its machine, in its order."""
    last = before
    for k in range(size):
        v = segment[k]
        prev[v] = last
        if last >= 0:
            nxt[last] = v
        last = v
    nxt[last] = after
    if after >= 0:
        prev[after] = last


@njit(cache=True, nogil=True)
def _is_tabu(path: Ints, i: int, j: int, direction: int, forbidden: Ints, n: int, it: int) -> bool:
    """Whether the move puts an operation back before one it was recently moved behind."""
    # Plain loops: numba compiles them, not any() over a generator.
    if direction == 1:
        u = path[i]
        for t in range(i + 1, j + 1):  # noqa: SIM110
            if forbidden[path[t] * n + u] > it:
                return True
        return False
    v = path[j]
    for t in range(i, j):  # noqa: SIM110
        if forbidden[v * n + path[t]] > it:
            return True
    return False


@njit(cache=True, nogil=True)
def _forbid(
    path: Ints, i: int, j: int, direction: int, forbidden: Ints, n: int, until: int
) -> None:
    """After the move, forbid undoing it: the moved operation keeps its new side of the others."""
    if direction == 1:
        u = path[i]
        for t in range(i + 1, j + 1):
            forbidden[u * n + path[t]] = until
    else:
        v = path[j]
        for t in range(i, j):
            forbidden[path[t] * n + v] = until


@njit(cache=True, nogil=True)
def _tabu_search(
    job_prev: Ints,
    job_next: Ints,
    alternatives: Ints,
    release: Ints,
    machine: Ints,
    duration: Ints,
    prev: Ints,
    nxt: Ints,
    best_machine: Ints,
    best_duration: Ints,
    best_prev: Ints,
    best_next: Ints,
    forbidden: Ints,
    forbidden_machine: Ints,
    state: Ints,
    iterations: int,
    target: int,
    tenure: int,
    stall: int,
) -> bool:
    """Run ``iterations`` moves from the current schedule; True once ``target`` is reached.

    A move reorders a critical block, or moves a critical operation to another of its machines
    at the best place there. ``state`` carries the iteration count, the last improving
    iteration, the best makespan and the random seed from one call to the next.
    """
    n, machines = alternatives.shape
    head = np.zeros(n, dtype=np.int64)
    tail = np.zeros(n, dtype=np.int64)
    order = np.zeros(n, dtype=np.int64)
    indegree = np.zeros(n, dtype=np.int64)
    path = np.zeros(n, dtype=np.int64)
    segment = np.zeros(n, dtype=np.int64)
    scratch = np.zeros(n, dtype=np.int64)
    moves = np.zeros(12 * n + 12, dtype=np.int64)  # at most four moves per path operation
    without = np.zeros((2, n), dtype=np.int64)
    first = np.zeros(machines, dtype=np.int64)
    place = np.zeros(3, dtype=np.int64)
    chosen_place = np.zeros(3, dtype=np.int64)
    choices = (alternatives >= 0).sum(axis=1)
    flexible = choices.max() > 1
    if state[0] == 0:
        np.random.seed(state[3])
    it = state[0]
    best = state[2]
    for _ in range(iterations):
        it += 1
        makespan = _heads_tails(
            job_prev, job_next, prev, nxt, duration, release, head, tail, order, indegree
        )
        if makespan < 0 or it - state[1] > stall:
            # Back to the best schedule, shaken by a few random swaps on its critical path.
            machine[:] = best_machine
            duration[:] = best_duration
            prev[:] = best_prev
            nxt[:] = best_next
            forbidden[:] = 0
            forbidden_machine[:] = 0
            state[1] = it
            _kick(
                job_prev, job_next, duration, release, prev, nxt, head, tail, order, indegree, path
            )
            continue
        if makespan < best:
            best = makespan
            best_machine[:] = machine
            best_duration[:] = duration
            best_prev[:] = prev
            best_next[:] = nxt
            state[1] = it
            if best <= target:
                break
        length = _critical_path(job_prev, prev, duration, head, tail, makespan, path)
        count = _moves(nxt, job_prev, job_next, duration, head, tail, path, length, moves)
        if count == 0 and not flexible:
            # One block or none: the critical path is a job or one machine, so it is optimal.
            state[2] = best
            state[0] = it
            return True
        until = it + tenure + np.random.randint(tenure + 1)
        chosen = -1
        chosen_value = 0
        ties = 0
        for k in range(count):
            i = moves[3 * k]
            j = moves[3 * k + 1]
            direction = moves[3 * k + 2]
            size = _reordered(path, i, j, direction, segment)
            value = _estimate(
                segment,
                size,
                prev[path[i]],
                nxt[path[j]],
                job_prev,
                job_next,
                duration,
                release,
                head,
                tail,
                scratch,
            )
            if value >= best and _is_tabu(path, i, j, direction, forbidden, n, it):
                continue
            if chosen < 0 or value < chosen_value:
                chosen, chosen_value, ties = k, value, 1
            elif value == chosen_value:
                ties += 1
                if np.random.randint(ties) == 0:
                    chosen = k
        moved = -1
        if flexible:
            first[:] = -1
            for u in range(n):
                if prev[u] < 0:
                    first[machine[u]] = u
            for t in range(length):
                v = path[t]
                if choices[v] < 2:
                    continue
                rest = _without(
                    v, job_prev, job_next, prev, nxt, duration, release, without, order, indegree
                )
                for m in range(machines):
                    if m == machine[v] or alternatives[v, m] < 0:
                        continue
                    value = _best_place(
                        v,
                        m,
                        first,
                        alternatives,
                        job_prev,
                        job_next,
                        nxt,
                        duration,
                        release,
                        without,
                        rest,
                        place,
                    )
                    if value < 0:
                        continue
                    if value >= best and forbidden_machine[v * machines + m] > it:
                        continue
                    if (chosen < 0 and moved < 0) or value < chosen_value:
                        chosen, chosen_value, ties, moved = -1, value, 1, v
                        place[2] = m
                        chosen_place[:] = place
                    elif value == chosen_value:
                        ties += 1
                        if np.random.randint(ties) == 0:
                            chosen, moved = -1, v
                            place[2] = m
                            chosen_place[:] = place
        if moved >= 0:
            old = machine[moved]
            _reassign(
                moved,
                chosen_place[0],
                chosen_place[1],
                chosen_place[2],
                alternatives,
                machine,
                duration,
                prev,
                nxt,
            )
            forbidden_machine[moved * machines + old] = until
            continue
        if count == 0:
            state[1] = it - stall  # nothing to move: go back to the best schedule
            continue
        if chosen < 0:
            chosen = np.random.randint(count)
        i = moves[3 * chosen]
        j = moves[3 * chosen + 1]
        direction = moves[3 * chosen + 2]
        size = _reordered(path, i, j, direction, segment)
        _relink(segment, size, prev[path[i]], nxt[path[j]], prev, nxt)
        _forbid(path, i, j, direction, forbidden, n, until)
    state[0] = it
    state[2] = best
    return bool(best <= target)


@njit(cache=True, nogil=True)
def _without(
    v: int,
    job_prev: Ints,
    job_next: Ints,
    prev: Ints,
    nxt: Ints,
    duration: Ints,
    release: Ints,
    without: Ints,
    order: Ints,
    indegree: Ints,
) -> int:
    """Heads and tails (rows 0 and 1 of ``without``) with v taken off its machine, and the
    longest path through any other operation then."""
    before = prev[v]
    after = nxt[v]
    _unlink(v, prev, nxt)
    _heads_tails(
        job_prev, job_next, prev, nxt, duration, release, without[0], without[1], order, indegree
    )
    _link(v, before, after, prev, nxt)
    rest = 0
    for k in range(duration.size):
        if k != v and without[0, k] + duration[k] + without[1, k] > rest:
            rest = without[0, k] + duration[k] + without[1, k]
    return rest


@njit(cache=True, nogil=True)
def _best_place(
    v: int,
    m: int,
    first: Ints,
    alternatives: Ints,
    job_prev: Ints,
    job_next: Ints,
    nxt: Ints,
    duration: Ints,
    release: Ints,
    without: Ints,
    rest: int,
    place: Ints,
) -> int:
    """The estimated makespan of v on machine m at its best place there (-1: no safe place).

    v goes between two neighbours a and b on m. The place is safe when no path leads from v
    to a or from b to v, which the heads and tails without v rule out: a path v -> a would
    make a's head at least v's head plus v's time, a path b -> v likewise for the tails.
    ``place`` receives a and b.
    """
    head = without[0]
    tail = without[1]
    earliest = max(release[v], _past(job_prev[v], head, duration))
    latest = _past(job_next[v], tail, duration)
    reach = head[v] + duration[v]
    need = tail[v] + duration[v]
    found = -1
    a = -1
    b = first[m]
    while True:
        if a >= 0 and head[a] >= reach:
            break
        if b < 0 or tail[b] < need:
            start = max(earliest, _past(a, head, duration))
            end = max(latest, _past(b, tail, duration))
            value = max(rest, start + alternatives[v, m] + end)
            if found < 0 or value < found:
                found = value
                place[0] = a
                place[1] = b
        if b < 0:
            break
        a = b
        b = nxt[b]
    return found


@njit(cache=True, nogil=True)
def _reassign(
    v: int,
    a: int,
    b: int,
    m: int,
    alternatives: Ints,
    machine: Ints,
    duration: Ints,
    prev: Ints,
    nxt: Ints,
) -> None:
    """Take v off its machine and put it on m between a and b."""
    _unlink(v, prev, nxt)
    machine[v] = m
    duration[v] = alternatives[v, m]
    _link(v, a, b, prev, nxt)


@njit(cache=True, nogil=True)
def _unlink(v: int, prev: Ints, nxt: Ints) -> None:
    """Take v out of its machine sequence, joining its neighbours."""
    before = prev[v]
    after = nxt[v]
    if before >= 0:
        nxt[before] = after
    if after >= 0:
        prev[after] = before
    prev[v] = -1
    nxt[v] = -1


@njit(cache=True, nogil=True)
def _link(v: int, a: int, b: int, prev: Ints, nxt: Ints) -> None:
    """Put v between a and b (-1: the start or the end of the sequence)."""
    prev[v] = a
    nxt[v] = b
    if a >= 0:
        nxt[a] = v
    if b >= 0:
        prev[b] = v


@njit(cache=True, nogil=True)
def _kick(
    job_prev: Ints,
    job_next: Ints,
    duration: Ints,
    release: Ints,
    prev: Ints,
    nxt: Ints,
    head: Ints,
    tail: Ints,
    order: Ints,
    indegree: Ints,
    path: Ints,
) -> None:
    """Two to five random swaps of neighbours on the critical path (they never close a cycle)."""
    pair = np.zeros(2, dtype=np.int64)
    for _ in range(2 + np.random.randint(4)):
        makespan = _heads_tails(
            job_prev, job_next, prev, nxt, duration, release, head, tail, order, indegree
        )
        if makespan < 0:
            return
        length = _critical_path(job_prev, prev, duration, head, tail, makespan, path)
        pairs = 0
        for k in range(length - 1):
            if nxt[path[k]] == path[k + 1]:
                pairs += 1
        if pairs == 0:
            return
        pick = np.random.randint(pairs)
        for k in range(length - 1):
            if nxt[path[k]] == path[k + 1]:
                if pick == 0:
                    pair[0] = path[k + 1]
                    pair[1] = path[k]
                    _relink(pair, 2, prev[path[k]], nxt[path[k + 1]], prev, nxt)
                    break
                pick -= 1
