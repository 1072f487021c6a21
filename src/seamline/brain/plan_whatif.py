"""What-if: the digital twin runs the floor forward under the plan kept and under the proposal.

Two runs of the twin (:class:`~seamline.sim.FloorSimulation`) with the same seed, so the same
breakdowns and absences come their way as long as the floor behaves alike: each line is loaded
with its sequence of orders (the pieces left, as the plan has them), then the floor runs for
``hours``. The twin starts from the factory file's floor (its own operators, skills and machines,
the first shift starting at ``start``), not from the live state of the real floor: the answer is
the difference the plan makes on a floor like this one, not a forecast of this one.

>>> import datetime as dt
>>> from seamline.model.loader import load_factory
>>> from seamline.brain.plan_factory import planning_problem
>>> from seamline.brain.reschedule import plan_orders
>>> factory = load_factory()
>>> now = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
>>> proposal = plan_orders(planning_problem(factory, now), 0.5)
>>> w = whatif(factory, proposal, {o.id: o for o in factory.orders}, start=now, hours=2)
>>> w.kept is None, w.proposed.output >= 0
(True, True)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass

from seamline.brain.plan_result import ProductionPlan
from seamline.brain.reschedule import Proposal
from seamline.model.factory import Factory, Order
from seamline.sim.config import SimConfig
from seamline.sim.simulation import FloorSimulation

SETTLE_S = 60.0  # the twin's lines take their first orders, then the plan is loaded


@dataclass(frozen=True, slots=True)
class TwinRun:
    """One run of the twin under one plan: garments finished (in all and per order), the orders
    finished, changeovers and breakdowns."""

    output: int
    pieces_by_order: dict[str, int]
    finished: tuple[str, ...]
    changeovers: int
    breakdowns: int


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The twin under the plan kept (None for a first plan) and under the proposal."""

    hours: float
    seed: int
    kept: TwinRun | None
    proposed: TwinRun
    elapsed_s: float


def whatif(
    factory: Factory,
    proposal: Proposal,
    orders: Mapping[str, Order],
    *,
    start: dt.datetime,
    hours: float = 24.0,
    seed: int = 0,
) -> WhatIf:
    """Run the twin ``hours`` under ``proposal.keep`` and ``proposal.plan`` (``orders``: the order
    book's orders by id, for their colours and sizes)."""
    began = time.perf_counter()
    left = {o.id: o.quantity for o in proposal.problem.orders}
    kept = _run(factory, proposal.keep, orders, left, start, hours, seed) if proposal.keep else None
    proposed = _run(factory, proposal.plan, orders, left, start, hours, seed)
    return WhatIf(hours, seed, kept, proposed, round(time.perf_counter() - began, 2))


def _run(
    factory: Factory,
    plan: ProductionPlan,
    orders: Mapping[str, Order],
    left: Mapping[str, int],
    start: dt.datetime,
    hours: float,
    seed: int,
) -> TwinRun:
    twin_orders = {
        p.order_id: _remaining(orders[p.order_id], left.get(p.order_id, p.quantity), p.line_id)
        for p in plan.orders
        if p.order_id in orders
    }
    floor = dataclasses.replace(factory, orders=tuple(twin_orders.values()))
    config = SimConfig(telemetry=False, shift_from_start=True)
    sim = FloorSimulation(floor, seed=seed, start=start, publish_interval_s=60.0, config=config)
    sim.advance(SETTLE_S)
    sim.load_lines(
        {
            line: [twin_orders[p.order_id] for p in seq if p.order_id in twin_orders]
            for line, seq in plan.by_line().items()
        }
    )
    sim.advance(SETTLE_S + hours * 3600.0)
    truth = sim.truth
    return TwinRun(
        output=sum(truth.pieces_by_line.values()),
        pieces_by_order={o: truth.pieces_by_order.get(o, 0) for o in twin_orders},
        finished=tuple(sorted(o for o in truth.order_done_s if o in twin_orders)),
        changeovers=len(truth.changeovers),
        breakdowns=truth.breakdowns,
    )


def _remaining(order: Order, pieces: int, line_id: str) -> Order:
    """``order`` cut down to the ``pieces`` still to make (in its first colour and size), on ``line_id``."""
    key = next(iter(order.quantities), ("", ""))
    return dataclasses.replace(order, quantities={key: max(1, pieces)}, line_id=line_id)


__all__ = ["TwinRun", "WhatIf", "whatif"]
