"""What the maintenance screens show, as plain data: every machine's reliability ("what to fix
first") and one machine's page (its state today, counters, gauges, faults, stops, MTBF/MTTR).

The figures come from the same functions as the HTTP API: :func:`machine_rows` is
``GET /api/v1/production/machines``; the counters are :func:`~seamline.production.machine_kpi.machine_kpis`
as ``GET /api/v1/production/machines/{id}/counters`` gives them; the state band is
``GET /api/v1/devices/{id}/states`` (:func:`~seamline.production.durations.device_states_json`);
breakdowns are :func:`~seamline.production.downtime.reliability`. Call them under the engine's read
lock (``engine.read``).
"""

from __future__ import annotations

from typing import Any, Final

from seamline.errors import NotFoundError
from seamline.ingest import Liveness
from seamline.model.factory import ChannelKind, Factory
from seamline.production.counters_http import kpi_json
from seamline.production.downtime import BREAKDOWN, reliability
from seamline.production.durations import device_states_json
from seamline.production.hours import DAY_MS
from seamline.production.ledger import ProductionLedger
from seamline.production.machine_kpi import PIECES, machine_kpis
from seamline.production.states import line_states
from seamline.production.views import day_start_ms
from seamline.store.base import Store

RELIABILITY_DAYS: Final = 7  # the maintenance list's breakdowns, MTBF and MTTR: the last week
BAND_INTERVAL_S: Final = 60  # the state band: one slice a minute
FAULTS: Final = 20  # the newest fault events listed
STOPS: Final = 20  # the newest stops listed
CHARTED: Final = ("motor_speed_spm", "motor_current_a", "motor_temp_c", "vibration_x_mm_s")


