"""What the orders page shows, as plain data: every order's progress (the same
:func:`~seamline.production.orders.order_progress` as ``GET /api/v1/orders``) and its due-date risk.

Due-date risk compares the work left with the time left, line by line, in the order the line
makes them (due date, then priority, as the API lists them):

* work left of an order = garments not yet finished x the style's garment SAM (the sum of its
  operations' SAM, minutes); an order's **load** is its own work left plus that of every order of
  its line listed before it, which the line makes first;
* the line's **capacity** until the order's due date = attended operators x efficiency x minutes
  from now to the end of the due date's working day (shifts run back to back, so every minute of
  the working day is a working minute). Attended operators: those logged in on the line now, or
  between shifts its headcount less the operators' usual absence; efficiency: the line's own
  today (earned / attended minutes) once an hour of attendance is counted, else the planned one;
* load / capacity is the **load %**: above 100 % the order is ``at_risk``, above 85 % ``tight``,
  else ``on_track``; an order past its due date and not finished is ``late``; without a line it is
  ``no_line`` (no capacity to weigh it against).

>>> risk_of(load_pct=120.0, overdue=False)
'at_risk'
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from seamline.model.factory import Factory, Line
from seamline.production.kpi import totals
from seamline.production.ledger import ProductionLedger
from seamline.production.orders import order_progress
from seamline.production.shifts import factory_zone
from seamline.production.views import DAY_MS, day_start_ms

TIGHT_PCT: Final = 85.0
MEASURED_MIN: Final = 60.0  # attended minutes today before the line's own efficiency is used


def risk_of(*, load_pct: float | None, overdue: bool) -> str:
    """``late``, ``at_risk``, ``tight`` or ``on_track`` (``no_line`` when there is no load %)."""
    if overdue:
        return "late"
    if load_pct is None:
        return "no_line"
    if load_pct > 100.0:
        return "at_risk"
    return "tight" if load_pct > TIGHT_PCT else "on_track"


def due_end_ms(factory: Factory, due: dt.date) -> int:
    """The end of the due date's working day: its first shift's start, local time, plus 24 hours."""
    start = dt.datetime.combine(due, factory.shift_start, tzinfo=factory_zone(factory))
    return int(start.timestamp() * 1000) + DAY_MS


def line_capacity(
    ledger: ProductionLedger, factory: Factory, line: Line, *, now_ms: int, planned_efficiency: float
) -> dict[str, Any]:
    """Attended operators, the efficiency used (%) and where each comes from, and the capacity in
    SAM-minutes per working minute."""
    attending = sum(1 for s in ledger.open_sessions() if s.line_id == line.id)
    operators_source = "logged_in"
    operators: float = attending
    if not attending:
        crew = [factory.operators_by_id[o] for o in line.operator_ids if o in factory.operators_by_id]
        operators = sum(1.0 - o.absence_rate for o in crew)
        operators_source = "headcount"
    day0 = day_start_ms(factory, now_ms)
    today = totals(ledger, day0, now_ms + 1, by=("line",), now_ms=now_ms, where={"line": line.id}).get(
        (line.id,)
    )
    eff = planned_efficiency * 100.0
    eff_source = "planned"
    if today is not None and (today.attended_min or 0) >= MEASURED_MIN and today.efficiency_pct:
        eff, eff_source = today.efficiency_pct, "today"
    return {
        "line": line.id,
        "name": line.name,
        "operators": round(operators, 1),
        "operators_source": operators_source,
        "efficiency_pct": round(eff, 1),
        "efficiency_source": eff_source,
        "sam_min_per_hour": round(operators * eff / 100.0 * 60.0, 1),
    }


def orders_snapshot(
    ledger: ProductionLedger, factory: Factory, *, now_ms: int, planned_efficiency: float
) -> dict[str, Any]:
    """Every order with its progress and due-date risk, and each line's capacity; call it under the
    engine's read lock."""
    lines = {
        ln.id: line_capacity(ledger, factory, ln, now_ms=now_ms, planned_efficiency=planned_efficiency)
        for ln in factory.lines
    }
    entries = sorted(
        ledger.orders.entries.values(), key=lambda e: (e.order.due_date, -e.order.priority, e.order.id)
    )
    load: dict[str, float] = {}  # SAM-minutes queued on each line so far, in the line's order
    rows = []
    for entry in entries:
        o = entry.order
        p, _ = order_progress(entry, ledger.bundle_progress)
        style = factory.styles.get(o.style_id)
        garment_sam = sum(op.sam_min for op in style.bulletin.operations) if style else 0.0
        left = max(0, p.pieces_ordered - p.garments_finished)
        work = left * garment_sam
        end = due_end_ms(factory, o.due_date)
        capacity = load_pct = None
        risk: str | None = None
        if p.status not in ("finished", "cancelled"):
            cap = lines.get(o.line_id or "")
            if cap is not None:
                load[o.line_id or ""] = load.get(o.line_id or "", 0.0) + work
                capacity = cap["sam_min_per_hour"] / 60.0 * max(0, end - now_ms) / 60_000
                load_pct = 100.0 * load[o.line_id or ""] / capacity if capacity > 0 else float("inf")
            risk = risk_of(load_pct=load_pct, overdue=now_ms >= end)
        rows.append(
            {
                "id": o.id,
                "style": o.style_id,
                "line": o.line_id,
                "due": o.due_date.isoformat(),
                "due_end": end,
                "priority": o.priority,
                "status": p.status,
                "ordered": p.pieces_ordered,
                "finished": p.garments_finished,
                "finished_pct": round(100.0 * p.garments_finished / p.pieces_ordered, 1)
                if p.pieces_ordered
                else None,
                "bundles": p.bundles,
                "bundles_started": p.bundles_started,
                "bundles_finished": p.bundles_finished,
                "wip_pieces": p.wip_pieces,
                "work_left_min": round(work, 1),
                "load_min": round(load[o.line_id or ""], 1) if load_pct is not None else None,
                "capacity_min": round(capacity, 1) if capacity is not None else None,
                "load_pct": None if load_pct is None or load_pct == float("inf") else round(load_pct, 1),
                "risk": risk,
            }
        )
    return {
        "now": now_ms,
        "data_ts": ledger.clock_ms if ledger.clock_ms > 0 else None,
        "planned_efficiency": planned_efficiency,
        "lines": list(lines.values()),
        "orders": rows,
    }


__all__ = ["due_end_ms", "line_capacity", "orders_snapshot", "risk_of"]
