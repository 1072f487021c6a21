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

Order scheduling and live rescheduling (:mod:`~seamline.brain.planning`,
:mod:`~seamline.brain.reschedule`): orders onto lines by weighted tardiness, then changeovers, then
makespan (:func:`solve_plan`); proposals answering breakdowns, absences, slow output and order
changes that change the plan in force as little as pays, explained in English and Chinese.
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
from seamline.brain.explain import Explanation
from seamline.brain.parsers import read_alwabp, read_fjsp, read_jobshop, read_salbp2
from seamline.brain.plan_check import check_plan, plan_violations
from seamline.brain.plan_errors import NoLineForStyleError, PlanInputError
from seamline.brain.plan_result import PlanMetrics, PlannedOrder, ProductionPlan, Stability
from seamline.brain.plan_solver import solve_plan
from seamline.brain.planning import (
    CapacityWindow,
    PlanLine,
    PlanningProblem,
    PlanOrder,
    PlanStyle,
    Shift,
    ShiftCalendar,
)
from seamline.brain.problems import Alwabp, FlexibleJobShop, JobShop, Problem, Salbp2, Step
from seamline.brain.reschedule import OrderMove, Proposal, advance, carry_on, plan_orders, replay, reschedule
from seamline.brain.reschedule_events import Breakdown, Event, OperatorAbsent, OrderChange, OutputBehind
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
__all__ += [  # order scheduling and live rescheduling
    "Breakdown",
    "CapacityWindow",
    "Event",
    "Explanation",
    "NoLineForStyleError",
    "OperatorAbsent",
    "OrderChange",
    "OrderMove",
    "OutputBehind",
    "PlanInputError",
    "PlanLine",
    "PlanMetrics",
    "PlanOrder",
    "PlanStyle",
    "PlannedOrder",
    "PlanningProblem",
    "ProductionPlan",
    "Proposal",
    "Shift",
    "ShiftCalendar",
    "Stability",
    "advance",
    "carry_on",
    "check_plan",
    "plan_orders",
    "plan_violations",
    "replay",
    "reschedule",
    "solve_plan",
]
