"""HTTP routes for stored telemetry: latest values, history (raw or rolled up, downsampled for
charts). Machine-state durations are production's (``seamline.production.durations``).

Each route is a thin shell over a ``*_json`` function of ``(factory, store, ...)``, which the query
benchmark times directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from fastapi import APIRouter, Query, Request

from seamline.errors import NotFoundError, SeamlineError
from seamline.model.factory import Device, Factory, Sensor
from seamline.model.http import device_summary, find_device
from seamline.store.base import Resolution, Store
from seamline.store.query import MIN_POINTS, chart
from seamline.timeutil import ms_to_iso, now_ms, to_ms

router = APIRouter(prefix="/api/v1", tags=["telemetry"])

MAX_POINTS = 100_000
DEFAULT_CHART_POINTS = 1000
ResolutionParam = Literal["auto", "raw", "1m", "1h"]


class BadTimeRangeError(SeamlineError):
    reason = "bad_time_range"

    def __init__(self, message: str) -> None:
        super().__init__(message)


# -- JSON builders (pure functions of factory and store) -------------------------------------------


def latest_json(factory: Factory, store: Store, sensor_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """``{sensor_id: {"ts", "value"}}`` for the sensors that have a reading."""
    return {
        lv.sensor_id: {"ts": ms_to_iso(lv.ts_ms), "value": _float(lv.value)}
        for lv in store.latest(sensor_ids)
    }


def columns_latest_json(factory: Factory, store: Store, sensor_ids: Sequence[int] | None) -> dict[str, Any]:
    """Latest values as parallel columns (``sensor_id``, ``ts``, ``value``), cheap for thousands."""
    ids, ts, values = store.latest_arrays(sensor_ids)
    return {"count": len(ids), "sensor_id": ids.tolist(), "ts": iso_list(ts), "value": _floats(values)}


def device_latest_json(factory: Factory, store: Store, device_id: str) -> dict[str, Any]:
    d = find_device(factory, device_id)
    ids = list(range(d.sensor_base, d.sensor_base + d.sensor_count))
    latest = latest_json(factory, store, ids)
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


def line_latest_json(factory: Factory, store: Store, line_id: str) -> dict[str, Any]:
    devices = line_devices(factory, line_id)
    ids = [i for d in devices for i in range(d.sensor_base, d.sensor_base + d.sensor_count)]
    return {"line": line_id, "devices": [d.id for d in devices], **columns_latest_json(factory, store, ids)}


def factory_latest_json(factory: Factory, store: Store) -> dict[str, Any]:
    return {"site": factory.site_id, **columns_latest_json(factory, store, None)}


def history_json(
    factory: Factory,
    store: Store,
    sensor_id: int,
    start_ms: int,
    end_ms: int,
    resolution: str,
    max_points: int | None,
    limit: int | None,
) -> dict[str, Any]:
    """A sensor's history: raw readings (oldest first, at most ``limit``) when ``resolution`` is
    ``raw`` and no ``max_points``; otherwise a chart of at most ``max_points`` entries."""
    s = _find_sensor(factory, sensor_id)
    if start_ms >= end_ms:
        raise BadTimeRangeError(f"start ({ms_to_iso(start_ms)}) must be before end ({ms_to_iso(end_ms)})")
    head = {**_sensor_json(s), "start": ms_to_iso(start_ms), "end": ms_to_iso(end_ms)}
    if resolution == "raw" and max_points is None:
        series = store.history(sensor_id, start_ms, end_ms, limit or 10_000)
        return {
            **head,
            "resolution": "raw",
            "count": len(series.ts_ms),
            "downsampled": False,
            "ts": iso_list(series.ts_ms),
            "values": _floats(series.values),
        }
    points = max_points or (DEFAULT_CHART_POINTS if resolution == "auto" else MAX_POINTS)
    res = None if resolution == "auto" else Resolution(resolution)
    c = chart(store, sensor_id, start_ms, end_ms, points, res)
    out = {
        **head,
        "resolution": c.resolution.value,
        "count": len(c.ts_ms),
        "source_count": c.source_points,
        "downsampled": c.downsampled,
        "ts": iso_list(c.ts_ms),
        "values": _floats(c.values),
    }
    if c.aggregates is not None:
        a = c.aggregates
        out["buckets"] = {
            "count": a.count.tolist(),
            "min": _floats(a.min),
            "max": _floats(a.max),
            "mean": _floats(a.mean),
            "last": _floats(a.last),
            "increase": _floats(a.increase) if a.increase is not None else None,
        }
    return out


# -- routes ----------------------------------------------------------------------------------------


@router.get("/sensors/{sensor_id}", summary="A sensor with its latest value")
def get_sensor(request: Request, sensor_id: int) -> dict[str, Any]:
    factory, store = request.app.state.factory, request.app.state.store
    s = _find_sensor(factory, sensor_id)
    return {**_sensor_json(s), "latest": latest_json(factory, store, [sensor_id]).get(sensor_id)}


@router.get(
    "/sensors/{sensor_id}/history",
    summary="A sensor's history: raw readings, rollups, or a chart of at most max_points entries",
    description=(
        "`resolution=raw` without `max_points` returns up to `limit` raw readings, oldest first."
        " With `max_points` (a chart's width in pixels) the answer never has more entries:"
        " `auto` picks the coarsest resolution whose bucket is no wider than a pixel (1-hour or"
        " 1-minute rollups, else raw readings); raw readings are thinned with MinMaxLTTB keeping"
        " the lowest and highest; rollup buckets are joined exactly. Rollups add `buckets` (count,"
        " min, max, mean, last, and increase for counters) and `values` holds each bucket's mean."
    ),
)
def get_history(
    request: Request,
    sensor_id: int,
    start: dt.datetime | None = Query(None, description="ISO 8601, inclusive; default: one hour before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601, exclusive; default: now"),
    limit: int = Query(
        10_000, ge=1, le=MAX_POINTS, description="raw readings without max_points: at most this many"
    ),
    resolution: ResolutionParam = Query("raw", description="auto, raw, 1m or 1h"),
    max_points: int | None = Query(
        None,
        ge=MIN_POINTS,
        le=MAX_POINTS,
        description="at most this many entries (a chart's width in pixels)",
    ),
) -> dict[str, Any]:
    start_ms, end_ms = time_range(start, end)
    return history_json(
        request.app.state.factory,
        request.app.state.store,
        sensor_id,
        start_ms,
        end_ms,
        resolution,
        max_points,
        limit,
    )


@router.get("/devices/{device_id}", summary="A device, its channels and their latest values")
def get_device(request: Request, device_id: str) -> dict[str, Any]:
    return device_latest_json(request.app.state.factory, request.app.state.store, device_id)


@router.get("/devices/{device_id}/channels/{channel}/history", summary="History of a device channel by name")
def get_channel_history(
    request: Request,
    device_id: str,
    channel: str,
    start: dt.datetime | None = Query(None),
    end: dt.datetime | None = Query(None),
    limit: int = Query(10_000, ge=1, le=MAX_POINTS),
    resolution: ResolutionParam = Query("raw"),
    max_points: int | None = Query(None, ge=MIN_POINTS, le=MAX_POINTS),
) -> dict[str, Any]:
    d = find_device(request.app.state.factory, device_id)
    if channel not in d.machine_type.channel_index:
        raise NotFoundError("channel", f"{device_id}/{channel}")
    return get_history(request, d.sensor_id(channel), start, end, limit, resolution, max_points)


@router.get("/lines/{line_id}/latest", summary="Latest value of every sensor of a line's devices")
def get_line_latest(request: Request, line_id: str) -> dict[str, Any]:
    return line_latest_json(request.app.state.factory, request.app.state.store, line_id)


@router.get("/latest", summary="Latest value of every sensor of the factory, as columns")
def get_factory_latest(request: Request) -> dict[str, Any]:
    return factory_latest_json(request.app.state.factory, request.app.state.store)


# -- helpers -----------------------------------------------------------------------------------------


def _sensor_json(s: Sensor) -> dict[str, Any]:
    ch = s.channel
    return {"id": s.id, "device": s.device_id, "channel": ch.name, "kind": ch.kind.value, "unit": ch.unit}


def _find_sensor(factory: Factory, sensor_id: int) -> Sensor:
    try:
        return factory.sensor(sensor_id)
    except KeyError:
        raise NotFoundError("sensor", sensor_id) from None


def line_devices(factory: Factory, line_id: str) -> list[Device]:
    line = factory.lines_by_id.get(line_id)
    if line is None:
        raise NotFoundError("line", line_id)
    ids = [w.device_id for w in line.workstations] + list(line.shared_device_ids)
    return [factory.devices_by_id[i] for i in dict.fromkeys(ids) if i in factory.devices_by_id]


def time_range(start: dt.datetime | None, end: dt.datetime | None, default_s: int = 3600) -> tuple[int, int]:
    end_ms = to_ms(end) if end is not None else now_ms() + 1
    start_ms = to_ms(start) if start is not None else end_ms - default_s * 1000
    if start_ms >= end_ms:
        raise BadTimeRangeError(f"start ({ms_to_iso(start_ms)}) must be before end ({ms_to_iso(end_ms)})")
    return start_ms, end_ms


def iso_list(ts_ms: npt.NDArray[np.int64]) -> list[str]:
    """ISO 8601 UTC with milliseconds (as :func:`~seamline.timeutil.ms_to_iso`), vectorised."""
    text = np.datetime_as_string(np.asarray(ts_ms, np.int64).astype("datetime64[ms]"), unit="ms")
    return [t + "Z" for t in text.tolist()]


def _floats(values: npt.NDArray[np.float64]) -> list[float | None]:
    """JSON numbers; NaN and infinities (which JSON cannot carry) become null."""
    if np.isfinite(values).all():
        return values.tolist()  # type: ignore[no-any-return]
    return [v if np.isfinite(v) else None for v in values.tolist()]


def _float(v: float) -> float | None:
    return v if np.isfinite(v) else None
