"""The figures a planning solver looks up millions of times, computed once per problem.

:class:`PlanTables` holds each (order, line) pair's run time, each line's :class:`WorkClock`, and
times a line's sequence of orders (:meth:`PlanTables.time_line`); :meth:`PlanTables.plan` turns
sequences into a :class:`ProductionPlan` with its metrics. Orders and lines are numbered in the
problem's order; a sequence is a list of order numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from seamline.brain.plan_result import PlanMetrics, PlannedOrder, PlanStatus, ProductionPlan, Stability
from seamline.brain.planning import PlanningProblem, WorkClock

Sequences = list[list[int]]  # per line number: order numbers in sequence


@dataclass(frozen=True, slots=True)
class Timing:
    """One order timed on a line; ``end_w`` in the line's working minutes, ``cost`` and ``changes``
    cumulated along the line up to and including this order."""

    order: int
    start_min: int
    end_min: int
    setup_min: float
    changeover: bool
    end_w: float
    cost: float
    changes: int


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference plan as the solvers compare to it: each order's line number and start."""

    line: Mapping[int, int]
    start_min: Mapping[int, int]
    stability: Stability


class PlanTables:
    """Run times, setups and clocks of one problem; times sequences and scores them."""

    def __init__(self, problem: PlanningProblem, reference: Reference | None = None) -> None:
        self.problem = problem
        self.reference = reference
        self.orders = problem.orders
        self.lines = problem.lines
        self.clocks = [WorkClock(line) for line in problem.lines]
        self.order_index = {o.id: i for i, o in enumerate(problem.orders)}
        self.line_index = {line.id: i for i, line in enumerate(problem.lines)}
        self.eligible: list[list[int]] = [
            [self.line_index[line.id] for line in problem.eligible(o)] for o in problem.orders
        ]
        self.run: dict[tuple[int, int], float] = {
            (i, j): problem.lines[j].run_min(problem.styles[o.style_id], o.quantity)
            for i, o in enumerate(problem.orders)
            for j in self.eligible[i]
        }
        self._setup: dict[tuple[str | None, int, int], float] = {}
        self._ref_w: dict[tuple[int, int], float] = {}  # reference starts in each line's working time
        self.free = [line.free_min for line in problem.lines]
        self.free_w = [
            clock.worked(line.free_min) for clock, line in zip(self.clocks, problem.lines, strict=True)
        ]
        self.release_w: dict[tuple[int, int], float] = {}
        self.due_w: dict[tuple[int, int], float] = {}
        for i, o in enumerate(problem.orders):
            for j in self.eligible[i]:
                self.release_w[i, j] = self.clocks[j].worked(o.release_min)
                self.due_w[i, j] = self.clocks[j].worked(o.due_min)

    def setup(self, prev_style: str | None, order: int, line: int) -> float:
        key = (prev_style, order, line)
        value = self._setup.get(key)
        if value is None:
            value = self._setup[key] = self.problem.setup_min(
                self.lines[line], prev_style, self.orders[order]
            )
        return value

    def time_line(
        self, line: int, sequence: Sequence[int], prefix: Sequence[Timing] = (), keep: int = 0
    ) -> list[Timing]:
        """Each order of ``sequence`` timed on ``line``, back to back from the line's free time.

        Orders chain in the line's working minutes (so a stop or the night between them costs
        nothing), each starting when its predecessor ends, the line is free and it is released.
        ``prefix[:keep]`` are timings already known for ``sequence[:keep]`` (the same orders in
        the same places), reused instead of timed again.
        """
        clock = self.clocks[line]
        ref = self.reference
        prev = self.lines[line].current_style
        w = self.free_w[line]
        end = self.free[line]
        cost = 0.0
        changes = 0
        out = list(prefix[:keep])
        if keep:
            last = out[-1]
            w, end, cost, changes = last.end_w, last.end_min, last.cost, last.changes
            prev = self.orders[last.order].style_id
        for i in sequence[keep:]:
            o = self.orders[i]
            release = self.release_w[i, line]
            w = max(w, release)
            start = max(end, clock.start_at(w))
            setup = self.setup(prev, i, line)
            w += setup + self.run[i, line]
            end = clock.end_at(w)
            if end > o.due_min:
                cost += (end - o.due_min) * o.weight
            change = prev != o.style_id
            changes += change
            if ref is not None and i in ref.line:
                cost += self._stability(ref, i, line, w - setup - self.run[i, line])
            out.append(Timing(i, start, end, setup, change, w, cost, changes))
            prev = o.style_id
        return out

    def line_cost(
        self, line: int, sequence: Sequence[int], prefix: Sequence[Timing] = (), keep: int = 0
    ) -> tuple[int, int, int]:
        """``(weighted tardiness + stability cost, changeovers, end)`` of one line's sequence."""
        # only late orders need their wall-clock end, the others are judged in working minutes
        # against their due date there
        ref = self.reference
        clock = self.clocks[line]
        prev = self.lines[line].current_style
        w = self.free_w[line]
        cost = 0.0
        changes = 0
        if keep:
            last = prefix[keep - 1]
            w, cost, changes = last.end_w, last.cost, last.changes
            prev = self.orders[last.order].style_id
        orders = self.orders
        run = self.run
        release_w = self.release_w
        due_w = self.due_w
        for i in sequence[keep:]:
            o = orders[i]
            release = release_w[i, line]
            w = max(w, release)
            if ref is not None and i in ref.line:
                cost += self._stability(ref, i, line, w)
            w += self.setup(prev, i, line) + run[i, line]
            if w > due_w[i, line] + 1e-9:
                cost += (clock.end_at(w) - o.due_min) * o.weight
            if prev != o.style_id:
                changes += 1
                prev = o.style_id
        end = clock.end_at(w) if len(sequence) else 0
        return (round(cost), changes, end)

    def _stability(self, ref: Reference, order: int, line: int, start_w: float) -> float:
        """What leaving the reference costs: moving the order to ``line``, and shifting its start.

        The shift is counted in the line's working minutes (a start moved from 16:30 to 08:00 next
        morning has not moved in working time); the plan's metrics report wall-clock minutes.
        """
        cost = ref.stability.moved_order_min if ref.line[order] != line else 0.0
        key = (order, line)
        target = self._ref_w.get(key)
        if target is None:
            target = self._ref_w[key] = self.clocks[line].worked(ref.start_min[order])
        return cost + abs(start_w - target) * ref.stability.deviation_per_min

    @staticmethod
    def cost_of(line: int, timings: Sequence[Timing]) -> tuple[int, int, int]:
        """The cost of a timed line (see :meth:`line_cost`)."""
        if not timings:
            return (0, 0, 0)
        last = timings[-1]
        return (round(last.cost), last.changes, last.end_min)

    def kept(self, plan: ProductionPlan) -> tuple[Sequences, set[int]]:
        """The running (pinned) orders first on their lines, then ``plan``'s orders on the lines and
        in the order ``plan`` has them, where they still are and may be; and the orders so placed."""
        seqs: Sequences = [[] for _ in self.lines]
        placed: set[int] = set()
        for i, o in enumerate(self.orders):
            if o.pinned_line is not None:
                seqs[self.line_index[o.pinned_line]].append(i)
                placed.add(i)
        for p in sorted(plan.orders, key=lambda p: (p.line_id, p.sequence)):
            k = self.order_index.get(p.order_id)
            j = self.line_index.get(p.line_id)
            if k is None or j is None or k in placed or j not in self.eligible[k]:
                continue
            seqs[j].append(k)
            placed.add(k)
        return seqs, placed

    def total(self, costs: Sequence[tuple[int, int, int]]) -> tuple[int, int, int]:
        """The plan's key from its lines' costs: sums, and the latest end."""
        return (sum(c[0] for c in costs), sum(c[1] for c in costs), max((c[2] for c in costs), default=0))

    def plan(
        self,
        sequences: Sequences,
        *,
        status: PlanStatus,
        lower_bound: int | None,
        elapsed_s: float,
        solver: str,
        seed: int,
        notes: tuple[str, ...] = (),
    ) -> ProductionPlan:
        """The plan these sequences make, with its metrics."""
        planned: list[PlannedOrder] = []
        for j, seq in enumerate(sequences):
            for k, tm in enumerate(self.time_line(j, seq)):
                o = self.orders[tm.order]
                planned.append(
                    PlannedOrder(
                        order_id=o.id,
                        line_id=self.lines[j].id,
                        sequence=k,
                        start_min=tm.start_min,
                        end_min=tm.end_min,
                        setup_min=round(tm.setup_min, 1),
                        changeover=tm.changeover,
                        quantity=o.quantity,
                        due_min=o.due_min,
                        tardiness_min=max(0, tm.end_min - o.due_min),
                        weight=o.weight,
                    )
                )
        metrics = plan_metrics(planned, self.reference, self.line_index, self.order_index)
        return ProductionPlan(
            orders=tuple(planned),
            metrics=metrics,
            status=status,
            objective=metrics.weighted_tardiness + metrics.stability_cost,
            lower_bound=lower_bound,
            elapsed_s=round(elapsed_s, 3),
            solver=solver,
            seed=seed,
            notes=notes,
        )

    def lower_bound(self) -> int:
        """Each order alone on its fastest eligible line, from that line's free time, without a
        changeover: the weighted tardiness no plan can beat (stability costs not counted)."""
        total = 0
        for i, o in enumerate(self.orders):
            best = None
            for j in self.eligible[i]:
                w = max(self.free_w[j], self.release_w[i, j]) + self.run[i, j]
                end = self.clocks[j].end_at(w)
                best = end if best is None else min(best, end)
            assert best is not None  # check_problem makes sure every order has a line
            total += max(0, best - o.due_min) * o.weight
        return total


