"""HTTP routes of machine state durations: seconds each machine, or a line's machines, spent in
each runtime state per interval, from the store's state timelines (``Store.state_durations``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
from fastapi import APIRouter, Query, Request

from seamline.errors import NotFoundError
from seamline.model.factory import Factory, MachineState
from seamline.model.http import find_device
from seamline.store.base import StateDurations, Store
from seamline.store.http import BadTimeRangeError, iso_list, line_devices, time_range
from seamline.timeutil import ms_to_iso

router = APIRouter(prefix="/api/v1", tags=["production"])

STATE_CHANNEL = "runtime_state"


def device_states_json(
    factory: Factory, store: Store, device_id: str, start_ms: int, end_ms: int, interval_s: int
) -> dict[str, Any]:
    d = find_device(factory, device_id)
    if STATE_CHANNEL not in d.machine_type.channel_index:
        raise NotFoundError("channel", f"{device_id}/{STATE_CHANNEL}")
    got = _durations(store, [d.sensor_id(STATE_CHANNEL)], start_ms, end_ms, interval_s)
    return {"device": d.id, "sensor_id": d.sensor_id(STATE_CHANNEL), **_states_body(got, interval_s)}


def line_states_json(
    factory: Factory, store: Store, line_id: str, start_ms: int, end_ms: int, interval_s: int
) -> dict[str, Any]:
    machines = [d for d in line_devices(factory, line_id) if STATE_CHANNEL in d.machine_type.channel_index]
    got = _durations(store, [d.sensor_id(STATE_CHANNEL) for d in machines], start_ms, end_ms, interval_s)
    return {"line": line_id, "machines": [d.id for d in machines], **_states_body(got, interval_s)}


@router.get(
    "/devices/{device_id}/states", summary="Seconds a machine spent in each runtime state, per interval"
)
def get_device_states(
    request: Request,
    device_id: str,
    start: dt.datetime | None = Query(None, description="ISO 8601, inclusive; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601, exclusive; default: now"),
    interval_s: int = Query(3600, ge=1, description="interval length; intervals start at `start`"),
) -> dict[str, Any]:
    start_ms, end_ms = time_range(start, end, default_s=86_400)
    return device_states_json(
        request.app.state.factory, request.app.state.store, device_id, start_ms, end_ms, interval_s
    )


@router.get(
    "/lines/{line_id}/states", summary="Machine-seconds a line's machines spent in each state, per interval"
)
def get_line_states(
    request: Request,
    line_id: str,
    start: dt.datetime | None = Query(None, description="ISO 8601, inclusive; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601, exclusive; default: now"),
    interval_s: int = Query(3600, ge=1, description="interval length; intervals start at `start`"),
) -> dict[str, Any]:
    start_ms, end_ms = time_range(start, end, default_s=86_400)
    return line_states_json(
        request.app.state.factory, request.app.state.store, line_id, start_ms, end_ms, interval_s
    )


def _durations(
    store: Store, sensor_ids: list[int], start_ms: int, end_ms: int, interval_s: int
) -> StateDurations:
    if start_ms >= end_ms:
        raise BadTimeRangeError(f"start ({ms_to_iso(start_ms)}) must be before end ({ms_to_iso(end_ms)})")
    return store.state_durations(sensor_ids, start_ms, end_ms, interval_s * 1000)


def _state_name(code: int) -> str:
    try:
        return MachineState.from_code(code).value
    except KeyError:
        return f"code_{code}"


def _states_body(got: StateDurations, interval_s: int) -> dict[str, Any]:
    """Seconds per state and interval, summed over the sensors (machine-seconds for a line)."""
    names = [s.value for s in MachineState]
    per_code = got.duration_ms.sum(axis=0)  # (intervals, codes)
    seconds: dict[str, npt.NDArray[np.float64]] = {n: np.zeros(len(got.bucket_ms)) for n in names}
    for j, code in enumerate(got.codes.tolist()):
        name = _state_name(int(code))
        seconds[name] = seconds.get(name, np.zeros(len(got.bucket_ms))) + per_code[:, j] / 1000.0
    unknown = got.unknown_ms.sum(axis=0) / 1000.0
    intervals = [
        {
            "start": iso,
            "seconds": {n: float(v[k]) for n, v in seconds.items()},
            "unknown_s": float(unknown[k]),
        }
        for k, iso in enumerate(iso_list(got.bucket_ms))
    ]
    return {
        "start": ms_to_iso(got.start_ms),
        "end": ms_to_iso(got.end_ms),
        "interval_s": interval_s,
        "states": list(seconds),
        "intervals": intervals,
        "total": {
            "seconds": {n: float(v.sum()) for n, v in seconds.items()},
            "unknown_s": float(unknown.sum()),
        },
    }
