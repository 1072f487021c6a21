"""ALWABP-2 by a search on the cycle time, as :mod:`~seamline.brain.salbp_search` does for SALBP-2.

Each trial C asks the compiled branch and bound (:mod:`~seamline.brain.alwabp_kernel`) whether the
workers, one per station, can keep C: forwards and on the reversed precedence graph, with the tasks
numbered by positional weight at their fastest workers' times (shaken for the probes); the
heuristic prefers loads holding tasks few workers can do (:data:`SCARCE_WEIGHT`). Balances are
(worker, tasks from 0) per station, in station order.
"""

from __future__ import annotations

import numpy as np

from seamline.brain import alwabp_kernel as kernel
from seamline.brain.problems import Alwabp
from seamline.brain.salbp_kernel import FOUND, TABLE_BITS
from seamline.brain.salbp_search import (
    BoundSearch,
    Numbering,
    numbering,
)

Balance = list[tuple[int, list[int]]]


WORKER_WIDTH = 4
"""The heuristic tries the 4 fullest (worker, load) pairs of a station in turn; ..."""
WORKER_LOADS = 300
"""... it ranks each worker's fullest load among the first 300 it enumerates ..."""
WORKER_BUDGET = 60_000
"""... within 60,000 loads enumerated in all."""
SCARCE_WEIGHT = 0.5
"""The heuristic ranks a load by its nominal work, each task's weighted by 1 + 0.5 / the number of
workers able to do it: a load that takes a task only few can do is placed while they are free
(on generated sewing lines this took the 10 s mean gap from 1.41 % to 0.23 %)."""
WORTH_SCALE = 100
"""Weighted work in hundredths, for the compiled search's integers."""


class AlwabpSearch(BoundSearch[Balance]):
    """Lower and upper bounds on one ALWABP-2 problem's cycle time."""

    nodes_per_s = 150_000  # a node also ranks the remaining workers: slower than SALBP's

    def __init__(self, problem: Alwabp, *, seed: int = 0, low: int | None = None) -> None:
        super().__init__(max(problem.trivial_lower_bound(), low or 0))
        self.problem = problem
        self._nominal = [min(t for t in row if t is not None) for row in problem.times]
        self._matrix = np.asarray(
            [[kernel.NONE if t is None else t for t in row] for row in problem.times], dtype=np.int64
        )
        self._arcs = (list(problem.arcs), [(j, i) for i, j in problem.arcs])
        self._rng = np.random.default_rng(seed)
        self._task_keys = self._rng.integers(1, 2**63, size=problem.n_tasks, dtype=np.int64).astype(np.uint64)
        self._worker_keys = self._rng.integers(1, 2**63, size=problem.n_workers, dtype=np.int64).astype(
            np.uint64
        )
        self._numberings: tuple[list[Numbering], list[Numbering]] = (
            [numbering(self._nominal, self._arcs[0], self._task_keys, None)],
            [numbering(self._nominal, self._arcs[1], self._task_keys, None)],
        )
        self._tables: dict[tuple[int, int], np.ndarray] = {}
        able = (self._matrix < kernel.NONE).sum(axis=1)  # workers able to do each task
        self._scarce = 1.0 + SCARCE_WEIGHT / np.maximum(able, 1)

    def offer(self, balance: Balance) -> None:
        """A balance polished (:func:`polish`) and kept if it beats the best one."""
        super().offer(polish(self.problem, balance))

    def cycle_of(self, balance: Balance) -> int:
        return max((sum(self.problem.times[i][w] or 0 for i in tasks) for w, tasks in balance), default=0)

    def _numbering(self, backwards: int, variant: int) -> Numbering:
        numberings = self._numberings[backwards]
        while len(numberings) <= variant:
            numberings.append(numbering(self._nominal, self._arcs[backwards], self._task_keys, self._rng))
        return numberings[variant]

    def _table(self, backwards: int, c: int) -> np.ndarray:
        key = (backwards, c)
        if key not in self._tables:
            if len(self._tables) >= 8:
                del self._tables[next(iter(self._tables))]
            self._tables[key] = np.zeros(1 << TABLE_BITS, dtype=np.uint64)
        return self._tables[key]

    def attempt(self, c: int, budget: int, variant: int, backwards: int, *, exact: bool) -> tuple[int, int]:
        k = self.problem.n_workers
        d = self._numbering(backwards, variant)
        station_of = np.zeros(len(d.order), dtype=np.int64)
        worker_at = np.zeros(k, dtype=np.int64)
        if exact:
            outcome, spent = kernel.fits(
                c, self._matrix[d.order], d.times, d.succ_ptr, d.succ_idx, d.n_preds, d.latest(k, c),
                d.zobrist, self._worker_keys, self._table(backwards, c), budget, station_of, worker_at,
            )  # fmt: skip
        else:
            matrix = self._matrix[d.order]
            # the nominal work a load takes, a task few workers can do counting for more
            worth = np.round(d.times * self._scarce[d.order] * WORTH_SCALE).astype(np.int64)
            value = np.repeat(worth[:, None], k, axis=1)
            outcome, spent = kernel.fullest_first(
                WORKER_WIDTH, WORKER_LOADS, WORKER_BUDGET, c, d.latest(k, c), matrix, value,
                d.n_preds, d.succ_ptr, d.succ_idx, station_of, worker_at,
            )  # fmt: skip
        if outcome == FOUND:
            position = [k - 1 - s if backwards else s for s in range(k)]  # search's station -> line's
            stations: Balance = [(0, []) for _ in range(k)]
            for s in range(k):
                stations[position[s]] = (int(worker_at[s]), [])
            for number, task in enumerate(d.order):
                stations[position[int(station_of[number])]][1].append(int(task))
            self.offer([(w, sorted(tasks)) for w, tasks in stations])
        return int(outcome), int(spent)


