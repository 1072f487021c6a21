"""HTTP routes for stored telemetry: latest values and history of sensors and devices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request

from seamline.errors import NotFoundError, SeamlineError
from seamline.model.factory import Factory, Sensor
from seamline.model.http import device_summary, find_device
from seamline.store.base import Store
from seamline.timeutil import ms_to_iso, now_ms, to_ms

router = APIRouter(prefix="/api/v1", tags=["telemetry"])

MAX_POINTS = 100_000


class BadTimeRangeError(SeamlineError):
    reason = "bad_time_range"

    def __init__(self, message: str) -> None:
        super().__init__(message)


def _sensor_json(s: Sensor) -> dict[str, Any]:
    ch = s.channel
    return {"id": s.id, "device": s.device_id, "channel": ch.name, "kind": ch.kind.value, "unit": ch.unit}


def _find_sensor(factory: Factory, sensor_id: int) -> Sensor:
    try:
        return factory.sensor(sensor_id)
    except KeyError:
        raise NotFoundError("sensor", sensor_id) from None


def _latest_json(store: Store, sensor_ids: list[int]) -> dict[int, dict[str, Any]]:
    return {lv.sensor_id: {"ts": ms_to_iso(lv.ts_ms), "value": lv.value} for lv in store.latest(sensor_ids)}


@router.get("/sensors/{sensor_id}", summary="A sensor with its latest value")
def get_sensor(request: Request, sensor_id: int) -> dict[str, Any]:
    s = _find_sensor(request.app.state.factory, sensor_id)
    latest = _latest_json(request.app.state.store, [sensor_id]).get(sensor_id)
    return {**_sensor_json(s), "latest": latest}


@router.get("/sensors/{sensor_id}/history", summary="A sensor's readings over a time range")
def get_history(
    request: Request,
    sensor_id: int,
    start: dt.datetime | None = Query(None, description="ISO 8601, inclusive; default: one hour before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601, exclusive; default: now"),
    limit: int = Query(10_000, ge=1, le=MAX_POINTS, description="at most this many readings, oldest first"),
) -> dict[str, Any]:
    s = _find_sensor(request.app.state.factory, sensor_id)
    end_ms = to_ms(end) if end is not None else now_ms() + 1
    start_ms = to_ms(start) if start is not None else end_ms - 3_600_000
    if start_ms >= end_ms:
        raise BadTimeRangeError(f"start ({ms_to_iso(start_ms)}) must be before end ({ms_to_iso(end_ms)})")
    series = request.app.state.store.history(sensor_id, start_ms, end_ms, limit)
    return {
        **_sensor_json(s),
        "start": ms_to_iso(start_ms),
        "end": ms_to_iso(end_ms),
        "count": len(series.ts_ms),
        "ts": [ms_to_iso(int(t)) for t in series.ts_ms],
        "values": series.values.tolist(),
    }


@router.get("/devices/{device_id}", summary="A device, its channels and their latest values")
def get_device(request: Request, device_id: str) -> dict[str, Any]:
    d = find_device(request.app.state.factory, device_id)
    ids = list(range(d.sensor_base, d.sensor_base + d.sensor_count))
    latest = _latest_json(request.app.state.store, ids)
    channels = [
        {
            "sensor_id": d.sensor_base + i,
            "channel": ch.name,
            "kind": ch.kind.value,
            "unit": ch.unit,
            "period_s": ch.period_s,
            "latest": latest.get(d.sensor_base + i),
        }
        for i, ch in enumerate(d.machine_type.channels)
    ]
    return {**device_summary(d), "channels": channels}


@router.get("/devices/{device_id}/channels/{channel}/history", summary="History of a device channel by name")
def get_channel_history(
    request: Request,
    device_id: str,
    channel: str,
    start: dt.datetime | None = Query(None),
    end: dt.datetime | None = Query(None),
    limit: int = Query(10_000, ge=1, le=MAX_POINTS),
) -> dict[str, Any]:
    d = find_device(request.app.state.factory, device_id)
    if channel not in d.machine_type.channel_index:
        raise NotFoundError("channel", f"{device_id}/{channel}")
    return get_history(request, d.sensor_id(channel), start, end, limit)
