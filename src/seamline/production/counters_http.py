"""HTTP routes of the machines' counters: deltas by hour or day with needle time, utilisation and
machine OEE, the counters' epochs and anomalies, and the plausibility check of the scans."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from seamline.errors import NotFoundError
from seamline.production.counters import COUNTERS
from seamline.production.hours import DAY_MS
from seamline.production.http_common import DAY_S, engine_of
from seamline.production.kpi import totals
from seamline.production.ledger import ProductionLedger
from seamline.production.machine_kpi import DEFAULT_TOLERANCE_PCT, MachineKpi, machine_kpis, plausibility
from seamline.store.http import time_range
from seamline.timeutil import ms_to_iso

router = APIRouter(prefix="/api/v1", tags=["production"])


class MachineKpiOut(BaseModel):
    """A machine's needle time, utilisation and OEE terms over a span (percentages, or null when a
    term is not measured)."""

    needle_time_s: float
    attended_min: float
    needle_utilisation_pct: float | None = Field(description="needle time / attended time x 100")
    availability_pct: float | None = Field(description="A = (attended - fault minutes) / attended")
    effectiveness_pct: float | None = Field(description="E = earned minutes / (attended - fault)")
    quality_pct: float | None = Field(description="QR = 1 - defective / checked, inline checks")
    oee_pct: float | None = Field(description="A x E x QR x 100 (ISO 22400-2)")


class CounterBucket(BaseModel):
    """What a machine's counters counted in one hour or day."""

    start: str
    counted: dict[str, float]
    attended_min: float
    needle_utilisation_pct: float | None


class CounterEpochOut(BaseModel):
    """One boot of one counter: from 0 (a reset) or from its first reading (a baseline)."""

    channel: str
    boot: int
    from_zero: bool
    first: str
    last: str
    last_value: float
    counted: float


class CounterAnomalyOut(BaseModel):
    """A counter that went down with no reset."""

    channel: str
    boot: int
    ts: str
    previous: float
    value: float


class MachineCounters(BaseModel):
    """A machine's counters over a span, bucket by bucket, with its KPIs over the whole span."""

    device: str
    line: str
    workstation: str
    start: str
    end: str
    bucket: str
    channels: list[str]
    buckets: list[CounterBucket]
    totals: dict[str, float]
    kpi: MachineKpiOut
    epochs: list[CounterEpochOut]
    anomalies: int
    recent_anomalies: list[CounterAnomalyOut]


class PlausibilityRow(BaseModel):
    """A workstation-hour whose machine's piece count disagrees with the scans there."""

    hour: str
    line: str
    workstation: str
    device: str
    counted: float
    scanned: int
    tolerance: float


class PlausibilityOut(BaseModel):
    start: str
    end: str
    tolerance_pct: float
    checked: int = Field(description="workstation-hours compared")
    disagreements: list[PlausibilityRow]


def kpi_json(k: MachineKpi) -> MachineKpiOut:
    """The API form of :class:`MachineKpi`, rounded."""

    def pct(x: float | None) -> float | None:
        return None if x is None else round(100.0 * x, 2)

    u = k.needle_utilisation_pct
    return MachineKpiOut(
        needle_time_s=round(k.needle_time_s, 1),
        attended_min=round(k.attended_min, 3),
        needle_utilisation_pct=None if u is None else round(u, 2),
        availability_pct=pct(k.availability),
        effectiveness_pct=pct(k.effectiveness),
        quality_pct=pct(k.quality_rate),
        oee_pct=pct(k.oee),
    )


@router.get(
    "/production/machines/plausibility",
    summary="Workstation-hours where a machine's piece count disagrees with the scans",
    description=(
        "Per workstation and hour overlapping [start, end): the `piece_count` delta of its machine"
        " against the pieces of the operations scanned there; listed when they differ by more than"
        " one bundle + `tolerance_pct` of the larger. Scans stay the authority for counts."
    ),
)
def get_plausibility(
    request: Request,
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
    line: str | None = Query(None),
    tolerance_pct: float = Query(DEFAULT_TOLERANCE_PCT, ge=0, le=1000),
) -> PlausibilityOut:
    start_ms, end_ms = time_range(start, end, default_s=DAY_S)
    rows = engine_of(request).read(
        lambda lg: plausibility(lg, start_ms, end_ms, line_id=line, tolerance_pct=tolerance_pct)
    )
    return PlausibilityOut(
        start=ms_to_iso(start_ms),
        end=ms_to_iso(end_ms),
        tolerance_pct=tolerance_pct,
        checked=len(rows),
        disagreements=[
            PlausibilityRow(
                hour=ms_to_iso(r.hour_ms),
                line=r.line_id,
                workstation=r.workstation_id,
                device=r.device_id,
                counted=round(r.counted, 1),
                scanned=r.scanned,
                tolerance=round(r.tolerance, 1),
            )
            for r in rows
            if r.flagged
        ],
    )


