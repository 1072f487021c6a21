"""Solvers for the job shop and the flexible job shop: problem in, validated schedule out.

:func:`solve_jobshop` / :func:`solve_fjsp` (the brain): the best of several dispatching rules on
active schedules, then CP-SAT hinted with it for the rest of the time; the lower bound is the
better of CP-SAT's proven bound and the trivial one (longest job, busiest machine).
:func:`cpsat_jobshop` / :func:`cpsat_fjsp`: the textbook CP-SAT model alone, the peer to compare with.
"""

from __future__ import annotations

import time

from seamline.brain.cpsat_schedule import solve_schedule
from seamline.brain.dispatch import best_dispatch
from seamline.brain.errors import NoSolutionFoundError
from seamline.brain.problems import FlexibleJobShop, JobShop
from seamline.brain.solution import Schedule, ScheduledOperation, Status
from seamline.brain.validate import check_schedule


def solve_jobshop(problem: JobShop, time_limit_s: float, seed: int = 0, workers: int = 1) -> Schedule:
    """The shortest schedule the brain finds within ``time_limit_s`` for a job shop.

    >>> from seamline.brain.problems import Step
    >>> shop = JobShop("tiny", 2, ((Step(0, 3), Step(1, 2)), (Step(1, 4), Step(0, 1))))
    >>> s = solve_jobshop(shop, time_limit_s=5)
    >>> s.objective, s.status.value
    (6, 'optimal')
    """
    return _solve(problem, problem.as_flexible(), time_limit_s, seed, workers, constructive=True)


def solve_fjsp(problem: FlexibleJobShop, time_limit_s: float, seed: int = 0, workers: int = 1) -> Schedule:
    """The shortest schedule the brain finds within ``time_limit_s`` for a flexible job shop."""
    return _solve(problem, problem, time_limit_s, seed, workers, constructive=True)


def cpsat_jobshop(problem: JobShop, time_limit_s: float, seed: int = 0, workers: int = 1) -> Schedule:
    """The textbook CP-SAT model alone (no start, no hint): the ``--peer cpsat`` baseline."""
    return _solve(problem, problem.as_flexible(), time_limit_s, seed, workers, constructive=False)


def cpsat_fjsp(problem: FlexibleJobShop, time_limit_s: float, seed: int = 0, workers: int = 1) -> Schedule:
    """The textbook CP-SAT model with optional intervals alone: the ``--peer cpsat`` baseline."""
    return _solve(problem, problem, time_limit_s, seed, workers, constructive=False)


def _solve(
    problem: JobShop | FlexibleJobShop,
    shop: FlexibleJobShop,
    time_limit_s: float,
    seed: int,
    workers: int,
    *,
    constructive: bool,
) -> Schedule:
    began = time.perf_counter()
    trivial = shop.trivial_lower_bound()
    best: list[ScheduledOperation] | None = None
    method = "cpsat"
    if constructive:
        best, method = best_dispatch(shop, seed), "dispatch"
    makespan = max((o.end for o in best), default=0) if best is not None else None
    bound = trivial
    if makespan is None or makespan > trivial:
        left = time_limit_s - (time.perf_counter() - began)
        outcome, found = solve_schedule(
            shop,
            time_limit_s=left,
            seed=seed,
            workers=workers,
            hint=best,
            lower_bound=trivial if constructive else 0,
        )
        if outcome.bound is not None:
            bound = max(bound, outcome.bound)
        if (
            found is not None
            and outcome.objective is not None
            and (makespan is None or outcome.objective < makespan)
        ):
            best, makespan = found, outcome.objective
            method = "dispatch+cpsat" if constructive else "cpsat"
    if best is None or makespan is None:
        raise NoSolutionFoundError(problem.kind, time_limit_s)
    makespan = max((o.end for o in best), default=0)
    check_schedule(problem, best, makespan)
    bound = min(bound, makespan)
    status = Status.OPTIMAL if makespan == bound else Status.FEASIBLE
    return Schedule(status, makespan, bound, time.perf_counter() - began, tuple(best), method)
