"""The planning problem of a real floor: lines, styles and orders from the factory file and the
production records.

- Minute 0 is local midnight of ``now``'s date in the factory's time zone; lines are free from
  ``now``. Each line works ``shifts`` shifts a day of the factory's ``shift_minutes`` from its
  ``shift_start``, on ``workdays`` (0 = Monday).
- A line can make a style when it has a seat of every machine type the style's bulletin needs. Its
  efficiency on a style is its operators' skill on each machine type, weighted by that type's share
  of the style's SAM (the factory file's skills; 35 % where an operator has none); with a
  ``ledger``, moved toward what its production records measure on that style (earned over worked
  minutes), all the way once it has finished :data:`MEASURED_GARMENTS` garments of it.
- Orders: the order book (the factory file's orders, and those made by events when a ``ledger`` is
  given), less cancelled and finished ones; the pieces left are ordered less garments finished. An
  order with bundles already started runs on its line (pinned there) when it names one.
- Due: the end of the due date's working day (:func:`seamline.production.orders_view.due_end_ms`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from seamline.brain.line_balance import MAX_GAP_MIN
from seamline.brain.planning import PlanLine, PlanningProblem, PlanOrder, PlanStyle, Shift, ShiftCalendar
from seamline.model.factory import Factory, Line, Style
from seamline.production.ledger import ProductionLedger
from seamline.production.orders import OrderEntry, order_progress
from seamline.production.orders_view import due_end_ms
from seamline.production.shifts import factory_zone

DAY_MIN = 1440
MEASURED_GARMENTS = 500  # garments of a style after which a line's measured efficiency stands alone


def planning_problem(
    factory: Factory,
    now: dt.datetime,
    *,
    ledger: ProductionLedger | None = None,
    shifts: int = 1,
    workdays: Iterable[int] = range(7),
    changeover_min: int = 90,
) -> PlanningProblem:
    """The problem of ``factory``'s orders at ``now`` (timezone-aware) on its sewing lines."""
    zone = factory_zone(factory)
    local = now.astimezone(zone)
    midnight = dt.datetime.combine(local.date(), dt.time(0), tzinfo=zone)
    start_ms = int(midnight.timestamp() * 1000)
    now_min = max(0, int((now.timestamp() * 1000 - start_ms) // 60_000))
    first = factory.shift_start.hour * 60 + factory.shift_start.minute
    calendar = ShiftCalendar(
        shifts=tuple(Shift(first + k * factory.shift_minutes, factory.shift_minutes) for k in range(shifts)),
        workdays=tuple(sorted({(d - local.weekday()) % 7 for d in workdays})),
    )
    styles = {
        s.id: PlanStyle(s.id, round(s.bulletin.garment_sam_min, 3), learning_rate=s.learning_rate)
        for s in factory.styles.values()
    }
    measured = measured_line_efficiency(ledger) if ledger is not None else None
    lines = tuple(
        _line(factory, line, calendar, now_min, ledger, measured)
        for line in factory.lines
        if line.workstations
    )
    entries = (
        ledger.orders.entries.values()
        if ledger is not None
        else (OrderEntry(o, list(o.bundles()), True, "factory") for o in factory.orders)
    )
    orders = []
    for entry in entries:
        order = _order(factory, entry, ledger, start_ms, {line.id for line in lines})
        if order is not None:
            orders.append(order)
    return PlanningProblem(
        orders=tuple(sorted(orders, key=lambda o: o.id)),
        lines=lines,
        styles=styles,
        changeover_min=changeover_min,
        start=midnight.astimezone(dt.UTC).isoformat(),
        timezone=factory.timezone,
    )


def style_efficiency(factory: Factory, line: Line, style: Style) -> float:
    """The line's operators' mean skill on the style, each machine type weighted by its SAM share."""
    crew = [factory.operators_by_id[o] for o in line.operator_ids if o in factory.operators_by_id]
    ops = style.bulletin.operations
    total = sum(op.sam_min for op in ops)
    if not crew or total <= 0:
        return 1.0
    share: dict[str, float] = {}
    for op in ops:
        share[op.machine_type_id] = share.get(op.machine_type_id, 0.0) + op.sam_min / total
    return sum(w * sum(o.efficiency(mt) for o in crew) / len(crew) for mt, w in share.items())


def measured_line_efficiency(ledger: ProductionLedger) -> dict[tuple[str, str], tuple[float, int]]:
    """``(line, style) -> (efficiency, garments)`` from the production records: the earned minutes
    of the line's operators on the style over the time they took (each record's gap since the
    operator's previous scan, gaps over an hour being breaks, as :mod:`.line_balance` measures
    skills), and the garments the line finished of it."""
    earned: dict[tuple[str, str], float] = defaultdict(float)
    spent: dict[tuple[str, str], float] = defaultdict(float)
    garments: dict[tuple[str, str], int] = defaultdict(int)
    last: dict[str, int] = {}
    for r in sorted(ledger.records, key=lambda r: (r.operator_id, r.ts_ms)):
        key = (r.line_id, r.style_id)
        prev = last.get(r.operator_id)
        last[r.operator_id] = r.ts_ms
        if r.final:
            garments[key] += r.pieces
        gap_min = (r.ts_ms - prev) / 60_000 if prev is not None else 0.0
        if 0 < gap_min <= MAX_GAP_MIN:
            earned[key] += r.earned_min
            spent[key] += gap_min
    return {k: (earned[k] / spent[k], garments[k]) for k in spent if spent[k] > 0}


def _blend(planned: float, measured: tuple[float, int] | None) -> float:
    """The factory file's efficiency, moved toward the measured one as garments of the style are
    finished on the line (all the way after :data:`MEASURED_GARMENTS`)."""
    if measured is None or measured[0] <= 0:
        return planned
    w = min(1.0, measured[1] / MEASURED_GARMENTS)
    return w * measured[0] + (1 - w) * planned


def _machine_types(style: Style) -> set[str]:
    return {op.machine_type_id for op in style.bulletin.operations}


def _line(
    factory: Factory,
    line: Line,
    calendar: ShiftCalendar,
    now_min: int,
    ledger: ProductionLedger | None,
    measured: dict[tuple[str, str], tuple[float, int]] | None,
) -> PlanLine:
    have = {ws.machine_type_id for ws in line.workstations}
    can = {s.id: s for s in factory.styles.values() if _machine_types(s) <= have}
    eff = {sid: round(style_efficiency(factory, line, s), 3) for sid, s in can.items()}
    if measured is not None:
        eff = {sid: round(_blend(e, measured.get((line.id, sid))), 3) for sid, e in eff.items()}
    current = line.style_id
    if ledger is not None:
        last = next((r for r in reversed(ledger.records) if r.line_id == line.id), None)
        current = last.style_id if last is not None else current
    return PlanLine(
        id=line.id,
        styles=frozenset(can),
        operators=max(1, len(line.operator_ids) or len(line.workstations)),
        efficiency=round(sum(eff.values()) / len(eff), 3) if eff else 0.8,
        calendar=calendar,
        current_style=current,
        free_min=now_min,
        style_efficiency=eff,
    )


def _order(
    factory: Factory,
    entry: OrderEntry,
    ledger: ProductionLedger | None,
    start_ms: int,
    lines: set[str],
) -> PlanOrder | None:
    o = entry.order
    if entry.cancelled or o.style_id not in factory.styles:
        return None
    left = o.quantity
    started = False
    if ledger is not None:
        progress, _ = order_progress(entry, ledger.bundle_progress)
        if progress.status == "finished":
            return None
        left = progress.pieces_ordered - progress.garments_finished
        started = progress.status == "in_progress"
    if left <= 0:
        return None
    due = (due_end_ms(factory, o.due_date) - start_ms) // 60_000
    return PlanOrder(
        id=o.id,
        style_id=o.style_id,
        quantity=left,
        due_min=int(due),
        priority=o.priority,
        pinned_line=o.line_id if started and o.line_id in lines else None,
    )


__all__ = ["planning_problem", "style_efficiency"]
