"""Balancing a sewing line: known optima on small lines, machine and skill limits, splits, the
errors that name their culprit, determinism, and a 40-operation line solved within its limit."""

from __future__ import annotations

import random

import pytest

from seamline.brain.errors import InfeasibleProblemError, InvalidSolutionError
from seamline.brain.line_balance import learning_factor, operator_efficiency
from seamline.brain.sewing_balance import (
    Assignment,
    BalanceResult,
    LineOperator,
    SewingBalanceProblem,
    SewingOperation,
    balance_line,
    check_balance,
)

OPS = (
    SewingOperation("a", "collar", 2.0, "snls"),
    SewingOperation("b", "side seam", 1.0, "overlock", ("a",)),
)


def test_a_long_operation_is_split_across_operators_to_the_best_cycle() -> None:
    people = (LineOperator("w1", {"a": 1.0}), LineOperator("w2", {"a": 1.0}), LineOperator("w3", {"b": 1.0}))
    r = balance_line(SewingBalanceProblem("S", OPS, people, {"snls": 2, "overlock": 1}), time_limit_s=5)
    assert (r.cycle_min, r.status) == (1.0, "optimal")  # the 2-minute collar halved
    assert sorted((a.operator_id, a.operation_id, a.share) for a in r.assignments) == [
        ("w1", "a", 0.5), ("w2", "a", 0.5), ("w3", "b", 1.0),
    ]  # fmt: skip
    assert r.pieces_per_hour == 60.0
    assert r.balance_loss_pct == 0.0


def test_machines_of_a_type_limit_how_many_operators_run_it() -> None:
    people = tuple(LineOperator(f"w{i}", {"a": 1.0, "b": 1.0}) for i in range(4))
    r = balance_line(SewingBalanceProblem("S", OPS, people, {"snls": 1, "overlock": 3}), time_limit_s=5)
    assert list(r.machine_of.values()).count("snls") == 1
    assert r.cycle_min == 2.0  # one collar machine: the collar's 2 minutes set the pace
    assert r.bottleneck is not None
    assert r.machine_of[r.bottleneck] == "snls"


def test_a_slower_operator_gets_a_smaller_share() -> None:
    ops = (SewingOperation("a", "hem", 3.0, "snls"),)
    people = (LineOperator("fast", {"a": 1.0}), LineOperator("slow", {"a": 0.5}))
    r = balance_line(SewingBalanceProblem("S", ops, people, {"snls": 2}), time_limit_s=5)
    shares = {a.operator_id: a.share for a in r.assignments}
    assert shares["fast"] == pytest.approx(2 / 3, abs=0.01)
    assert r.cycle_min == pytest.approx(2.0, abs=0.03)


@pytest.mark.parametrize(
    ("people", "machines", "reason", "culprit"),
    [
        ((LineOperator("w1", {"a": 1.0}),), {"snls": 1, "overlock": 1}, "no_eligible_worker",
         {"operation": "b"}),
        ((LineOperator("w1", {"a": 1.0, "b": 1.0}),), {"snls": 1}, "no_eligible_machine",
         {"operation": "b", "machine_type": "overlock"}),
    ],
)  # fmt: skip
def test_a_line_that_cannot_make_the_style_is_refused_naming_why(
    people: tuple[LineOperator, ...], machines: dict[str, int], reason: str, culprit: dict[str, str]
) -> None:
    with pytest.raises(InfeasibleProblemError) as err:
        balance_line(SewingBalanceProblem("S", OPS, people, machines), time_limit_s=1)
    assert err.value.reason == reason
    assert err.value.culprit == culprit


def test_precedences_in_a_circle_are_refused_naming_the_operations() -> None:
    ops = (SewingOperation("a", "x", 1.0, "snls", ("b",)), SewingOperation("b", "y", 1.0, "snls", ("a",)))
    with pytest.raises(InfeasibleProblemError, match="circle") as err:
        balance_line(SewingBalanceProblem("S", ops, (LineOperator("w", {"a": 1, "b": 1}),), {"snls": 1}))
    assert sorted(err.value.culprit["operations"]) == ["a", "a", "b"] or set(
        err.value.culprit["operations"]
    ) == {"a", "b"}


def test_the_validator_refuses_a_balance_that_leaves_work_undone() -> None:
    problem = SewingBalanceProblem(
        "S", OPS, (LineOperator("w1", {"a": 1.0, "b": 1.0}),), {"snls": 1, "overlock": 1}
    )
    bad = BalanceResult(
        "S", (Assignment("w1", "a", 1.0, 2.0),), {"w1": "snls"}, {"w1": 2.0}, 2.0, 0.0, "feasible", 0.0
    )
    with pytest.raises(InvalidSolutionError, match="operation b is 0 % assigned"):
        check_balance(problem, bad)


def _forty(seed: int) -> SewingBalanceProblem:
    rng = random.Random(seed)
    types = ["snls", "overlock", "flatlock", "bartack"]
    ops = tuple(
        SewingOperation(f"op{i}", f"op {i}", round(rng.uniform(0.2, 1.6), 2), types[i % 4]) for i in range(40)
    )
    people = []
    for w in range(25):
        main = rng.sample(types, 2)
        people.append(
            LineOperator(
                f"w{w}", {op.id: round(rng.uniform(0.6, 1.2), 2) for op in ops if op.machine_type in main}
            )
        )
    return SewingBalanceProblem("X", ops, tuple(people), dict.fromkeys(types, 25))


def test_a_forty_operation_line_is_balanced_validated_and_the_same_for_a_seed() -> None:
    problem = _forty(3)
    a = balance_line(problem, time_limit_s=2, seed=5, workers=1)
    b = balance_line(problem, time_limit_s=2, seed=5, workers=1)
    assert a.assignments == b.assignments
    assert a.lower_bound_min <= a.cycle_min
    assert all(len([x for x in a.assignments if x.operator_id == w.id]) <= 4 for w in problem.operators)


def test_skills_blend_the_measure_with_the_learning_curve() -> None:
    assert learning_factor(0) == 0.5
    assert learning_factor(250) < learning_factor(400) < 1.0
    assert operator_efficiency(1.0, None) == 0.5
    assert operator_efficiency(0.8, (1.1, 600)) == 1.1
    half = operator_efficiency(0.8, (1.0, 250))  # half learned: half the measure, half the curve
    assert 0.8 * learning_factor(250) < half < 1.0
