"""Balancing a sewing line: which operator does which share of which operation of a style.

The problem (apparel-domain.md 5.1): a style's operations (SAM, machine type, precedence), the
operators at work with their efficiency on each operation (``p = SAM / efficiency`` minutes per
piece; no efficiency: cannot do it) and the machines of each type on the line. Each operator works
at one machine, so takes operations of one machine type only; an operation may be split across
operators (parallel stations); no more operators run a machine type than it has machines. Minimise
the cycle time ``c`` (the largest operator's minutes per piece), which maximises the line's output,
``60 / c`` pieces per hour; among plans with that cycle time, prefer fewer splits. In a progressive
bundle system bundles wait between operations, so precedence does not constrain who does what.

The model is OR-Tools CP-SAT: for each operator a machine type (a choice among those it has
machines for), for each (operator, operation) a share in percent; loads in centiseconds per piece.
The result passes :func:`check_balance` before it is returned.

>>> ops = (SewingOperation("a", "collar", 2.0, "snls"), SewingOperation("b", "side seam", 1.0, "overlock"))
>>> people = (LineOperator("w1", {"a": 1.0, "b": 1.0}), LineOperator("w2", {"a": 1.0, "b": 0.5}),
...           LineOperator("w3", {"b": 1.0}))
>>> r = balance_line(SewingBalanceProblem("TEE", ops, people, {"snls": 2, "overlock": 1}), time_limit_s=5)
>>> r.cycle_min, r.pieces_per_hour, r.status
(1.0, 60.0, 'optimal')
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from seamline.brain.cpsat import ALWABP_DETERMINISTIC_PER_S, run
from seamline.brain.errors import InfeasibleProblemError, InvalidSolutionError, NoSolutionFoundError
from seamline.brain.precedence import find_cycle

SHARE = 100  # shares in percent
MAX_OPERATIONS = 4  # per operator, as a balance sheet a supervisor can follow
CS_PER_MIN = 6000  # loads in centiseconds


@dataclass(frozen=True, slots=True)
class SewingOperation:
    """One operation of a style's bulletin."""

    id: str
    name: str
    sam_min: float
    machine_type: str
    predecessors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LineOperator:
    """An operator at work, with their efficiency (1.0 = SAM pace) on each operation they can do."""

    id: str
    efficiency: Mapping[str, float] = field(hash=False)
    name: str = ""


@dataclass(frozen=True)
class SewingBalanceProblem:
    """A style on a line: its operations, the operators present and the machines of each type."""

    style_id: str
    operations: tuple[SewingOperation, ...]
    operators: tuple[LineOperator, ...]
    machines: Mapping[str, int] = field(hash=False)


@dataclass(frozen=True, slots=True)
class Assignment:
    """``share`` (0-1) of an operation's pieces done by an operator, costing ``minutes`` per piece."""

    operator_id: str
    operation_id: str
    share: float
    minutes: float


@dataclass(frozen=True, slots=True)
class BalanceResult:
    """A balance: the assignments, each operator's load (minutes per garment), the cycle time."""

    style_id: str
    assignments: tuple[Assignment, ...]
    machine_of: Mapping[str, str] = field(hash=False)  # operator -> machine type
    loads: Mapping[str, float] = field(hash=False)  # operator -> minutes per garment
    cycle_min: float
    lower_bound_min: float
    status: str
    elapsed_s: float

    @property
    def pieces_per_hour(self) -> float:
        return round(60.0 / self.cycle_min, 1) if self.cycle_min > 0 else 0.0

    @property
    def balance_loss_pct(self) -> float:
        """The share of working time spent waiting for the bottleneck: 1 - mean load / cycle time."""
        working = [v for v in self.loads.values() if v > 0]
        if not working or self.cycle_min <= 0:
            return 0.0
        return round(100.0 * (1.0 - sum(working) / (len(working) * self.cycle_min)), 1)

    @property
    def bottleneck(self) -> str | None:
        """The operator with the largest load (the line's pace)."""
        return max(self.loads, key=lambda k: (self.loads[k], k)) if self.loads else None


