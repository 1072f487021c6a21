"""Rescheduling events read from the production records: a machine in fault, operators not badged
in, and nothing before the shift's grace time is over."""

from __future__ import annotations

import datetime as dt

import pytest
from plan_helpers import small_factory

from seamline.brain.plan_factory import measured_line_efficiency, planning_problem
from seamline.brain.plan_floor import floor_events
from seamline.brain.plan_solver import solve_plan
from seamline.brain.reschedule import reschedule
from seamline.brain.reschedule_events import Breakdown, OperatorAbsent
from seamline.production.ledger import ProductionLedger, ProductionRecord

MONDAY_9 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # the small factory: UTC, shift from 08:00
MS = 1000


def test_a_fault_and_missing_badges_become_events() -> None:
    factory = small_factory()
    ledger = ProductionLedger(factory)
    t = int(MONDAY_9.timestamp() * MS)
    line = factory.lines_by_id["L1"]
    for op, ws in zip(line.operator_ids[1:], line.workstations, strict=False):  # all but ABSENT-1
        ledger.update(
            "L1-BADGEREADER01",
            t - 50 * 60 * MS,
            "badge",
            {"operator": op, "workstation": ws.id, "action": "login"},
        )
    ledger.update("L1-S03", t - 5 * 60 * MS, "state", {"state": "fault"})  # broke down 5 minutes ago
    problem = planning_problem(factory, MONDAY_9)
    events = floor_events(factory, ledger, problem, MONDAY_9, planned_efficiency=0.6)
    now_min = 9 * 60  # minute 0 is local midnight
    breakdown = next(e for e in events if isinstance(e, Breakdown))
    # L1-S03's type repairs in 20 min on average: 15 left, one seat of seven held up
    assert breakdown == Breakdown("L1", now_min, 15, device_id="L1-S03", capacity=6 / 7)
    absent = [e for e in events if isinstance(e, OperatorAbsent)]
    assert [(e.line_id, e.operator_ids) for e in absent] == [
        ("L1", ("ABSENT-1",)),
        ("L2", tuple(factory.lines_by_id["L2"].operator_ids)),
    ][:1]
    assert absent[0].until_min == 16 * 60  # the shift's end
    first = solve_plan(problem, time_limit_s=2, seed=0)
    proposal = reschedule(problem, first, events, now_min, time_limit_s=2)
    text = proposal.explanation.text("en")
    assert (
        "Line L1 runs at 86 % from Mon 30 Nov 09:00 until Mon 30 Nov 09:15: machine L1-S03 broke down."
        in text
    )
    assert "1 of the 8 operators of line L1 are absent" in text


def test_early_in_the_shift_nobody_is_absent_yet() -> None:
    factory = small_factory()
    ledger = ProductionLedger(factory)
    early = MONDAY_9.replace(hour=8, minute=10)
    problem = planning_problem(factory, early)
    assert floor_events(factory, ledger, problem, early, planned_efficiency=0.6) == []


def test_measured_efficiency_moves_the_plan_toward_the_floor() -> None:
    factory = small_factory()
    ledger = ProductionLedger(factory)
    t0 = int(MONDAY_9.timestamp() * MS)

    def record(minute: int, op: str, pieces: int, sam: float, *, final: bool) -> ProductionRecord:
        return ProductionRecord(
            t0 + minute * 60 * MS,
            "L1",
            "L1-S01",
            "L1-OP03",
            "B1",
            "PO-1",
            "TEST-A",
            1,
            op,
            pieces,
            sam,
            final,
            "L1-S01",
        )

    # first scan opens the clock; then 8 earned minutes in 10, then 6 in 10: 14 / 20 = 0.7, 20 garments
    ledger.records.extend([record(0, "A010", 20, 0.4, final=False), record(10, "A010", 20, 0.4, final=False),
                           record(20, "A020", 20, 0.3, final=True)])  # fmt: skip
    assert measured_line_efficiency(ledger) == {("L1", "TEST-A"): (pytest.approx(0.7), 20)}
    planned = planning_problem(factory, MONDAY_9).lines_by_id["L1"].style_efficiency["TEST-A"]
    blended = planning_problem(factory, MONDAY_9, ledger=ledger).lines_by_id["L1"].style_efficiency["TEST-A"]
    w = 20 / 500  # 20 of the 500 garments after which the measure stands alone
    assert blended == pytest.approx(w * 0.7 + (1 - w) * planned, abs=1e-3)
