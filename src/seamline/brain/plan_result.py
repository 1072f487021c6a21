"""A production plan: which line makes which order when, with its figures and how it was found.

The objective is lexicographic: weighted tardiness first (minutes late x ``1 + priority``, plus the
stability cost of changing a reference plan, when there is one), then the number of changeovers,
then the makespan. ``objective`` is the first of these, in weighted minutes; ``lower_bound`` is a
bound on that part (each order alone on its fastest line), so ``objective - lower_bound`` is an
honest gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PlanStatus = Literal["optimal", "feasible"]


@dataclass(frozen=True, slots=True)
class Stability:
    """What changing a reference plan costs, in minutes of normal-priority lateness.

    Moving an order to another line costs ``moved_order_min``; each minute an order's start moves
    (earlier or later) costs ``deviation_per_min``. The defaults make the brain move an order to
    another line only when that saves about two hours of lateness.
    """

    moved_order_min: float = 120.0
    deviation_per_min: float = 0.02


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """One order on one line: ``start_min`` (its changeover starts), ``end_min`` (last piece done).

    ``setup_min`` is the changeover plus the learning loss before it (working minutes), 0 when the
    line made the same style just before; ``sequence`` is its place on the line from 0.
    """

    order_id: str
    line_id: str
    sequence: int
    start_min: int
    end_min: int
    setup_min: float
    changeover: bool
    quantity: int
    due_min: int
    tardiness_min: int
    weight: int


@dataclass(frozen=True, slots=True)
class PlanMetrics:
    """A plan's figures: the three objective parts, and its distance from a reference plan."""

    weighted_tardiness: int
    late_orders: int
    tardiness_min: int
    changeovers: int
    makespan_min: int
    moved_orders: int = 0
    start_deviation_min: int = 0
    stability_cost: int = 0

    @property
    def key(self) -> tuple[int, int, int]:
        """What the solvers minimise, in this order."""
        return (self.weighted_tardiness + self.stability_cost, self.changeovers, self.makespan_min)


@dataclass(frozen=True, slots=True)
class ProductionPlan:
    """A solver's plan, validated (:func:`seamline.brain.plan_check.check_plan`) before it is returned."""

    orders: tuple[PlannedOrder, ...]
    metrics: PlanMetrics
    status: PlanStatus
    objective: int
    lower_bound: int | None
    elapsed_s: float
    solver: str
    seed: int
    notes: tuple[str, ...] = field(default=())

    def by_line(self) -> dict[str, list[PlannedOrder]]:
        """Each line's orders in sequence."""
        out: dict[str, list[PlannedOrder]] = {}
        for p in sorted(self.orders, key=lambda p: (p.line_id, p.sequence)):
            out.setdefault(p.line_id, []).append(p)
        return out

    def of(self, order_id: str) -> PlannedOrder | None:
        """The planned order with that id, if the plan has it."""
        return next((p for p in self.orders if p.order_id == order_id), None)

    def sequences(self) -> dict[str, list[str]]:
        """Each line's order ids in sequence."""
        return {line: [p.order_id for p in seq] for line, seq in self.by_line().items()}


__all__ = ["PlanMetrics", "PlanStatus", "PlannedOrder", "ProductionPlan", "Stability"]
