"""Order scheduling: orders onto lines, minimising weighted tardiness, then changeovers, then makespan.

:func:`solve_plan` runs three steps within its time limit, each keeping the best plan so far:

1. *Loading*: orders by priority, then due date (earliest first), each appended to the line where
   it ends least late, then earliest (the planner's first-come loading). With a reference plan, the
   reference's sequences are the start instead, new orders inserted where they cost least.
2. *Local search*: move one order to another place (on its line or another), or swap two orders,
   whenever that lowers the objective; places tried are next to an order of the same style (one
   changeover fewer), near the order's due-date rank, and the ends of each line. Then *iterated*:
   a few orders of the best plan put back at random, the search run again, the result kept when
   better, up to :data:`MAX_KICKS` times.
3. *CP-SAT*, with the time the search leaves, when the problem is small: the whole problem with a
   circuit per line (sequence-dependent changeovers), hinted with the best plan
   (:mod:`.plan_cpsat`). Measured on synthetic floors of 24 to 200 orders it has not yet beaten
   the iterated search in the same time (two lines at a time, as large-neighbourhood search, it
   did not either); the plan's ``notes`` say what each step did.

Orders already running (``pinned_line``) stay first on their line. With a ``reference`` plan (the
plan in force), moving an order to another line and shifting its start cost what ``stability``
says, so the new plan changes only what pays. Same problem, time limit and seed: same plan, unless
the wall clock stops a step first (a large problem, a short limit, a loaded machine). ``status`` is
``optimal`` when the weighted tardiness meets its lower bound. Every plan is validated
(:func:`~seamline.brain.plan_check.check_plan`) before it is returned.
"""

from __future__ import annotations

import dataclasses
import random
import time

from seamline.brain.plan_check import check_plan
from seamline.brain.plan_cpsat import improve_with_cpsat
from seamline.brain.plan_errors import check_problem
from seamline.brain.plan_result import ProductionPlan, Stability
from seamline.brain.plan_tables import PlanTables, Reference, Sequences, Timing
from seamline.brain.planning import PlanningProblem

Key = tuple[int, int, int]
MAX_KICKS = 50  # iterated local search: at most this many kicks (the same seed, the same plan)


def solve_plan(
    problem: PlanningProblem,
    time_limit_s: float = 5.0,
    seed: int = 0,
    workers: int = 1,
    *,
    reference: ProductionPlan | None = None,
    stability: Stability | None = None,
    cpsat: bool = True,
) -> ProductionPlan:
    """The best plan found for ``problem`` within ``time_limit_s`` (see the module's text)."""
    began = time.perf_counter()
    deadline = began + time_limit_s
    check_problem(problem)
    ref = _reference(problem, reference, stability or Stability())
    tables = PlanTables(problem, ref)
    search = _Search(tables, random.Random(seed))
    start = search.load_reference(reference) if reference is not None else None
    loaded = search.load()
    seqs = loaded
    if start is not None and search.key(start) <= search.key(loaded):
        seqs = start
    # the local search stops when no move improves the plan, the kicks after MAX_KICKS: CP-SAT gets
    # what time is left (on these models it has not beaten the kicked search in the same time)
    seqs = search.improve(seqs, deadline)
    seqs = search.iterate(seqs, deadline)
    notes = [
        f"loading and local search: {search.moves} moves in {search.passes} passes,"
        f" {search.kicks} kicks ({search.kept} kept)"
    ]
    if cpsat and time.perf_counter() < deadline - 0.05:
        seqs, note = improve_with_cpsat(
            tables, seqs, search.key, deadline=deadline, seed=seed, workers=workers, pinned=search.pinned
        )
        notes.append(note)
    lower = tables.lower_bound()
    plan = tables.plan(
        seqs,
        status="feasible",
        lower_bound=lower,
        elapsed_s=time.perf_counter() - began,
        solver="brain" if cpsat else "brain-no-cpsat",
        seed=seed,
        notes=tuple(notes),
    )
    if plan.objective == lower:  # no plan is less late: the first objective is proved optimal
        plan = dataclasses.replace(plan, status="optimal")
    check_plan(problem, plan)
    return plan


def _reference(
    problem: PlanningProblem, reference: ProductionPlan | None, stability: Stability
) -> Reference | None:
    if reference is None:
        return None
    orders = {o.id: i for i, o in enumerate(problem.orders)}
    lines = {line.id: j for j, line in enumerate(problem.lines)}
    kept = [p for p in reference.orders if p.order_id in orders and p.line_id in lines]
    return Reference(
        line={orders[p.order_id]: lines[p.line_id] for p in kept},
        start_min={orders[p.order_id]: p.start_min for p in kept},
        stability=stability,
    )


