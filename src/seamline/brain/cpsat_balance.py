"""CP-SAT models of SALBP-2 and ALWABP-2, built anew for every call, minimising the cycle time.

SALBP-2: a boolean per task and station, exactly one station per task, the station index of a task
no later than its successors', each station's load at most the cycle time. ALWABP-2 adds the
worker: a boolean per task, worker and station (only where the worker can do the task), one worker
per station and one station per worker. Given a known cycle time UB (from a constructive start),
each task is only offered the stations it can reach in a balance no worse than UB: no earlier than
ceil(head / UB) and no later than M - ceil(tail / UB) + 1, where head and tail are its own time plus
all its predecessors' (successors') at their fastest; and the start becomes the hint.
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from seamline.brain.cpsat import ALWABP_DETERMINISTIC_PER_S, SALBP_DETERMINISTIC_PER_S, Outcome, run
from seamline.brain.precedence import all_predecessors, all_successors
from seamline.brain.problems import Alwabp, Salbp2


def _windows(
    n: int, arcs: Sequence[tuple[int, int]], fastest: Sequence[int], stations: int, upper: int | None
) -> list[range]:
    """The stations (from 0) each task can occupy in a balance with cycle time <= upper."""
    if upper is None or upper <= 0:
        return [range(stations)] * n
    before, after = all_predecessors(n, arcs), all_successors(n, arcs)
    out = []
    for i in range(n):
        head = fastest[i] + sum(fastest[p] for p in before[i])
        tail = fastest[i] + sum(fastest[s] for s in after[i])
        first = max(-(-head // upper) - 1, 0)
        last = min(stations - max(-(-tail // upper), 1), stations - 1)
        out.append(range(first, max(last, first) + 1) if first <= last else range(first, first + 1))
    return out


def solve_salbp2_model(
    problem: Salbp2,
    *,
    time_limit_s: float,
    seed: int,
    workers: int,
    hint: Sequence[Sequence[int]] | None = None,
    upper: int | None = None,
    lower: int | None = None,
) -> tuple[Outcome, list[list[int]] | None]:
    """Stations as lists of tasks (from 0) and what CP-SAT proved; ``hint`` stations are tasks from 0,
    ``lower`` a cycle time already proved necessary."""
    n, m, times = problem.n_tasks, problem.stations, problem.task_times
    model = cp_model.CpModel()
    low = max(problem.trivial_lower_bound(), lower or 0)
    high = max(upper, low) if upper is not None else max(sum(times), low)
    cycle = model.new_int_var(low, high, "cycle")
    windows = _windows(n, problem.arcs, times, m, upper)
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for i in range(n):
        for s in windows[i]:
            x[i, s] = model.new_bool_var(f"x{i}_{s}")
        model.add_exactly_one(x[i, s] for s in windows[i])
    station = [sum(s * x[i, s] for s in windows[i]) for i in range(n)]
    for i, j in problem.arcs:
        model.add(station[i] <= station[j])
    for s in range(m):
        model.add(sum(times[i] * x[i, s] for i in range(n) if (i, s) in x) <= cycle)
    model.minimize(cycle)
    if hint is not None:
        for s, tasks in enumerate(hint):
            for i in tasks:
                if (i, s) in x:
                    model.add_hint(x[i, s], True)
    solver, outcome = run(
        model,
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        deterministic_per_s=SALBP_DETERMINISTIC_PER_S,
    )
    if not outcome.solved:
        return outcome, None
    stations: list[list[int]] = [[] for _ in range(m)]
    for (i, s), var in x.items():
        if solver.boolean_value(var):
            stations[s].append(i)
    return outcome, [sorted(tasks) for tasks in stations]


def solve_alwabp_model(
    problem: Alwabp,
    *,
    time_limit_s: float,
    seed: int,
    workers: int,
    hint: Sequence[tuple[int, Sequence[int]]] | None = None,
    upper: int | None = None,
    lower: int | None = None,
) -> tuple[Outcome, list[tuple[int, list[int]]] | None]:
    """Stations as (worker, tasks from 0) and what CP-SAT proved (``lower``: a proved bound)."""
    n, k, times = problem.n_tasks, problem.n_workers, problem.times
    model = cp_model.CpModel()
    fastest = [min(t for t in row if t is not None) for row in times]
    low = max(problem.trivial_lower_bound(), lower or 0)
    high = (
        max(upper, low)
        if upper is not None
        else max(sum(max(t for t in row if t is not None) for row in times), low)
    )
    cycle = model.new_int_var(low, high, "cycle")
    windows = _windows(n, problem.arcs, fastest, k, upper)
    y = {(w, s): model.new_bool_var(f"y{w}_{s}") for w in range(k) for s in range(k)}
    for w in range(k):
        model.add_exactly_one(y[w, s] for s in range(k))
        model.add_exactly_one(y[v, w] for v in range(k))  # station w holds one worker
    z: dict[tuple[int, int, int], cp_model.IntVar] = {}
    by_task: list[list[tuple[int, cp_model.IntVar]]] = [[] for _ in range(n)]
    by_station: list[list[tuple[int, cp_model.IntVar]]] = [[] for _ in range(k)]
    for i in range(n):
        for s in windows[i]:
            for w in range(k):
                if times[i][w] is not None:
                    z[i, w, s] = var = model.new_bool_var(f"z{i}_{w}_{s}")
                    model.add_implication(var, y[w, s])
                    by_task[i].append((s, var))
                    by_station[s].append((times[i][w] or 0, var))
        model.add_exactly_one(var for _, var in by_task[i])
    station = [sum(s * var for s, var in by_task[i]) for i in range(n)]
    for i, j in problem.arcs:
        model.add(station[i] <= station[j])
    for s in range(k):
        model.add(sum(t * var for t, var in by_station[s]) <= cycle)
    model.minimize(cycle)
    if hint is not None:
        _hint_alwabp(model, y, z, hint)
    solver, outcome = run(
        model,
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        deterministic_per_s=ALWABP_DETERMINISTIC_PER_S,
    )
    if not outcome.solved:
        return outcome, None
    return outcome, _read_alwabp(solver, y, z, k)


def _hint_alwabp(
    model: cp_model.CpModel,
    y: dict[tuple[int, int], cp_model.IntVar],
    z: dict[tuple[int, int, int], cp_model.IntVar],
    hint: Sequence[tuple[int, Sequence[int]]],
) -> None:
    for s, (w, tasks) in enumerate(hint):
        for v, t in y:
            if t == s:
                model.add_hint(y[v, s], v == w)
        for i in tasks:
            if (i, w, s) in z:
                model.add_hint(z[i, w, s], True)


def _read_alwabp(
    solver: cp_model.CpSolver,
    y: dict[tuple[int, int], cp_model.IntVar],
    z: dict[tuple[int, int, int], cp_model.IntVar],
    k: int,
) -> list[tuple[int, list[int]]]:
    at = {s: w for (w, s), var in y.items() if solver.boolean_value(var)}
    stations: list[tuple[int, list[int]]] = [(at[s], []) for s in range(k)]
    for (i, _w, s), var in z.items():
        if solver.boolean_value(var):
            stations[s][1].append(i)
    return [(w, sorted(tasks)) for w, tasks in stations]
