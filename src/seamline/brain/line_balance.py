"""A line's balance from the platform's own records: skills measured on the floor, the balance the
line runs today, and the brain's proposal (:func:`seamline.brain.balance_line.balance_line`) for
the operators at work now.

**Skills.** An operator's efficiency on a machine type is measured from their production records:
each record's earned minutes (pieces x SAM) over the time it took, the gap since the operator's
previous scan on the same day (gaps over :data:`MAX_GAP_MIN` are breaks, not work). Where they have
done fewer than :data:`LEARNED_PIECES` pieces on that machine type the measure is blended with what
the factory file says of their skill, slowed by a learning curve (Wright's, 85 %: each doubling of
pieces done costs 15 % less time), so that a first attempt does not count as a skill, and a machine
type never run is planned at the learning curve's start.

**Today's balance.** Each operator's share of each operation is their part of the pieces done on it
today; their load is the sum of share x SAM / efficiency, minutes per garment; the largest load is
the line's cycle time, the pace it can keep.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from seamline.brain.balance_line import LinePlan, balance_line
from seamline.errors import NotFoundError
from seamline.model.factory import Factory, OperationBulletin, Operator
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
    ledger: ProductionLedger, factory: Factory, since_ms: int = 0
) -> dict[tuple[str, str], tuple[float, int]]:
    """``(operator, machine type) -> (efficiency, pieces)`` from the records since ``since_ms``."""
    kinds = {
        (style.id, op.id): op.machine_type_id
        for style in factory.styles.values()
        for op in style.bulletin.operations
    }
    by_operator: dict[str, list[Any]] = defaultdict(list)
    for r in ledger.records:
        if r.ts_ms >= since_ms:
            by_operator[r.operator_id].append(r)
    earned: dict[tuple[str, str], float] = defaultdict(float)
    spent: dict[tuple[str, str], float] = defaultdict(float)
    pieces: dict[tuple[str, str], int] = defaultdict(int)
    for operator, records in by_operator.items():
        records.sort(key=lambda r: r.ts_ms)
        for prev, r in itertools.pairwise(records):
            kind = kinds.get((r.style_id, r.operation_id))
            if kind is None:
                continue
            key = (operator, kind)
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


@dataclass(frozen=True)
class LineBalanceInput:
    """What the balancer needs for a line now, and today's balance as its records show it."""

    line_id: str
    bulletin: OperationBulletin
    operators: tuple[Operator, ...]  # at work, with their skills as measured
    machines: dict[str, int]
    shift_min: int
    today: dict[str, Any]


def line_balance_input(
    factory: Factory, ledger: ProductionLedger, line_id: str, now_ms: int, *, history_days: int = 30
) -> LineBalanceInput:
    """The line's style, the operators at work now (the roster between shifts) with their measured
    skills, its machines, and today's balance."""
    line = factory.lines_by_id.get(line_id)
    if line is None:
        raise NotFoundError("line", line_id)
    day0 = day_start_ms(factory, now_ms)
    today = [r for r in ledger.records if r.line_id == line_id and r.ts_ms >= day0]
    style_id = today[-1].style_id if today else line.style_id
    if style_id is None or style_id not in factory.styles:
        raise NotFoundError("style of line", line_id)
    bulletin = factory.styles[style_id].bulletin
    at_work = [s.operator_id for s in ledger.open_sessions() if s.line_id == line_id]
    skills = measured_skills(ledger, factory, now_ms - history_days * 86_400_000)
    people = []
    for oid in dict.fromkeys(at_work or line.operator_ids):
        person = factory.operators_by_id.get(oid)
        if person is not None:
            measured = {
                t: operator_efficiency(e, skills.get((oid, t))) for t, e in person.skills.items() if e > 0
            }
            people.append(dataclasses.replace(person, skills=measured))
    machines: dict[str, int] = defaultdict(int)
    for ws in line.workstations:
        machines[ws.machine_type_id] += 1
    return LineBalanceInput(
        line_id,
        bulletin,
        tuple(people),
        dict(machines),
        factory.shift_minutes,
        _today(bulletin, people, today),
    )


def _today(bulletin: OperationBulletin, people: list[Operator], records: list[Any]) -> dict[str, Any]:
    """Today's balance: each operator's share of the pieces of each operation, and the loads."""
    done: dict[tuple[str, str], int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for r in records:
        if r.style_id == bulletin.style_id:
            done[r.operator_id, r.operation_id] += r.pieces
            total[r.operation_id] += r.pieces
    skills = {w.id: w.skills for w in people}
    ops = {op.id: op for op in bulletin.operations}
    loads: dict[str, float] = defaultdict(float)
    shares = []
    for (wid, oid), n in sorted(done.items()):
        op = ops.get(oid)
        if op is None:
            continue
        share = n / total[oid]
        eff = skills.get(wid, {}).get(op.machine_type_id) or FIRST_PIECE_SHARE
        minutes = share * op.sam_min / eff
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
        "operations_not_done_today": [op.id for op in bulletin.operations if op.id not in total],
    }


def balance_json(given: LineBalanceInput, plan: LinePlan) -> dict[str, Any]:
    """The brain's balance as the API and the balance view show it."""
    ops = {op.id: op for op in given.bulletin.operations}
    names = {w.id: w.name for w in given.operators}
    return {
        "style": plan.style_id,
        "cycle_min": round(plan.cycle_min, 4),
        "pieces_per_hour": round(plan.pieces_per_hour, 1),
        "pieces_per_shift": round(plan.pieces_per_shift),
        "balance_loss_pct": round(100 * plan.balance_loss, 1),
        "bottleneck": plan.bottleneck,
        "idle_operators": list(plan.idle_operators),
        "elapsed_s": round(plan.elapsed_s, 3),
        "operators": [
            {
                "operator": w.operator_id,
                "name": names.get(w.operator_id, w.operator_id),
                "machine_type": w.machine_type_id,
                "load_min": round(w.load_min, 4),
                "operations": [
                    {
                        "operation": sh.operation_id,
                        "name": ops[sh.operation_id].name,
                        "share": round(sh.fraction, 4),
                        "minutes": round(sh.minutes, 4),
                    }
                    for sh in w.shares
                ],
            }
            for w in plan.workstations
        ],
    }


def propose_balance(given: LineBalanceInput, *, time_limit_s: float = 1.5, seed: int = 0) -> dict[str, Any]:
    """Today's balance of a line beside the brain's, for the operators at work now."""
    plan = balance_line(
        given.bulletin,
        given.operators,
        given.machines,
        shift_min=given.shift_min,
        time_limit_s=time_limit_s,
        seed=seed,
    )
    return {
        "line": given.line_id,
        "style": given.bulletin.style_id,
        "operators": len(given.operators),
        "machines": given.machines,
        "skills": {w.id: {t: round(e, 3) for t, e in sorted(w.skills.items())} for w in given.operators},
        "operations": [
            {"operation": op.id, "name": op.name, "sam_min": op.sam_min, "machine_type": op.machine_type_id}
            for op in given.bulletin.operations
        ],
        "today": given.today,
        "proposal": balance_json(given, plan),
    }


__all__ = [
    "LineBalanceInput",
    "balance_json",
    "learning_factor",
    "line_balance_input",
    "measured_skills",
    "operator_efficiency",
    "propose_balance",
]
