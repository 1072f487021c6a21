"""A line's balance from the platform's records: skills measured from scans with a learning curve,
today's balance, and the brain's for the operators at work, on the reference factory's line."""

from __future__ import annotations

from seamline.brain.line_balance import (
    LEARNED_PIECES,
    learning_factor,
    line_balance_input,
    measured_skills,
    operator_efficiency,
    propose_balance,
)
from seamline.model.loader import load_factory
from seamline.production.ledger import ProductionLedger, ProductionRecord

T0 = 1_796_371_200_000  # 2026-12-04T02:00Z, 08:00 at the reference factory


def test_the_learning_curve_starts_at_half_pace_and_reaches_skill() -> None:
    assert learning_factor(0) == 0.5
    assert learning_factor(100) < learning_factor(400) < learning_factor(LEARNED_PIECES) == 1.0
    assert operator_efficiency(1.0, None) == 0.5  # never run: the curve's start
    assert operator_efficiency(0.8, (1.1, LEARNED_PIECES)) == 1.1  # learned: as measured
    half = operator_efficiency(0.8, (1.0, LEARNED_PIECES // 2))
    assert 0.8 * learning_factor(LEARNED_PIECES // 2) < half < 1.0


def _ledger_with_scans(factory, operator: str, line: str, minutes_apart: float, n: int):  # type: ignore[no-untyped-def]
    ledger = ProductionLedger(factory)
    style = factory.styles[factory.lines_by_id[line].style_id]
    op = style.bulletin.operations[0]
    for k in range(n):
        ledger.records.append(
            ProductionRecord(
                T0 + int(k * minutes_apart * 60_000), line, f"{line}-S01", operator, f"B{k}", "PO-1",
                style.id, 1, op.id, 20, op.sam_min, False, f"{line}-S01",
            )
        )  # fmt: skip
    return ledger, op


def test_skills_are_earned_minutes_over_the_time_between_scans() -> None:
    factory = load_factory()
    operator = factory.lines_by_id["L01"].operator_ids[0]
    sam = factory.styles[factory.lines_by_id["L01"].style_id].bulletin.operations[0].sam_min
    ledger, op = _ledger_with_scans(factory, operator, "L01", minutes_apart=20 * sam / 0.8, n=31)
    eff, pieces = measured_skills(ledger, factory)[(operator, op.machine_type_id)]
    assert pieces == 30 * 20  # the first scan has no gap before it
    assert abs(eff - 0.8) < 1e-6  # 20 pieces x SAM earned every 20 x SAM / 0.8 minutes
    far, _ = _ledger_with_scans(factory, operator, "L01", minutes_apart=90, n=5)
    assert measured_skills(far, factory)[(operator, op.machine_type_id)][0] == 0.0  # breaks, not work


def test_a_line_is_balanced_for_its_roster_with_todays_balance_beside() -> None:
    factory = load_factory()
    line = factory.lines_by_id["L01"]
    given = line_balance_input(factory, ProductionLedger(factory), "L01", T0)
    assert given.bulletin.style_id == line.style_id
    assert {w.id for w in given.operators} == set(line.operator_ids)  # between shifts: the roster
    assert sum(given.machines.values()) == len(line.workstations)
    out = propose_balance(given, time_limit_s=1.0)
    p = out["proposal"]
    assert p["cycle_min"] == max(w["load_min"] for w in p["operators"])
    assert p["pieces_per_hour"] == round(60 / p["cycle_min"], 1)
    shares: dict[str, float] = {}
    for w in p["operators"]:
        for s in w["operations"]:
            shares[s["operation"]] = shares.get(s["operation"], 0.0) + s["share"]
    assert all(abs(v - 1.0) < 1e-3 for v in shares.values())
    assert set(shares) == {op.id for op in given.bulletin.operations}
    assert out["today"]["cycle_min"] == 0.0  # no scans yet today
    # with no records every skill is planned at the learning curve's start: half the file's
    w = given.operators[0]
    assert all(abs(e - 0.5 * factory.operators_by_id[w.id].skills[t]) < 1e-3 for t, e in w.skills.items())
