"""The workshop brain: line balancing and scheduling solvers, measured on public benchmarks.

Problems (:mod:`~seamline.brain.problems`) are frozen values read from the benchmark formats
(:mod:`~seamline.brain.parsers`); solvers are pure functions ``solve(problem, time_limit_s, seed,
workers)`` returning a :class:`Schedule` or a :class:`LineBalance` with ``status``, ``objective``,
``lower_bound`` and ``elapsed_s``, each checked by an independent validator
(:mod:`~seamline.brain.validate`) before it is returned.

- Job shop and flexible job shop: dispatching rules on active schedules, then CP-SAT with the
  best of them as its hint.
- SALBP-2 and ALWABP-2: ranked positional weight / a worker-choosing greedy with a search on the
  cycle time, then the CP-SAT assignment model restricted to each task's reachable stations.
- :func:`solve_cpsat`: the textbook CP-SAT models alone, the peer the brain is measured against.

Live rescheduling, the platform's own line balancing from production records and the planning
board arrive with later work (issue 13).
"""

from seamline.brain.balance_line import LinePlan, balance_line
from seamline.brain.balance_solvers import cpsat_alwabp, cpsat_salbp2, solve_alwabp, solve_salbp2
from seamline.brain.errors import (
    BrainError,
    InfeasibleProblemError,
    InvalidSolutionError,
    NoEligibleMachineError,
    NoEligibleWorkerError,
    NoSolutionFoundError,
    PrecedenceCycleError,
    ProblemFileError,
)
from seamline.brain.parsers import read_alwabp, read_fjsp, read_jobshop, read_salbp2
from seamline.brain.problems import Alwabp, FlexibleJobShop, JobShop, Problem, Salbp2, Step
from seamline.brain.schedule_solvers import cpsat_fjsp, cpsat_jobshop, solve_fjsp, solve_jobshop
from seamline.brain.solution import LineBalance, Schedule, ScheduledOperation, Solution, Station, Status
from seamline.brain.solvers import KINDS, read_problem, solve, solve_cpsat
from seamline.brain.validate import balance_violations, check_balance, check_schedule, schedule_violations

__all__ = [
    "KINDS",
    "Alwabp",
    "BrainError",
    "FlexibleJobShop",
    "InfeasibleProblemError",
    "InvalidSolutionError",
    "JobShop",
    "LineBalance",
    "LinePlan",
    "NoEligibleMachineError",
    "NoEligibleWorkerError",
    "NoSolutionFoundError",
    "PrecedenceCycleError",
    "Problem",
    "ProblemFileError",
    "Salbp2",
    "Schedule",
    "ScheduledOperation",
    "Solution",
    "Station",
    "Status",
    "Step",
    "balance_line",
    "balance_violations",
    "check_balance",
    "check_schedule",
    "cpsat_alwabp",
    "cpsat_fjsp",
    "cpsat_jobshop",
    "cpsat_salbp2",
    "read_alwabp",
    "read_fjsp",
    "read_jobshop",
    "read_problem",
    "read_salbp2",
    "schedule_violations",
    "solve",
    "solve_alwabp",
    "solve_cpsat",
    "solve_fjsp",
    "solve_jobshop",
    "solve_salbp2",
]
