"""A line's balance from the platform's own records: skills measured on the floor, the balance the
line runs today, and the brain's proposal for the operators at work now.

**Skills.** An operator's efficiency on an operation is measured from their production records:
each record's earned minutes (pieces x SAM) over the time it took, the gap since the operator's
previous scan on the same day (gaps over :data:`MAX_GAP_MIN` are breaks, not work). Where they have
done an operation fewer than :data:`LEARNED_PIECES` pieces the measure is blended with what the
factory file says of their skill on that machine type, slowed by a learning curve (Wright's, 85 %:
each doubling of pieces done costs 15 % less time), so that a first attempt does not count as a
skill, and an operation never done is planned at the learning curve's start.

**Today's balance.** Each operator's share of each operation is their part of the pieces done on it
today; their load is the sum of share x SAM / efficiency, minutes per garment; the largest load is
the line's cycle time, the pace it can keep.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Final

from seamline.brain.sewing_balance import (
    BalanceResult,
    LineOperator,
    SewingBalanceProblem,
    SewingOperation,
    balance_line,
)
from seamline.errors import NotFoundError
from seamline.model.factory import Factory
from seamline.production.ledger import ProductionLedger
from seamline.production.views import day_start_ms

MAX_GAP_MIN: Final = 60.0
LEARNED_PIECES: Final = 500
LEARNING_RATE: Final = 0.85
FIRST_PIECE_SHARE: Final = 0.5  # the learning curve's start: half the skilled pace


def learning_factor(pieces: int) -> float:
    """Pace relative to skilled after ``pieces`` done (Wright's curve, floor at its start).

    >>> learning_factor(0), learning_factor(LEARNED_PIECES)
    (0.5, 1.0)
    """
    if pieces >= LEARNED_PIECES:
        return 1.0
    b = math.log2(LEARNING_RATE)
    slow: float = (max(pieces, 1) / LEARNED_PIECES) ** b  # time per piece relative to skilled
    return max(FIRST_PIECE_SHARE, min(1.0, 1.0 / slow))


def measured_skills(
    ledger: ProductionLedger, since_ms: int = 0
) -> dict[tuple[str, str, str], tuple[float, int]]:
    """``(operator, style, operation) -> (efficiency, pieces)`` from the records since ``since_ms``."""
    by_operator: dict[str, list[Any]] = defaultdict(list)
    for r in ledger.records:
        if r.ts_ms >= since_ms:
            by_operator[r.operator_id].append(r)
    earned: dict[tuple[str, str, str], float] = defaultdict(float)
    spent: dict[tuple[str, str, str], float] = defaultdict(float)
    pieces: dict[tuple[str, str, str], int] = defaultdict(int)
    for operator, records in by_operator.items():
        records.sort(key=lambda r: r.ts_ms)
        for prev, r in itertools.pairwise(records):
            key = (operator, r.style_id, r.operation_id)
            pieces[key] += r.pieces
            gap_min = (r.ts_ms - prev.ts_ms) / 60_000
            if 0 < gap_min <= MAX_GAP_MIN:
                earned[key] += r.earned_min
                spent[key] += gap_min
    return {k: (earned[k] / spent[k] if spent[k] > 0 else 0.0, pieces[k]) for k in pieces}


def operator_efficiency(skill: float, measured: tuple[float, int] | None) -> float:
    """What to plan with: the measure where the operator has learned the operation, else a blend
    of the measure and the factory file's skill at the learning curve's pace.

    >>> operator_efficiency(0.8, None)  # never done: the learning curve's start
    0.4
    >>> operator_efficiency(0.8, (0.9, 1000))  # learned: as measured
    0.9
    """
    if measured is None or measured[1] <= 0:
        return round(skill * FIRST_PIECE_SHARE, 4)
    eff, n = measured
    if n >= LEARNED_PIECES and eff > 0:
        return round(eff, 4)
    w = n / LEARNED_PIECES
    prior = skill * learning_factor(n)
    return round(w * eff + (1 - w) * prior if eff > 0 else prior, 4)


def line_balance_problem(
    factory: Factory, ledger: ProductionLedger, line_id: str, now_ms: int, *, history_days: int = 30
) -> tuple[SewingBalanceProblem, dict[str, Any]]:
    """The balancing problem of a line now (its style, the operators at work, its machines) and
    today's balance as its records show it."""
    line = factory.lines_by_id.get(line_id)
    if line is None:
        raise NotFoundError("line", line_id)
    day0 = day_start_ms(factory, now_ms)
    today = [r for r in ledger.records if r.line_id == line_id and r.ts_ms >= day0]
    style_id = today[-1].style_id if today else line.style_id
    if style_id is None or style_id not in factory.styles:
        raise NotFoundError("style of line", line_id)
    bulletin = factory.styles[style_id].bulletin
    ops = tuple(
        SewingOperation(op.id, op.name, op.sam_min, op.machine_type_id, tuple(op.predecessors))
        for op in bulletin.operations
    )
    at_work = [s.operator_id for s in ledger.open_sessions() if s.line_id == line_id]
    crew = at_work or list(line.operator_ids)
    skills = measured_skills(ledger, now_ms - history_days * 86_400_000)
    people = []
    for oid in dict.fromkeys(crew):
        person = factory.operators_by_id.get(oid)
        if person is None:
            continue
        eff = {
            op.id: operator_efficiency(person.efficiency(op.machine_type), skills.get((oid, style_id, op.id)))
            for op in ops
            if person.skills.get(op.machine_type, 0.0) > 0
        }
        people.append(LineOperator(oid, eff, person.name))
    machines: dict[str, int] = defaultdict(int)
    for ws in line.workstations:
        machines[ws.machine_type_id] += 1
    problem = SewingBalanceProblem(style_id, ops, tuple(people), dict(machines))
    return problem, _today(problem, today)


def _today(problem: SewingBalanceProblem, records: list[Any]) -> dict[str, Any]:
    """Today's balance: each operator's share of the pieces of each operation, and the loads."""
    done: dict[tuple[str, str], int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for r in records:
        if r.style_id == problem.style_id:
            done[r.operator_id, r.operation_id] += r.pieces
            total[r.operation_id] += r.pieces
    eff = {w.id: w.efficiency for w in problem.operators}
    sam = {op.id: op.sam_min for op in problem.operations}
    loads: dict[str, float] = defaultdict(float)
    shares = []
    for (wid, oid), n in sorted(done.items()):
        share = n / total[oid]
        e = eff.get(wid, {}).get(oid) or 0.5
        minutes = share * sam.get(oid, 0.0) / e
        loads[wid] += minutes
        shares.append(
            {"operator": wid, "operation": oid, "share": round(share, 3), "minutes": round(minutes, 3)}
        )
    cycle = max(loads.values(), default=0.0)
    return {
        "assignments": shares,
        "loads": {k: round(v, 3) for k, v in sorted(loads.items())},
        "cycle_min": round(cycle, 3),
        "pieces_per_hour": round(60.0 / cycle, 1) if cycle > 0 else None,
        "operations_not_done_today": [op.id for op in problem.operations if op.id not in total],
    }


def balance_json(
    problem: SewingBalanceProblem, result: BalanceResult, names: Mapping[str, str]
) -> dict[str, Any]:
    """The brain's proposal as the API and the balance view show it."""
    ops = {op.id: op for op in problem.operations}
    return {
        "style": problem.style_id,
        "cycle_min": result.cycle_min,
        "lower_bound_min": result.lower_bound_min,
        "pieces_per_hour": result.pieces_per_hour,
        "balance_loss_pct": result.balance_loss_pct,
        "bottleneck": result.bottleneck,
        "status": result.status,
        "elapsed_s": result.elapsed_s,
        "operators": [
            {
                "operator": wid,
                "name": names.get(wid, wid),
                "machine_type": result.machine_of.get(wid),
                "load_min": load,
                "operations": [
                    {
                        "operation": a.operation_id,
                        "name": ops[a.operation_id].name,
                        "share": a.share,
                        "minutes": a.minutes,
                    }
                    for a in result.assignments
                    if a.operator_id == wid
                ],
            }
            for wid, load in sorted(result.loads.items(), key=lambda kv: -kv[1])
        ],
    }


def propose_balance(
    problem: SewingBalanceProblem,
    today: dict[str, Any],
    line_id: str,
    *,
    time_limit_s: float = 2.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Today's balance of a line beside the brain's, for the operators at work now."""
    result = balance_line(problem, time_limit_s, seed, workers=2)
    names = {w.id: w.name for w in problem.operators}
    return {
        "line": line_id,
        "style": problem.style_id,
        "operators": len(problem.operators),
        "machines": dict(problem.machines),
        "operations": [
            {"operation": op.id, "name": op.name, "sam_min": op.sam_min, "machine_type": op.machine_type}
            for op in problem.operations
        ],
        "today": today,
        "proposal": balance_json(problem, result, names),
    }


__all__ = [
    "balance_json",
    "learning_factor",
    "line_balance_problem",
    "measured_skills",
    "operator_efficiency",
    "propose_balance",
]
