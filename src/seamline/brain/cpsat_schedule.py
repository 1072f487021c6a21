"""The CP-SAT model of the job shop and the flexible job shop, built anew for every call.

One interval per operation, one optional interval per eligible machine of a flexible operation
(exactly one of them present), a no-overlap constraint per machine, route precedences and the
makespan as the objective: the textbook model of the OR-Tools examples. Given a starting schedule
it becomes the hint and its makespan the horizon, so CP-SAT starts from it instead of from nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from seamline.brain.cpsat import SCHEDULE_DETERMINISTIC_PER_S, Outcome, run
from seamline.brain.problems import FlexibleJobShop, Step
from seamline.brain.solution import ScheduledOperation


@dataclass
class _Model:
    """The model and the variables read back from it (private to one call)."""

    model: cp_model.CpModel
    makespan: cp_model.IntVar
    starts: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    # per operation, (machine, presence literal) for each eligible machine; None when it has one
    options: dict[tuple[int, int], list[tuple[int, cp_model.IntVar | None]]] = field(default_factory=dict)


def _operation(
    m: _Model,
    j: int,
    k: int,
    steps: Sequence[Step],
    horizon: int,
    per_machine: dict[int, list[cp_model.IntervalVar]],
) -> cp_model.LinearExprT:
    """Add operation k of job j; its end as an expression."""
    model = m.model
    start = model.new_int_var(0, horizon, f"s{j}_{k}")
    m.starts[j, k] = start
    if len(steps) == 1:
        (step,) = steps
        per_machine[step.machine].append(model.new_fixed_size_interval_var(start, step.duration, f"i{j}_{k}"))
        m.options[j, k] = [(step.machine, None)]
        return start + step.duration
    options: list[tuple[int, cp_model.IntVar | None]] = []
    durations: list[int] = []
    presences: list[cp_model.IntVar] = []
    for step in steps:
        present = model.new_bool_var(f"p{j}_{k}_{step.machine}")
        interval = model.new_optional_fixed_size_interval_var(
            start, step.duration, present, f"i{j}_{k}_{step.machine}"
        )
        per_machine[step.machine].append(interval)
        options.append((step.machine, present))
        presences.append(present)
        durations.append(step.duration)
    model.add_exactly_one(presences)
    m.options[j, k] = options
    return start + cp_model.LinearExpr.weighted_sum(presences, durations)


def _build(shop: FlexibleJobShop, horizon: int, lower_bound: int) -> _Model:
    model = cp_model.CpModel()
    m = _Model(model, model.new_int_var(min(lower_bound, horizon), horizon, "makespan"))
    per_machine: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    for j, ops in enumerate(shop.jobs):
        previous_end: cp_model.LinearExprT | None = None
        for k, steps in enumerate(ops):
            end = _operation(m, j, k, steps, horizon, per_machine)
            if previous_end is not None:
                model.add(m.starts[j, k] >= previous_end)
            previous_end = end
        if previous_end is not None:
            model.add(m.makespan >= previous_end)
    for intervals in per_machine.values():
        model.add_no_overlap(intervals)
    model.minimize(m.makespan)
    return m


def solve_schedule(
    shop: FlexibleJobShop,
    *,
    time_limit_s: float,
    seed: int,
    workers: int,
    hint: Sequence[ScheduledOperation] | None = None,
    lower_bound: int = 0,
) -> tuple[Outcome, list[ScheduledOperation] | None]:
    """Minimise the makespan; the schedule found (or None) and what CP-SAT proved."""
    if hint:
        horizon = max(o.end for o in hint)
    else:
        horizon = sum(max(s.duration for s in steps) for ops in shop.jobs for steps in ops)
    m = _build(shop, horizon, lower_bound)
    if hint:
        for o in hint:
            m.model.add_hint(m.starts[o.job, o.op], o.start)
            for machine, present in m.options[o.job, o.op]:
                if present is not None:
                    m.model.add_hint(present, machine == o.machine)
        m.model.add_hint(m.makespan, horizon)
    solver, outcome = run(
        m.model,
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        deterministic_per_s=SCHEDULE_DETERMINISTIC_PER_S,
    )
    if not outcome.solved:
        return outcome, None
    out: list[ScheduledOperation] = []
    for j, ops in enumerate(shop.jobs):
        for k, steps in enumerate(ops):
            start = solver.value(m.starts[j, k])
            machine = next(mc for mc, p in m.options[j, k] if p is None or solver.boolean_value(p))
            duration = next(s.duration for s in steps if s.machine == machine)
            out.append(ScheduledOperation(j, k, machine, start, start + duration))
    return outcome, out
