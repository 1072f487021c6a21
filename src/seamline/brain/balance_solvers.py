"""Solvers for line balancing (SALBP-2, ALWABP-2): problem in, validated line balance out.

:func:`solve_salbp2` / :func:`solve_alwabp` (the brain): the constructive balance (ranked
positional weight; the worker-choosing greedy) as the first upper bound, then the search on the
cycle time (:mod:`~seamline.brain.salbp_search`, :mod:`~seamline.brain.alwabp_search`: a compiled
SALOME-style branch and bound proves cycle times impossible from the lower bound up, a
fullest-loads heuristic finds balances between the bounds). On small models the search stops at
45 % of the time if the bounds have not met, CP-SAT gets as long with the best balance as its hint
and both bounds, and the search resumes; on larger ones it has all the time. The lower bound is
the search's (and CP-SAT's, when it ran). :func:`cpsat_salbp2` / :func:`cpsat_alwabp`: the
textbook assignment model alone, the ``--peer cpsat`` baseline."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from seamline.brain.alwabp_search import AlwabpSearch
from seamline.brain.balance_greedy import alwabp_greedy, salbp2_greedy
from seamline.brain.cpsat import Outcome
from seamline.brain.cpsat_balance import solve_alwabp_model, solve_salbp2_model
from seamline.brain.errors import InfeasibleProblemError, NoSolutionFoundError
from seamline.brain.problems import Alwabp, Salbp2
from seamline.brain.salbp_kernel import FAILED
from seamline.brain.salbp_search import BoundSearch, CycleSearch
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
    """The shortest cycle time the brain finds within ``time_limit_s``, one worker per station.

    >>> line = Alwabp("tiny", ((3, None), (2, 4), (None, 5)), ((0, 1), (1, 2)))
    >>> balance = solve_alwabp(line, time_limit_s=5)
    >>> balance.objective, [(s.worker, s.tasks) for s in balance.stations]
    (5, [(0, (1, 2)), (1, (3,))])
    """
    return _alwabp_search(problem, time_limit_s, seed, workers)


def cpsat_alwabp(problem: Alwabp, time_limit_s: float, seed: int = 0, workers: int = 1) -> LineBalance:
    """The textbook CP-SAT worker-station assignment model alone: the ``--peer cpsat`` baseline."""
    return _alwabp(problem, time_limit_s, seed, workers)


SEARCH_SHARE = 0.45
"""The share of the time the cycle-time search has before CP-SAT takes over (CP-SAT gets as much)."""


SALBP_CPSAT_LARGEST = 2_000
"""Tasks times stations up to which CP-SAT helps the SALBP-2 search (on Arcus, Barthold 2 and
the like it neither proves nor finds within seconds what the search does)."""


def _cpsat_turn(
    search: BoundSearch[Any],
    model: Callable[..., tuple[Outcome, Any]],
    problem: Any,
    seconds: float,
    seed: int,
    workers: int,
) -> bool:
    """CP-SAT hinted with the search's best balance and given both its bounds; True if it found a
    better balance (the search then holds it, and CP-SAT's proven bound if higher)."""
    outcome, found = model(
        problem,
        time_limit_s=seconds,
        seed=seed,
        workers=workers,
        hint=search.best,
        upper=search.high,
        lower=search.low,
    )
    if outcome.infeasible and search.best is None:
        raise _no_balance(problem)
    if outcome.bound is not None:
        search.low = max(search.low, outcome.bound)
    if found is not None and (search.high is None or search.cycle_of(found) < search.high):
        search.offer(found)
        return True
    return False


def _salbp2_search(problem: Salbp2, time_limit_s: float, seed: int, workers: int) -> LineBalance:
    began = time.perf_counter()
    search = CycleSearch(problem, seed=seed)
    search.offer(salbp2_greedy(problem)[1])
    method = "rpw+bb"
    small = problem.n_tasks * problem.stations <= SALBP_CPSAT_LARGEST
    search.run(began + (SEARCH_SHARE if small else 0.97) * time_limit_s)
    if small and not search.closed:
        if _cpsat_turn(search, solve_salbp2_model, problem, SEARCH_SHARE * time_limit_s, seed, workers):
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


def _alwabp_search(problem: Alwabp, time_limit_s: float, seed: int, workers: int) -> LineBalance:
    began = time.perf_counter()
    search = AlwabpSearch(problem, seed=seed)
    start = alwabp_greedy(problem)
    method = "greedy+bb"
    if start is not None:
        search.offer(start[1])
    elif search.trial(_no_limit(problem), UNLIMITED_BUDGET) == FAILED:
        raise _no_balance(problem)
    small = problem.n_tasks * problem.n_workers**2 <= CPSAT_LARGEST
    search.run(began + (SEARCH_SHARE if small else 0.97) * time_limit_s)
    if small and not search.closed:
        if _cpsat_turn(search, solve_alwabp_model, problem, SEARCH_SHARE * time_limit_s, seed, workers):
            method = "greedy+bb+cpsat"
        search.run(began + 0.97 * time_limit_s)
    if search.best is None:
        raise NoSolutionFoundError(problem.kind, time_limit_s)
    stations = tuple(
        Station(tuple(i + 1 for i in sorted(tasks)), sum(problem.times[i][w] or 0 for i in tasks), worker=w)
        for w, tasks in search.best
    )
    return _finish(problem, stations, search.low, began, method)


CPSAT_LARGEST = 20_000
"""Tasks times workers squared (the model's booleans, before windows) up to which CP-SAT helps the
search on ALWABP: on sewing lines of 30 workers and more, merely building its model takes seconds."""

UNLIMITED_BUDGET = 2_000_000
"""Nodes spent asking whether any balance exists at all when the greedy finds none."""


def _no_limit(problem: Alwabp) -> int:
    """A cycle time no balance needs to exceed: every task at its slowest able worker."""
    return sum(max(t for t in row if t is not None) for row in problem.times)


def _no_balance(problem: Alwabp) -> InfeasibleProblemError:
    only = sorted(i + 1 for i, row in enumerate(problem.times) if sum(t is not None for t in row) == 1)
    return InfeasibleProblemError(
        f"{problem.name}: no line balance exists: the precedences cannot be kept with one worker per"
        " station doing only tasks they can do; tasks only one worker can do: "
        + (", ".join(map(str, only)) or "none")
        + "; train a second worker on them or relax a precedence",
        culprit={"instance": problem.name, "single_worker_tasks": only},
    )


def _alwabp(problem: Alwabp, time_limit_s: float, seed: int, workers: int) -> LineBalance:
    """The textbook worker-station assignment model with nothing but the trivial bound to start from."""
    began = time.perf_counter()
    outcome, found = solve_alwabp_model(problem, time_limit_s=time_limit_s, seed=seed, workers=workers)
    if outcome.infeasible:
        raise _no_balance(problem)
    if found is None:
        raise NoSolutionFoundError(problem.kind, time_limit_s)
    bound = max(problem.trivial_lower_bound(), outcome.bound or 0)
    stations = tuple(
        Station(tuple(i + 1 for i in sorted(tasks)), sum(problem.times[i][w] or 0 for i in tasks), worker=w)
        for w, tasks in found
    )
    return _finish(problem, stations, bound, began, "cpsat")


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
