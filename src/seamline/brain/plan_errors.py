"""What order planning refuses, naming the culprit: the order, style, line or field at fault.

A planning problem is checked whole before any solver runs (:func:`check_problem`), so a planner
gets one clear message (``order PO-7: no line can make style JACKET-02; lines and their styles:
...``) instead of a solver's silence.
"""

from __future__ import annotations

from seamline.brain.errors import BrainError, InfeasibleProblemError
from seamline.brain.planning import PlanLine, PlanningProblem, PlanOrder


class PlanInputError(BrainError):
    """A planning input that is wrong where it stands: ``culprit`` (an order or line id), ``field``."""

    status_code = 422
    reason = "invalid_plan_input"
    exit_code = 2

    def __init__(self, message: str, *, culprit: str, field: str) -> None:
        super().__init__(message)
        self.culprit = culprit
        self.field = field

    def details(self) -> dict[str, object]:
        return {"culprit": self.culprit, "field": self.field}


class NoLineForStyleError(InfeasibleProblemError):
    """An order whose style no line can make."""

    reason = "no_line_for_style"

    def __init__(self, order_id: str, style_id: str, lines: dict[str, list[str]]) -> None:
        shown = "; ".join(f"{line}: {', '.join(styles) or '-'}" for line, styles in lines.items())
        super().__init__(
            f"order {order_id}: no line can make style {style_id}; lines and their styles: {shown}."
            " Add the style to a line that has the machines for it, or drop the order",
            culprit={"order": order_id, "style": style_id},
        )
        self.order_id = order_id
        self.style_id = style_id


class UnknownPlanError(BrainError):
    """A plan, proposal or decision id that does not exist."""

    status_code = 404
    reason = "not_found"

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} {key!r}")
        self.kind = kind
        self.key = key

    def details(self) -> dict[str, object]:
        return {"kind": self.kind, "key": self.key}


class StaleProposalError(BrainError):
    """A proposal that can no longer be approved or rejected: already decided, or superseded."""

    status_code = 409
    reason = "proposal_decided"

    def __init__(self, proposal_id: str, status: str) -> None:
        super().__init__(f"proposal {proposal_id} is {status} already; ask for a new one")
        self.proposal_id = proposal_id
        self.status = status

    def details(self) -> dict[str, object]:
        return {"proposal": self.proposal_id, "status": self.status}


def check_problem(problem: PlanningProblem) -> None:
    """Raise the first thing that makes ``problem`` unplannable, naming its culprit."""
    seen: set[str] = set()
    lines = {line.id: line for line in problem.lines}
    if not problem.lines:
        raise PlanInputError("no lines to plan on; the factory file declares none", culprit="", field="lines")
    if len(lines) != len(problem.lines):
        dup = next(i for i in lines if sum(x.id == i for x in problem.lines) > 1)
        raise PlanInputError(f"line {dup} is listed twice", culprit=dup, field="id")
    for line in problem.lines:
        if line.operators <= 0:
            raise PlanInputError(
                f"line {line.id}: {line.operators} operators; a line needs at least one",
                culprit=line.id,
                field="operators",
            )
        effs = [line.efficiency, *line.style_efficiency.values()]
        if any(not 0.0 < e <= 3.0 for e in effs):
            raise PlanInputError(
                f"line {line.id}: efficiency must be above 0 and at most 3 (1.0 = 100 % of SAM)",
                culprit=line.id,
                field="efficiency",
            )
        unknown = sorted(s for s in line.styles if s not in problem.styles)
        if unknown:
            raise PlanInputError(
                f"line {line.id}: unknown style {unknown[0]}", culprit=line.id, field="styles"
            )
    for style in problem.styles.values():
        if not style.sam_min > 0:
            raise PlanInputError(
                f"style {style.id}: SAM {style.sam_min} min; it must be positive",
                culprit=style.id,
                field="sam_min",
            )
    for order in problem.orders:
        _check_order(problem, order, seen, lines)


def _check_order(
    problem: PlanningProblem, order: PlanOrder, seen: set[str], lines: dict[str, PlanLine]
) -> None:
    if order.id in seen:
        raise PlanInputError(f"order {order.id} is listed twice", culprit=order.id, field="id")
    seen.add(order.id)
    if order.quantity <= 0:
        raise PlanInputError(
            f"order {order.id}: quantity {order.quantity}; plan only orders with pieces left to make",
            culprit=order.id,
            field="quantity",
        )
    if not 0 <= order.priority <= 9:
        raise PlanInputError(
            f"order {order.id}: priority {order.priority}; use 0 (normal) to 9 (most urgent)",
            culprit=order.id,
            field="priority",
        )
    if order.style_id not in problem.styles:
        raise PlanInputError(
            f"order {order.id}: style {order.style_id} is not known; add it to the factory file",
            culprit=order.id,
            field="style",
        )
    if order.pinned_line is not None and order.pinned_line not in lines:
        raise PlanInputError(
            f"order {order.id}: it runs on line {order.pinned_line}, which is not known",
            culprit=order.id,
            field="line",
        )
    if not problem.eligible(order):
        raise NoLineForStyleError(
            order.id, order.style_id, {line.id: sorted(line.styles) for line in problem.lines}
        )


__all__ = [
    "NoLineForStyleError",
    "PlanInputError",
    "StaleProposalError",
    "UnknownPlanError",
    "check_problem",
]
