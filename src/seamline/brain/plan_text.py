"""A production plan as text for the command line: each line's orders in sequence, with their
times in the factory's time zone, due dates and lateness.

>>> from seamline.brain.plan_bench import synthetic_plan_problem
>>> from seamline.brain.plan_solver import solve_plan
>>> problem = synthetic_plan_problem(4, 2, seed=1)
>>> print(plan_text(problem, solve_plan(problem, 0.5)).splitlines()[0])  # doctest: +ELLIPSIS
4 orders on 2 lines: ... late (... h), ..., done by ...
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from seamline.brain.plan_result import ProductionPlan
from seamline.brain.planning import PlanningProblem


def plan_text(problem: PlanningProblem, plan: ProductionPlan) -> str:
    """A heading with the plan's figures, then one block per line."""
    start = dt.datetime.fromisoformat(problem.start)
    zone = ZoneInfo(problem.timezone)

    def at(minute: int) -> str:
        return f"{(start + dt.timedelta(minutes=minute)).astimezone(zone):%a %d %b %H:%M}"

    m = plan.metrics
    by_line = plan.by_line()
    out = [
        f"{len(plan.orders)} orders on {len(by_line)} lines: {m.late_orders} late"
        f" ({m.tardiness_min / 60:.1f} h), {m.changeovers} changeover{'' if m.changeovers == 1 else 's'},"
        f" done by {at(m.makespan_min)}"
        f" ({plan.status}; weighted tardiness {plan.objective}, lower bound {plan.lower_bound})"
        f" in {plan.elapsed_s:.2f} s"
    ]
    styles = {o.id: o.style_id for o in problem.orders}
    for line, seq in by_line.items():
        out.append(f"  {line}")
        for p in seq:
            late = f"{p.tardiness_min / 60:.1f} h late" if p.tardiness_min else "on time"
            change = " after a changeover" if p.changeover else ""
            out.append(
                f"    {p.order_id:<12} {styles.get(p.order_id, ''):<10} {p.quantity:>7,} pcs"
                f"  {at(p.start_min)} - {at(p.end_min)}  due {at(p.due_min)}  {late}{change}"
            )
    return "\n".join(out)


__all__ = ["plan_text"]