def check_problem(problem: SewingBalanceProblem) -> None:
    """Refuse a problem with no balance at all, naming the culprit."""
    index = {op.id: i for i, op in enumerate(problem.operations)}
    for op in problem.operations:
        for pred in op.predecessors:
            if pred not in index:
                raise InfeasibleProblemError(
                    f"operation {op.id} follows {pred}, which is not in the bulletin",
                    culprit={"operation": op.id, "predecessor": pred},
                    reason="invalid_problem",
                )
    arcs = [(index[pred], index[op.id]) for op in problem.operations for pred in op.predecessors]
    cycle = find_cycle(len(index), arcs)
    if cycle is not None:
        names = [problem.operations[i].id for i in cycle]
        raise InfeasibleProblemError(
            f"the operations' precedences go round in a circle: {' -> '.join(names)}",
            culprit={"operations": names},
            reason="precedence_cycle",
        )
    for op in problem.operations:
        if problem.machines.get(op.machine_type, 0) < 1:
            raise InfeasibleProblemError(
                f"operation {op.id} ({op.name}) needs a {op.machine_type} machine and the line has none",
                culprit={"operation": op.id, "machine_type": op.machine_type},
                reason="no_eligible_machine",
            )
        if not any(w.efficiency.get(op.id, 0.0) > 0 for w in problem.operators):
            raise InfeasibleProblemError(
                f"no operator present can do operation {op.id} ({op.name})",
                culprit={"operation": op.id},
                reason="no_eligible_worker",
            )


def balance_line(
    problem: SewingBalanceProblem, time_limit_s: float = 2.0, seed: int = 0, workers: int = 1
) -> BalanceResult:
    """The shortest cycle time found within ``time_limit_s``, with the fewest splits for it."""
    began = time.perf_counter()
    check_problem(problem)
    ops, people = problem.operations, problem.operators
    types = sorted({op.machine_type for op in ops})
    p = {  # centiseconds per piece for the whole operation
        (w.id, op.id): round(op.sam_min * CS_PER_MIN / w.efficiency[op.id])
        for w in people
        for op in ops
        if w.efficiency.get(op.id, 0.0) > 0
    }
    start = wrap_around(problem, p)
    values: tuple[dict[str, str], dict[tuple[str, str], int]] | None = start
    proved, bound_cs = False, 0
    if start is not None:  # first the shares alone, each operator on the machine type it starts on
        got = _solve(
            problem, p, types, start, fixed=True, time_limit_s=0.3 * time_limit_s, seed=seed, workers=workers
        )
        if got is not None:
            values = got[0]
    got = _solve(
        problem, p, types, values, fixed=False, time_limit_s=0.65 * time_limit_s, seed=seed, workers=workers
    )
    if got is not None:
        values, proved, bound_cs = got
    if values is None:
        raise NoSolutionFoundError("sewing line balance", time_limit_s)
    machine_of, shares = values
    assignments = tuple(
        Assignment(wid, oid, share / SHARE, round(p[wid, oid] * share / SHARE / CS_PER_MIN, 4))
        for (wid, oid), share in sorted(shares.items())
        if share > 0
    )
    loads = {w.id: 0.0 for w in people}
    for a in assignments:
        loads[a.operator_id] += a.minutes
    machine_of = {w: t for w, t in machine_of.items() if any(a.operator_id == w for a in assignments)}
    top = round(max(loads.values(), default=0.0), 4)  # the largest load, not the model's rounded one
    result = BalanceResult(
        problem.style_id,
        assignments,
        machine_of,
        {k: round(v, 4) for k, v in loads.items()},
        top,
        min(top, round(max(bound_cs, _lower_bound_cs(problem, p)) / CS_PER_MIN, 4)),
        "optimal" if proved else "feasible",
        round(time.perf_counter() - began, 3),
    )
    check_balance(problem, result)
    return result


