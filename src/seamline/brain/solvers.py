"""One entry point for every problem kind: :func:`solve` (the brain) and :func:`solve_cpsat` (the peer)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from seamline.brain.balance_solvers import cpsat_alwabp, cpsat_salbp2, solve_alwabp, solve_salbp2
from seamline.brain.errors import ProblemFileError
from seamline.brain.parsers import read_alwabp, read_fjsp, read_jobshop, read_salbp2
from seamline.brain.problems import Alwabp, FlexibleJobShop, JobShop, Problem, Salbp2
from seamline.brain.schedule_solvers import cpsat_fjsp, cpsat_jobshop, solve_fjsp, solve_jobshop
from seamline.brain.solution import Solution

KINDS = ("jobshop", "fjsp", "salbp2", "alwabp")


def read_problem(kind: str, path: Path | str, *, stations: int | None = None) -> Problem:
    """Read a problem file of ``kind`` (one of :data:`KINDS`); SALBP-2 needs the number of stations."""
    if kind == "jobshop":
        return read_jobshop(path)
    if kind == "fjsp":
        return read_fjsp(path)
    if kind == "salbp2":
        if stations is None or stations < 1:
            raise ProblemFileError(
                path, None, "a number of stations >= 1 for SALBP-2 (--stations M)", str(stations)
            )
        return read_salbp2(path, stations)
    if kind == "alwabp":
        return read_alwabp(path)
    raise ValueError(f"unknown problem kind {kind!r}; expected one of {', '.join(KINDS)}")


_BRAIN: dict[type, Callable[..., Any]] = {
    JobShop: solve_jobshop,
    FlexibleJobShop: solve_fjsp,
    Salbp2: solve_salbp2,
    Alwabp: solve_alwabp,
}
_PEER: dict[type, Callable[..., Any]] = {
    JobShop: cpsat_jobshop,
    FlexibleJobShop: cpsat_fjsp,
    Salbp2: cpsat_salbp2,
    Alwabp: cpsat_alwabp,
}


def solve(problem: Problem, time_limit_s: float, seed: int = 0, workers: int = 1) -> Solution:
    """The brain's best solution within ``time_limit_s``, validated; with one worker, the same for a seed."""
    result: Solution = _BRAIN[type(problem)](problem, time_limit_s, seed, workers)
    return result


def solve_cpsat(problem: Problem, time_limit_s: float, seed: int = 0, workers: int = 1) -> Solution:
    """The textbook CP-SAT model alone (the ``--peer cpsat`` baseline), validated the same way."""
    result: Solution = _PEER[type(problem)](problem, time_limit_s, seed, workers)
    return result
