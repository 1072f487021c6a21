"""HTTP routes of machine state durations: seconds each machine, or a line's machines, spent in
each runtime state per interval, from the store's state timelines (``Store.state_durations``).

``no_signal`` is the time since a machine's device died, or since it was last seen plus its
timeout while it stays silent (:mod:`seamline.production.signal`); ``unknown_s`` the time no reading
says anything.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
from fastapi import APIRouter, Query, Request

from seamline.errors import NotFoundError
from seamline.ingest import Liveness
from seamline.model.factory import NO_SIGNAL, NO_SIGNAL_CODE, RUNTIME_STATE, Device, Factory, MachineState
from seamline.model.http import find_device
from seamline.production.signal import count_no_signal, no_signal
from seamline.store.base import StateDurations, Store
from seamline.store.http import BadTimeRangeError, iso_list, line_devices, time_range
from seamline.timeutil import ms_to_iso
from seamline.timeutil import now_ms as wall_ms

router = APIRouter(prefix="/api/v1", tags=["production"])

STATE_CHANNEL = RUNTIME_STATE


def device_states_json(
    factory: Factory,
    store: Store,
    device_id: str,
    start_ms: int,
    end_ms: int,
    interval_s: int,
    *,
    liveness: Liveness | None = None,
    now_ms: int | None = None,
) -> dict[str, Any]:
    """A machine's seconds per state and interval; without ``liveness`` only deaths end a state
    early. ``now_ms`` (server clock) defaults to the liveness clock, else the wall clock."""
    d = find_device(factory, device_id)
    if STATE_CHANNEL not in d.machine_type.channel_index:
        raise NotFoundError("channel", f"{device_id}/{STATE_CHANNEL}")
    got = _durations(store, [d], start_ms, end_ms, interval_s, liveness, now_ms)
    return {"device": d.id, "sensor_id": d.sensor_id(STATE_CHANNEL), **_states_body(got, interval_s)}


def line_states_json(
    factory: Factory,
    store: Store,
    line_id: str,
    start_ms: int,
    end_ms: int,
    interval_s: int,
    *,
    liveness: Liveness | None = None,
    now_ms: int | None = None,
) -> dict[str, Any]:
    """Machine-seconds per state and interval of a line's machines (see :func:`device_states_json`)."""
    machines = [d for d in line_devices(factory, line_id) if STATE_CHANNEL in d.machine_type.channel_index]
    got = _durations(store, machines, start_ms, end_ms, interval_s, liveness, now_ms)
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
        request.app.state.factory,
        request.app.state.store,
        device_id,
        start_ms,
        end_ms,
        interval_s,
        liveness=request.app.state.ingestor.liveness,
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
        request.app.state.factory,
        request.app.state.store,
        line_id,
        start_ms,
        end_ms,
        interval_s,
        liveness=request.app.state.ingestor.liveness,
    )


def _durations(
    store: Store,
    machines: list[Device],
    start_ms: int,
    end_ms: int,
    interval_s: int,
    liveness: Liveness | None,
    now_ms: int | None,
) -> StateDurations:
    if start_ms >= end_ms:
        raise BadTimeRangeError(f"start ({ms_to_iso(start_ms)}) must be before end ({ms_to_iso(end_ms)})")
    ids = [d.sensor_id(STATE_CHANNEL) for d in machines]
    got = store.state_durations(ids, start_ms, end_ms, interval_s * 1000)
    if now_ms is None:
        now_ms = liveness.now_ms() if liveness is not None else wall_ms()
    return count_no_signal(got, store, machines, no_signal(store, machines, liveness, now_ms), now_ms)


def _state_name(code: int) -> str:
    if code == NO_SIGNAL_CODE:
        return NO_SIGNAL
    state = MachineState.of_code(code)
    return state.value if state is not None else f"code_{code}"


def _states_body(got: StateDurations, interval_s: int) -> dict[str, Any]:
    """Seconds per state and interval, summed over the sensors (machine-seconds for a line)."""
    names = [s.value for s in MachineState] + [NO_SIGNAL]
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
