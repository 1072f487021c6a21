"""What a line supervisor's board shows, as plain data: one snapshot of one line.

The figures come from the same functions as the HTTP API, so the board and the API never give two
numbers for one question: the hours from :func:`~seamline.production.kpi.line_hours` (``GET
/api/v1/lines/{id}/output``), pieces and efficiency from :func:`~seamline.production.kpi.totals`
(``GET /api/v1/production/kpi``), WIP from :meth:`ProductionLedger.wip` (``GET
/api/v1/lines/{id}/wip``), the stops as ``GET /api/v1/production/downtime`` lists them and the open
scan exceptions as ``GET /api/v1/production/exceptions?status=open&line=`` does.

**The bottleneck** is the operation with the most pieces waiting before it (every predecessor
done, itself not), ties to the later operation id: work piles up in front of the operation that
cannot keep up. The big screen names the same one (:func:`bottleneck`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from seamline.model.factory import Factory
from seamline.production.downtime import UNASSIGNED
from seamline.production.kpi import line_hours, totals
from seamline.production.ledger import ProductionLedger, ScanException
from seamline.production.states import LineStates
from seamline.production.views import day_start_ms
from seamline.telemetry import DOWNTIME_REASONS

HOUR_MS: Final = 3_600_000
STOPS_SHOWN: Final = 40  # today's stops listed on the board, newest first
EXCEPTIONS_SHOWN: Final = 30  # open exceptions listed, newest first (the count says how many in all)


def bottleneck(waiting: Mapping[str, tuple[int, int]]) -> str | None:
    """The operation with the most pieces waiting before it (ties: the later operation id), or None
    when nothing waits.

    >>> bottleneck({"P020": (2, 40), "P040": (3, 60), "P050": (3, 60)})
    'P050'
    >>> bottleneck({}) is None
    True
    """
    return max(waiting.items(), key=lambda kv: (kv[1][1], kv[0]))[0] if waiting else None


def _pct(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def line_snapshot(
    ledger: ProductionLedger,
    factory: Factory,
    line_id: str,
    states: LineStates,
    *,
    planned_efficiency: float,
    now_ms: int,
) -> dict[str, Any]:
    """One line now: today's hours against target, each seat (operator, machine state, operations,
    pieces and efficiency today), WIP per operation and the bottleneck, today's stops and the open
    scan exceptions. ``states`` are the line's machine states (:func:`line_states`, read from the
    store before taking the engine's read lock); call it under that lock (``engine.read``)."""
    line = factory.lines_by_id[line_id]
    day0 = day_start_ms(factory, now_ms)
    hour0 = now_ms - now_ms % HOUR_MS
    end = now_ms + 1
    where = {"line": line_id}
    hours = line_hours(ledger, line_id, day0, end, planned_efficiency, now_ms=now_ms)
    whole = totals(ledger, day0, end, by=(), where=where, now_ms=now_ms).get(())
    by_ws = totals(ledger, day0, end, by=("workstation",), where=where, now_ms=now_ms)
    by_op = totals(ledger, day0, end, by=("operator",), where=where, now_ms=now_ms)
    ws_ops = totals(ledger, day0, end, by=("workstation", "operation"), where=where)
    operations_at: dict[str, list[str]] = {}
    for ws_id, op_id in sorted((str(k[0]), str(k[1])) for k in ws_ops):
        operations_at.setdefault(ws_id, []).append(op_id)
    seated = {s.workstation_id: s for s in ledger.open_sessions()}
    style_id = hours[-1].style_id if hours else line.style_id
    style = factory.styles.get(style_id) if style_id else None
    op_names = {op.id: op.name for op in style.bulletin.operations} if style else {}
    for other in factory.styles.values():  # operations done today on an earlier style keep a name
        for op in other.bulletin.operations:
            op_names.setdefault(op.id, op.name)

    machines = {m.workstation_id: m for m in states.machines}
    seats = []
    newest = 0
    for ws in line.workstations:
        m = machines.get(ws.id)
        newest = max(newest, (m.as_of_ms or 0) if m else 0)
        session = seated.get(ws.id)
        operator = factory.operators_by_id.get(session.operator_id) if session else None
        t = by_ws.get((ws.id,))
        ot = by_op.get((session.operator_id,)) if session else None
        seats.append(
            {
                "workstation": ws.id,
                "position": ws.position,
                "device": ws.device_id,
                "machine_type": ws.machine_type_id,
                "state": None if m is None or m.state is None else str(m.state),
                "since": m.state_since_ms if m else None,
                "fault": m.fault_code if m else None,
                "operator": None
                if session is None
                else {
                    "id": session.operator_id,
                    "name": operator.name if operator else session.operator_id,
                    "since": session.login_ms,
                    "efficiency_pct": _pct(ot.efficiency_pct) if ot else None,
                },
                "operations": operations_at.get(ws.id, []),
                "pieces": t.pieces if t else 0,
                "efficiency_pct": _pct(t.efficiency_pct) if t else None,
            }
        )

    wip_bundles, wip_pieces, waiting = ledger.wip(line_id)
    done_by_op = totals(ledger, day0, end, by=("operation",), where=where)
    order = [op.id for op in style.bulletin.operations] if style else []
    wip_ops = [*order, *sorted(set(waiting) - set(order))]
    wip = [
        {
            "operation": op_id,
            "name": op_names.get(op_id, op_id),
            "bundles": waiting.get(op_id, (0, 0))[0],
            "pieces": waiting.get(op_id, (0, 0))[1],
            "done_today": done_by_op[(op_id,)].pieces if (op_id,) in done_by_op else 0,
        }
        for op_id in wip_ops
    ]

    stops = [
        d
        for d in reversed(ledger.machines.downtimes)
        if d.line_id == line_id and d.start_ms < end and (d.end_ms is None or d.end_ms >= day0)
    ]
    stops.sort(key=lambda d: d.start_ms, reverse=True)
    opened = [
        x
        for x in reversed(ledger.exceptions)
        if x.status == "open" and _exception_line(factory, x) == line_id
    ]
    this_hour = next((h for h in hours if h.start_ms >= hour0), None)
    targets = [h.target for h in hours if h.target is not None]
    return {
        "now": now_ms,
        "day_start": day0,
        "data_ts": newest or None,
        "line": {"id": line.id, "name": line.name},
        "lines": [{"id": ln.id, "name": ln.name} for ln in factory.lines],  # the board's line switch
        "style": style_id,
        "style_name": style.name if style else None,
        "planned_efficiency": planned_efficiency,
        "totals": {
            "output_today": whole.output if whole else 0,
            "target_today": round(sum(targets)) if targets else None,
            "output_hour": this_hour.totals.output if this_hour else 0,
            "target_hour": round(this_hour.target)
            if this_hour is not None and this_hour.target is not None
            else None,
            "pieces_today": whole.pieces if whole else 0,
            "efficiency_pct": _pct(whole.efficiency_pct) if whole else None,
            "operators": sum(1 for s in seats if s["operator"] is not None),
        },
        "hours": [
            {
                "start": h.start_ms - h.start_ms % HOUR_MS,
                "output": h.totals.output,
                "target": None if h.target is None else round(h.target, 1),
                "efficiency_pct": _pct(h.totals.efficiency_pct),
            }
            for h in hours
        ],
        "seats": seats,
        "wip": {"bundles": wip_bundles, "pieces": wip_pieces, "operations": wip},
        "bottleneck": bottleneck(waiting),
        "stops": [
            {
                "id": d.id,
                "workstation": d.workstation_id,
                "device": d.device_id,
                "reason": d.reason,
                "source": d.source,
                "start": d.start_ms,
                "end": d.end_ms,
                "duration_s": round(d.duration_s(now_ms), 1),
                "assigned_by": d.assigned_by,
            }
            for d in stops[:STOPS_SHOWN]
        ],
        "stops_unassigned": sum(1 for d in stops if d.reason == UNASSIGNED),
        "exceptions": [_exception(x) for x in opened[:EXCEPTIONS_SHOWN]],
        "exceptions_open": len(opened),
        "reasons": list(DOWNTIME_REASONS),
    }


def _exception_line(factory: Factory, x: ScanException) -> str | None:
    d = factory.devices_by_id.get(x.device_id)
    return d.line_id if d is not None else None


def _exception(x: ScanException) -> dict[str, Any]:
    s = x.scan
    return {
        "id": x.id,
        "ts": x.ts_ms,
        "device": x.device_id,
        "reason": x.reason,
        "detail": x.detail,
        "kind": x.event_type,
        "bundle": s.get("bundle"),
        "operation": s.get("operation"),
        "operator": s.get("operator"),
        "workstation": s.get("workstation"),
        "pieces": s.get("pieces"),
    }


__all__ = ["bottleneck", "line_snapshot"]
