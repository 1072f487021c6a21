"""The sewing line balance an industrial engineer draws up: who sits at which machine doing what.

Input: a style's operation bulletin (operations with SAM, machine type and predecessors), the
operators present with their efficiency per machine type (1.0 = 100 % of SAM; a type missing from
an operator's skills is a type they do not run), the machines of each type the line has, and the
shift's minutes. Each operator sits at one machine, so works one machine type; an operation may be
split across several operators of its type; no type gets more operators than it has machines.

The cycle time of a type is its total SAM over the summed efficiencies of its operators (with
splits allowed, its work spreads evenly over them), so the line's cycle time - the slowest type's -
is minimised by choosing which type each operator runs: a small CP-SAT model (a boolean per
operator and type they know; maximise the output rate z with, for every type, the efficiency
assigned to it at least z times its SAM). Within a type the operations are then dealt out in
bulletin order, each operator filled to the cycle time and an operation split where an operator
is full, so at most one operation is split between two neighbours. Workstations follow the bulletin
order of their first operation. Reported: cycle time, pieces per hour, balance loss, the bottleneck
and each workstation's load; the plan is checked independently before it is returned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from seamline.brain.cpsat import run
from seamline.brain.errors import InfeasibleProblemError, InvalidSolutionError
from seamline.brain.precedence import find_cycle, topological_order
from seamline.model.factory import Operation, OperationBulletin, Operator

_SCALE = 1000  # efficiencies and SAM as integers in thousandths for the model
_RATE = 100_000  # the output rate (garments per minute) in hundred-thousandths
_DETERMINISTIC_PER_S = 0.5


@dataclass(frozen=True, slots=True)
class Share:
    """``fraction`` (0..1] of one garment's ``operation_id``, taking ``minutes`` of the operator."""

    operation_id: str
    fraction: float
    minutes: float


@dataclass(frozen=True, slots=True)
class Workstation:
    """One operator at one machine type, with their shares of operations and the minutes they take."""

    operator_id: str
    machine_type_id: str
    shares: tuple[Share, ...]
    load_min: float

    def utilisation(self, cycle_min: float) -> float:
        return self.load_min / cycle_min if cycle_min > 0 else 0.0


@dataclass(frozen=True, slots=True)
class LinePlan:
    """A balanced sewing line: workstations in line order, the cycle time and what it yields."""

    style_id: str
    cycle_min: float
    pieces_per_hour: float
    pieces_per_shift: float
    balance_loss: float  # idle share of the staffed workstations' time: 1 - sum(load) / (n * cycle)
    bottleneck: str  # the operator whose load is the cycle time
    workstations: tuple[Workstation, ...]
    idle_operators: tuple[str, ...]
    elapsed_s: float

    def as_dict(self) -> dict[str, object]:
        return {
            "style_id": self.style_id,
            "cycle_min": round(self.cycle_min, 4),
            "pieces_per_hour": round(self.pieces_per_hour, 2),
            "pieces_per_shift": round(self.pieces_per_shift, 1),
            "balance_loss": round(self.balance_loss, 4),
            "bottleneck": self.bottleneck,
            "idle_operators": list(self.idle_operators),
            "elapsed_s": round(self.elapsed_s, 3),
            "workstations": [
                {
                    "operator": w.operator_id,
                    "machine_type": w.machine_type_id,
                    "load_min": round(w.load_min, 4),
                    "utilisation": round(w.utilisation(self.cycle_min), 4),
                    "operations": [
                        {
                            "operation": s.operation_id,
                            "share": round(s.fraction, 4),
                            "minutes": round(s.minutes, 4),
                        }
                        for s in w.shares
                    ],
                }
                for w in self.workstations
            ],
        }