class _Search:
    """Loading and local search over line sequences; ``key`` is the lexicographic objective."""

    def __init__(self, tables: PlanTables, rng: random.Random) -> None:
        self.t = tables
        self.rng = rng
        self.moves = 0
        self.passes = 0
        self.kicks = 0
        self.kept = 0
        self._timed: list[list[Timing]] = []
        n_lines = len(tables.lines)
        self.pinned = [0] * n_lines  # orders at the head of each line that never move
        self._pinned_seq: list[list[int]] = [[] for _ in range(n_lines)]
        for i, o in enumerate(tables.orders):
            if o.pinned_line is not None:
                j = tables.line_index[o.pinned_line]
                self._pinned_seq[j].append(i)
                self.pinned[j] += 1

    def key(self, seqs: Sequences) -> Key:
        return self.t.total([self.t.line_cost(j, s) for j, s in enumerate(seqs)])

    def load(self) -> Sequences:
        """Priority, then due date, each order appended where it ends least late, then earliest."""
        t = self.t
        seqs = [list(p) for p in self._pinned_seq]
        work = [0.0] * len(seqs)  # each line's working minutes loaded so far
        style: list[str | None] = [line.current_style for line in t.lines]
        for j, seq in enumerate(seqs):
            timed = t.time_line(j, seq)
            work[j] = timed[-1].end_w if timed else t.free_w[j]
            if seq:
                style[j] = t.orders[seq[-1]].style_id
        todo = [i for i, o in enumerate(t.orders) if o.pinned_line is None]
        todo.sort(key=lambda i: (-t.orders[i].priority, t.orders[i].due_min, t.orders[i].id))
        for i in todo:
            o = t.orders[i]
            best: tuple[int, int, int, float] | None = None
            for j in t.eligible[i]:
                w = max(work[j], t.release_w[i, j]) + t.setup(style[j], i, j) + t.run[i, j]
                end = t.clocks[j].end_at(w)
                cand = (max(0, end - o.due_min) * o.weight, end, j, w)
                if best is None or cand < best:
                    best = cand
            assert best is not None
            j = best[2]
            seqs[j].append(i)
            work[j] = best[3]
            style[j] = o.style_id
        return seqs

    def load_reference(self, reference: ProductionPlan) -> Sequences:
        """The reference's sequences for the orders still there; new orders at their cheapest place."""
        t = self.t
        seqs, placed = t.kept(reference)
        new = [i for i in range(len(t.orders)) if i not in placed]
        new.sort(key=lambda i: (-t.orders[i].priority, t.orders[i].due_min, t.orders[i].id))
        costs = [t.line_cost(j, s) for j, s in enumerate(seqs)]
        for i in new:
            best: tuple[Key, int, int] | None = None
            for j in t.eligible[i]:
                for pos in range(self.pinned[j], len(seqs[j]) + 1):
                    trial = [*seqs[j][:pos], i, *seqs[j][pos:]]
                    c = t.line_cost(j, trial)
                    delta = (c[0] - costs[j][0], c[1] - costs[j][1], c[2])
                    if best is None or (delta, j, pos) < (best[0], best[1], best[2]):
                        best = (delta, j, pos)
            assert best is not None
            _, j, pos = best
            seqs[j].insert(pos, i)
            costs[j] = t.line_cost(j, seqs[j])
        return seqs

    def improve(self, seqs: Sequences, deadline: float) -> Sequences:
        """Relocate and swap moves, first improvement, until none improves or time is up."""
        t = self.t
        seqs = [list(s) for s in seqs]
        self._timed = [t.time_line(j, s) for j, s in enumerate(seqs)]
        costs = [t.cost_of(j, tm) for j, tm in enumerate(self._timed)]
        improved = True
        while improved and time.perf_counter() < deadline:
            self.passes += 1
            improved = False
            where = {i: j for j, s in enumerate(seqs) for i in s}
            order = [i for i in range(len(t.orders)) if t.orders[i].pinned_line is None]
            self.rng.shuffle(order)
            for i in order:
                if time.perf_counter() >= deadline:
                    break
                if self._relocate(i, where[i], seqs, costs) or self._swap(i, where, seqs, costs):
                    improved = True
                    where = {k: j for j, s in enumerate(seqs) for k in s}
        return seqs

    def iterate(self, seqs: Sequences, deadline: float) -> Sequences:
        """Iterated local search: kick the best plan (a few orders moved at random), search again,
        keep the result when it is better; until ``deadline`` or :data:`MAX_KICKS` kicks."""
        best = seqs
        best_key = self.key(best)
        size = max(2, min(8, len(self.t.orders) // 20))
        while self.kicks < MAX_KICKS and time.perf_counter() < deadline:
            self.kicks += 1
            cand = self.improve(self._kick(best, size), deadline)
            cand_key = self.key(cand)
            if cand_key < best_key:
                best, best_key = cand, cand_key
                self.kept += 1
        return best

    def _kick(self, seqs: Sequences, size: int) -> Sequences:
        """``seqs`` with ``size`` orders taken out and put back at random places they may go."""
        out = [list(s) for s in seqs]
        movable = [i for j, s in enumerate(out) for i in s[self.pinned[j] :]]
        for i in self.rng.sample(movable, min(size, len(movable))):
            for s in out:
                if i in s:
                    s.remove(i)
            j = self.rng.choice(self.t.eligible[i])
            out[j].insert(self.rng.randint(self.pinned[j], len(out[j])), i)
        return out

    def _set(self, j: int, seq: list[int], seqs: Sequences, costs: list[Key]) -> None:
        seqs[j] = seq
        self._timed[j] = self.t.time_line(j, seq)
        costs[j] = self.t.cost_of(j, self._timed[j])

    def _gain(self, old: list[Key], new: list[Key], rest: list[Key]) -> bool:
        """Whether replacing lines' costs ``old`` by ``new`` (the others ``rest``) lowers the key."""
        a = (sum(c[0] for c in old), sum(c[1] for c in old))
        b = (sum(c[0] for c in new), sum(c[1] for c in new))
        if b != a:
            return b < a
        others = max((c[2] for c in rest), default=0)
        return max(others, *(c[2] for c in new)) < max(others, *(c[2] for c in old))

    def _positions(self, i: int, j: int, seq: list[int]) -> list[int]:
        """Where to try ``i`` on line ``j``: beside same-style orders, near its due rank, the ends."""
        t = self.t
        o = t.orders[i]
        lo = self.pinned[j]
        cand = {lo, len(seq)}
        rank = lo
        while rank < len(seq) and t.orders[seq[rank]].due_min <= o.due_min:
            rank += 1
        cand.update(range(max(lo, rank - 2), min(len(seq), rank + 2) + 1))
        for k, x in enumerate(seq):
            if t.orders[x].style_id == o.style_id:
                cand.update((max(lo, k), k + 1))
        return sorted(p for p in cand if lo <= p <= len(seq))

    def _relocate(self, i: int, a: int, seqs: Sequences, costs: list[Key]) -> bool:
        t = self.t
        k = seqs[a].index(i)
        src = seqs[a][:k] + seqs[a][k + 1 :]
        src_cost = t.line_cost(a, src, self._timed[a], k)
        for b in t.eligible[i]:
            base = src if b == a else seqs[b]
            rest = _others(costs, a, b)
            for pos in self._positions(i, b, base):
                trial = [*base[:pos], i, *base[pos:]]
                if b == a:
                    if pos == k:
                        continue
                    new = t.line_cost(a, trial, self._timed[a], min(pos, k))
                    if self._gain([costs[a]], [new], rest):
                        self._set(a, trial, seqs, costs)
                        self.moves += 1
                        return True
                    continue
                nb = t.line_cost(b, trial, self._timed[b], pos)
                if self._gain([costs[a], costs[b]], [src_cost, nb], rest):
                    self._set(a, src, seqs, costs)
                    self._set(b, trial, seqs, costs)
                    self.moves += 1
                    return True
        return False

    def _swap(self, i: int, where: dict[int, int], seqs: Sequences, costs: list[Key]) -> bool:
        """Swap ``i`` with an order of another line near its due-date rank there."""
        t = self.t
        a = where[i]
        pa = seqs[a].index(i)
        for b in t.eligible[i]:
            if b == a:
                continue
            rest = _others(costs, a, b)
            for pb in self._positions(i, b, seqs[b]):
                if pb >= len(seqs[b]):
                    continue
                k = seqs[b][pb]
                if a not in t.eligible[k] or t.orders[k].pinned_line is not None:
                    continue
                na, nb = list(seqs[a]), list(seqs[b])
                na[pa], nb[pb] = k, i
                ca = t.line_cost(a, na, self._timed[a], pa)
                cb = t.line_cost(b, nb, self._timed[b], pb)
                if self._gain([costs[a], costs[b]], [ca, cb], rest):
                    self._set(a, na, seqs, costs)
                    self._set(b, nb, seqs, costs)
                    self.moves += 1
                    return True
        return False


def _others(costs: list[Key], *skip: int) -> list[Key]:
    return [c for j, c in enumerate(costs) if j not in skip]


__all__ = ["solve_plan"]
