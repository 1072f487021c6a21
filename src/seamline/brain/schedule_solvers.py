"""Solvers for the job shop and the flexible job shop: problem in, validated schedule out.

:func:`solve_jobshop` / :func:`solve_fjsp` (the brain): the best of several dispatching rules on
active schedules, then a tabu search from it (:mod:`~seamline.brain.tabu`) and CP-SAT hinted with
the tabu search's early best. With two or more workers the two run side by side (the tabu search in
a thread, CP-SAT on the other workers) and the shorter schedule wins; with one worker CP-SAT has a
fifth of the time and the tabu search the rest, from CP-SAT's schedule when that is shorter.
CP-SAT proves the lower bound (the better of its bound and the trivial one: longest job, busiest
machine) and ends the search when it meets it.
:func:`cpsat_jobshop` / :func:`cpsat_fjsp`: the textbook CP-SAT model alone, the peer to compare with.

Both halves are deterministic for a seed and a time limit (the tabu search counts work, CP-SAT on
one worker its deterministic time), so with up to two workers the brain gives the same schedule
for the same seed unless a machine much slower than the development one hits the clock first.
"""

from __future__ import annotations

import threading
import time

from seamline.brain.cpsat import Outcome
from seamline.brain.cpsat_schedule import solve_schedule
from seamline.brain.dispatch import best_dispatch
from seamline.brain.errors import NoSolutionFoundError
from seamline.brain.problems import FlexibleJobShop, JobShop
from seamline.brain.solution import Schedule, ScheduledOperation, Status
from seamline.brain.tabu import TabuSearch, warm_up
from seamline.brain.validate import check_schedule

# Share of the time limit the tabu search runs alone before CP-SAT starts from its best; with one
# worker, the share CP-SAT then has (to prove a bound, or optimality, on small shops) before the
# tabu search takes the rest.
TABU_ALONE = 0.05
CPSAT_SHARE_ONE_WORKER = 0.2
# Seconds kept for validating and packing the answer.
MARGIN_S = 0.1


def solve_jobshop(problem: JobShop, time_limit_s: float, seed: int = 0, workers: int = 1) -> Schedule:
    """The shortest schedule the brain finds within ``time_limit_s`` for a job shop.

    >>> from seamline.brain.problems import Step
    >>> shop = JobShop("tiny", 2, ((Step(0, 3), Step(1, 2)), (Step(1, 4), Step(0, 1))))
    >>> s = solve_jobshop(shop, time_limit_s=5)
    >>> s.objective, s.status.value
    (6, 'optimal')
    """
    return _brain(problem, problem.as_flexible(), time_limit_s, seed, workers)


def solve_fjsp(problem: FlexibleJobShop, time_limit_s: float, seed: int = 0, workers: int = 1) -> Schedule:
    """The shortest schedule the brain finds within ``time_limit_s`` for a flexible job shop."""
    return _brain(problem, problem, time_limit_s, seed, workers)


def cpsat_jobshop(problem: JobShop, time_limit_s: float, seed: int = 0, workers: int = 1) -> Schedule:
    """The textbook CP-SAT model alone (no start, no hint): the ``--peer cpsat`` baseline."""
    return _peer(problem, problem.as_flexible(), time_limit_s, seed, workers)


def cpsat_fjsp(problem: FlexibleJobShop, time_limit_s: float, seed: int = 0, workers: int = 1) -> Schedule:
    """The textbook CP-SAT model with optional intervals alone: the ``--peer cpsat`` baseline."""
    return _peer(problem, problem, time_limit_s, seed, workers)


def _left(began: float, time_limit_s: float) -> float:
    return time_limit_s - (time.perf_counter() - began) - MARGIN_S


def _makespan(schedule: list[ScheduledOperation]) -> int:
    return max((o.end for o in schedule), default=0)


def _brain(
    problem: JobShop | FlexibleJobShop, shop: FlexibleJobShop, time_limit_s: float, seed: int, workers: int
) -> Schedule:
    warm_up()  # numba's compiled loop loaded (or compiled once per install) before the clock starts
    began = time.perf_counter()
    trivial = shop.trivial_lower_bound()
    best, method = best_dispatch(shop, seed), "dispatch"
    bound = trivial
    if _makespan(best) > trivial:
        tabu = TabuSearch(shop, best, seed)
        tabu.run(_left(began, time_limit_s) * TABU_ALONE, trivial)
        left = _left(began, time_limit_s)
        outcome, found = _beside(shop, tabu, trivial, left, seed, workers)
        if outcome.bound is not None:
            bound = max(bound, outcome.bound)
        if workers < 2 and not outcome.proved and tabu.best_makespan > bound:
            if found is not None and _makespan(found) < tabu.best_makespan:
                tabu = TabuSearch(shop, found, seed)  # go on from CP-SAT's better schedule
            tabu.run(_left(began, time_limit_s), bound)
        if tabu.best_makespan < _makespan(best):
            best, method = tabu.best_schedule(), "dispatch+tabu"
        if found is not None and _makespan(found) < _makespan(best):
            best, method = found, method + "+cpsat"
    return _validated(problem, best, bound, began, method)


def _beside(
    shop: FlexibleJobShop, tabu: TabuSearch, trivial: int, left_s: float, seed: int, workers: int
) -> tuple[Outcome, list[ScheduledOperation] | None]:
    """CP-SAT hinted with the tabu search's best so far; with two or more workers the tabu search
    goes on in a thread meanwhile (for the same time), and stops early if CP-SAT proves optimality."""
    hint = tabu.best_schedule()
    if tabu.best_makespan <= trivial or left_s <= 0:
        return Outcome(False, False, False, None, None), None
    if workers < 2:
        return solve_schedule(
            shop,
            time_limit_s=left_s * CPSAT_SHARE_ONE_WORKER,
            seed=seed,
            workers=1,
            hint=hint,
            lower_bound=trivial,
        )
    stop = threading.Event()
    thread = threading.Thread(target=tabu.run, args=(left_s, trivial, stop), name="tabu", daemon=True)
    thread.start()
    try:
        outcome, found = solve_schedule(
            shop, time_limit_s=left_s, seed=seed, workers=workers - 1, hint=hint, lower_bound=trivial
        )
        if outcome.proved:
            stop.set()
    finally:
        thread.join()
    return outcome, found


def _peer(
    problem: JobShop | FlexibleJobShop, shop: FlexibleJobShop, time_limit_s: float, seed: int, workers: int
) -> Schedule:
    began = time.perf_counter()
    outcome, found = solve_schedule(shop, time_limit_s=time_limit_s, seed=seed, workers=workers)
    if found is None:
        raise NoSolutionFoundError(problem.kind, time_limit_s)
    bound = max(shop.trivial_lower_bound(), outcome.bound or 0)
    return _validated(problem, found, bound, began, "cpsat")


def _validated(
    problem: JobShop | FlexibleJobShop,
    best: list[ScheduledOperation],
    bound: int,
    began: float,
    method: str,
) -> Schedule:
    makespan = _makespan(best)
    check_schedule(problem, best, makespan)
    bound = min(bound, makespan)
    status = Status.OPTIMAL if makespan == bound else Status.FEASIBLE
    return Schedule(status, makespan, bound, time.perf_counter() - began, tuple(best), method)