def _solve(
    problem: SewingBalanceProblem,
    p: Mapping[tuple[str, str], int],
    types: list[str],
    start: tuple[dict[str, str], dict[tuple[str, str], int]] | None,
    *,
    fixed: bool,
    time_limit_s: float,
    seed: int,
    workers: int,
) -> tuple[tuple[dict[str, str], dict[tuple[str, str], int]], bool, int] | None:
    """One CP-SAT run from ``start`` (its machine types kept when ``fixed``): the balance found,
    whether it is proved optimal (for the whole problem: never when ``fixed``), and the bound."""
    people = problem.operators
    m = cp_model.CpModel()
    horizon = sum(max(p[k] for k in p if k[1] == op.id) for op in problem.operations)
    cycle = m.new_int_var(0, horizon, "cycle")
    y = {(w.id, t): m.new_bool_var(f"y_{w.id}_{t}") for w in people for t in types}
    for w in people:
        m.add_at_most_one(y[w.id, t] for t in types)
    for t in types:
        m.add(sum(y[w.id, t] for w in people) <= problem.machines.get(t, 0))
    x = {k: m.new_int_var(0, SHARE, f"x_{k[0]}_{k[1]}") for k in p}
    z = {k: m.new_bool_var(f"z_{k[0]}_{k[1]}") for k in p}
    kind = {op.id: op.machine_type for op in problem.operations}
    for (wid, oid), var in x.items():
        m.add(var <= SHARE * z[wid, oid])
        m.add_implication(z[wid, oid], y[wid, kind[oid]])
    for op in problem.operations:
        m.add(sum(x[k] for k in x if k[1] == op.id) == SHARE)
    for w in people:
        mine = [k for k in x if k[0] == w.id]
        if mine:
            m.add(sum(p[k] * x[k] for k in mine) <= SHARE * cycle)
            m.add(sum(z[k] for k in mine) <= MAX_OPERATIONS)
    if start is not None:
        machine, shares = start
        for (wid, t), var in y.items():
            m.add_hint(var, machine.get(wid) == t)
            if fixed:
                m.add(var == int(machine.get(wid) == t))
        for k, var in x.items():
            m.add_hint(var, shares.get(k, 0))
            m.add_hint(z[k], shares.get(k, 0) > 0)
        m.add(cycle <= _cycle_cs(shares, p))
    m.minimize(cycle)
    solver, out = run(
        m,
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        deterministic_per_s=ALWABP_DETERMINISTIC_PER_S,
    )
    if not out.solved:
        return None
    machine_of = {w.id: t for w in people for t in types if solver.value(y[w.id, t])}
    shares_of = {k: int(solver.value(var)) for k, var in x.items() if solver.value(var) > 0}
    return (machine_of, shares_of), out.proved and not fixed, 0 if fixed else (out.bound or 0)


