"""CP-SAT on the order plan: a small problem's orders re-assigned and re-sequenced as a whole.

The model: each order there chooses one of them (a presence literal per eligible
line); each line is a circuit through its orders (CP-SAT's ``AddCircuit``, a skipped order taking
its self-loop), so the changeover and learning loss before an order depend on the order before it.
Times are in the line's *working* minutes (its calendar and slow windows folded out): start after
the line is free and the order released, end = start + run time, each arc pushing the next order
after the previous one's end plus its setup. Weighted tardiness (and the stability cost of leaving
the reference plan) come first in the objective, changeovers second; makespan stays with the local
search. A solution is only a candidate: it is timed again on the wall clock by
:class:`~seamline.brain.plan_tables.PlanTables` and kept only when the exact objective improves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from seamline.brain.cpsat import run
from seamline.brain.plan_tables import PlanTables, Sequences

Key = tuple[int, int, int]
MAX_ORDERS = 36  # CP-SAT takes problems up to this size: the circuit has their square of arcs per line
BUDGET_S = 2.0  # CP-SAT's budget, in seconds of deterministic time at the rate below
# CP-SAT's deterministic time per second with one worker on these models (24 orders on 3 lines:
# 0.29 units a second on the development machine); see seamline.brain.cpsat
PLAN_DETERMINISTIC_PER_S = 0.3


def improve_with_cpsat(
    tables: PlanTables,
    seqs: Sequences,
    key: Callable[[Sequences], Key],
    *,
    deadline: float,
    seed: int,
    workers: int,
    pinned: list[int],
) -> tuple[Sequences, str]:
    """The whole problem (up to :data:`MAX_ORDERS` orders) to CP-SAT, hinted with ``seqs``, for at
    most :data:`BUDGET_S` of its deterministic time (or until ``deadline``); the sequences it finds
    when they are better, else ``seqs``; and a note for the plan."""
    left = deadline - time.perf_counter()
    if len(tables.orders) > MAX_ORDERS or not tables.orders or left < 0.05:
        return seqs, "CP-SAT: not run (too many orders, or no time left)"
    # the deterministic budget normally ends the run first: the same seed, the same answer
    rate = PLAN_DETERMINISTIC_PER_S * min(BUDGET_S, left) / left
    found = _solve_lines(tables, seqs, list(range(len(tables.lines))), pinned, left, seed, workers, rate)
    if found is None:
        return seqs, "CP-SAT: no solution within its budget"
    cand, proved = found
    if key(cand) < key(seqs):
        return cand, "CP-SAT: improved the plan" + (" (optimal for its model)" if proved else "")
    return seqs, "CP-SAT: no better plan" + (" (the model's optimum is no better)" if proved else "")


@dataclass(slots=True)
class _Model:
    """One neighbourhood's CP-SAT model and the variables read back from it."""

    m: cp_model.CpModel
    present: dict[tuple[int, int], cp_model.IntVar]
    starts: dict[tuple[int, int], cp_model.IntVar]
    arcs: dict[tuple[int, int, int], cp_model.IntVar]  # (from, to, line); -1 is the line's depot
    primary: list[cp_model.LinearExprT]
    changes: list[cp_model.IntVar]


