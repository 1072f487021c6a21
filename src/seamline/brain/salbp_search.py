"""SALBP-2 by a search on the cycle time: each trial C asks whether M stations of C suffice.

Feasibility is monotone in C (a balance for C is one for C + 1), so one proof that C cannot be
reached lifts the lower bound to C + 1 and one balance found for C lowers the upper bound to C.
:class:`CycleSearch` keeps both bounds and spends growing node budgets of the compiled branch and
bound (:mod:`~seamline.brain.salbp_kernel`) alternately on the lowest open C (to prove or reach it)
and on the highest C below the best balance (to improve it), each both forwards and on the
reversed precedence graph (Scholl & Klein's bidirectional idea: one direction is often far
easier). The budgets are counted in nodes, so the same problem always gives the same answer unless
the wall clock ends the search first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from seamline.brain import salbp_kernel as kernel
from seamline.brain.precedence import all_successors, successors, topological_order
from seamline.brain.problems import Salbp2
from seamline.brain.salbp_kernel import ABORTED, FAILED, FOUND

B = TypeVar("B")

FIRST_BUDGET = 4_000
PROBES = 4
PROBE_BUDGET = 20_000
GUESSES = ((3, 100_000, 1_000_000), (4, 5_000, 200_000))
"""The SALBP heuristic, in turn: the 3 fullest loads of a station among the first 100,000 it
enumerates, within 1,000,000 loads in all; the 4 fullest among 5,000, within 200,000."""
NODES_PER_S = 1_500_000
"""A cautious pace of the compiled search on the development machine, to size the last budget."""


@dataclass(slots=True)
class Numbering:
    """The problem renumbered for one direction: order[k] is the task (from 0) numbered k."""

    order: np.ndarray
    times: np.ndarray
    succ_ptr: np.ndarray
    succ_idx: np.ndarray
    n_preds: np.ndarray
    tails: np.ndarray
    zobrist: np.ndarray

    def latest(self, m: int, c: int) -> np.ndarray:
        """The last station (from 0) each renumbered task can take with cycle time c."""
        return np.asarray(m - (self.tails + c - 1) // c, dtype=np.int64)


def numbering(
    times: list[int], arcs: list[tuple[int, int]], zobrist: np.ndarray, noise: np.random.Generator | None
) -> Numbering:
    """Number the tasks topologically, preferring the ready task of largest positional weight
    (shaken by up to +-30 % with ``noise``, for a differently ordered search)."""
    n = len(times)
    closure = all_successors(n, arcs)
    weight = [times[i] + sum(times[j] for j in closure[i]) for i in range(n)]
    shaken = list(weight) if noise is None else [w * noise.uniform(0.7, 1.3) for w in weight]
    order = topological_order(n, arcs, [shaken[i] + times[i] * 1e-9 for i in range(n)])
    succ = successors(n, arcs)
    number = {task: k for k, task in enumerate(order)}
    new_succ = [sorted(number[j] for j in succ[task]) for task in order]
    ptr = np.zeros(n + 1, dtype=np.int64)
    for k in range(n):
        ptr[k + 1] = ptr[k] + len(new_succ[k])
    n_preds = np.zeros(n, dtype=np.int64)
    for targets in new_succ:
        for j in targets:
            n_preds[j] += 1
    return Numbering(
        order=np.asarray(order, dtype=np.int64),
        times=np.asarray([times[t] for t in order], dtype=np.int64),
        succ_ptr=ptr,
        succ_idx=np.asarray([j for targets in new_succ for j in targets], dtype=np.int64),
        n_preds=n_preds,
        tails=np.asarray([weight[t] for t in order], dtype=np.int64),
        zobrist=zobrist[np.asarray(order, dtype=np.int64)],
    )


def quick_lower_bound(problem: Salbp2) -> int:
    """The smallest C that passes the bounds at the root: ceil(sum/M), the longest task, pairs of
    tasks that must share a station (the (M+1)-th longest plus the M-th), and each task's earliest
    station (its head over C) no later than its latest (M minus its tail over C).

    >>> quick_lower_bound(Salbp2("pairs", (5, 5, 5), (), stations=2))
    10
    """
    times, m, n = problem.task_times, problem.stations, problem.n_tasks
    low = problem.trivial_lower_bound()
    ranked = sorted(times, reverse=True)
    for k in range(1, n // m + 1):  # among the k*M+1 longest tasks, k+1 share a station
        if k * m < n:
            low = max(low, sum(ranked[k * m - j] for j in range(k + 1)))
    closure = all_successors(n, problem.arcs)
    before = all_successors(n, [(j, i) for i, j in problem.arcs])
    heads = [times[i] + sum(times[p] for p in before[i]) for i in range(n)]
    tails = [times[i] + sum(times[s] for s in closure[i]) for i in range(n)]
    while any(-(-h // low) + -(-t // low) - 1 > m for h, t in zip(heads, tails, strict=True) if low > 0):
        low += 1
    return low


class BoundSearch(Generic[B]):
    """Lower and upper bounds on a cycle time, tightened by budgeted trials of single cycle times.

    A subclass says how one trial runs (:meth:`trial`: FOUND, FAILED or ABORTED, having offered
    what it found and raised ``low`` on a proof) and what a balance's cycle time is.
    """

    nodes_per_s = NODES_PER_S

    def __init__(self, low: int) -> None:
        self.low = low
        self.high: int | None = None
        self.best: B | None = None
        self.nodes = 0

    def cycle_of(self, balance: B) -> int:
        raise NotImplementedError

    def attempt(self, c: int, budget: int, variant: int, backwards: int, *, exact: bool) -> tuple[int, int]:
        """One kernel run on cycle time c in one direction (offering what it finds): its outcome and
        the nodes spent; ``exact`` for the branch and bound, else the heuristic."""
        raise NotImplementedError

    def trial(self, c: int, budget: int, variant: int = 0) -> int:
        """The branch and bound on cycle time c, both directions with ``budget`` nodes each: FOUND,
        FAILED (``low`` then rises above c) or ABORTED."""
        return self._both(c, budget, variant, exact=True)

    def guess(self, c: int, variant: int) -> int:
        """The heuristic on cycle time c, both directions: FOUND or ABORTED."""
        return self._both(c, 0, variant, exact=False)

    def _both(self, c: int, budget: int, variant: int, *, exact: bool) -> int:
        for backwards in (0, 1):
            outcome, spent = self.attempt(c, budget, variant, backwards, exact=exact)
            self.nodes += spent
            if outcome == FAILED:
                self.low = max(self.low, c + 1)
                return FAILED
            if outcome == FOUND:
                return FOUND
        return ABORTED

    def offer(self, balance: B) -> None:
        """A balance found elsewhere: kept if it beats the best one."""
        cycle = self.cycle_of(balance)
        if self.high is None or cycle < self.high:
            self.high, self.best = cycle, balance

    @property
    def closed(self) -> bool:
        return self.high is not None and self.low >= self.high

    def run(self, deadline: float) -> None:
        """Tighten the bounds until they meet or ``deadline`` (``time.perf_counter``) passes.

        Each round proves or reaches the lowest open cycle time with the first numbering (its table
        grows from round to round), then tries it with a fresh numbering, and bisects between the
        lowest open cycle time and the best balance with the heuristic (:meth:`guess`); budgets
        double when a round decides nothing.
        """
        budget = FIRST_BUDGET
        variant = 0
        floor = self.low  # the heuristic's bisection: below here it failed with this numbering
        while not self.closed:
            left = deadline - time.perf_counter()
            if left <= 0:
                return
            cap = max(int(left * self.nodes_per_s / 4), 1000)
            progress = self.trial(self.low, min(budget, cap)) != ABORTED
            variant += 1
            if not self.closed:
                progress = self.trial(self.low, min(PROBE_BUDGET, cap), variant) != ABORTED or progress
            for _ in range(PROBES):
                if self.closed or self.high is None or time.perf_counter() > deadline:
                    break
                floor = max(floor, self.low)
                if floor >= self.high:
                    floor, variant = self.low, variant + 1
                probe = (floor + self.high - 1) // 2
                if self.guess(probe, variant) == FOUND:
                    progress = True
                else:
                    floor = probe + 1
            if not progress:
                budget *= 2


class CycleSearch(BoundSearch[list[list[int]]]):
    """Lower and upper bounds on one SALBP-2 problem's cycle time, tightened by budgeted searches.

    Each direction keeps several numberings of the tasks: the first by positional weight, the
    others shaken at random (from ``seed``). A failed set of placed tasks fails whatever the
    numbering, so the numberings of a direction share one transposition table per cycle time.
    """

    def __init__(self, problem: Salbp2, *, seed: int = 0) -> None:
        super().__init__(quick_lower_bound(problem))
        self.problem = problem
        self._times = list(problem.task_times)
        self._arcs = (list(problem.arcs), [(j, i) for i, j in problem.arcs])
        self._rng = np.random.default_rng(seed)
        self._zobrist = self._rng.integers(1, 2**63, size=problem.n_tasks, dtype=np.int64).astype(np.uint64)
        self._numberings: tuple[list[Numbering], list[Numbering]] = (
            [numbering(self._times, self._arcs[0], self._zobrist, None)],
            [numbering(self._times, self._arcs[1], self._zobrist, None)],
        )
        self._tables: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def cycle_of(self, balance: list[list[int]]) -> int:
        """The largest load of stations given as tasks from 0."""
        return max((sum(self.problem.task_times[i] for i in s) for s in balance), default=0)

    def _numbering(self, backwards: int, variant: int) -> Numbering:
        numberings = self._numberings[backwards]
        while len(numberings) <= variant:
            numberings.append(numbering(self._times, self._arcs[backwards], self._zobrist, self._rng))
        return numberings[variant]

    def _table(self, backwards: int, c: int) -> tuple[np.ndarray, np.ndarray]:
        key = (backwards, c)
        if key not in self._tables:
            if len(self._tables) >= 8:  # keep memory bounded: drop the oldest trial's table
                del self._tables[next(iter(self._tables))]
            size = 1 << kernel.TABLE_BITS
            self._tables[key] = (np.zeros(size, dtype=np.uint64), np.full(size, 1 << 30, dtype=np.int32))
        return self._tables[key]

    def attempt(self, c: int, budget: int, variant: int, backwards: int, *, exact: bool) -> tuple[int, int]:
        m = self.problem.stations
        d = self._numbering(backwards, variant)
        station_of = np.zeros(len(d.order), dtype=np.int64)
        if exact:
            keys, failed_at = self._table(backwards, c)
            outcome, spent = kernel.fits(
                m, c, d.times, d.succ_ptr, d.succ_idx, d.n_preds, d.latest(m, c), d.zobrist,
                keys, failed_at, budget, station_of,
            )  # fmt: skip
        else:
            width, loads, effort = GUESSES[variant % len(GUESSES)]
            outcome, spent = kernel.fullest_first(
                width, loads, effort, m, c, d.latest(m, c),
                d.times, d.n_preds, d.succ_ptr, d.succ_idx, station_of,
            )  # fmt: skip
        if outcome == FOUND:
            stations: list[list[int]] = [[] for _ in range(m)]
            for k, task in enumerate(d.order):
                s = int(station_of[k])
                stations[m - 1 - s if backwards else s].append(int(task))
            self.offer([sorted(tasks) for tasks in stations])
        return int(outcome), int(spent)