def polish(problem: Alwabp, balance: Balance) -> Balance:
    """A descent on the bottleneck: move one of its tasks to another station its precedences allow
    and whose worker can do it under the cycle time, or swap its worker with another station's,
    while either lowers the cycle time or the number of stations at it.

    >>> line = Alwabp("tiny", ((2, 4), (2, 4), (4, 2)), (), )
    >>> polish(line, [(0, [0, 1, 2]), (1, [])])
    [(0, [0, 1]), (1, [2])]
    """
    times = problem.times
    stations = [(w, list(tasks)) for w, tasks in balance]
    where = {i: s for s, (_, tasks) in enumerate(stations) for i in tasks}
    preds: list[list[int]] = [[] for _ in range(problem.n_tasks)]
    succs: list[list[int]] = [[] for _ in range(problem.n_tasks)]
    for i, j in problem.arcs:
        preds[j].append(i)
        succs[i].append(j)

    def load(w: int, tasks: list[int]) -> int | None:
        own = [times[i][w] for i in tasks]
        return None if any(t is None for t in own) else sum(t or 0 for t in own)

    loads = [load(w, tasks) or 0 for w, tasks in stations]
    while True:
        cycle = max(loads)
        s = loads.index(cycle)
        w, tasks = stations[s]
        moved = False
        for i in sorted(tasks, key=lambda i: -(times[i][w] or 0)):
            low = max((where[p] for p in preds[i]), default=0)
            high = min((where[q] for q in succs[i]), default=len(stations) - 1)
            for t in range(low, high + 1):
                other = times[i][stations[t][0]]
                if t != s and other is not None and loads[t] + other < cycle:
                    tasks.remove(i)
                    stations[t][1].append(i)
                    where[i] = t
                    loads[s] -= times[i][w] or 0
                    loads[t] += other
                    moved = True
                    break
            if moved:
                break
        if not moved:
            for t, (v, theirs) in enumerate(stations):
                mine, yours = load(v, tasks), load(w, theirs)
                if t != s and mine is not None and yours is not None and max(mine, yours) < cycle:
                    stations[s], stations[t] = (v, tasks), (w, theirs)
                    loads[s], loads[t] = mine, yours
                    moved = True
                    break
        if not moved:
            return [(w, sorted(tasks)) for w, tasks in stations]
