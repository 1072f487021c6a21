"""Tabu search for job shops and flexible job shops, from a starting schedule (the driver).

:class:`TabuSearch` turns a shop and a schedule into the arrays of :mod:`~seamline.brain.tabu_kernel`
and runs the compiled loop in chunks, looking at the clock and at a stop flag between them. Its
length is a budget of work (operations swept plus moves evaluated), not of seconds:
:data:`WORK_PER_S` units per second of the time limit, the pace measured on the development
machine. So a seed and a time limit give the same schedule on a fast or a slow machine, or under
load; the time limit stays a hard cap on top (a machine far slower than the development one stops
on the clock instead, and then the result depends on its speed).

The loop releases the interpreter lock, so a thread can run it beside CP-SAT.

>>> from seamline.brain.problems import JobShop, Step
>>> shop = JobShop("tiny", 2, ((Step(0, 3), Step(1, 2)), (Step(0, 2), Step(1, 4)))).as_flexible()
>>> start = [ScheduledOperation(0, 0, 0, 0, 3), ScheduledOperation(0, 1, 1, 3, 5),
...          ScheduledOperation(1, 0, 0, 3, 5), ScheduledOperation(1, 1, 1, 5, 9)]
>>> search = TabuSearch(shop, start, seed=1)
>>> search.run(time_limit_s=1.0)
>>> search.best_makespan, max(o.end for o in search.best_schedule())
(8, 8)
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence

import numpy as np

from seamline.brain import tabu_kernel as kernel
from seamline.brain.problems import FlexibleJobShop
from seamline.brain.solution import ScheduledOperation

# Units of work (see tabu_kernel) the loop gets through in a second on the development machine
# (2 cores, one of them for the search): measured 3.0e7 to 3.6e7 on ta01, ta21, ta41 and mk05.
WORK_PER_S = 150_000_000
# The clock is read between chunks of this many seconds' worth of work.
CHUNK_S = 0.05


class TabuSearch:
    """A tabu search over ``shop`` from ``start``, resumable: :meth:`run` may be called again."""

    def __init__(self, shop: FlexibleJobShop, start: Sequence[ScheduledOperation], seed: int) -> None:
        self.shop = shop
        index: dict[tuple[int, int], int] = {}
        for j, ops in enumerate(shop.jobs):
            for k in range(len(ops)):
                index[j, k] = len(index)
        n = len(index)
        self._index = index
        self.jprev = np.full(n, -1, np.int64)
        self.jnext = np.full(n, -1, np.int64)
        ptr, alt_mach, alt_dur = [0], [], []
        for j, ops in enumerate(shop.jobs):
            for k, steps in enumerate(ops):
                o = index[j, k]
                if k > 0:
                    self.jprev[o] = o - 1
                    self.jnext[o - 1] = o
                alt_mach += [s.machine for s in steps]
                alt_dur += [s.duration for s in steps]
                ptr.append(len(alt_mach))
        self.alt_ptr = np.array(ptr, np.int64)
        self.alt_mach = np.array(alt_mach, np.int64)
        self.alt_dur = np.array(alt_dur, np.int64)
        self.mach = np.zeros(n, np.int64)
        self.dur = np.zeros(n, np.int64)
        self.mprev = np.full(n, -1, np.int64)
        self.mnext = np.full(n, -1, np.int64)
        self.mfirst = np.full(shop.n_machines, -1, np.int64)
        per_machine: dict[int, list[ScheduledOperation]] = {}
        for op in start:
            o = index[op.job, op.op]
            self.mach[o] = op.machine
            self.dur[o] = op.end - op.start
            per_machine.setdefault(op.machine, []).append(op)
        for machine, queue in per_machine.items():
            queue.sort(key=lambda op: (op.start, op.end, op.job))
            chain = [index[op.job, op.op] for op in queue]
            self.mfirst[machine] = chain[0]
            for a, b in itertools.pairwise(chain):
                self.mnext[a] = b
                self.mprev[b] = a
        self.best = [a.copy() for a in (self.mach, self.dur, self.mprev, self.mnext, self.mfirst)]
        self.tabu_arc = np.zeros((n, n), np.int64)
        self.tabu_machine = np.zeros((n, shop.n_machines), np.int64)
        self.state = np.zeros(kernel.STATE_SIZE, np.int64)
        self.state[kernel.BEST] = self._makespan(self.dur, self.mprev, self.mnext)
        self._budget = 0
        self.rng = np.array([seed * 2654435761 + 1], np.int64)
        # (tenure from, its random span, stall before jumping back, kicks, jumps per extra kick,
        # reach of a move inside a block): tenure 8 to 12 or so (Nowicki & Smutnicki's 8, Zhang et
        # al.'s 10 + n/m), 100 iterations per operation before jumping back to the best, 2 to 5
        # kicks and one more every 4 jumps without a new best, any operation of a block to its
        # front or back (N6-like; reach 1 is N5). The best of a few settings on ta11, ta21 and ta41
        # at 10 s (full reach was better than N5 on all three).
        tenure = 7 + max(1, len(shop.jobs) // max(shop.n_machines, 1))
        self.params = (tenure, 4, 100 * n, 4, 4, n)

    def _makespan(self, dur: np.ndarray, mprev: np.ndarray, mnext: np.ndarray) -> int:
        n = dur.shape[0]
        r, q, order, indeg = (np.zeros(n, np.int64) for _ in range(4))
        cmax = int(kernel.evaluate(dur, self.jprev, self.jnext, mprev, mnext, r, q, order, indeg))
        if cmax < 0:
            raise ValueError(f"{self.shop.name}: the starting schedule's machine orders form a cycle")
        return cmax

    @property
    def best_makespan(self) -> int:
        return int(self.state[kernel.BEST])

    @property
    def iterations(self) -> int:
        return int(self.state[kernel.IT])

    def run(
        self,
        time_limit_s: float,
        lower_bound: int = 0,
        stop: threading.Event | None = None,
        *,
        clock: bool = True,
    ) -> None:
        """Search for ``time_limit_s`` seconds' worth of work (or until the clock, ``stop`` or the
        ``lower_bound`` ends it); ``clock=False`` spends the work however long it takes."""
        deadline = time.perf_counter() + time_limit_s if clock else float("inf")
        self._budget += round(time_limit_s * WORK_PER_S)  # runs add up to one run of their total
        target = self._budget
        chunk = max(int(CHUNK_S * WORK_PER_S), 1)
        tenure, span, stall, kicks, grow, reach = self.params
        best = self.best
        while self.state[kernel.WORK] < target and self.best_makespan > lower_bound:
            if time.perf_counter() >= deadline or (stop is not None and stop.is_set()):
                break
            before = int(self.state[kernel.WORK])
            kernel.search(
                min(chunk, target - before), lower_bound, tenure, span, stall, kicks, grow, reach,
                self.jprev, self.jnext, self.alt_ptr, self.alt_mach, self.alt_dur,
                self.mach, self.dur, self.mprev, self.mnext, self.mfirst,
                best[0], best[1], best[2], best[3], best[4],
                self.tabu_arc, self.tabu_machine, self.state, self.rng,
            )  # fmt: skip
            if self.state[kernel.WORK] == before:
                break  # no move left: nothing to search

    def best_schedule(self) -> list[ScheduledOperation]:
        """The best schedule found, semi-active (every operation as early as its orders allow)."""
        mach, dur, mprev, mnext, _ = self.best
        n = dur.shape[0]
        r, q, order, indeg = (np.zeros(n, np.int64) for _ in range(4))
        kernel.evaluate(dur, self.jprev, self.jnext, mprev, mnext, r, q, order, indeg)
        return [
            ScheduledOperation(j, k, int(mach[o]), int(r[o]), int(r[o] + dur[o]))
            for (j, k), o in self._index.items()
        ]


def warm_up() -> None:
    """Compile (or load from numba's disk cache) the loop on a tiny shop, before any clock starts."""
    from seamline.brain.problems import Step  # noqa: PLC0415  # only for this toy shop

    shop = FlexibleJobShop(
        "warm-up", 2, (((Step(0, 3), Step(1, 4)), (Step(1, 2),)), ((Step(0, 2),), (Step(1, 4),)))
    )
    start = [
        ScheduledOperation(0, 0, 0, 0, 3),
        ScheduledOperation(0, 1, 1, 3, 5),
        ScheduledOperation(1, 0, 0, 3, 5),
        ScheduledOperation(1, 1, 1, 5, 9),
    ]
    TabuSearch(shop, start, seed=0).run(0.001)