def _solve_lines(
    tables: PlanTables,
    seqs: Sequences,
    lines: list[int],
    pinned: list[int],
    time_limit_s: float,
    seed: int,
    workers: int,
    rate: float = 0.0,
) -> tuple[Sequences, bool] | None:
    """Re-plan the orders of ``lines`` among them; None when CP-SAT finds nothing in time."""
    cut = {j: pinned[j] for j in lines}
    orders = [i for j in lines for i in seqs[j][pinned[j] :]]
    if len(orders) > MAX_ORDERS:
        # keep the neighbourhood small: the earliest orders of each line stay where they are
        cut = {j: max(pinned[j], len(seqs[j]) - MAX_ORDERS // len(lines)) for j in lines}
        orders = [i for j in lines for i in seqs[j][cut[j] :]]
    if not orders:
        return None
    model = _Model(cp_model.CpModel(), {}, {}, {}, [], [])
    for j in lines:
        _add_line(tables, model, j, seqs[j][: cut[j]], [i for i in orders if j in tables.eligible[i]])
    for i in orders:
        model.m.add_exactly_one(model.present[i, j] for j in lines if (i, j) in model.present)
    model.m.minimize(
        (len(model.changes) + 1) * cp_model.LinearExpr.sum(model.primary)
        + cp_model.LinearExpr.sum(model.changes)
    )
    for j in lines:
        _hint(tables, model, j, seqs[j][: cut[j]], seqs[j][cut[j] :])
    solver, outcome = run(
        model.m,
        time_limit_s=max(time_limit_s, 0.05),
        seed=seed,
        workers=workers,
        deterministic_per_s=rate or PLAN_DETERMINISTIC_PER_S,
    )
    if not outcome.solved:
        return None
    out = [list(s) for s in seqs]
    for j in lines:
        chosen = [i for i in orders if (i, j) in model.present and solver.value(model.present[i, j])]
        chosen.sort(key=lambda i: (solver.value(model.starts[i, j]), i))
        out[j] = seqs[j][: cut[j]] + chosen
    return out, outcome.proved


def _add_line(tables: PlanTables, model: _Model, j: int, fixed: list[int], mine: list[int]) -> None:
    """Line ``j``'s part: presence, start and lateness per order, the circuit, the stability costs."""
    t = tables
    m = model.m
    timed = t.time_line(j, fixed)
    free_w = math.ceil(timed[-1].end_w if timed else t.free_w[j])
    prev_style = t.orders[fixed[-1]].style_id if fixed else t.lines[j].current_style
    horizon = free_w + sum(math.ceil(t.run[i, j] + t.setup(None, i, j)) for i in mine)
    horizon += max((math.ceil(t.release_w[i, j]) for i in mine), default=0) + 1
    for i in mine:
        x = model.present[i, j] = m.new_bool_var(f"x{i}_{j}")
        s = model.starts[i, j] = m.new_int_var(0, horizon, f"s{i}_{j}")
        m.add(s >= math.ceil(t.release_w[i, j])).only_enforce_if(x)
        late = m.new_int_var(0, horizon, f"l{i}_{j}")
        m.add(late >= s + math.ceil(t.run[i, j]) - math.floor(t.due_w[i, j])).only_enforce_if(x)
        model.primary.append(100 * t.orders[i].weight * late)
        ref = t.reference
        if ref is not None and i in ref.line:
            if ref.line[i] != j:
                model.primary.append(round(100 * ref.stability.moved_order_min) * x)
            r = math.ceil(t.clocks[j].worked(ref.start_min[i]))
            dev = m.new_int_var(0, horizon + r, f"d{i}_{j}")
            m.add(dev >= s - r).only_enforce_if(x)
            m.add(dev >= r - s).only_enforce_if(x)
            model.primary.append(round(100 * ref.stability.deviation_per_min) * dev)
    node = {i: k + 1 for k, i in enumerate(mine)}
    circuit: list[tuple[int, int, cp_model.LiteralT]] = [(0, 0, m.new_bool_var(f"empty{j}"))]
    for i in mine:
        style = t.orders[i].style_id
        circuit.append((node[i], node[i], ~model.present[i, j]))
        first = model.arcs[-1, i, j] = m.new_bool_var(f"f{i}_{j}")
        circuit.append((0, node[i], first))
        m.add(model.starts[i, j] >= free_w + math.ceil(t.setup(prev_style, i, j))).only_enforce_if(first)
        if prev_style != style:
            model.changes.append(first)
        last = model.arcs[i, -1, j] = m.new_bool_var(f"z{i}_{j}")
        circuit.append((node[i], 0, last))
        for k in mine:
            if k == i:
                continue
            lit = model.arcs[i, k, j] = m.new_bool_var(f"a{i}_{k}_{j}")
            circuit.append((node[i], node[k], lit))
            gap = math.ceil(t.run[i, j]) + math.ceil(t.setup(style, k, j))
            m.add(model.starts[k, j] >= model.starts[i, j] + gap).only_enforce_if(lit)
            if style != t.orders[k].style_id:
                model.changes.append(lit)
    m.add_circuit(circuit)


def _hint(tables: PlanTables, model: _Model, j: int, fixed: list[int], seq: list[int]) -> None:
    """The current sequence of line ``j`` as a complete hint: presences, arcs and starts."""
    t = tables
    timed = t.time_line(j, fixed)
    end = math.ceil(timed[-1].end_w if timed else t.free_w[j])
    style = t.orders[fixed[-1]].style_id if fixed else t.lines[j].current_style
    on = set(seq)
    for (i, jj), x in model.present.items():
        if jj == j:
            model.m.add_hint(x, i in on)
    used = {(a, b) for a, b in zip([-1, *seq], [*seq, -1], strict=True)}
    for (a, b, jj), lit in model.arcs.items():
        if jj == j:
            model.m.add_hint(lit, (a, b) in used)
    for i in seq:
        start = max(end + math.ceil(t.setup(style, i, j)), math.ceil(t.release_w[i, j]))
        model.m.add_hint(model.starts[i, j], start)
        end = start + math.ceil(t.run[i, j])
        style = t.orders[i].style_id


__all__ = ["improve_with_cpsat"]