def wrap_around(
    problem: SewingBalanceProblem, p: Mapping[tuple[str, str], int]
) -> tuple[dict[str, str], dict[tuple[str, str], int]] | None:
    """A quick balance to start from: operators given to machine types in turn, the type whose work
    per operator is largest first; then, type by type, operations laid out in bulletin order and
    cut into operators' shares at the group's pace, McNaughton's wrap-around rule with each
    operator's own speed. ``None`` when an operation ends up with nobody able to do it."""
    ops = problem.operations
    types = sorted({op.machine_type for op in ops})
    work = {t: sum(op.sam_min for op in ops if op.machine_type == t) for t in types}
    able = {
        (w.id, t): [op for op in ops if op.machine_type == t and (w.id, op.id) in p]
        for w in problem.operators
        for t in types
    }
    machine: dict[str, str] = {}
    pace = dict.fromkeys(types, 0.0)  # SAM minutes per minute the type's operators do together
    free = list(problem.operators)
    while free:
        open_types = [t for t in types if sum(v == t for v in machine.values()) < problem.machines.get(t, 0)]
        if not open_types:
            break
        t = max(open_types, key=lambda t: (work[t] / pace[t] if pace[t] else float("inf"), t))
        w = max(free, key=lambda w: (_speed(w, able[w.id, t]), w.id))
        if _speed(w, able[w.id, t]) <= 0:
            open_types.remove(t)
            if not any(_speed(v, able[v.id, u]) > 0 for v in free for u in open_types):
                break
            w = max(free, key=lambda v: max((_speed(v, able[v.id, u]), u) for u in open_types))
            t = max(open_types, key=lambda u: _speed(w, able[w.id, u]))
        machine[w.id] = t
        pace[t] += _speed(w, able[w.id, t])
        free.remove(w)
    _improve_types(problem, machine, pace, work, able)
    shares: dict[tuple[str, str], int] = {}
    for t in types:
        group = [w for w in problem.operators if machine.get(w.id) == t]
        if not group:
            return None
        target = work[t] / pace[t]  # minutes per garment each operator of the group should carry
        left = {w.id: target * CS_PER_MIN for w in group}
        for op in (op for op in ops if op.machine_type == t):
            need = SHARE
            for w in sorted(group, key=lambda w: -left[w.id]):
                if need <= 0:
                    break
                if (w.id, op.id) not in p or left[w.id] <= 0:
                    continue
                take = min(need, max(1, int(left[w.id] * SHARE / p[w.id, op.id])))
                shares[w.id, op.id] = shares.get((w.id, op.id), 0) + take
                left[w.id] -= p[w.id, op.id] * take / SHARE
                need -= take
            if need > 0:  # everyone is full: the fastest able operator of the group takes the rest
                able_here = [w for w in group if (w.id, op.id) in p]
                if not able_here:
                    return None
                w = min(able_here, key=lambda w: p[w.id, op.id])
                shares[w.id, op.id] = shares.get((w.id, op.id), 0) + need
    _level(shares, machine, p)
    return machine, shares


def _improve_types(
    problem: SewingBalanceProblem,
    machine: dict[str, str],
    pace: dict[str, float],
    work: Mapping[str, float],
    able: Mapping[tuple[str, str], list[SewingOperation]],
) -> None:
    """Move operators to the machine type whose work per pace is largest, one at a time, while that
    lowers the largest work per pace of any type (each type keeps an operator who can do it)."""
    people = {w.id: w for w in problem.operators}

    def worst(p: Mapping[str, float]) -> float:
        return max(work[t] / p[t] if p[t] > 0 else float("inf") for t in work)

    for _ in range(4 * len(people)):
        now = worst(pace)
        t = max(work, key=lambda t: work[t] / pace[t] if pace[t] > 0 else float("inf"))
        if sum(v == t for v in machine.values()) >= problem.machines.get(t, 0):
            return
        best: tuple[float, str] | None = None
        for wid, u in machine.items():
            gain = _speed(people[wid], able[wid, t])
            if u == t or gain <= 0:
                continue
            trial = dict(pace)
            trial[u] -= _speed(people[wid], able[wid, u])
            trial[t] += gain
            after = worst(trial)
            if after < now - 1e-9 and (best is None or after < best[0]):
                best = (after, wid)
        if best is None:
            return
        wid = best[1]
        u = machine[wid]
        pace[u] -= _speed(people[wid], able[wid, u])
        pace[t] += _speed(people[wid], able[wid, t])
        machine[wid] = t


