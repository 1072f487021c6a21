"""The sewing line balance: the reference factory's line, rebalancing after an absence, and refusals."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from seamline.brain import InfeasibleProblemError
from seamline.brain.balance_line import balance_line, plan_violations
from seamline.brain.generate import sewing_bulletin
from seamline.model.factory import Operation, OperationBulletin, Operator
from seamline.model.loader import load_factory


def _line_one() -> tuple[OperationBulletin, list[Operator], Counter[str]]:
    factory = load_factory()
    line = factory.lines[0]
    assert line.style_id is not None
    bulletin = factory.styles[line.style_id].bulletin
    operators = [factory.operators_by_id[o] for o in line.operator_ids]
    return bulletin, operators, Counter(w.machine_type_id for w in line.workstations)


def test_the_reference_line_is_balanced_and_checked() -> None:
    bulletin, operators, machines = _line_one()
    plan = balance_line(bulletin, operators, machines, shift_min=480)
    assert plan_violations(bulletin, operators, machines, plan) == []
    loads = [w.load_min for w in plan.workstations]
    assert plan.cycle_min == max(loads)
    assert plan.pieces_per_hour == pytest.approx(60 / plan.cycle_min)
    assert plan.pieces_per_shift == pytest.approx(480 / plan.cycle_min)
    assert plan.balance_loss == pytest.approx(1 - sum(loads) / (len(loads) * plan.cycle_min))
    assert next(w for w in plan.workstations if w.operator_id == plan.bottleneck).load_min == plan.cycle_min
    # every operation given out once in all, each operator at one machine type they run
    given = Counter[str]()
    for w in plan.workstations:
        assert w.machine_type_id in next(o for o in operators if o.id == w.operator_id).skills
        for share in w.shares:
            given[share.operation_id] += round(share.fraction, 9)
    assert {op: round(v, 6) for op, v in given.items()} == {op.id: 1.0 for op in bulletin.operations}
    for t, n in Counter(w.machine_type_id for w in plan.workstations).items():
        assert n <= machines[t]
    # the slowest type cannot do better than its work over all the efficiency that could run it
    work = Counter[str]()
    for op in bulletin.operations:
        work[op.machine_type_id] += op.sam_min
    for t, minutes in work.items():
        best_crew = sorted((o.skills.get(t, 0) for o in operators), reverse=True)[: machines[t]]
        assert plan.cycle_min >= minutes / sum(best_crew) - 1e-9


def test_an_absent_operator_is_balanced_around() -> None:
    bulletin, operators, machines = sewing_bulletin(4)
    full = balance_line(bulletin, operators, machines)
    short = balance_line(bulletin, operators, machines, absent={full.bottleneck})
    assert full.bottleneck not in {w.operator_id for w in short.workstations}
    assert short.cycle_min >= full.cycle_min
    assert plan_violations(bulletin, operators, machines, short) == []


def test_same_seed_same_plan() -> None:
    bulletin, operators, machines = sewing_bulletin(2)
    first, second = (balance_line(bulletin, operators, machines, seed=5).as_dict() for _ in range(2))
    first.pop("elapsed_s")
    second.pop("elapsed_s")
    assert first == second


def test_a_missing_machine_type_names_the_operation() -> None:
    bulletin, operators, machines = _line_one()
    op = bulletin.operations[0]
    with pytest.raises(InfeasibleProblemError, match=f"operation {op.id}") as caught:
        balance_line(bulletin, operators, {**machines, op.machine_type_id: 0})
    assert caught.value.culprit == {"operation": op.id, "machine_type": op.machine_type_id}


def test_nobody_runs_the_type() -> None:
    bulletin, operators, machines = _line_one()
    op = bulletin.operations[0]
    unskilled = [dataclasses.replace(o, skills={t: e for t, e in o.skills.items() if t != op.machine_type_id})
                 for o in operators]  # fmt: skip
    with pytest.raises(InfeasibleProblemError, match=f"no operator present runs {op.machine_type_id}"):
        balance_line(bulletin, unskilled, machines)


def test_a_precedence_cycle_is_refused() -> None:
    ops = (
        Operation("A", "a", 0.5, "snls", ("C",)),
        Operation("B", "b", 0.5, "snls", ("A",)),
        Operation("C", "c", 0.5, "snls", ("B",)),
    )
    crew = [Operator("O1", "one", "A", None, {"snls": 1.0})]
    with pytest.raises(InfeasibleProblemError, match="cycle A -> B -> C -> A") as caught:
        balance_line(OperationBulletin("loop", 1, ops), crew, {"snls": 1})
    assert caught.value.culprit == {"operations": ["A", "B", "C"]}
    assert caught.value.reason == "precedence_cycle"
