"""Tabu search over machine sequences, for job shops where each operation has one machine.

CP-SAT proves the easy textbook instances optimal in seconds but stalls on the hard ones
(la24-la29 at 30 s on two cores). There a local search that knows the problem's structure does
better: it keeps one machine sequence per machine, computes each operation's earliest start
(its head) and the time it still needs after it (its tail), and moves along the critical path.

The neighbourhood is a classic one for the job shop (N7): on the critical path, split into
blocks of operations that follow each other on one machine, an inner operation of a block moves
to its front or its back, and the first or last operation moves inside. Each move is judged by
a quick estimate of the longest path through the operations it reorders; the best move that is
not tabu (or that beats the best schedule seen) is made, and undoing it is tabu for a few
iterations. After a long stretch without
improvement the search goes back to the best schedule and shakes it with a few random swaps.

The kernels are compiled with numba, because a Python loop would make a few thousand moves a
second where these make hundreds of thousands; they release the GIL, so two searches with
different seeds run on two cores at once.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from microfab.scheduling.model import Assignment, Instance, Schedule

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Sequencing:
    """An instance flattened to arrays: operation ``k`` has one machine and one duration."""

    ids: tuple[str, ...]
    machines: tuple[str, ...]
    machine: Ints
    duration: Ints
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
            for a, b in zip(job.operations, job.operations[1:], strict=False):
                job_next[index[a.id]] = index[b.id]
                job_prev[index[b.id]] = index[a.id]
        (machine_of,) = zip(*(_only(op.durations) for op in ops), strict=True)
        return cls(
            ids=tuple(index),
            machines=machines,
            machine=np.array([where[m] for m in machine_of], dtype=np.int64),
            duration=np.array([next(iter(op.durations.values())) for op in ops], dtype=np.int64),
            release=np.array([instance.job[op.job].release for op in ops], dtype=np.int64),
            job_prev=job_prev,
            job_next=job_next,
        )

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

    def schedule(self, prev: Ints, nxt: Ints) -> Schedule:
        """The semi-active schedule of these machine sequences: every operation at its head."""
        head, tail = np.zeros_like(self.duration), np.zeros_like(self.duration)
        order, indegree = np.zeros_like(self.duration), np.zeros_like(self.duration)
        _evaluate(self, prev, nxt, head, tail, order, indegree)
        return Schedule(
            tuple(
                Assignment(op, self.machines[self.machine[k]], int(head[k]), int(head[k] + d))
                for k, (op, d) in enumerate(zip(self.ids, self.duration.tolist(), strict=True))
            )
        )


def _only(durations: Mapping[str, int]) -> tuple[str]:
    if len(durations) != 1:
        raise ValueError("tabu search sequences operations that each have exactly one machine")
    return (next(iter(durations)),)


def _evaluate(
    s: Sequencing, prev: Ints, nxt: Ints, head: Ints, tail: Ints, order: Ints, indegree: Ints
) -> int:
    return int(
        _heads_tails(
            s.job_prev, s.job_next, prev, nxt, s.duration, s.release, head, tail, order, indegree
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
) -> Schedule:
    """The best schedule ``workers`` searches from ``start`` find within ``seconds``.

    The searches stop early when one reaches ``target`` (a proven lower bound: nothing is
    better), or when none has improved on the best makespan for ``patience`` seconds.
    """
    flat = Sequencing.of(instance)
    race = _Race(time.monotonic() + seconds, target, patience, start.makespan)
    searches = [_Search(flat, start, seed + k) for k in range(max(1, workers))]
    threads = [threading.Thread(target=s.run, args=(race,)) for s in searches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    best = min(searches, key=lambda s: s.best)
    return flat.schedule(best.best_prev, best.best_next)


class _Race:
    """What the searches share: the deadline, the target and when the best last improved."""

    def __init__(self, deadline: float, target: int, patience: float | None, best: int) -> None:
        self.deadline = deadline
        self.target = target
        self.patience = patience
        self.best = best
        self.improved = time.monotonic()
        self.lock = threading.Lock()

    def report(self, makespan: int) -> bool:
        """Note a search's best; True while the searches should go on."""
        now = time.monotonic()
        with self.lock:
            if makespan < self.best:
                self.best, self.improved = makespan, now
            quiet = self.patience is not None and now - self.improved > self.patience
            return now < self.deadline and self.best > self.target and not quiet