def _level(
    shares: dict[tuple[str, str], int], machine: Mapping[str, str], p: Mapping[tuple[str, str], int]
) -> None:
    """Move share points from the most loaded operator to the least loaded one of the same machine
    type who can take them, while that lowers the larger of the two loads (at most
    :data:`MAX_OPERATIONS` operations each)."""
    loads: dict[str, float] = dict.fromkeys(machine, 0.0)
    for (wid, oid), share in shares.items():
        loads[wid] += p[wid, oid] * share / SHARE
    ops_of: dict[str, set[str]] = {w: set() for w in machine}
    for wid, oid in shares:
        ops_of[wid].add(oid)
    for _ in range(20 * SHARE * max(1, len(machine))):
        top = max(loads, key=lambda w: (loads[w], w))
        best: tuple[float, str, str] | None = None
        for oid in ops_of[top]:
            for v in machine:
                if v == top or machine[v] != machine[top] or (v, oid) not in p:
                    continue
                if oid not in ops_of[v] and len(ops_of[v]) >= MAX_OPERATIONS:
                    continue
                after = loads[v] + p[v, oid] / SHARE
                if after < loads[top] - 1e-9 and (best is None or after < best[0]):
                    best = (after, v, oid)
        if best is None:
            return
        _, v, oid = best
        shares[top, oid] -= 1
        loads[top] -= p[top, oid] / SHARE
        if shares[top, oid] == 0:
            del shares[top, oid]
            ops_of[top].discard(oid)
        shares[v, oid] = shares.get((v, oid), 0) + 1
        ops_of[v].add(oid)
        loads[v] += p[v, oid] / SHARE


def _speed(w: LineOperator, ops: list[SewingOperation]) -> float:
    """An operator's pace on a set of operations: their SAM over the minutes they take (0: none)."""
    if not ops:
        return 0.0
    return sum(op.sam_min for op in ops) / sum(op.sam_min / w.efficiency[op.id] for op in ops)


def _cycle_cs(shares: Mapping[tuple[str, str], int], p: Mapping[tuple[str, str], int]) -> int:
    loads: dict[str, float] = {}
    for (wid, oid), share in shares.items():
        loads[wid] = loads.get(wid, 0.0) + p[wid, oid] * share / SHARE
    return int(max(loads.values(), default=0.0)) + 1


def _lower_bound_cs(problem: SewingBalanceProblem, p: Mapping[tuple[str, str], int]) -> int:
    """Every operation at its fastest operator's pace, spread over everyone: a bound on the cycle."""
    fastest = sum(min(v for k, v in p.items() if k[1] == op.id) for op in problem.operations)
    return -(-fastest // max(1, len(problem.operators)))


def check_balance(problem: SewingBalanceProblem, result: BalanceResult) -> None:
    """An independent check: every operation fully assigned, only to operators who can do it, on
    the machine type they run; machines per type respected; loads and the cycle time add up."""
    bad: list[str] = []
    ops = {op.id: op for op in problem.operations}
    people = {w.id: w for w in problem.operators}
    done: dict[str, float] = dict.fromkeys(ops, 0.0)
    loads: dict[str, float] = dict.fromkeys(people, 0.0)
    for a in result.assignments:
        op, w = ops.get(a.operation_id), people.get(a.operator_id)
        if op is None or w is None:
            bad.append(f"unknown operation or operator in {a}")
            continue
        eff = w.efficiency.get(op.id, 0.0)
        if eff <= 0:
            bad.append(f"{w.id} cannot do {op.id}")
            continue
        if result.machine_of.get(w.id) != op.machine_type:
            bad.append(f"{w.id} runs {result.machine_of.get(w.id)}, not {op.machine_type} for {op.id}")
        done[op.id] += a.share
        loads[w.id] += a.share * op.sam_min / eff
    bad += [f"operation {k} is {v * 100:.0f} % assigned" for k, v in done.items() if abs(v - 1.0) > 1e-6]
    per_type: dict[str, int] = {}
    for t in result.machine_of.values():
        per_type[t] = per_type.get(t, 0) + 1
    bad += [
        f"{n} operators on {k} machines, {problem.machines.get(k, 0)} there"
        for k, n in per_type.items()
        if n > problem.machines.get(k, 0)
    ]
    top = max(loads.values(), default=0.0)
    if abs(top - result.cycle_min) > 1e-3 * max(1.0, top):
        bad.append(f"cycle time {result.cycle_min} is not the largest load {top:.4f}")
    if bad:
        raise InvalidSolutionError("sewing line balance", tuple(bad))


__all__ = [
    "Assignment",
    "BalanceResult",
    "LineOperator",
    "SewingBalanceProblem",
    "SewingOperation",
    "balance_line",
    "check_balance",
    "check_problem",
]