def plan_metrics(
    planned: Sequence[PlannedOrder],
    reference: Reference | None,
    line_index: Mapping[str, int],
    order_index: Mapping[str, int],
) -> PlanMetrics:
    """The figures of planned orders (and their distance from ``reference``)."""
    moved = deviation = 0
    stability = 0.0
    for p in planned:
        i = order_index[p.order_id]
        if reference is not None and i in reference.line:
            m = reference.line[i] != line_index[p.line_id]
            d = abs(p.start_min - reference.start_min[i])
            moved += m
            deviation += d
            stability += m * reference.stability.moved_order_min + d * reference.stability.deviation_per_min
    late = [p for p in planned if p.tardiness_min > 0]
    # rounding per line (as the solvers score) and here in one sum may differ by a minute or two;
    # the solvers compare plans by their own per-line sums, the metrics report the plan's own.
    return PlanMetrics(
        weighted_tardiness=sum(p.tardiness_min * p.weight for p in late),
        late_orders=len(late),
        tardiness_min=sum(p.tardiness_min for p in late),
        changeovers=sum(p.changeover for p in planned),
        makespan_min=max((p.end_min for p in planned), default=0),
        moved_orders=moved,
        start_deviation_min=deviation,
        stability_cost=round(stability),
    )


__all__ = ["PlanTables", "Reference", "Sequences", "Timing", "plan_metrics"]
