"""Live rescheduling: from the plan in force and what just happened, a proposal that changes little.

- :func:`plan_orders`: a first plan for a problem (no plan in force yet).
- :func:`advance`: the problem as it stands at ``now_min`` under the plan in force: orders finished
  drop out, the order each line is sewing stays on it (pinned, first) with the pieces left, lines
  are free from ``now_min``.
- :func:`carry_on`: the plan in force kept as it is (same lines, same sequences) and timed again on
  the changed problem: what happens if nobody acts. New orders go to the end of the line where they
  end earliest, as a planner loading first come, first served would put them.
- :func:`reschedule`: advance, apply the events, then :func:`~seamline.brain.plan_solver.solve_plan`
  with the plan in force as its reference: a :class:`Proposal` with both plans, what changes and
  the explanation (:mod:`seamline.brain.explain`).
- :func:`replay`: a proposal's inputs solved again, to audit that the same plan comes out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass

from seamline.brain.explain import Explanation, explain
from seamline.brain.plan_errors import check_problem
from seamline.brain.plan_result import PlanMetrics, ProductionPlan, Stability
from seamline.brain.plan_solver import solve_plan
from seamline.brain.plan_tables import PlanTables
from seamline.brain.planning import PlanningProblem, WorkClock
from seamline.brain.reschedule_events import Event, apply_events


@dataclass(frozen=True, slots=True)
class OrderMove:
    """How one order's place changes between the plan in force and the proposal."""

    order_id: str
    change: str  # "moved" (another line), "retimed" (same line, other start), "new", "dropped"
    from_line: str | None
    to_line: str | None
    from_start_min: int | None
    to_start_min: int | None
    from_end_min: int | None
    to_end_min: int | None
    due_min: int | None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed plan beside the plan kept as it is, with the changes, figures and explanation.

    ``inputs`` holds everything needed to solve it again (:func:`replay`): the problem after the
    events, the plan in force, the events, time limit, seed, workers and stability weights.
    """

    id: str
    now_min: int
    events: tuple[Event, ...]
    problem: PlanningProblem
    current: ProductionPlan | None  # the plan in force, before advancing
    keep: ProductionPlan | None  # the plan in force, timed again on the changed problem
    plan: ProductionPlan  # the proposal
    moves: tuple[OrderMove, ...]
    explanation: Explanation
    time_limit_s: float
    seed: int
    workers: int
    stability: Stability
    elapsed_s: float

    @property
    def moved_orders(self) -> int:
        return sum(m.change == "moved" for m in self.moves)

    @property
    def start_deviation_min(self) -> int:
        return sum(
            abs(m.to_start_min - m.from_start_min)
            for m in self.moves
            if m.to_start_min is not None and m.from_start_min is not None
        )


def plan_orders(
    problem: PlanningProblem,
    time_limit_s: float = 5.0,
    seed: int = 0,
    workers: int = 1,
    *,
    events: tuple[Event, ...] = (),
    now_min: int = 0,
) -> Proposal:
    """A first plan for ``problem`` (after ``events``), as a proposal: nothing in force to compare."""
    began = time.perf_counter()
    problem = apply_events(problem, events)
    plan = solve_plan(problem, time_limit_s, seed, workers)
    moves = tuple(
        OrderMove(p.order_id, "new", None, p.line_id, None, p.start_min, None, p.end_min, p.due_min)
        for p in plan.orders
    )
    return _proposal(
        problem, now_min, events, None, None, plan, moves, time_limit_s, seed, workers, Stability(), began
    )


def advance(
    problem: PlanningProblem, plan: ProductionPlan, now_min: int, *, measured: bool = False
) -> PlanningProblem:
    """``problem`` at ``now_min`` under ``plan``: finished orders out, running ones pinned with the
    pieces left (in proportion to the working time done), lines free from ``now_min``.

    ``measured``: the problem's quantities are the pieces left as the production records count
    them (and finished orders are out already): only lines and running orders follow the plan.
    """
    lines = {line.id: line for line in problem.lines}
    clocks = {line.id: WorkClock(line) for line in problem.lines}
    orders = {o.id: o for o in problem.orders}
    styles: dict[str, str | None] = {}
    for p in sorted(plan.orders, key=lambda p: (p.line_id, p.sequence)):
        o = orders.get(p.order_id)
        if o is None or p.start_min >= now_min:
            continue
        styles[p.line_id] = o.style_id
        if p.end_min <= now_min:
            if not measured:
                del orders[o.id]
            continue
        if measured:
            if o.pinned_line is None:
                orders[o.id] = dataclasses.replace(o, pinned_line=p.line_id)
            continue
        clock = clocks[p.line_id]
        line = lines[p.line_id]
        sewing_from = p.start_min
        if p.setup_min > 0:
            sewing_from = clock.finish(p.start_min, p.setup_min)
        done = 0.0
        if now_min > sewing_from:
            worked = clock.worked(now_min) - clock.worked(sewing_from)
            total = line.run_min(problem.styles[o.style_id], o.quantity)
            done = min(1.0, worked / total) if total > 0 else 1.0
        left = max(1, round(o.quantity * (1.0 - done)))
        orders[o.id] = dataclasses.replace(o, quantity=left, pinned_line=p.line_id)
    new_lines = tuple(
        dataclasses.replace(
            line,
            free_min=max(line.free_min, now_min),
            current_style=styles.get(line.id, line.current_style),
        )
        for line in problem.lines
    )
    return dataclasses.replace(
        problem,
        lines=new_lines,
        orders=tuple(dataclasses.replace(o, release_min=max(o.release_min, 0)) for o in orders.values()),
    )


def carry_on(problem: PlanningProblem, plan: ProductionPlan) -> ProductionPlan:
    """``plan``'s lines and sequences kept, timed again on ``problem`` (see the module's text)."""
    check_problem(problem)
    tables = PlanTables(problem)
    seqs, placed = tables.kept(plan)
    for i in sorted(set(range(len(problem.orders))) - placed, key=lambda i: problem.orders[i].id):
        best = min(tables.eligible[i], key=lambda j: (tables.time_line(j, [*seqs[j], i])[-1].end_min, j))
        seqs[best].append(i)
    return tables.plan(seqs, status="feasible", lower_bound=None, elapsed_s=0.0, solver="carry-on", seed=0)


def reschedule(
    problem: PlanningProblem,
    current: ProductionPlan,
    events: tuple[Event, ...] | list[Event],
    now_min: int,
    time_limit_s: float = 3.0,
    seed: int = 0,
    workers: int = 1,
    *,
    stability: Stability | None = None,
    measured: bool = False,
) -> Proposal:
    """A proposal answering ``events`` at ``now_min``, changing ``current`` as little as pays
    (``measured``: see :func:`advance`)."""
    began = time.perf_counter()
    stab = stability or Stability()
    changed = apply_events(advance(problem, current, now_min, measured=measured), tuple(events))
    check_problem(changed)
    keep = carry_on(changed, current)
    plan = solve_plan(changed, time_limit_s, seed, workers, reference=keep, stability=stab)
    return _finish(
        changed, now_min, tuple(events), current, keep, plan, time_limit_s, seed, workers, stab, began
    )


def _finish(
    changed: PlanningProblem,
    now_min: int,
    events: tuple[Event, ...],
    current: ProductionPlan,
    keep: ProductionPlan,
    plan: ProductionPlan,
    time_limit_s: float,
    seed: int,
    workers: int,
    stab: Stability,
    began: float,
) -> Proposal:
    moves = _moves(current, keep, plan)
    return _proposal(
        changed, now_min, events, current, keep, plan, moves, time_limit_s, seed, workers, stab, began
    )


def _proposal(
    problem: PlanningProblem,
    now_min: int,
    events: tuple[Event, ...],
    current: ProductionPlan | None,
    keep: ProductionPlan | None,
    plan: ProductionPlan,
    moves: tuple[OrderMove, ...],
    time_limit_s: float,
    seed: int,
    workers: int,
    stab: Stability,
    began: float,
) -> Proposal:
    text = explain(problem, now_min, events, keep, plan, moves)
    digest = hashlib.sha256(
        json.dumps([now_min, [dataclasses.asdict(e) for e in events], plan.sequences(), seed]).encode()
    ).hexdigest()[:12]
    return Proposal(
        id=f"P-{digest}",
        now_min=now_min,
        events=events,
        problem=problem,
        current=current,
        keep=keep,
        plan=plan,
        moves=moves,
        explanation=text,
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        stability=stab,
        elapsed_s=round(time.perf_counter() - began, 3),
    )


def _moves(current: ProductionPlan, keep: ProductionPlan, plan: ProductionPlan) -> tuple[OrderMove, ...]:
    """Each order whose place differs between ``keep`` and ``plan``; orders the plan in force did
    not have are ``new`` (``keep`` has them too, loaded first come, first served)."""
    out = []
    before = {p.order_id: p for p in keep.orders}
    known = {p.order_id for p in current.orders}
    for p in sorted(plan.orders, key=lambda p: (p.line_id, p.sequence)):
        b = before.get(p.order_id)
        if b is None or p.order_id not in known:
            out.append(
                OrderMove(p.order_id, "new", None, p.line_id, None, p.start_min, None, p.end_min, p.due_min)
            )
        elif b.line_id != p.line_id or b.start_min != p.start_min:
            change = "moved" if b.line_id != p.line_id else "retimed"
            out.append(
                OrderMove(
                    p.order_id,
                    change,
                    b.line_id,
                    p.line_id,
                    b.start_min,
                    p.start_min,
                    b.end_min,
                    p.end_min,
                    p.due_min,
                )
            )
    after = {p.order_id for p in plan.orders}
    out.extend(
        OrderMove(b.order_id, "dropped", b.line_id, None, b.start_min, None, b.end_min, None, b.due_min)
        for b in keep.orders
        if b.order_id not in after
    )
    return tuple(out)


def replay(proposal: Proposal) -> tuple[Proposal, bool]:
    """Solve ``proposal``'s inputs again; the new proposal, and whether its plan is the same."""
    began = time.perf_counter()
    if proposal.keep is None or proposal.current is None:
        # the problem kept is the one after the events: solve it as it is
        again = dataclasses.replace(
            plan_orders(proposal.problem, proposal.time_limit_s, proposal.seed, proposal.workers),
            events=proposal.events,
            now_min=proposal.now_min,
        )
    else:
        plan = solve_plan(
            proposal.problem,
            proposal.time_limit_s,
            proposal.seed,
            proposal.workers,
            reference=proposal.keep,
            stability=proposal.stability,
        )
        again = _finish(
            proposal.problem,
            proposal.now_min,
            proposal.events,
            proposal.current,
            proposal.keep,
            plan,
            proposal.time_limit_s,
            proposal.seed,
            proposal.workers,
            proposal.stability,
            began,
        )
    same = [(p.order_id, p.line_id, p.start_min, p.end_min) for p in again.plan.orders] == [
        (p.order_id, p.line_id, p.start_min, p.end_min) for p in proposal.plan.orders
    ]
    return again, same


def shift_plan(plan: ProductionPlan, minutes: int) -> ProductionPlan:
    """``plan`` with every time ``minutes`` later: the same plan counted from an earlier minute 0."""
    orders = tuple(
        dataclasses.replace(
            p, start_min=p.start_min + minutes, end_min=p.end_min + minutes, due_min=p.due_min + minutes
        )
        for p in plan.orders
    )
    metrics = dataclasses.replace(plan.metrics, makespan_min=plan.metrics.makespan_min + minutes)
    return dataclasses.replace(plan, orders=orders, metrics=metrics)


def metrics_delta(before: PlanMetrics, after: PlanMetrics) -> dict[str, int]:
    """``after - before`` for each figure a planner compares."""
    return {
        "late_orders": after.late_orders - before.late_orders,
        "tardiness_min": after.tardiness_min - before.tardiness_min,
        "weighted_tardiness": after.weighted_tardiness - before.weighted_tardiness,
        "changeovers": after.changeovers - before.changeovers,
        "makespan_min": after.makespan_min - before.makespan_min,
    }


__all__ = [
    "OrderMove",
    "Proposal",
    "advance",
    "carry_on",
    "metrics_delta",
    "plan_orders",
    "replay",
    "reschedule",
    "shift_plan",
]