@router.get(
    "/production/machines/{device_id}/counters",
    summary="A machine's counter deltas by hour or day, needle time, utilisation, OEE, epochs, anomalies",
    description=(
        f"Deltas of the counters {', '.join(COUNTERS)} in the hours overlapping [start, end), by"
        " `bucket` (hour, or UTC day); a controller reset starts a new epoch counted from 0, late and"
        " repeated readings slot into place. Needle utilisation % = needle time (`run_time_s`) /"
        " attended minutes at the workstation x 100; machine OEE = A x E x QR (ISO 22400-2; README"
        ' "Production records").'
    ),
)
def get_counters(
    request: Request,
    device_id: str,
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
    bucket: Literal["hour", "day"] = Query("hour"),
) -> MachineCounters:
    factory = request.app.state.factory
    seat = next(
        ((line, ws) for line in factory.lines for ws in line.workstations if ws.device_id == device_id), None
    )
    if seat is None:
        raise NotFoundError("machine at a workstation", device_id)
    line, ws = seat
    kinds = factory.devices_by_id[device_id].machine_type.channel_index
    start_ms, end_ms = time_range(start, end, default_s=DAY_S)

    def pick(lg: ProductionLedger) -> MachineCounters:
        book = lg.counters
        now = min(end_ms, max(lg.machines.newest_ms, start_ms))
        width = DAY_MS if bucket == "day" else 1
        counted: dict[int, dict[str, float]] = {}
        for hour, deltas in book.hours(start_ms, end_ms):
            for channel in COUNTERS:
                d = deltas.get((device_id, channel))
                if d is not None:
                    per = counted.setdefault(hour - hour % width, {})
                    per[channel] = per.get(channel, 0.0) + d
        attended: dict[int, float] = {}
        where = {"workstation": ws.id}
        for (at,), t in totals(lg, start_ms, end_ms, by=("hour",), where=where, now_ms=now).items():
            key = int(at) - int(at) % width
            attended[key] = attended.get(key, 0.0) + (t.attended_min or 0.0)
        buckets = []
        for t0 in sorted(set(counted) | set(attended)):
            c, att = counted.get(t0, {}), attended.get(t0, 0.0)
            needle = c.get("run_time_s", 0.0)
            buckets.append(
                CounterBucket(
                    start=ms_to_iso(t0),
                    counted={k: round(v, 3) for k, v in c.items()},
                    attended_min=round(att, 3),
                    needle_utilisation_pct=round(100.0 * needle / 60.0 / att, 2) if att else None,
                )
            )
        k = machine_kpis(lg, start_ms, end_ms, line_id=line.id, now_ms=now)[device_id]
        return MachineCounters(
            device=device_id,
            line=line.id,
            workstation=ws.id,
            start=ms_to_iso(start_ms),
            end=ms_to_iso(end_ms),
            bucket=bucket,
            channels=[c for c in COUNTERS if c in kinds],
            buckets=buckets,
            totals={c: round(v, 3) for c, v in k.counted.items()},
            kpi=kpi_json(k),
            epochs=[
                CounterEpochOut(
                    channel=e.channel,
                    boot=e.boot,
                    from_zero=e.from_zero,
                    first=ms_to_iso(e.first_ts_ms),
                    last=ms_to_iso(e.last_ts_ms),
                    last_value=e.last_value,
                    counted=round(e.counted, 3),
                )
                for e in book.epochs(device_id)
            ],
            anomalies=sum(n for (dev, _), n in book.anomaly_count.items() if dev == device_id),
            recent_anomalies=[
                CounterAnomalyOut(
                    channel=a.channel, boot=a.boot, ts=ms_to_iso(a.ts_ms), previous=a.previous, value=a.value
                )
                for a in book.anomalies
                if a.device_id == device_id
            ],
        )

    return engine_of(request).read(pick)