def balance_line(
    bulletin: OperationBulletin,
    operators: Sequence[Operator],
    machines: Mapping[str, int],
    *,
    shift_min: float = 480.0,
    absent: Collection[str] = (),
    time_limit_s: float = 2.0,
    seed: int = 0,
) -> LinePlan:
    """The line balance of ``bulletin`` with these ``operators`` and ``machines`` (per machine type).

    ``absent``: operator ids to leave out (a rebalance when someone is missing). Raises
    :class:`InfeasibleProblemError` naming the culprit: a precedence cycle, an operation of a type
    no operator present runs or the line has no machine for, more machine types than operators.
    """
    began = time.perf_counter()
    operators = [o for o in operators if o.id not in absent]
    ops = bulletin.operations
    _check(bulletin, operators, machines)
    work: dict[str, float] = {}
    for op in ops:
        work[op.machine_type_id] = work.get(op.machine_type_id, 0.0) + op.sam_min
    chosen = _choose_types(work, operators, machines, time_limit_s, seed)
    order = _bulletin_order(ops)
    stations: list[tuple[int, Workstation]] = []
    for t, crew in chosen.items():
        stations += _deal(t, [op for op in order if op.machine_type_id == t], crew, order)
    stations.sort(key=lambda p: p[0])
    line = tuple(w for _, w in stations)
    cycle = max(w.load_min for w in line)
    busy = {w.operator_id for w in line}
    plan = LinePlan(
        style_id=bulletin.style_id,
        cycle_min=cycle,
        pieces_per_hour=60.0 / cycle if cycle > 0 else 0.0,
        pieces_per_shift=shift_min / cycle if cycle > 0 else 0.0,
        balance_loss=1 - sum(w.load_min for w in line) / (len(line) * cycle) if cycle > 0 else 0.0,
        bottleneck=max(line, key=lambda w: w.load_min).operator_id,
        workstations=line,
        idle_operators=tuple(o.id for o in operators if o.id not in busy),
        elapsed_s=time.perf_counter() - began,
    )
    bad = plan_violations(bulletin, operators, machines, plan)
    if bad:
        raise InvalidSolutionError("line plan", tuple(bad))
    return plan


def _check(bulletin: OperationBulletin, operators: Sequence[Operator], machines: Mapping[str, int]) -> None:
    ids = [op.id for op in bulletin.operations]
    index = {op_id: i for i, op_id in enumerate(ids)}
    arcs = []
    for op in bulletin.operations:
        for p in op.predecessors:
            if p not in index:
                raise InfeasibleProblemError(
                    f"operation {op.id} follows {p}, which is not in the bulletin of {bulletin.style_id}",
                    culprit={"operation": op.id, "predecessor": p},
                )
            arcs.append((index[p], index[op.id]))
    cycle = find_cycle(len(ids), arcs)
    if cycle is not None:
        names = [ids[i] for i in cycle]
        raise InfeasibleProblemError(
            f"style {bulletin.style_id}: the operations' precedences form a cycle "
            + " -> ".join([*names, names[0]])
            + "; remove one of these relations",
            culprit={"operations": names},
            reason="precedence_cycle",
        )
    for op in bulletin.operations:
        t = op.machine_type_id
        if machines.get(t, 0) < 1:
            raise InfeasibleProblemError(
                f"operation {op.id} ({op.name}) needs a {t} machine and the line has none",
                culprit={"operation": op.id, "machine_type": t},
            )
        if not any(o.skills.get(t, 0) > 0 for o in operators):
            raise InfeasibleProblemError(
                f"no operator present runs {t}, which operation {op.id} ({op.name}) needs; train or move one",
                culprit={"operation": op.id, "machine_type": t},
            )
    types = {op.machine_type_id for op in bulletin.operations}
    if len(types) > len(operators):
        raise InfeasibleProblemError(
            f"the style needs {len(types)} machine types and only {len(operators)} operators are present",
            culprit={"machine_types": sorted(types), "operators": len(operators)},
        )


def _choose_types(
    work: Mapping[str, float],
    operators: Sequence[Operator],
    machines: Mapping[str, int],
    time_limit_s: float,
    seed: int,
) -> dict[str, list[Operator]]:
    """Which operators run which type: maximise the slowest type's output rate."""
    model = cp_model.CpModel()
    x = {
        (o.id, t): model.new_bool_var(f"x_{o.id}_{t}")
        for o in operators
        for t in work
        if o.skills.get(t, 0) > 0
    }
    for o in operators:
        model.add_at_most_one(v for (oid, _), v in x.items() if oid == o.id)
    eff_sum = sum(max(o.skills.values(), default=0) for o in operators)
    top = max(1, math.ceil(eff_sum / min(work.values()) * _RATE))
    z = model.new_int_var(0, top, "rate")  # garments per minute * _RATE
    skill = {o.id: o.skills for o in operators}
    for t, minutes in work.items():
        crew = [(oid, v) for (oid, tt), v in x.items() if tt == t]
        model.add(sum(v for _, v in crew) <= machines[t])
        model.add(sum(v for _, v in crew) >= 1)
        capacity = sum(round(skill[oid][t] * _SCALE) * v for oid, v in crew)
        model.add(capacity * _RATE >= z * round(minutes * _SCALE))
    model.maximize(z)
    solver, outcome = run(
        model, time_limit_s=time_limit_s, seed=seed, workers=1, deterministic_per_s=_DETERMINISTIC_PER_S
    )
    if not outcome.solved:
        raise InfeasibleProblemError(
            "no assignment of the operators present to the machine types gives every type an operator"
            " within its machines",
            culprit={"machine_types": sorted(work), "machines": dict(machines)},
        )
    chosen: dict[str, list[Operator]] = {t: [] for t in work}
    by_id = {o.id: o for o in operators}
    for (oid, t), v in x.items():
        if solver.boolean_value(v):
            chosen[t].append(by_id[oid])
    return chosen


