"""The rescheduling benchmark: a synthetic floor of many orders, a breakdown, and the time to answer.

:func:`synthetic_plan_problem` draws a reproducible floor: styles with their SAM, lines that can
each make a few of them, one or two shifts with breaks, six days a week, orders due over the weeks
ahead at about the floor's capacity. :func:`reschedule_benchmark` plans it, breaks a line down a few
days in, and times :func:`~seamline.brain.reschedule.reschedule` (advance, events, solve, check and
explain: all a proposal needs), reporting the median of several runs and the plans' figures.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass

from seamline.brain.planning import PlanLine, PlanningProblem, PlanOrder, PlanStyle, Shift, ShiftCalendar
from seamline.brain.reschedule import Proposal, plan_orders, reschedule
from seamline.brain.reschedule_events import Breakdown

_DAY = ShiftCalendar(shifts=(Shift(480, 510, ((720, 30),)),), workdays=(0, 1, 2, 3, 4, 5))
_TWO = ShiftCalendar(
    shifts=(Shift(360, 480, ((600, 30),)), Shift(840, 480, ((1080, 30),))), workdays=(0, 1, 2, 3, 4, 5)
)


def synthetic_plan_problem(orders: int = 200, lines: int = 10, seed: int = 0) -> PlanningProblem:
    """A reproducible floor with ``orders`` orders on ``lines`` lines, loaded near capacity."""
    rng = random.Random(seed)
    n_styles = max(3, lines // 2 + 2)
    styles = {
        f"S{k:02d}": PlanStyle(
            f"S{k:02d}", sam_min=round(rng.uniform(6.0, 28.0), 2), learning_pieces=rng.choice((200, 400, 600))
        )
        for k in range(n_styles)
    }
    names = sorted(styles)
    plan_lines = []
    for j in range(lines):
        can = frozenset(rng.sample(names, k=min(len(names), rng.randint(2, 4))))
        plan_lines.append(
            PlanLine(
                id=f"L{j + 1:02d}",
                styles=can,
                operators=rng.randint(18, 32),
                efficiency=round(rng.uniform(0.55, 0.85), 2),
                calendar=_TWO if j % 4 == 3 else _DAY,
                current_style=rng.choice(sorted(can)),
            )
        )
    makeable = sorted({s for line in plan_lines for s in line.styles})
    # capacity: operator-minutes of standard work a day over all lines, about 8 h x operators x eff
    daily = sum(
        line.operators * line.efficiency * 480 * (2 if line.calendar is _TWO else 1) for line in plan_lines
    )
    plan_orders_: list[PlanOrder] = []
    load = 0.0
    for i in range(orders):
        style = styles[rng.choice(makeable)]
        qty = rng.randrange(200, 2400, 50)
        load += qty * style.sam_min
        days = load / daily * 7 / 6  # where the floor reaches this order, weekends included
        due = int((days * rng.uniform(0.9, 1.5) + rng.uniform(0.5, 2.0)) * 1440)
        plan_orders_.append(
            PlanOrder(
                id=f"PO-{i + 1:04d}",
                style_id=style.id,
                quantity=qty,
                due_min=due,
                priority=rng.choice((0, 0, 0, 0, 1, 2, 5)),
            )
        )
    return PlanningProblem(
        orders=tuple(plan_orders_),
        lines=tuple(plan_lines),
        styles=styles,
        changeover_min=90,
        start="2026-12-07T00:00:00+00:00",
    )


@dataclass(frozen=True, slots=True)
class RescheduleRun:
    """One timed reschedule."""

    seed: int
    elapsed_s: float
    proposal: Proposal


@dataclass(frozen=True, slots=True)
class RescheduleBenchmark:
    """The runs and their median time."""

    orders: int
    lines: int
    time_limit_s: float
    runs: tuple[RescheduleRun, ...]

    @property
    def median_s(self) -> float:
        return statistics.median(r.elapsed_s for r in self.runs)

    @property
    def max_s(self) -> float:
        return max(r.elapsed_s for r in self.runs)


def reschedule_benchmark(
    orders: int = 200,
    lines: int = 10,
    *,
    repeats: int = 5,
    time_limit_s: float = 1.0,
    plan_time_limit_s: float = 3.0,
    seed: int = 0,
) -> RescheduleBenchmark:
    """Plan ``repeats`` synthetic floors, break the busiest line down on day 3 at 10:00 for four
    hours, and time each reschedule (its ``elapsed_s``: everything a proposal needs)."""
    runs = []
    for r in range(repeats):
        problem = synthetic_plan_problem(orders, lines, seed + r)
        first = plan_orders(problem, plan_time_limit_s, seed + r).plan
        now = 2 * 1440 + 600
        busiest = max(first.by_line().items(), key=lambda kv: (len(kv[1]), kv[0]))[0]
        event = Breakdown(busiest, now, 240, device_id=f"{busiest}-M07")
        proposal = reschedule(problem, first, [event], now, time_limit_s, seed + r)
        runs.append(RescheduleRun(seed + r, proposal.elapsed_s, proposal))
    return RescheduleBenchmark(orders, lines, time_limit_s, tuple(runs))


__all__ = ["RescheduleBenchmark", "RescheduleRun", "reschedule_benchmark", "synthetic_plan_problem"]
