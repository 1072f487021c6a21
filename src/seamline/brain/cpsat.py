"""Running OR-Tools CP-SAT the same way for every model: time, seed, workers and a deterministic budget.

With one worker CP-SAT's search is deterministic, but a wall-clock limit stops it at a moment that
depends on the machine's load. So with ``workers=1`` the search also gets a deterministic-time
budget (CP-SAT's own work counter), which normally ends it first: the same seed then gives the
same answer. The counter's pace differs between models, so each model family passes its own rate
(units per wall-clock second on the development machine, near the middle of what was measured:
lower wastes the time limit, higher lets the wall clock end more runs first). The wall-clock limit
stays as the hard cap; with two or more workers it is the only one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.sat.python import cp_model

# Measured with one worker: the scheduling models on ft10, ta21 and mk05 add 0.017 to 0.027 units of
# deterministic time per second; SALBP-2 on TONGE70 and ARC83 0.09 to 0.16; ALWABP on heskia 1 and 45
# 0.21 to 0.28.
SCHEDULE_DETERMINISTIC_PER_S = 0.02
SALBP_DETERMINISTIC_PER_S = 0.1
ALWABP_DETERMINISTIC_PER_S = 0.2


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one CP-SAT run found: ``solved`` when it holds a solution, ``proved`` when optimal."""

    solved: bool
    proved: bool
    infeasible: bool
    objective: int | None
    bound: int | None


def run(
    model: cp_model.CpModel, *, time_limit_s: float, seed: int, workers: int, deterministic_per_s: float
) -> tuple[cp_model.CpSolver, Outcome]:
    """Solve ``model`` within the budget; the solver is returned to read the values from."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(time_limit_s, 0.01)
    params.random_seed = seed
    params.num_workers = max(workers, 1)
    if workers <= 1:
        params.max_deterministic_time = max(time_limit_s * deterministic_per_s, 0.01)
    params.log_search_progress = False
    status = solver.solve(model)
    solved = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    objective = round(solver.objective_value) if solved else None
    bound: int | None = None
    if status != cp_model.MODEL_INVALID and math.isfinite(solver.best_objective_bound):
        bound = math.ceil(solver.best_objective_bound - 1e-6)  # objectives are integers here
    if status == cp_model.INFEASIBLE:
        bound = None
    return solver, Outcome(
        solved, status == cp_model.OPTIMAL, status == cp_model.INFEASIBLE, objective, bound
    )
