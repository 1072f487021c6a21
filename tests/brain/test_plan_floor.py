"""Rescheduling events read from the production records: a machine in fault, operators not badged
in, and nothing before the shift's grace time is over."""

from __future__ import annotations

import datetime as dt

from plan_helpers import small_factory

from seamline.brain.plan_factory import planning_problem
from seamline.brain.plan_floor import floor_events
from seamline.brain.plan_solver import solve_plan
from seamline.brain.reschedule import reschedule
from seamline.brain.reschedule_events import Breakdown, OperatorAbsent
from seamline.production.ledger import ProductionLedger

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