def _r(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def machine_rows(
    ledger: ProductionLedger, start_ms: int, end_ms: int, *, line_id: str | None, now_ms: int
) -> list[dict[str, Any]]:
    """Each machine's seconds per state, utilisation % = running / (idle + running + fault) x 100,
    breakdowns, MTBF (running hours / breakdowns), MTTR (mean breakdown minutes) and, at a
    workstation, its KPIs, over the hours overlapping ``[start_ms, end_ms)``."""
    seconds = ledger.machines.seconds(start_ms, end_ms, now_ms=now_ms)
    rel = reliability(ledger.machines, start_ms, end_ms, now_ms=now_ms)
    kpis = machine_kpis(ledger, start_ms, end_ms, line_id=line_id, now_ms=now_ms)
    rows = []
    for (line, device), s in sorted(seconds.items()):
        if line_id is not None and line != line_id:
            continue
        on = s.get("idle", 0.0) + s.get("running", 0.0) + s.get("fault", 0.0)
        r, k = rel.get(device), kpis.get(device)
        rows.append(
            {
                "device": device,
                "line": line,
                "seconds": {state: round(v, 1) for state, v in s.items()},
                "utilisation_pct": round(100.0 * s.get("running", 0.0) / on, 2) if on else None,
                "breakdowns": r.breakdowns if r else 0,
                "mtbf_h": _r(r.mtbf_h, 3) if r else None,
                "mttr_min": _r(r.mttr_min, 2) if r else None,
                "kpi": kpi_json(k).model_dump() if k is not None else None,
            }
        )
    return rows


def _repair_min(ledger: ProductionLedger, start_ms: int, now_ms: int) -> dict[str, tuple[float, int]]:
    """device -> (minutes stopped, stops) of every stop overlapping ``[start_ms, now_ms)``."""
    out: dict[str, tuple[float, int]] = {}
    for d in ledger.machines.downtimes:
        end = d.end_ms if d.end_ms is not None else max(now_ms, d.start_ms)
        if end >= start_ms and d.start_ms < now_ms:
            m, n = out.get(d.device_id, (0.0, 0))
            out[d.device_id] = (m + (min(end, now_ms) - max(d.start_ms, start_ms)) / 60_000, n + 1)
    return out


def machines_snapshot(
    ledger: ProductionLedger,
    factory: Factory,
    store: Store,
    *,
    now_ms: int,
    liveness: Liveness | None = None,
) -> dict[str, Any]:
    """Every workstation's machine: its state now, and over the last :data:`RELIABILITY_DAYS` its
    breakdowns, MTBF, MTTR, downtime and utilisation; most breakdowns first, then most downtime."""
    start = now_ms - RELIABILITY_DAYS * DAY_MS
    rows = {r["device"]: r for r in machine_rows(ledger, start, now_ms + 1, line_id=None, now_ms=now_ms)}
    down = _repair_min(ledger, start, now_ms)
    machines = []
    newest = 0
    for line in factory.lines:
        for m in line_states(factory, store, line, liveness=liveness).machines:
            newest = max(newest, m.as_of_ms or 0)
            r = rows.get(m.device_id, {})
            minutes, stops = down.get(m.device_id, (0.0, 0))
            machines.append(
                {
                    "device": m.device_id,
                    "line": line.id,
                    "workstation": m.workstation_id,
                    "type": m.machine_type,
                    "state": None if m.state is None else str(m.state),
                    "since": m.state_since_ms,
                    "fault": m.fault_code,
                    "breakdowns": r.get("breakdowns", 0),
                    "mtbf_h": r.get("mtbf_h"),
                    "mttr_min": r.get("mttr_min"),
                    "stops": stops,
                    "downtime_min": round(minutes, 1),
                    "utilisation_pct": r.get("utilisation_pct"),
                }
            )
    machines.sort(key=lambda m: (-m["breakdowns"], -m["downtime_min"], m["device"]))
    return {
        "now": now_ms,
        "since": start,
        "days": RELIABILITY_DAYS,
        "data_ts": newest or None,
        "machines": machines,
    }


def band(states: dict[str, Any], start_ms: int) -> list[list[Any]]:
    """The state band of ``device_states_json`` answer ``states`` from ``start_ms``: runs of
    intervals of one dominant known state, ``[start_ms, end_ms, state]``.

    >>> iv = lambda run, idle, unknown: {"seconds": {"running": run, "idle": idle}, "unknown_s": unknown}
    >>> band({"interval_s": 60, "intervals": [iv(50, 10, 0), iv(40, 0, 20), iv(0, 0, 60), iv(1, 2, 57)]}, 0)
    [[0, 120000, 'running'], [180000, 240000, 'idle']]
    """
    runs: list[list[Any]] = []
    step = states["interval_s"] * 1000
    for k, iv in enumerate(states["intervals"]):
        secs = {s: v for s, v in iv["seconds"].items() if v > 0}
        if not secs:
            continue  # nothing known: a gap in the band
        state = max(secs.items(), key=lambda kv: kv[1])[0]
        a = start_ms + k * step
        if runs and runs[-1][2] == state and runs[-1][1] == a:
            runs[-1][1] = a + step
        else:
            runs.append([a, a + step, state])
    return runs


def machine_snapshot(
    ledger: ProductionLedger,
    factory: Factory,
    store: Store,
    device_id: str,
    *,
    now_ms: int,
    liveness: Liveness | None = None,
) -> dict[str, Any]:
    """One workstation's machine: its state now and since the working day began (a band of one
    dominant state a minute, and seconds per state), its counters today (needle time, utilisation,
    pieces), its gauges' newest values, its newest fault events, its stops, and its breakdowns,
    MTBF and MTTR today and over the last :data:`RELIABILITY_DAYS`."""
    seat = next(
        ((line, ws) for line in factory.lines for ws in line.workstations if ws.device_id == device_id), None
    )
    if seat is None:
        raise NotFoundError("machine at a workstation", device_id)
    line, ws = seat
    device = factory.devices_by_id[device_id]
    day0 = day_start_ms(factory, now_ms)
    status = next(
        m for m in line_states(factory, store, line, liveness=liveness).machines if m.device_id == device_id
    )
    states = device_states_json(
        factory, store, device_id, day0, max(now_ms, day0 + 1000), BAND_INTERVAL_S, liveness=liveness
    )
    kpi = machine_kpis(ledger, day0, now_ms + 1, line_id=line.id, now_ms=now_ms)[device_id]
    gauges = [c for c in device.machine_type.channels if c.kind is ChannelKind.GAUGE]
    latest = {lv.sensor_id: lv for lv in store.latest([device.sensor_id(c.name) for c in gauges])}
    today = reliability(ledger.machines, day0, now_ms + 1, now_ms=now_ms).get(device_id)
    week0 = now_ms - RELIABILITY_DAYS * DAY_MS
    week = reliability(ledger.machines, week0, now_ms + 1, now_ms=now_ms).get(device_id)
    faults = store.events(device_ids=[device_id], types=["fault"], limit=FAULTS)
    stops = [d for d in reversed(ledger.machines.downtimes) if d.device_id == device_id][:STOPS]
    on = sum(states["total"]["seconds"].get(s, 0.0) for s in ("idle", "running", "fault"))
    return {
        "now": now_ms,
        "day_start": day0,
        "data_ts": status.as_of_ms,
        "device": device_id,
        "line": line.id,
        "line_name": line.name,
        "workstation": ws.id,
        "type": device.machine_type.id,
        "type_name": device.machine_type.name,
        "state": None if status.state is None else str(status.state),
        "since": status.state_since_ms,
        "fault": status.fault_code,
        "speed_spm": status.speed_spm,
        "band": band(states, day0),
        "state_seconds": {s: round(v, 1) for s, v in states["total"]["seconds"].items() if v > 0},
        "utilisation_pct": _r(100.0 * states["total"]["seconds"].get("running", 0.0) / on, 1) if on else None,
        "counters": {
            "needle_time_s": round(kpi.needle_time_s, 1),
            "needle_utilisation_pct": _r(kpi.needle_utilisation_pct, 1),
            "pieces": round(kpi.counted.get(PIECES, 0.0)),
            "attended_min": round(kpi.attended_min, 1),
            "oee_pct": _r(None if kpi.oee is None else 100.0 * kpi.oee, 1),
        },
        "reliability": {
            "today": {
                "breakdowns": today.breakdowns if today else 0,
                "mtbf_h": _r(today.mtbf_h, 2) if today else None,
                "mttr_min": _r(today.mttr_min, 1) if today else None,
            },
            "days": RELIABILITY_DAYS,
            "week": {
                "breakdowns": week.breakdowns if week else 0,
                "mtbf_h": _r(week.mtbf_h, 2) if week else None,
                "mttr_min": _r(week.mttr_min, 1) if week else None,
            },
        },
        "channels": [{"name": c.name, "unit": c.unit} for c in gauges],
        "charted": [c for c in CHARTED if c in device.machine_type.channel_index],
        "latest": {
            c.name: [lv.ts_ms, lv.value]
            for c in gauges
            if (lv := latest.get(device.sensor_id(c.name))) is not None
        },
        "faults": [
            {
                "ts": ev.ts_ms,
                "code": ev.data.get("code"),
                "severity": ev.data.get("severity"),
                "text": ev.data.get("text"),
            }
            for ev in faults
        ],
        "stops": [
            {
                "id": d.id,
                "reason": d.reason,
                "start": d.start_ms,
                "end": d.end_ms,
                "duration_s": round(d.duration_s(now_ms), 1),
                "source": d.source,
                "breakdown": d.reason == BREAKDOWN,
            }
            for d in stops
        ],
    }


__all__ = ["band", "machine_rows", "machine_snapshot", "machines_snapshot"]
