"""What-if: the twin runs the floor forward under two plans and shows the difference.

Before a planner applies a proposal, :func:`what_if` starts the digital twin from the problem the
proposal was made for (each line on its current style, each order with the pieces it has left,
due dates, priorities, the operators of each line) and runs it ``hours`` forward twice with the
same seed: once with each line making the orders of the plan in force, in its sequence, and once
with the proposal's. Breakdowns, absences, learning after a style change and every piece come from
the twin, not from the plan's arithmetic, so the comparison checks the plan against a floor that
behaves like the real one.

The twin starts each line empty (no work in progress), at a shift's start, at the problem's
``now``: both plans start alike, so the difference is the plans'.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from seamline.brain.plan_result import ProductionPlan
from seamline.brain.planning import PlanningProblem, PlanOrder
from seamline.model.factory import MAX_PRIORITY, Factory, Order
from seamline.sim.config import SimConfig
from seamline.sim.simulation import FloorSimulation

BUNDLE = 20


@dataclass(frozen=True, slots=True)
class WhatIfRun:
    """One plan run forward in the twin."""

    output: int  # garments finished
    orders_finished: int
    late_orders: tuple[str, ...]  # due within the run and not finished by their due time
    changeovers: int
    breakdowns: int
    efficiency_pct: float

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["late_orders"] = list(self.late_orders)
        return out


def what_if(
    factory: Factory,
    problem: PlanningProblem,
    plans: dict[str, ProductionPlan],
    *,
    now_min: int = 0,
    hours: float = 8.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Each plan of ``plans`` (by name: ``kept``, ``proposed``, ...) run ``hours`` forward in the
    twin from ``now_min`` of ``problem``; the figures of each and the difference of the last two."""
    began = time.perf_counter()
    start = dt.datetime.fromisoformat(problem.start) + dt.timedelta(minutes=now_min)
    runs = {name: _run(factory, problem, plan, start, now_min, hours, seed) for name, plan in plans.items()}
    out: dict[str, Any] = {
        "hours": hours,
        "seed": seed,
        "start": start.isoformat(),
        "runs": {k: v.as_dict() for k, v in runs.items()},
        "elapsed_s": round(time.perf_counter() - began, 2),
    }
    if len(runs) >= 2:
        a, b = list(runs.values())[-2:]
        out["difference"] = {
            "output": b.output - a.output,
            "orders_finished": b.orders_finished - a.orders_finished,
            "late_orders": len(b.late_orders) - len(a.late_orders),
            "changeovers": b.changeovers - a.changeovers,
        }
    return out


def _run(
    factory: Factory,
    problem: PlanningProblem,
    plan: ProductionPlan,
    start: dt.datetime,
    now_min: int,
    hours: float,
    seed: int,
) -> WhatIfRun:
    wanted = {o.id: o for o in problem.orders}
    orders = [  # each line's orders in the plan's sequence: the twin's lines take them in that order
        _order(wanted[p.order_id], p.line_id, start, now_min)
        for seq in plan.by_line().values()
        for p in seq
        if p.order_id in wanted and p.line_id in factory.lines_by_id
    ]
    styles = {line.id: line.current_style for line in problem.lines}
    lines = tuple(
        dataclasses.replace(line, style_id=styles.get(line.id) or line.style_id) for line in factory.lines
    )
    twin_factory = dataclasses.replace(factory, lines=lines, orders=tuple(orders))
    config = SimConfig(telemetry=False, shift_from_start=True, initial_wip=False)
    sim = FloorSimulation(twin_factory, seed=seed, start=start, publish_interval_s=60.0, config=config)
    end_s = hours * 3600.0
    sim.advance(end_s)
    truth = sim.truth
    due_s = {oid: (o.due_min - now_min) * 60.0 for oid, o in ((o.id, o) for o in problem.orders)}
    late = tuple(
        sorted(
            oid for oid, d in due_s.items() if d <= end_s and truth.order_done_s.get(oid, float("inf")) > d
        )
    )
    attended = sum(
        len(a.present) * min(float(factory.shift_minutes), max(0.0, (end_s - a.begin_s) / 60.0))
        for a in truth.attendance
    )
    earned = sum(truth.earned_min_by_line.values())
    return WhatIfRun(
        output=sum(truth.pieces_by_line.values()),
        orders_finished=len(truth.order_done_s),
        late_orders=late,
        changeovers=len(truth.changeovers),
        breakdowns=truth.breakdowns,
        efficiency_pct=round(100.0 * earned / attended, 1) if attended else 0.0,
    )


def _order(o: PlanOrder, line_id: str, start: dt.datetime, now_min: int) -> Order:
    """An order of the twin: what is left of it, cut in bundles of 20, due when the plan says, on
    the line the plan gives it."""
    due = (start + dt.timedelta(minutes=max(0, o.due_min - now_min))).date()
    quantities = {("as planned", "all"): max(1, o.quantity)}
    return Order(o.id, o.style_id, due, quantities, BUNDLE, line_id, min(o.priority, MAX_PRIORITY))


__all__ = ["WhatIfRun", "what_if"]
