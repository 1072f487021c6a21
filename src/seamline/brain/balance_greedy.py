"""Constructive line balances: station-oriented priority rules with a search on the cycle time.

For a trial cycle time C the station-oriented builder fills one station after the other with the
ready task (all predecessors placed) of highest priority that still fits under C. The smallest C
for which the rule needs no more stations than the line has is found by bisection (the rules are not
monotone in C, so the result is a good start, not a bound). SALBP-2 uses the ranked positional
weight (Helgeson & Birnie 1961: a task's time plus the times of all its successors) and two other
classic priorities; ALWABP chooses, for each station, the remaining worker who takes the most
nominal work (each task's time at its fastest worker) under C.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from seamline.brain.precedence import all_successors
from seamline.brain.problems import Alwabp, Salbp2

# per task (0-based), larger is placed first
Priority = Sequence[float]
# the station's stations so far, as (worker or None, tasks from 0)
Stations = list[tuple[int | None, list[int]]]


class _Precedence:
    """Which tasks are ready (every predecessor placed) as tasks are placed one by one."""

    def __init__(self, n: int, arcs: Sequence[tuple[int, int]]) -> None:
        self.succ: list[list[int]] = [[] for _ in range(n)]
        self.preds_left = [0] * n
        for i, j in arcs:
            self.preds_left[j] += 1
            self.succ[i].append(j)
        self.ready = {i for i in range(n) if self.preds_left[i] == 0}

    def copy(self) -> _Precedence:
        other = _Precedence.__new__(_Precedence)
        other.succ, other.preds_left, other.ready = self.succ, self.preds_left[:], set(self.ready)
        return other

    def place(self, i: int) -> None:
        self.ready.discard(i)
        for j in self.succ[i]:
            self.preds_left[j] -= 1
            if self.preds_left[j] == 0:
                self.ready.add(j)


def _pack(
    graph: _Precedence,
    time_of: Callable[[int], int | None],
    cycle: int,
    key: Callable[[int], tuple[float, ...]],
) -> tuple[list[int], int]:
    """Fill one station from a copy of ``graph``: the best-keyed ready task that fits, until none does."""
    local = graph.copy()
    tasks: list[int] = []
    load = 0
    while True:
        fitting = [i for i in local.ready if (t := time_of(i)) is not None and load + t <= cycle]
        if not fitting:
            return tasks, load
        i = max(fitting, key=key)
        tasks.append(i)
        load += time_of(i) or 0
        local.place(i)


def salbp2_priorities(problem: Salbp2) -> list[list[float]]:
    """Ranked positional weight, task time, and number of successors (each tie-broken by the others)."""
    times = problem.task_times
    closure = all_successors(problem.n_tasks, problem.arcs)
    rpw = [times[i] + sum(times[j] for j in closure[i]) for i in range(problem.n_tasks)]
    return [
        [rpw[i] * 1e6 + times[i] for i in range(problem.n_tasks)],
        [times[i] * 1e9 + rpw[i] for i in range(problem.n_tasks)],
        [len(closure[i]) * 1e9 + rpw[i] for i in range(problem.n_tasks)],
    ]


def salbp2_greedy(problem: Salbp2) -> tuple[int, list[list[int]]]:
    """The smallest cycle time (and its stations, tasks from 0) that any priority rule reaches."""
    times = problem.task_times
    best: tuple[int, list[list[int]]] | None = None
    for priority in salbp2_priorities(problem):

        def attempt(cycle: int, priority: Priority = priority) -> Stations | None:
            graph = _Precedence(problem.n_tasks, problem.arcs)
            stations: Stations = []
            for _ in range(problem.stations):
                tasks, _load = _pack(graph, lambda i: times[i], cycle, lambda i: (priority[i], -i))
                for i in tasks:
                    graph.place(i)
                stations.append((None, tasks))
            placed = sum(len(tasks) for _, tasks in stations)
            return stations if placed == problem.n_tasks else None

        found = _bisect(problem.trivial_lower_bound(), max(sum(times), 1), attempt)
        if found is not None and (best is None or found[0] < best[0]):
            best = (found[0], [tasks for _, tasks in found[1]])
    assert best is not None  # one station holding every task always fits under sum(times)
    return best


def alwabp_greedy(problem: Alwabp) -> tuple[int, list[tuple[int, list[int]]]] | None:
    """A cycle time and its stations as (worker, tasks from 0), or None if the builder finds none.

    Station by station, every remaining worker packs the ready tasks they can do under the trial
    cycle time (preferring, in one rule, the tasks they do fastest relative to the fastest worker,
    in the other the largest positional weight); the worker who takes the most nominal work wins.
    """
    n, k, times = problem.n_tasks, problem.n_workers, problem.times
    nominal = [min(t for t in row if t is not None) for row in times]
    closure = all_successors(n, problem.arcs)
    rpw = [nominal[i] + sum(nominal[j] for j in closure[i]) for i in range(n)]
    keys: list[Callable[[int, int], tuple[float, ...]]] = [
        lambda i, w: (nominal[i] / max(times[i][w] or 1, 1), rpw[i], -i),
        lambda i, _w: (rpw[i], -i),
    ]
    upper = sum(max(t for t in row if t is not None) for row in times)

    def pack_for(
        graph: _Precedence, w: int, cycle: int, key: Callable[[int, int], tuple[float, ...]]
    ) -> list[int]:
        return _pack(graph, lambda i: times[i][w], cycle, lambda i: key(i, w))[0]

    best: tuple[int, list[tuple[int, list[int]]]] | None = None
    for key in keys:

        def attempt(cycle: int, key: Callable[[int, int], tuple[float, ...]] = key) -> Stations | None:
            graph = _Precedence(n, problem.arcs)
            free = list(range(k))
            stations: Stations = []
            while free:
                packs = [(pack_for(graph, w, cycle, key), w) for w in free]
                tasks, worker = max(packs, key=lambda p: (sum(nominal[i] for i in p[0]), -p[1]))
                for i in tasks:
                    graph.place(i)
                free.remove(worker)
                stations.append((worker, tasks))
            placed = sum(len(tasks) for _, tasks in stations)
            return stations if placed == n else None

        found = _bisect(problem.trivial_lower_bound(), upper, attempt)
        if found is not None and (best is None or found[0] < best[0]):
            best = (found[0], [(w if w is not None else -1, tasks) for w, tasks in found[1]])
    return best


def _bisect(low: int, high: int, attempt: Callable[[int], Stations | None]) -> tuple[int, Stations] | None:
    """The smallest cycle time in [low, high] for which ``attempt`` succeeds, by bisection."""
    found = attempt(high)
    if found is None:
        return None
    best = (high, found)
    while low < high:
        mid = (low + high) // 2
        stations = attempt(mid)
        if stations is None:
            low = mid + 1
        else:
            best = (mid, stations)
            high = mid
    return best
