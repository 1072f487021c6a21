"""What happens on the floor that a plan must answer: the events live rescheduling follows.

Each event is a frozen value stamped with the plan minute it happened at (``at_min``), and
:func:`apply_events` folds a list of them into a :class:`PlanningProblem`:

- :class:`Breakdown`: a line stops (``capacity`` 0) or slows (a machine of a kind the line has
  several of) from ``at_min`` for the expected repair time (the machine state turned ``fault``).
- :class:`OperatorAbsent`: operators missing from ``at_min`` until ``until_min`` (badge events):
  the line works at ``(operators - absent) / operators`` of its pace.
- :class:`OutputBehind`: the line's output runs at ``ratio`` of its target (from the production
  records) from ``at_min`` for ``for_min`` minutes.
- :class:`OrderChange`: an order changes quantity, due date or priority, is cancelled, or arrives
  new (``new=True``: a rush order), from the order book.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from seamline.brain.plan_errors import PlanInputError
from seamline.brain.planning import CapacityWindow, PlanLine, PlanningProblem, PlanOrder


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Line ``line_id`` stops (or runs at ``capacity``) from ``at_min`` for ``repair_min`` minutes."""

    line_id: str
    at_min: int
    repair_min: int
    device_id: str | None = None
    capacity: float = 0.0
    kind: str = "breakdown"


@dataclass(frozen=True, slots=True)
class OperatorAbsent:
    """``absent`` of the line's operators are missing from ``at_min`` to ``until_min``."""

    line_id: str
    at_min: int
    until_min: int
    absent: int = 1
    operator_ids: tuple[str, ...] = ()
    kind: str = "operator_absent"


@dataclass(frozen=True, slots=True)
class OutputBehind:
    """The line makes ``ratio`` of its target output, from ``at_min`` for ``for_min`` minutes."""

    line_id: str
    at_min: int
    ratio: float
    for_min: int = 2880
    kind: str = "output_behind"


@dataclass(frozen=True, slots=True)
class OrderChange:
    """An order changes (only the fields given), is cancelled, or is new (``new``: all fields needed)."""

    order_id: str
    at_min: int
    quantity: int | None = None
    due_min: int | None = None
    priority: int | None = None
    style_id: str | None = None
    cancel: bool = False
    new: bool = False
    kind: str = "order_change"


Event = Breakdown | OperatorAbsent | OutputBehind | OrderChange


def apply_events(problem: PlanningProblem, events: tuple[Event, ...] | list[Event]) -> PlanningProblem:
    """``problem`` as the events leave it: slow or stopped windows on lines, orders changed."""
    lines = {line.id: line for line in problem.lines}
    orders = {o.id: o for o in problem.orders}
    for event in events:
        if isinstance(event, OrderChange):
            _order_change(orders, event)
            continue
        line = lines.get(event.line_id)
        if line is None:
            raise PlanInputError(
                f"{event.kind} on line {event.line_id}, which is not known",
                culprit=event.line_id,
                field="line",
            )
        lines[line.id] = dataclasses.replace(line, windows=(*line.windows, _window(line, event)))
    return dataclasses.replace(
        problem,
        lines=tuple(lines[line.id] for line in problem.lines),
        orders=tuple(orders.values()),
    )


def _window(line: PlanLine, event: Breakdown | OperatorAbsent | OutputBehind) -> CapacityWindow:
    if isinstance(event, Breakdown):
        return CapacityWindow(event.at_min, event.at_min + event.repair_min, event.capacity, "breakdown")
    if isinstance(event, OperatorAbsent):
        if event.until_min <= event.at_min:
            raise PlanInputError(
                f"operator absence on line {line.id} ends before it starts",
                culprit=line.id,
                field="until_min",
            )
        present = max(0, line.operators - event.absent)
        return CapacityWindow(event.at_min, event.until_min, present / line.operators, "absence")
    if not 0.0 <= event.ratio <= 1.5:
        raise PlanInputError(
            f"output ratio {event.ratio} on line {line.id}; give actual / target, e.g. 0.8",
            culprit=line.id,
            field="ratio",
        )
    return CapacityWindow(event.at_min, event.at_min + event.for_min, min(event.ratio, 1.0), "output")


def _order_change(orders: dict[str, PlanOrder], event: OrderChange) -> None:
    old = orders.get(event.order_id)
    if event.new:
        if old is not None:
            raise PlanInputError(
                f"order {event.order_id} exists already; change it instead",
                culprit=event.order_id,
                field="id",
            )
        if event.style_id is None or event.quantity is None or event.due_min is None:
            raise PlanInputError(
                f"new order {event.order_id}: give its style, quantity and due date",
                culprit=event.order_id,
                field="style" if event.style_id is None else "quantity" if event.quantity is None else "due",
            )
        orders[event.order_id] = PlanOrder(
            event.order_id,
            event.style_id,
            event.quantity,
            event.due_min,
            priority=event.priority or 0,
            release_min=event.at_min,
        )
        return
    if old is None:
        raise PlanInputError(
            f"order {event.order_id} is not in the plan", culprit=event.order_id, field="order"
        )
    if event.cancel:
        del orders[event.order_id]
        return
    orders[event.order_id] = dataclasses.replace(
        old,
        quantity=old.quantity if event.quantity is None else event.quantity,
        due_min=old.due_min if event.due_min is None else event.due_min,
        priority=old.priority if event.priority is None else event.priority,
    )


__all__ = ["Breakdown", "Event", "OperatorAbsent", "OrderChange", "OutputBehind", "apply_events"]
