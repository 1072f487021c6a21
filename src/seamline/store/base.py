"""The store interface: what every backend (DuckDB now, PostgreSQL next) must do.

One writer feeds ``write_batch`` with many device batches at once; readers call the query methods
from other threads. Times are milliseconds since the Unix epoch, UTC, at this interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from seamline.errors import SeamlineError
from seamline.model.factory import Factory, Sensor
from seamline.telemetry import DeviceBatch


class StoreError(SeamlineError):
    """The store cannot do what was asked (cannot open, corrupt, wrong schema version)."""

    status_code = 503
    reason = "store"


@dataclass(frozen=True, slots=True)
class LatestValue:
    sensor_id: int
    ts_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    """A sensor's history: parallel arrays in time order."""

    sensor_id: int
    ts_ms: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    device_id: str
    ts_ms: int
    received_ts_ms: int
    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StateChanges:
    """Stored ``state`` events as columns, oldest first (device time, then the order they were
    stored in): how a month of machine states is read back in seconds instead of as millions of
    :class:`StoredEvent` s. ``device`` and ``state`` index ``devices`` and ``states``; a death
    certificate's state reads ``no_signal`` (:func:`seamline.model.factory.event_state`)."""

    devices: tuple[str, ...]
    states: tuple[str, ...]
    device: npt.NDArray[np.int16]
    state: npt.NDArray[np.int16]
    ts_ms: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.ts_ms.shape[0])

    def __getitem__(self, rows: slice) -> StateChanges:
        return StateChanges(self.devices, self.states, self.device[rows], self.state[rows], self.ts_ms[rows])

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, int, str]]) -> StateChanges:
        """From (device, time, state) rows, in the order given."""
        devices = tuple(sorted({r[0] for r in rows}))
        states = tuple(sorted({r[2] for r in rows}))
        dev_at, state_at = {d: i for i, d in enumerate(devices)}, {s: i for i, s in enumerate(states)}
        return cls(
            devices,
            states,
            np.array([dev_at[r[0]] for r in rows], np.int16),
            np.array([state_at[r[2]] for r in rows], np.int16),
            np.array([r[1] for r in rows], np.int64),
        )

    @classmethod
    def from_groups(
        cls, groups: Sequence[tuple[str, str, npt.NDArray[np.int64], npt.NDArray[np.int64]]]
    ) -> StateChanges:
        """From (device, state, times, storing order) groups, as a store reads them grouped."""
        devices = tuple(sorted({g[0] for g in groups}))
        states = tuple(sorted({g[1] for g in groups}))
        dev_at, state_at = {d: i for i, d in enumerate(devices)}, {s: i for i, s in enumerate(states)}
        sizes = [len(g[2]) for g in groups]
        device = np.repeat(np.array([dev_at[g[0]] for g in groups], np.int16), sizes)
        state = np.repeat(np.array([state_at[g[1]] for g in groups], np.int16), sizes)
        ts = np.concatenate([g[2] for g in groups]) if groups else np.zeros(0, np.int64)
        seq = np.concatenate([g[3] for g in groups]) if groups else np.zeros(0, np.int64)
        order = np.lexsort((seq, ts))
        return cls(devices, states, device[order], state[order], ts[order].astype(np.int64))


