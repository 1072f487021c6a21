"""The independent check of a production plan: every rule a plan must keep, counted from scratch.

It shares nothing with the solvers but the problem's own definitions (calendars, run times,
setups): the working time between two minutes is integrated here piece by piece over the shift
segments and capacity windows, not read from the solvers' cumulated clock.
"""

from __future__ import annotations

import itertools

from seamline.brain.errors import InvalidSolutionError
from seamline.brain.plan_result import PlannedOrder, ProductionPlan
from seamline.brain.planning import DAY_MIN, PlanLine, PlanningProblem

_SLACK_MIN = 1.0  # the solvers round ends up to whole minutes


def working_minutes(line: PlanLine, start: int, end: int) -> float:
    """Working minutes of ``line`` between ``start`` and ``end``, at its capacity there."""
    total = 0.0
    for day in range(start // DAY_MIN, end // DAY_MIN + 1):
        for s0, s1 in line.calendar.day_segments(day):
            a, b = max(s0, start), min(s1, end)
            if a >= b:
                continue
            cuts = sorted({a, b} | {x for w in line.windows for x in (w.start_min, w.end_min) if a < x < b})
            for p, q in itertools.pairwise(cuts):
                rate = 1.0
                for w in line.windows:
                    if w.start_min <= p and q <= w.end_min:
                        rate *= max(0.0, min(1.0, w.capacity))
                total += rate * (q - p)
    return total


def plan_violations(problem: PlanningProblem, plan: ProductionPlan) -> tuple[str, ...]:
    """Every rule ``plan`` breaks for ``problem``; empty when it is a valid plan."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for p in plan.orders:
        seen[p.order_id] = seen.get(p.order_id, 0) + 1
    for o in problem.orders:
        if seen.get(o.id, 0) != 1:
            out.append(f"order {o.id} is planned {seen.get(o.id, 0)} times")
    extra = sorted(set(seen) - set(problem.orders_by_id))
    out.extend(f"order {x} is not in the problem" for x in extra)
    lines = problem.lines_by_id
    for line_id, seq in plan.by_line().items():
        line = lines.get(line_id)
        if line is None:
            out.append(f"line {line_id} is not in the problem")
            continue
        out.extend(_line_violations(problem, line, seq))
    late = sum(p.tardiness_min * p.weight for p in plan.orders)
    if plan.metrics.weighted_tardiness != late:
        out.append(f"weighted tardiness {plan.metrics.weighted_tardiness} != {late} from the orders")
    if plan.lower_bound is not None and plan.lower_bound > plan.metrics.weighted_tardiness:
        out.append(f"lower bound {plan.lower_bound} above the weighted tardiness")
    return tuple(out)


def _line_violations(problem: PlanningProblem, line: PlanLine, seq: list[PlannedOrder]) -> list[str]:
    out: list[str] = []
    prev_style = line.current_style
    t = line.free_min
    pinned_done = False
    for k, p in enumerate(seq):
        o = problem.orders_by_id.get(p.order_id)
        if o is None:
            continue
        where = f"order {o.id} on line {line.id}"
        if p.sequence != k:
            out.append(f"{where}: sequence {p.sequence}, expected {k}")
        if o.pinned_line is not None:
            if o.pinned_line != line.id:
                out.append(f"{where}: it runs on line {o.pinned_line}")
            if pinned_done:
                out.append(f"{where}: a running order after a new one")
        else:
            pinned_done = True
            if o.style_id not in line.styles:
                out.append(f"{where}: the line cannot make style {o.style_id}")
        if p.start_min < max(t, o.release_min):
            out.append(f"{where}: starts at {p.start_min}, before {max(t, o.release_min)}")
        need = problem.setup_min(line, prev_style, o) + line.run_min(problem.styles[o.style_id], o.quantity)
        have = working_minutes(line, p.start_min, p.end_min)
        if have + _SLACK_MIN < need:
            out.append(f"{where}: {have:.1f} working minutes, needs {need:.1f}")
        if p.tardiness_min != max(0, p.end_min - o.due_min):
            out.append(f"{where}: tardiness {p.tardiness_min}, expected {max(0, p.end_min - o.due_min)}")
        if p.changeover != (prev_style != o.style_id):
            out.append(f"{where}: changeover flag {p.changeover} is wrong")
        prev_style = o.style_id
        t = p.end_min
    return out


def check_plan(problem: PlanningProblem, plan: ProductionPlan) -> None:
    """Raise :class:`InvalidSolutionError` listing every rule ``plan`` breaks."""
    violations = plan_violations(problem, plan)
    if violations:
        raise InvalidSolutionError("production plan", violations)


__all__ = ["check_plan", "plan_violations", "working_minutes"]