class _Search:
    """One tabu search thread; the kernel runs in slices so the deadline is checked between."""

    def __init__(self, flat: Sequencing, start: Schedule, seed: int) -> None:
        n = len(flat.ids)
        self.flat = flat
        self.prev, self.next = flat.links(start)
        self.best_prev, self.best_next = self.prev.copy(), self.next.copy()
        self.forbidden = np.zeros(n * n, dtype=np.int64)
        # iteration, last improving iteration, best makespan, seed
        self.state = np.array([0, 0, start.makespan, seed], dtype=np.int64)

    @property
    def best(self) -> int:
        return int(self.state[2])

    def run(self, race: _Race) -> None:
        f = self.flat
        while race.report(self.best):
            _tabu_search(
                f.job_prev,
                f.job_next,
                f.duration,
                f.release,
                self.prev,
                self.next,
                self.best_prev,
                self.best_next,
                self.forbidden,
                self.state,
                SLICE,
                race.target,
                TENURE,
                STALL,
            )


# Iterations per kernel call: a few hundredths of a second on a 300-operation instance.
SLICE = 5000
# A move stays tabu to undo for TENURE to 2 x TENURE iterations, and the search goes back to
# its best schedule after STALL iterations without improving it. Tuned on la21, la27, la29,
# la37 and la40 (6 s, two seeds): tenures 2, 3, 4, 5, 8 and 2 + jobs/2 gave mean gaps of 1.27, 0.35,
# 0.25, 0.35, 0.38 and 0.48 %; stalls of 5,000 and 100,000 gave 0.62 and 0.30 %.
TENURE = 4
STALL = 20_000


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
        h = release[v]
        a = job_prev[v]
        if a >= 0 and head[a] + duration[a] > h:
            h = head[a] + duration[a]
        a = prev[v]
        if a >= 0 and head[a] + duration[a] > h:
            h = head[a] + duration[a]
        head[v] = h
        if h + duration[v] > makespan:
            makespan = h + duration[v]
    for k in range(n - 1, -1, -1):
        v = order[k]
        t = 0
        a = job_next[v]
        if a >= 0 and tail[a] + duration[a] > t:
            t = tail[a] + duration[a]
        a = nxt[v]
        if a >= 0 and tail[a] + duration[a] > t:
            t = tail[a] + duration[a]
        tail[v] = t
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
    reach = 0
    if before >= 0:
        reach = head[before] + duration[before]
    for k in range(size):
        v = segment[k]
        h = max(reach, release[v])
        a = job_prev[v]
        if a >= 0 and head[a] + duration[a] > h:
            h = head[a] + duration[a]
        new_head[k] = h
        reach = h + duration[v]
    rest = 0
    if after >= 0:
        rest = tail[after] + duration[after]
    longest = 0
    for k in range(size - 1, -1, -1):
        v = segment[k]
        t = rest
        a = job_next[v]
        if a >= 0 and tail[a] + duration[a] > t:
            t = tail[a] + duration[a]
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
    duration: Ints,
    release: Ints,
    prev: Ints,
    nxt: Ints,
    best_prev: Ints,
    best_next: Ints,
    forbidden: Ints,
    state: Ints,
    iterations: int,
    target: int,
    tenure: int,
    stall: int,
) -> bool:
    """Run ``iterations`` moves from the current sequences; True once ``target`` is reached.

    ``state`` carries the iteration count, the last improving iteration, the best makespan and
    the random seed from one call to the next.
    """
    n = duration.size
    head = np.zeros(n, dtype=np.int64)
    tail = np.zeros(n, dtype=np.int64)
    order = np.zeros(n, dtype=np.int64)
    indegree = np.zeros(n, dtype=np.int64)
    path = np.zeros(n, dtype=np.int64)
    segment = np.zeros(n, dtype=np.int64)
    scratch = np.zeros(n, dtype=np.int64)
    moves = np.zeros(3 * n * n, dtype=np.int64)
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
            prev[:] = best_prev
            nxt[:] = best_next
            forbidden[:] = 0
            state[1] = it
            _kick(
                job_prev,
                job_next,
                duration,
                release,
                prev,
                nxt,
                head,
                tail,
                order,
                indegree,
                path,
            )
            continue
        if makespan < best:
            best = makespan
            best_prev[:] = prev
            best_next[:] = nxt
            state[1] = it
            if best <= target:
                break
        length = _critical_path(job_prev, prev, duration, head, tail, makespan, path)
        count = _moves(nxt, job_prev, job_next, duration, head, tail, path, length, moves)
        if count == 0:
            # One block or none: the critical path is a job or one machine, so it is optimal.
            state[2] = best
            state[0] = it
            return True
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
        if chosen < 0:
            chosen = np.random.randint(count)
        i = moves[3 * chosen]
        j = moves[3 * chosen + 1]
        direction = moves[3 * chosen + 2]
        size = _reordered(path, i, j, direction, segment)
        _relink(segment, size, prev[path[i]], nxt[path[j]], prev, nxt)
        _forbid(path, i, j, direction, forbidden, n, it + tenure + np.random.randint(tenure + 1))
    state[0] = it
    state[2] = best
    return bool(best <= target)


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
