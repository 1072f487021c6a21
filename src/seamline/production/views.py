"""What the floor's screens show, as plain data: one snapshot of the whole floor for the big screen.

The figures come from the same functions as the HTTP API (:func:`~seamline.production.kpi.totals`,
:func:`~seamline.production.kpi.line_hours`, :func:`~seamline.production.kpi.quality_totals`,
:func:`~seamline.production.states.line_states`), so a screen and an API answer never give two
numbers for one question. "Today" is the factory's working day: from the first shift's start
(factory time zone) at or before now, for 24 hours.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from seamline.ingest import Liveness
from seamline.model.factory import Factory
from seamline.production.hours import HOUR_MS
from seamline.production.kpi import line_hours, quality_totals, totals
from seamline.production.ledger import ProductionLedger
from seamline.production.shifts import factory_zone
from seamline.production.states import line_states
from seamline.store.base import Store
from seamline.timeutil import ms_to_iso

DAY_MS = 24 * HOUR_MS
ACTIVE_STOPS = 12  # the longest-running stops the big screen lists


def day_start_ms(factory: Factory, now_ms: int) -> int:
    """The start of the factory's working day holding ``now_ms``: the first shift's start, local time.

    >>> from seamline.model.loader import load_factory  # Asia/Dhaka (UTC+6), first shift 08:00
    >>> f = load_factory()
    >>> ms_to_iso(day_start_ms(f, 1_764_720_000_000))  # 2025-12-03 06:00 Dhaka: the day began the day before
    '2025-12-02T02:00:00.000Z'
    """
    zone = factory_zone(factory)
    local = dt.datetime.fromtimestamp(now_ms / 1000, tz=zone)
    start = dt.datetime.combine(local.date(), factory.shift_start, tzinfo=zone)
    if start > local:
        start -= dt.timedelta(days=1)
    return int(start.timestamp() * 1000)


def _pct(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def floor_snapshot(
    ledger: ProductionLedger,
    factory: Factory,
    store: Store,
    *,
    planned_efficiency: float,
    now_ms: int,
    liveness: Liveness | None = None,
) -> dict[str, Any]:
    """The whole floor now: per line today's and this hour's output against target, efficiency,
    OEE, DHU, RFT and WIP, every machine's state, and the stops going on; call it under the
    engine's read lock (``engine.read``)."""
    day0 = day_start_ms(factory, now_ms)
    hour0 = now_ms - now_ms % HOUR_MS
    end = now_ms + 1
    by_line = totals(ledger, day0, end, by=("line",), now_ms=now_ms)
    quality = quality_totals(ledger, day0, end, by=("line",), where={"kind": "end_of_line"})
    lines: list[dict[str, Any]] = []
    newest = 0
    since = {device: cur[2] for device, cur in ledger.machines.current.items()}  # no query of the store
    for line in factory.lines:
        hours = line_hours(ledger, line.id, day0, end, planned_efficiency, now_ms=now_ms)
        this_hour = next((h for h in hours if h.start_ms >= hour0), None)
        t = by_line.get((line.id,))
        q = quality.get((line.id,))
        eff = t.efficiency_pct if t is not None else None
        rft = q.rft_pct if q is not None else None
        _, wip_pieces, waiting = ledger.wip(line.id)
        states = line_states(factory, store, line, liveness=liveness, since_ms=since)
        machines = []
        for m in states.machines:
            newest = max(newest, m.as_of_ms or 0)
            machines.append(
                {
                    "device": m.device_id,
                    "workstation": m.workstation_id,
                    "state": None if m.state is None else str(m.state),
                    "since": m.state_since_ms,
                    "fault": m.fault_code,
                }
            )
        targets = [h.target for h in hours if h.target is not None]
        bottleneck = max(waiting.items(), key=lambda kv: (kv[1][1], kv[0]))[0] if waiting else None
        lines.append(
            {
                "id": line.id,
                "name": line.name,
                "style": hours[-1].style_id if hours else line.style_id,
                "output_today": t.output if t is not None else 0,
                "target_today": round(sum(targets)) if targets else None,
                "output_hour": this_hour.totals.output if this_hour else 0,
                "target_hour": round(this_hour.target)
                if this_hour and this_hour.target is not None
                else None,
                "efficiency_pct": _pct(eff),
                "oee_pct": _pct(eff * rft / 100.0) if eff is not None and rft is not None else None,
                "rft_pct": _pct(rft),
                "dhu": _pct(q.dhu) if q is not None else None,
                "wip_pieces": wip_pieces,
                "bottleneck": bottleneck,
                "machines": machines,
            }
        )
    whole = totals(ledger, day0, end, by=(), now_ms=now_ms).get(())
    whole_q = quality_totals(ledger, day0, end, by=(), where={"kind": "end_of_line"}).get(())
    f_eff = whole.efficiency_pct if whole is not None else None
    f_rft = whole_q.rft_pct if whole_q is not None else None
    f_targets = [ln["target_today"] for ln in lines if ln["target_today"] is not None]
    factory_row = {
        "output_today": sum(ln["output_today"] for ln in lines),
        "target_today": sum(f_targets) if f_targets else None,
        "efficiency_pct": _pct(f_eff),
        "oee_pct": _pct(f_eff * f_rft / 100.0) if f_eff is not None and f_rft is not None else None,
        "dhu": _pct(whole_q.dhu) if whole_q is not None else None,
        "wip_pieces": sum(ln["wip_pieces"] for ln in lines),
    }
    stops = sorted(ledger.machines.open_stops(), key=lambda d: d.start_ms)[:ACTIVE_STOPS]
    return {
        "now": now_ms,
        "day_start": day0,
        "data_ts": newest or None,  # device time of the newest machine state reading drawn
        "planned_efficiency": planned_efficiency,
        "factory": factory_row,
        "lines": lines,
        "stops": [
            {
                "id": d.id,
                "line": d.line_id,
                "workstation": d.workstation_id,
                "reason": d.reason,
                "since": d.start_ms,
            }
            for d in stops
        ],
        "as_of": ms_to_iso(now_ms),
    }


__all__ = ["day_start_ms", "floor_snapshot"]
