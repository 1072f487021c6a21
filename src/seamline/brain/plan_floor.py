"""What the floor says now, as rescheduling events: read from the production records' live state.

- A machine in ``fault`` (its state channel): a :class:`Breakdown` of its line for the rest of its
  machine type's mean time to repair (at least :data:`MIN_REPAIR_MIN`), the line working at
  ``(seats - 1) / seats`` meanwhile (one seat's operation held up, the others still sewing).
- Operators of a line's roster not logged in (badge events) while the first shift is on, once
  :data:`GRACE_MIN` into it: an :class:`OperatorAbsent` until the shift's end.
- A line whose efficiency today (earned over attended minutes) is below :data:`BEHIND_RATIO` of
  the planned efficiency: an :class:`OutputBehind` at that ratio for the rest of the shift.

Call :func:`floor_events` under the production engine's read lock (``engine.read``).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from seamline.brain.planning import PlanningProblem
from seamline.brain.reschedule_events import Breakdown, Event, OperatorAbsent, OutputBehind
from seamline.model.factory import Factory, MachineState
from seamline.production.ledger import ProductionLedger
from seamline.production.orders_view import line_capacity
from seamline.production.shifts import shift_at, shift_window

MIN_REPAIR_MIN: Final = 15
GRACE_MIN: Final = 30  # operators badging in late are not absent yet
BEHIND_RATIO: Final = 0.9


def floor_events(
    factory: Factory,
    ledger: ProductionLedger,
    problem: PlanningProblem,
    now: dt.datetime,
    *,
    planned_efficiency: float,
) -> list[Event]:
    """The breakdowns, absences and slow lines on the floor at ``now``, as events of ``problem``."""
    start_ms = dt.datetime.fromisoformat(problem.start).timestamp() * 1000
    now_ms = int(now.timestamp() * 1000)
    now_min = int((now_ms - start_ms) // 60_000)
    lines = {line.id for line in problem.lines}
    out: list[Event] = []
    out.extend(_faults(factory, ledger, lines, now_ms, now_min))
    date, shift = shift_at(factory, now_ms)
    begin_ms, end_ms = shift_window(factory, date, shift)
    if shift != 1 or now_ms - begin_ms < GRACE_MIN * 60_000:
        return out
    until_min = int((end_ms - start_ms) // 60_000)
    present: dict[str, set[str]] = {}
    for s in ledger.open_sessions():
        present.setdefault(s.line_id or "", set()).add(s.operator_id)
    for line in factory.lines:
        if line.id not in lines:
            continue
        missing = tuple(o for o in line.operator_ids if o not in present.get(line.id, set()))
        if missing and len(missing) < len(line.operator_ids):  # nobody in at all: the line is off
            out.append(OperatorAbsent(line.id, now_min, until_min, len(missing), missing))
        cap = line_capacity(ledger, factory, line, now_ms=now_ms, planned_efficiency=planned_efficiency)
        if cap["efficiency_source"] == "today" and planned_efficiency > 0:
            ratio = cap["efficiency_pct"] / (planned_efficiency * 100.0)
            if ratio < BEHIND_RATIO:
                out.append(OutputBehind(line.id, now_min, round(ratio, 2), max(1, until_min - now_min)))
    return out


def _faults(
    factory: Factory, ledger: ProductionLedger, lines: set[str], now_ms: int, now_min: int
) -> list[Event]:
    out: list[Event] = []
    seats = {line.id: len(line.workstations) for line in factory.lines}
    for device_id, (line_id, state, since_ms) in sorted(ledger.machines.current.items()):
        if state != MachineState.FAULT.value or line_id not in lines:
            continue
        device = factory.devices_by_id.get(device_id)
        mttr = device.machine_type.mttr_min if device is not None else None
        left = (mttr or 60.0) - (now_ms - since_ms) / 60_000
        n = max(1, seats.get(line_id, 1))
        out.append(
            Breakdown(
                line_id,
                now_min,
                max(MIN_REPAIR_MIN, round(left)),
                device_id=device_id,
                capacity=(n - 1) / n,
            )
        )
    return out


__all__ = ["BEHIND_RATIO", "GRACE_MIN", "MIN_REPAIR_MIN", "floor_events"]
