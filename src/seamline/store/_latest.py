"""The latest-value cache both stores keep in memory: per sensor id, the newest device time and its
value, in two numpy arrays indexed by sensor id (``NO_TS`` marks a sensor with no reading yet)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from seamline.telemetry import DeviceBatch

NO_TS: Final = np.iinfo(np.int64).min

Arrays = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]


def grown(latest_ts: npt.NDArray[np.int64], latest_v: npt.NDArray[np.float64], size: int) -> Arrays:
    """The cache's arrays with room for sensor ids below ``size`` (the same arrays if they have it)."""
    grow = size - len(latest_ts)
    if grow <= 0:
        return latest_ts, latest_v
    return (
        np.concatenate([latest_ts, np.full(grow, NO_TS, np.int64)]),
        np.concatenate([latest_v, np.zeros(grow, np.float64)]),
    )


def lookup(
    latest_ts: npt.NDArray[np.int64], latest_v: npt.NDArray[np.float64], sensor_ids: Sequence[int] | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(sensor id, ts_ms, value) of the asked sensors that have a latest value; all when ``None``."""
    if sensor_ids is None:
        ids = np.flatnonzero(latest_ts != NO_TS)
    else:
        want = np.asarray(sensor_ids, np.int64)
        want = want[(want >= 0) & (want < len(latest_ts))]
        ids = want[latest_ts[want] != NO_TS]
    return ids.astype(np.int64), latest_ts[ids], latest_v[ids]


def concat_readings(
    batches: Sequence[DeviceBatch],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The readings of ``batches`` as three columns (sensor id, ts_ms, value), in batch order."""
    with_readings = [b for b in batches if len(b)]
    if not with_readings:
        return np.empty(0, np.int32), np.empty(0, np.int64), np.empty(0, np.float64)
    return (
        np.concatenate([b.sensor_ids for b in with_readings]).astype(np.int32, copy=False),
        np.concatenate([b.ts_ms for b in with_readings]).astype(np.int64, copy=False),
        np.concatenate([b.values for b in with_readings]).astype(np.float64, copy=False),
    )
