"""Solvers for line balancing (SALBP-2, ALWABP-2): problem in, validated line balance out.

:func:`solve_salbp2` (the brain): the ranked-positional-weight balance as the first upper bound,
then the search on the cycle time (:mod:`~seamline.brain.salbp_search`: a compiled SALOME-style
branch and bound proves cycle times impossible from the lower bound up and finds balances below
the best one) for about half the time; if the bounds have not met, CP-SAT hinted with the best
balance and given both bounds, then the search again for the rest. :func:`solve_alwabp`: the
worker-choosing greedy bisected on the cycle time, then CP-SAT hinted with it and restricted to the
stations each task can reach; the lower bound is the better of CP-SAT's proven bound and the
trivial one. :func:`cpsat_salbp2` / :func:`cpsat_alwabp`: the assignment model alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from seamline.brain.balance_greedy import alwabp_greedy, salbp2_greedy
from seamline.brain.cpsat_balance import solve_alwabp_model, solve_salbp2_model
from seamline.brain.errors import InfeasibleProblemError, NoSolutionFoundError
from seamline.brain.problems import Alwabp, Salbp2
from seamline.brain.salbp_search import CycleSearch
from seamline.brain.solution import LineBalance, Station, Status
from seamline.brain.validate import check_balance


def solve_salbp2(problem: Salbp2, time_limit_s: float, seed: int = 0, workers: int = 1) -> LineBalance:
    """The shortest cycle time the brain finds within ``time_limit_s`` for ``problem.stations`` stations.

    >>> line = Salbp2("tiny", (3, 4, 2, 5), ((0, 1), (1, 3)), stations=2)
    >>> balance = solve_salbp2(line, time_limit_s=5)
    >>> balance.objective, [s.tasks for s in balance.stations]
    (7, [(1, 2), (3, 4)])
    """
    return _salbp2_search(problem, time_limit_s, seed, workers)


def cpsat_salbp2(problem: Salbp2, time_limit_s: float, seed: int = 0, workers: int = 1) -> LineBalance:
    """The textbook CP-SAT assignment model alone: the ``--peer cpsat`` baseline."""
    return _salbp2(problem, time_limit_s, seed, workers)


def solve_alwabp(problem: Alwabp, time_limit_s: float, seed: int = 0, workers: int = 1) -> LineBalance:
    """The shortest cycle time the brain finds within ``time_limit_s``, one worker per station."""
    return _alwabp(problem, time_limit_s, seed, workers, constructive=True)


def cpsat_alwabp(problem: Alwabp, time_limit_s: float, seed: int = 0, workers: int = 1) -> LineBalance:
    """The textbook CP-SAT worker-station assignment model alone: the ``--peer cpsat`` baseline."""
    return _alwabp(problem, time_limit_s, seed, workers, constructive=False)


SEARCH_SHARE = 0.45
"""The share of the time the cycle-time search has before CP-SAT takes over (CP-SAT gets as much)."""


def _salbp2_search(problem: Salbp2, time_limit_s: float, seed: int, workers: int) -> LineBalance:
    began = time.perf_counter()
    search = CycleSearch(problem, seed=seed)
    search.offer(salbp2_greedy(problem)[1])
    method = "rpw+bb"
    search.run(began + SEARCH_SHARE * time_limit_s)
    if not search.closed:
        outcome, found = solve_salbp2_model(
            problem,
            time_limit_s=SEARCH_SHARE * time_limit_s,
            seed=seed,
            workers=workers,
            hint=search.best,
            upper=search.high,
            lower=search.low,
        )
        if outcome.bound is not None:
            search.low = max(search.low, outcome.bound)
        if found is not None and _cycle_salbp2(problem, found) < (search.high or 0):
            search.offer(found)
            method = "rpw+bb+cpsat"
        search.run(began + 0.97 * time_limit_s)
    assert search.best is not None  # the greedy balance was offered first
    stations = tuple(
        Station(tuple(i + 1 for i in sorted(tasks)), sum(problem.task_times[i] for i in tasks))
        for tasks in search.best
    )
    return _finish(problem, stations, search.low, began, method)


def _salbp2(problem: Salbp2, time_limit_s: float, seed: int, workers: int) -> LineBalance:
    """The textbook assignment model with nothing but the trivial bound to start from."""
    began = time.perf_counter()
    outcome, found = solve_salbp2_model(problem, time_limit_s=time_limit_s, seed=seed, workers=workers)
    if found is None:
        raise NoSolutionFoundError(problem.kind, time_limit_s)
    bound = max(problem.trivial_lower_bound(), outcome.bound or 0)
    stations = tuple(
        Station(tuple(i + 1 for i in sorted(tasks)), sum(problem.task_times[i] for i in tasks))
        for tasks in found
    )
    return _finish(problem, stations, bound, began, "cpsat")


def _cycle_salbp2(problem: Salbp2, stations: Sequence[Sequence[int]]) -> int:
    return max((sum(problem.task_times[i] for i in tasks) for tasks in stations), default=0)


def _alwabp(
    problem: Alwabp, time_limit_s: float, seed: int, workers: int, *, constructive: bool
) -> LineBalance:
    began = time.perf_counter()
    trivial = problem.trivial_lower_bound()
    best: list[tuple[int, list[int]]] | None = None
    cycle: int | None = None
    method = "cpsat"
    if constructive:
        start = alwabp_greedy(problem)
        if start is not None:
            best, method = start[1], "greedy"
            cycle = _cycle_alwabp(problem, best)
    bound = trivial
    if cycle is None or cycle > trivial:
        left = time_limit_s - (time.perf_counter() - began)
        outcome, found = solve_alwabp_model(
            problem, time_limit_s=left, seed=seed, workers=workers, hint=best, upper=cycle
        )
        if outcome.infeasible and best is None:
            raise InfeasibleProblemError(
                f"{problem.name}: no line balance exists: the precedences cannot be kept with one worker per"
                " station doing only tasks they can do; check which workers can do the tasks of each chain",
                culprit={"instance": problem.name},
            )
        if outcome.bound is not None:
            bound = max(bound, outcome.bound)
        if found is not None and (cycle is None or _cycle_alwabp(problem, found) < cycle):
            best, cycle = found, _cycle_alwabp(problem, found)
            method = "greedy+cpsat" if constructive else "cpsat"
    if best is None or cycle is None:
        raise NoSolutionFoundError(problem.kind, time_limit_s)
    stations = tuple(
        Station(tuple(i + 1 for i in sorted(tasks)), sum(problem.times[i][w] or 0 for i in tasks), worker=w)
        for w, tasks in best
    )
    return _finish(problem, stations, bound, began, method)


def _cycle_alwabp(problem: Alwabp, stations: Sequence[tuple[int, Sequence[int]]]) -> int:
    return max((sum(problem.times[i][w] or 0 for i in tasks) for w, tasks in stations), default=0)


def _finish(
    problem: Salbp2 | Alwabp, stations: tuple[Station, ...], bound: int, began: float, method: str
) -> LineBalance:
    cycle = max((s.load for s in stations), default=0)
    check_balance(problem, stations, cycle)
    bound = min(bound, cycle)
    status = Status.OPTIMAL if cycle == bound else Status.FEASIBLE
    return LineBalance(status, cycle, bound, time.perf_counter() - began, stations, method)