def _bulletin_order(ops: Sequence[Operation]) -> list[Operation]:
    index = {op.id: i for i, op in enumerate(ops)}
    arcs = [(index[p], index[op.id]) for op in ops for p in op.predecessors]
    return [ops[i] for i in topological_order(len(ops), arcs)]


def _deal(
    t: str, ops: Sequence[Operation], crew: Sequence[Operator], order: Sequence[Operation]
) -> list[tuple[int, Workstation]]:
    """Deal the type's operations out in order, filling each operator (fastest first) to the cycle."""
    position = {op.id: i for i, op in enumerate(order)}
    cycle = sum(op.sam_min for op in ops) / sum(o.skills[t] for o in crew)
    out: list[tuple[int, Workstation]] = []
    queue = [(op, 1.0) for op in ops]  # (operation, fraction of it still to give)
    for k, o in enumerate(crew):
        room = cycle * o.skills[t]  # SAM minutes this operator can take in one cycle
        shares: list[Share] = []
        last = k == len(crew) - 1
        while queue and (room > 1e-9 or last):
            op, left = queue[0]
            take = left if last or op.sam_min * left <= room + 1e-9 else room / op.sam_min
            shares.append(Share(op.id, take, op.sam_min * take / o.skills[t]))
            room -= op.sam_min * take
            if take >= left - 1e-9:
                queue.pop(0)
            else:
                queue[0] = (op, left - take)
        first = min((position[s.operation_id] for s in shares), default=len(order))
        out.append((first, Workstation(o.id, t, tuple(shares), sum(s.minutes for s in shares))))
    return out


def plan_violations(
    bulletin: OperationBulletin, operators: Sequence[Operator], machines: Mapping[str, int], plan: LinePlan
) -> list[str]:
    """What the plan breaks: every operation fully given out, operators at one machine of a type they
    run and of their operations' type, machines per type, loads as stated, the cycle the largest load."""
    bad: list[str] = []
    skills = {o.id: o.skills for o in operators}
    given: dict[str, float] = {}
    per_type: dict[str, int] = {}
    seen: set[str] = set()
    sam = {op.id: op for op in bulletin.operations}
    for w in plan.workstations:
        if w.operator_id in seen:
            bad.append(f"operator {w.operator_id} is at two workstations")
        seen.add(w.operator_id)
        eff = skills.get(w.operator_id, {}).get(w.machine_type_id, 0)
        if eff <= 0:
            bad.append(f"operator {w.operator_id} does not run {w.machine_type_id}")
            continue
        per_type[w.machine_type_id] = per_type.get(w.machine_type_id, 0) + 1
        load = 0.0
        for s in w.shares:
            op = sam.get(s.operation_id)
            if op is None or op.machine_type_id != w.machine_type_id:
                bad.append(f"operation {s.operation_id} is not a {w.machine_type_id} operation of the style")
                continue
            given[op.id] = given.get(op.id, 0.0) + s.fraction
            load += op.sam_min * s.fraction / eff
        if abs(load - w.load_min) > 1e-6:
            bad.append(f"operator {w.operator_id} carries {load:.4f} min, not the stated {w.load_min:.4f}")
    bad += [f"operation {op.id} is given out {given.get(op.id, 0):.4f} times, not once"
            for op in bulletin.operations if abs(given.get(op.id, 0.0) - 1) > 1e-6]  # fmt: skip
    bad += [f"{n} operators on {t}, which has {machines.get(t, 0)} machines"
            for t, n in per_type.items() if n > machines.get(t, 0)]  # fmt: skip
    if plan.workstations and abs(plan.cycle_min - max(w.load_min for w in plan.workstations)) > 1e-9:
        bad.append(f"cycle time {plan.cycle_min} is not the largest load")
    return bad
