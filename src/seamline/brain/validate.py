"""Independent feasibility checks: every solution passes one before a solver returns it.

They share no code with the solvers: they recompute everything from the problem and the solution
as written (operations with their times, stations with their tasks), so that a solver bug raises
:class:`~seamline.brain.errors.InvalidSolutionError` instead of reaching a planner.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence

from seamline.brain.errors import InvalidSolutionError
from seamline.brain.problems import Alwabp, FlexibleJobShop, JobShop, Salbp2
from seamline.brain.solution import ScheduledOperation, Station

_SHOWN = 20  # violations listed before the rest are counted only


def schedule_violations(
    problem: JobShop | FlexibleJobShop, operations: Sequence[ScheduledOperation], makespan: int
) -> list[str]:
    """Every constraint the schedule breaks: each operation exactly once, on an eligible machine for
    its duration there, after its job's previous operation, never two at once on a machine, and a
    makespan equal to the last end."""
    shop = problem.as_flexible() if isinstance(problem, JobShop) else problem
    bad = _operations_once(shop, operations)
    by_key = {(o.job, o.op): o for o in operations}
    for j, ops in enumerate(shop.jobs):
        previous_end = 0
        for k, steps in enumerate(ops):
            o = by_key.get((j, k))
            if o is None:
                bad.append(f"job {j} operation {k} is not scheduled")
                continue
            bad += _operation_times(o, {s.machine: s.duration for s in steps}, previous_end)
            previous_end = max(previous_end, o.end)
    bad += _machine_overlaps(operations)
    last_end = max((o.end for o in operations), default=0)
    if makespan != last_end:
        bad.append(f"makespan {makespan} is not the last end {last_end}")
    return bad


def _operations_once(shop: FlexibleJobShop, operations: Sequence[ScheduledOperation]) -> list[str]:
    bad = []
    for (j, k), count in Counter((o.job, o.op) for o in operations).items():
        if not (0 <= j < len(shop.jobs) and 0 <= k < len(shop.jobs[j])):
            bad.append(f"job {j} has no operation {k}")
        elif count > 1:
            bad.append(f"job {j} operation {k} scheduled {count} times")
    return bad


def _operation_times(o: ScheduledOperation, durations: dict[int, int], previous_end: int) -> list[str]:
    bad = []
    what = f"job {o.job} operation {o.op}"
    if o.machine not in durations:
        bad.append(f"{what} on machine {o.machine}, which cannot run it")
    elif o.end - o.start != durations[o.machine]:
        bad.append(f"{what} lasts {o.end - o.start} on machine {o.machine}, not {durations[o.machine]}")
    if o.start < 0:
        bad.append(f"{what} starts before 0, at {o.start}")
    if o.start < previous_end:
        bad.append(f"{what} starts at {o.start}, before operation {o.op - 1} ends at {previous_end}")
    return bad


def _machine_overlaps(operations: Sequence[ScheduledOperation]) -> list[str]:
    bad = []
    per_machine: dict[int, list[ScheduledOperation]] = defaultdict(list)
    for o in operations:
        if o.end > o.start:  # an empty interval occupies no machine
            per_machine[o.machine].append(o)
    for machine, ops_on in sorted(per_machine.items()):
        ops_on.sort(key=lambda o: (o.start, o.end))
        for a, b in itertools.pairwise(ops_on):
            if b.start < a.end:
                bad.append(
                    f"machine {machine} runs job {a.job} op {a.op} [{a.start}, {a.end}) and"
                    f" job {b.job} op {b.op} [{b.start}, {b.end}) at once"
                )
    return bad


def check_schedule(
    problem: JobShop | FlexibleJobShop, operations: Sequence[ScheduledOperation], makespan: int
) -> None:
    """Raise :class:`InvalidSolutionError` listing what the schedule breaks; return if it breaks nothing."""
    bad = schedule_violations(problem, operations, makespan)
    if bad:
        raise InvalidSolutionError(problem.kind, tuple(bad[:_SHOWN]) + _more(bad))


def balance_violations(problem: Salbp2 | Alwabp, stations: Sequence[Station], cycle_time: int) -> list[str]:
    """Every constraint the line balance breaks: the number of stations, each task (from 1) at
    exactly one station, precedences (i at the same or an earlier station than j), each ALWABP
    worker at exactly one station doing only tasks they can, each load as stated and the cycle
    time equal to the largest load."""
    expected_stations = problem.stations if isinstance(problem, Salbp2) else problem.n_workers
    bad = [] if len(stations) == expected_stations else [f"{len(stations)} stations, not {expected_stations}"]
    where: dict[int, list[int]] = defaultdict(list)
    for s, station in enumerate(stations):
        for task in station.tasks:
            where[task].append(s)
    bad += _tasks_once(problem.n_tasks, where)
    for i, j in problem.arcs:
        si, sj = where.get(i + 1), where.get(j + 1)
        if si and sj and si[0] > sj[0]:
            bad.append(f"task {i + 1} (station {si[0]}) must not come after task {j + 1} (station {sj[0]})")
    if isinstance(problem, Alwabp):
        bad += _workers_once(problem, stations)
    loads = []
    for s, station in enumerate(stations):
        load, wrong = _load(problem, s, station)
        bad += wrong
        if load != station.load:
            bad.append(f"station {s} carries {load}, not the stated {station.load}")
        loads.append(load)
    if cycle_time != max(loads, default=0):
        bad.append(f"cycle time {cycle_time} is not the largest station load {max(loads, default=0)}")
    return bad


def _tasks_once(n: int, where: dict[int, list[int]]) -> list[str]:
    bad = []
    for task in sorted(where):
        if not 1 <= task <= n:
            bad.append(f"task {task} does not exist (tasks are 1..{n})")
        elif len(where[task]) > 1:
            bad.append(f"task {task} is at {len(where[task])} stations {where[task]}")
    missing = [t for t in range(1, n + 1) if t not in where]
    if missing:
        bad.append(f"tasks {missing} are at no station")
    return bad


def _workers_once(problem: Alwabp, stations: Sequence[Station]) -> list[str]:
    workers = Counter(s.worker for s in stations)
    bad = [
        f"worker {w} is at {workers[w]} stations, not 1" for w in range(problem.n_workers) if workers[w] != 1
    ]
    for w in workers:
        if w is None or not 0 <= w < problem.n_workers:
            bad.append(f"worker {w} does not exist (workers are 0..{problem.n_workers - 1})")
    return bad


def _load(problem: Salbp2 | Alwabp, s: int, station: Station) -> tuple[int, list[str]]:
    """The station's load recomputed from its tasks, and the tasks its worker cannot do."""
    tasks = [t for t in station.tasks if 1 <= t <= problem.n_tasks]
    if isinstance(problem, Salbp2):
        return sum(problem.task_times[t - 1] for t in tasks), []
    w = station.worker
    if w is None or not 0 <= w < problem.n_workers:
        return 0, []
    times = [(t, problem.times[t - 1][w]) for t in tasks]
    bad = [f"worker {w} (station {s}) cannot do task {t} (time Inf)" for t, time in times if time is None]
    return sum(time for _, time in times if time is not None), bad


def check_balance(problem: Salbp2 | Alwabp, stations: Sequence[Station], cycle_time: int) -> None:
    """Raise :class:`InvalidSolutionError` listing what the balance breaks; return if it breaks nothing."""
    bad = balance_violations(problem, stations, cycle_time)
    if bad:
        raise InvalidSolutionError(problem.kind, tuple(bad[:_SHOWN]) + _more(bad))


def _more(bad: list[str]) -> tuple[str, ...]:
    return (f"{len(bad) - _SHOWN} more violations",) if len(bad) > _SHOWN else ()