@dataclass(frozen=True, slots=True)
class SavedState:
    """A state a component keeps in the store (:meth:`Store.save_state`): ``data`` includes every
    event of the commits up to ``upto`` (the store's commit numbers, :attr:`Store.wseq`) and none
    after."""

    name: str
    upto: int
    saved_ms: int  # wall clock, when it was saved
    data: bytes


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one ``write_batch`` call committed."""

    messages: int  # new messages stored
    duplicates: int  # messages already stored, skipped
    readings: int
    events: int
    # (device_id, boot, seq) of each skipped message, so a caller can tell its senders apart
    duplicate_keys: tuple[tuple[str, int, int], ...] = ()


# -- rollups, state durations, maintenance -------------------------------------------------------
#
# Everything below is what a backend adds on top of raw readings. The definitions are written so a
# second backend computes bit-for-bit the same counts/min/max/last and the same durations, and the
# same mean/increase up to float summation order.
#
# Reading order. Readings of one sensor are ordered by ``ts_ms``; among readings with the same
# ``ts_ms`` the one with the greater value counts as later (so the order does not depend on how a
# backend stores them). "Previous reading" and "next reading" refer to this order over *all* stored
# readings of the sensor, not only those in a query's range.

MINUTE_MS: Final = 60_000
HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000

STATE_HOLD_MS: Final = 300_000
"""How long a state reading holds when no next reading follows (see :meth:`Store.state_durations`)."""


class Resolution(StrEnum):
    """The resolutions history is kept at: raw readings and two rollups with epoch-aligned buckets."""

    RAW = "raw"
    MINUTE = "1m"
    HOUR = "1h"

    @property
    def bucket_ms(self) -> int:
        """Width of one bucket; 0 for raw readings."""
        return _BUCKET_MS[self]


_BUCKET_MS = {Resolution.RAW: 0, Resolution.MINUTE: MINUTE_MS, Resolution.HOUR: HOUR_MS}
ROLLUP_RESOLUTIONS: Final = (Resolution.MINUTE, Resolution.HOUR)


def bucket_start(ts_ms: int, resolution: Resolution) -> int:
    """Start of the bucket holding ``ts_ms``: buckets are aligned to the Unix epoch (UTC).

    >>> bucket_start(1_795_363_261_234, Resolution.MINUTE)
    1795363260000
    """
    width = resolution.bucket_ms
    if width == 0:
        raise ValueError("raw readings have no buckets")
    return ts_ms - ts_ms % width


def counter_delta(previous: float, value: float) -> float:
    """What a counter counted between two consecutive readings: a drop means it restarted from 0.

    >>> counter_delta(10.0, 12.5), counter_delta(10.0, 3.0)
    (2.5, 3.0)
    """
    return value - previous if value >= previous else value


@dataclass(frozen=True, slots=True)
class Aggregates:
    """Rolled-up history of one sensor: one entry per non-empty bucket, parallel arrays, oldest first.

    A query for ``[start_ms, end_ms)`` returns every bucket that overlaps the range and holds at
    least one reading *inside the range*; each entry aggregates exactly the bucket's readings with
    ``start_ms <= ts < end_ms`` (the first and last bucket are clipped to the range, so the answer
    is exact for any range, aligned or not). ``bucket_ms`` is the bucket's start, unclipped.

    - ``count``: readings; ``min``/``max``: smallest/greatest value; ``mean``: their sum / count;
      ``last``: value of the latest reading (reading order above).
    - ``increase`` (counters only, ``None`` for gauges and states): for each reading ``r`` in the
      entry, ``counter_delta(previous reading's value, r.value)``, summed; the previous reading may
      lie before the range or the bucket; a sensor's very first reading contributes 0. So the
      increases of consecutive buckets add up to the increase of their union, and a controller
      restart (a drop) counts the new value, not a negative step.
    """

    sensor_id: int
    resolution: Resolution
    bucket_ms: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]
    min: npt.NDArray[np.float64]
    max: npt.NDArray[np.float64]
    mean: npt.NDArray[np.float64]
    last: npt.NDArray[np.float64]
    increase: npt.NDArray[np.float64] | None

    def __len__(self) -> int:
        return int(self.bucket_ms.shape[0])


@dataclass(frozen=True, slots=True)
class StateDurations:
    """Milliseconds each state sensor spent in each code, per interval of a range.

    ``bucket_ms[k] = start_ms + k * interval_ms``; the last interval ends at ``end_ms`` (it may be
    shorter). ``duration_ms[i, k, j]`` is the time sensor ``sensor_ids[i]`` held code ``codes[j]``
    during interval ``k``; ``unknown_ms[i, k]`` the time its state was unknown. For every ``i`` and
    ``k``: ``duration_ms[i, k].sum() + unknown_ms[i, k]`` equals the interval's length.
    ``codes`` lists, ascending, the codes held for a non-zero time by any of the sensors.
    """

    sensor_ids: tuple[int, ...]
    start_ms: int
    end_ms: int
    interval_ms: int
    bucket_ms: npt.NDArray[np.int64]
    codes: npt.NDArray[np.int64]
    duration_ms: npt.NDArray[np.int64]  # (sensors, intervals, codes)
    unknown_ms: npt.NDArray[np.int64]  # (sensors, intervals)


@dataclass(frozen=True, slots=True)
class RetentionClass:
    """How long each resolution of a sensor's history is kept; ``None`` keeps it forever."""

    name: str = "standard"
    raw_ms: int | None = 30 * DAY_MS
    minute_ms: int | None = 365 * DAY_MS
    hour_ms: int | None = None

    def keep_ms(self, resolution: Resolution) -> int | None:
        return {
            Resolution.RAW: self.raw_ms,
            Resolution.MINUTE: self.minute_ms,
            Resolution.HOUR: self.hour_ms,
        }[resolution]


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Which :class:`RetentionClass` each sensor belongs to: by sensor id, else by channel kind
    (``"counter"``, ``"gauge"``, ``"state"``), else ``default``.

    Retention is applied by :meth:`Store.maintain` against its ``now_ms``: a raw reading may be
    dropped once ``ts_ms < now_ms - raw_ms``, a rollup bucket once ``bucket end <= now_ms - keep``;
    never earlier. A backend may drop whole blocks at once and so keep data past its horizon for up
    to one block (the DuckDB store: up to one hour). Rollups are brought up to date before raw
    readings are dropped, so a rollup keeps every reading that arrived before its raw horizon; a
    reading that arrives already past its raw horizon may be dropped without being rolled up.
    """

    default: RetentionClass = field(default_factory=RetentionClass)
    by_kind: Mapping[str, RetentionClass] = field(default_factory=dict, hash=False)
    by_sensor: Mapping[int, RetentionClass] = field(default_factory=dict, hash=False)

    def class_of(self, sensor: Sensor) -> RetentionClass:
        return self.by_sensor.get(sensor.id, self.by_kind.get(str(sensor.channel.kind), self.default))

    def classes(self) -> tuple[RetentionClass, ...]:
        """Every distinct class the policy names, default first."""
        seen: dict[RetentionClass, None] = {self.default: None}
        seen.update(dict.fromkeys(self.by_kind.values()))
        seen.update(dict.fromkeys(self.by_sensor.values()))
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    """What one :meth:`Store.maintain` pass did."""

    rolled_up_buckets: int  # 1-minute buckets (re)aggregated from raw readings
    compacted_readings: int  # readings moved from the write area to compacted storage
    dropped_readings: int  # raw readings past their retention
    dropped_buckets: int  # rollup buckets past their retention
    elapsed_s: float


class StoreQueryError(StoreError):
    """A query the store cannot answer as asked (unknown resolution, too many intervals, ...)."""

    status_code = 400
    reason = "bad_query"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, reason="bad_query")
        self.field = field

    def details(self) -> dict[str, object]:
        return {"field": self.field}


class Store(Protocol):
    """A telemetry store. Implementations: :class:`seamline.store.duckdb.DuckDBStore`.

    Every backend's constructor takes ``retention: RetentionPolicy`` (default ``RetentionPolicy()``:
    raw 30 days, 1-minute rollups 365 days, 1-hour rollups forever) and exposes it as
    ``retention``.
    """

    retention: RetentionPolicy
    # the number of the last commit of write_batch: it rises with every commit, in commit order,
    # and each stored event carries its commit's (``after_wseq`` of events and state_changes)
    wseq: int

    def open(self, factory: Factory) -> None:
        """Create or upgrade the schema and register the factory's sensors."""

    def close(self) -> None: ...

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        """Durably commit these messages in one transaction, skipping already-stored ones."""

    def latest(self, sensor_ids: Sequence[int] | None = None) -> list[LatestValue]:
        """Newest reading (by device time) of each sensor that has one; all sensors when ``None``."""

    def latest_arrays(
        self, sensor_ids: Sequence[int] | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """:meth:`latest` as three parallel arrays (sensor id, ts_ms, value), for dashboards."""

    def history(self, sensor_id: int, start_ms: int, end_ms: int, limit: int = 10_000) -> Series:
        """Readings of one sensor with ``start_ms <= ts < end_ms``, in time order, at most ``limit``."""

    def events(
        self,
        device_ids: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 1000,
        *,
        after_wseq: int | None = None,
    ) -> list[StoredEvent]:
        """Events, newest first; with ``after_wseq``, only those of the commits after it."""

    def state_changes(
        self, start_ms: int | None = None, end_ms: int | None = None, *, after_wseq: int | None = None
    ) -> StateChanges:
        """Every stored ``state`` event with ``start_ms <= ts < end_ms`` (device time), oldest first,
        as columns; with ``after_wseq``, only those of the commits after it."""

    def save_state(self, name: str, upto: int, data: bytes) -> None:
        """Keep ``data`` under ``name`` (replacing what was kept), atomically: a crash leaves the
        old one or the new one. ``upto``: the last commit ``data`` includes."""

    def load_state(self, name: str) -> SavedState | None:
        """What :meth:`save_state` last kept under ``name``; None when nothing was."""

    def reading_count(self) -> int:
        """Readings stored so far."""

    def message_count(self) -> int:
        """Messages stored so far."""

    def aggregates(self, sensor_id: int, start_ms: int, end_ms: int, resolution: Resolution) -> Aggregates:
        """Rolled-up history of one sensor over ``[start_ms, end_ms)`` (see :class:`Aggregates`).

        ``resolution`` is ``MINUTE`` or ``HOUR`` (``RAW`` raises :class:`StoreQueryError`; use
        :meth:`history`). The answer is exact whether or not :meth:`maintain` has run since the
        readings were written: buckets touched by readings not yet rolled up are aggregated from
        raw readings at query time. After raw retention dropped a bucket's readings, the bucket's
        rollup still answers; a clipped edge bucket then covers only the raw readings still kept,
        so align ranges that old to the bucket width.
        """

    def state_durations(
        self, sensor_ids: Sequence[int], start_ms: int, end_ms: int, interval_ms: int
    ) -> StateDurations:
        """Time each state sensor spent in each code per interval of ``[start_ms, end_ms)``.

        A reading holds its code, ``int(value)``, from its ``ts_ms`` until the sensor's next
        reading, but for at most :data:`STATE_HOLD_MS`; time no reading holds is unknown (before the
        first reading, in gaps longer than the hold, after the newest reading's hold). Readings
        outside the range count when their hold reaches into it. Exact whether or not
        :meth:`maintain` has run. Raises :class:`StoreQueryError` when a sensor is not a state
        channel (``field="sensor_ids"``), ``interval_ms < 1000`` or the range holds more than
        10,000 intervals (``field="interval_ms"``).
        """

    def maintain(self, now_ms: int | None = None) -> MaintenanceReport:
        """One pass of background upkeep; ``now_ms`` (default: the wall clock) drives retention.

        1. Rollups: (re)aggregate every bucket touched by readings written since the previous pass,
           late and out-of-order ones included.
        2. Compaction: move readings of closed time blocks out of the write-optimised area into
           compacted storage (backend-specific; a backend may have nothing to do).
        3. Retention: apply ``self.retention`` (see :class:`RetentionPolicy`).

        Called periodically from one thread (never two passes at once), concurrently with
        :meth:`write_batch` and the queries, which it must not block for more than a short commit.
        Crash-safe: a crash or exception at any point loses no reading and duplicates none; the
        next pass (after reopening) finishes the work. Queries see either the state before or
        after each step, never a mixture.
        """

    def disk_bytes(self) -> int:
        """Bytes the store occupies on disk, everything included (0 for an in-memory store)."""
