"""The standard synthetic workload: every sensor of a factory, sampled at its own period.

The sensors are the factory's own (ids ``device.sensor_base + channel index``, kinds, periods,
resolutions and ranges from each :class:`~seamline.model.factory.ChannelSpec`), so a benchmark
pushes the ids and shapes the platform really sees. Values behave like the floor:

- gauges drift slowly (a sine with a period between 20 min and 12 h) with gaussian noise, about a
  fifth of them also step between two levels every 5-60 min; quantised to the channel's resolution
  and clipped to ``[low, high]``;
- counters only grow (in whole resolution steps, idle periods included) from a random lifetime
  value, except when the controller restarts (about every 12 h) and they start again from 0;
- states hold a code in ``[low, high]`` (0/1 for booleans) for 10 min to 4 h on average.

Timestamps are exact multiples of each sensor's period after a per-sensor phase, in ms. The
readings are generated window by window (1 s of factory time by default) for all devices at once
with numpy, and handed out as one :class:`Chunk` per device and window, the columns of one
telemetry message (docs/telemetry.md).

>>> from seamline.model.loader import load_factory
>>> workload = Workload(load_factory(), start_ms=1_790_000_000_000, seed=1)
>>> n = sum(len(chunk) for chunk in workload.chunks(2.0))
>>> n == workload.total_readings(2.0)
True
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from seamline.bench._sensors import COUNTER, GAUGE, STATE, SensorTable, build_sensor_table
from seamline.model.factory import ChannelSpec, Factory

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Chunk:
    """One device message worth of readings, as read-only columns of equal length.

    Within a chunk the readings are grouped by channel (ascending index) and in time order per
    channel; all timestamps fall into the same generation window.
    """

    device_id: str
    channel_idx: I32
    sensor_ids: I32
    ts_ms: I64
    values: F64
    channels: tuple[ChannelSpec, ...] = field(repr=False)  # the device type's channels, by index

    def __len__(self) -> int:
        return int(self.ts_ms.size)


class Workload:
    """The synthetic readings of every sensor of ``factory`` from ``start_ms`` on.

    Deterministic: the same factory, ``start_ms``, ``seed`` and window give the same readings, and
    a shorter run is a prefix of a longer one.
    """

    def __init__(self, factory: Factory, *, start_ms: int, seed: int = 0) -> None:
        self.factory = factory
        self.start_ms = int(start_ms)
        self.seed = seed
        self._table = build_sensor_table(factory, seed)
        self._device_ids = tuple(d.id for d in factory.devices)
        self._device_channels = tuple(d.machine_type.channels for d in factory.devices)

    @property
    def sensor_count(self) -> int:
        return self._table.n

    @property
    def readings_per_s(self) -> float:
        """Nominal rate of the whole factory (readings per second of factory time)."""
        return float(np.sum(1000.0 / self._table.period_ms))

    def total_readings(self, seconds: float) -> int:
        """How many readings :meth:`chunks` yields for ``seconds`` of factory time."""
        return int(self._samples_before(_ms(seconds)).sum())

    def seconds_for(self, readings: int) -> float:
        """The shortest duration (whole ms) whose workload holds at least ``readings`` readings.

        >>> from seamline.model.loader import load_factory
        >>> w = Workload(load_factory(), start_ms=0)
        >>> w.total_readings(w.seconds_for(1_000_000)) >= 1_000_000
        True
        """
        if readings <= 0:
            return 0.0
        lo, hi = 0, max(1, math.ceil(readings / self.readings_per_s * 1000.0))
        while self._samples_before(hi).sum() < readings:
            hi *= 2
        while hi - lo > 1:  # invariant: total(lo) < readings <= total(hi)
            mid = (lo + hi) // 2
            if self._samples_before(mid).sum() >= readings:
                hi = mid
            else:
                lo = mid
        return hi / 1000.0

    def end_ms(self, seconds: float) -> int:
        """Exclusive upper bound of the timestamps of a run of ``seconds``."""
        return self.start_ms + _ms(seconds)

    def chunks(
        self, seconds: float, *, max_readings_per_message: int = 1000, window_s: float = 1.0
    ) -> Iterator[Chunk]:
        """The readings of ``seconds`` of factory time, window after window, device by device.

        A device with more than ``max_readings_per_message`` readings in a window sends several
        messages. The arrays of a chunk are views into the window's arrays; they are read-only.
        """
        if max_readings_per_message < 1:
            raise ValueError("max_readings_per_message must be at least 1")
        window_ms = _ms(window_s)
        if window_ms < 1:
            raise ValueError("window_s must be at least 0.001")
        state = _State(self._table, self.seed)
        end = _ms(seconds)
        for w0 in range(0, end, window_ms):
            yield from self._window_chunks(state, w0, min(end, w0 + window_ms), max_readings_per_message)

    def _samples_before(self, rel_ms: int) -> I64:
        """Per sensor, how many samples fall before ``start_ms + rel_ms``."""
        t = self._table
        ahead = rel_ms - t.phase_ms
        return np.where(ahead > 0, (ahead + t.period_ms - 1) // t.period_ms, 0)

    def _window_chunks(self, state: _State, w0: int, w1: int, limit: int) -> Iterator[Chunk]:
        t = self._table
        first = self._samples_before(w0)
        count = self._samples_before(w1) - first
        row_end = np.cumsum(count)
        total = int(row_end[-1]) if row_end.size else 0
        if total == 0:
            return
        row_start = row_end - count
        rows = np.repeat(np.arange(t.n, dtype=np.int64), count)
        k = first[rows] + (np.arange(total, dtype=np.int64) - row_start[rows])
        rel_ms = t.phase_ms[rows] + k * t.period_ms[rows]
        ts_ms = rel_ms + self.start_ms
        values = state.values(rows, rel_ms)
        sensor_ids = t.sensor_id[rows]
        channel_idx = t.channel_idx[rows]
        for col in (ts_ms, values, sensor_ids, channel_idx):
            col.flags.writeable = False
        bounds = np.concatenate(([0], row_end))[t.device_start].tolist()
        for d, device_id in enumerate(self._device_ids):
            lo, hi = bounds[d], bounds[d + 1]
            channels = self._device_channels[d]
            for a in range(lo, hi, limit):
                b = min(hi, a + limit)
                yield Chunk(device_id, channel_idx[a:b], sensor_ids[a:b], ts_ms[a:b], values[a:b], channels)


class _State:
    """What carries over from one window to the next: counter totals, state codes, the noise."""

    def __init__(self, table: SensorTable, seed: int) -> None:
        self.t = table
        self.rng = np.random.default_rng([seed, 0xDA7A])
        self.counter = table.counter_init.copy()
        self.code = table.state_init.copy()

    def values(self, rows: I64, rel_ms: I64) -> F64:
        """Values of the readings of sensors ``rows`` (grouped by row) at ``rel_ms`` after start."""
        t = self.t
        kind = t.kind[rows]
        steps = np.empty(rows.size, np.int64)
        g = np.flatnonzero(kind == GAUGE)
        if g.size:
            steps[g] = self._gauges(rows[g], rel_ms[g])
        c = np.flatnonzero(kind == COUNTER)
        if c.size:
            steps[c] = self._counters(rows[c])
        s = np.flatnonzero(kind == STATE)
        if s.size:
            steps[s] = self._states(rows[s])
        return t.value_of(rows, steps)

    def _gauges(self, rows: I64, rel_ms: I64) -> I64:
        t = self.t
        time_s = rel_ms * 1e-3
        x = t.centre[rows] + t.amp[rows] * np.sin(t.omega[rows] * time_s + t.theta[rows])
        x += t.noise_sd[rows] * self.rng.standard_normal(rows.size)
        step = t.step_size[rows]
        stepped = np.flatnonzero(step)
        if stepped.size:
            r = rows[stepped]
            phase = np.floor((time_s[stepped] + t.step_offset_s[r]) / t.step_dwell_s[r])
            x[stepped] += step[stepped] * (phase % 2.0)
        steps = np.rint(x * t.to_steps[rows]).astype(np.int64)
        return np.clip(steps, t.step_lo[rows], t.step_hi[rows])

    def _counters(self, rows: I64) -> I64:
        t = self.t
        active = self.rng.random(rows.size) < t.counter_duty[rows]
        inc = np.where(active, self.rng.poisson(t.counter_lam[rows]), 0).astype(np.int64)
        reset = self.rng.random(rows.size) < t.counter_reset_p[rows]
        first, last = _run_edges(rows)
        anchor = first | reset
        base = np.where(reset, 0, self.counter[rows])  # a restarted controller counts from 0
        total = np.cumsum(inc)
        at = _last_anchor(anchor)
        steps = base[at] + total - (total[at] - inc[at])
        self.counter[rows[last]] = steps[last]
        return steps

    def _states(self, rows: I64) -> I64:
        t = self.t
        change = self.rng.random(rows.size) < t.state_change_p[rows]
        lo, hi = t.step_lo[rows], t.step_hi[rows]
        two = hi - lo == 1  # booleans flip; other codes mostly return to their lowest (normal) code
        drawn = np.where(self.rng.random(rows.size) < 0.5, lo, lo + self.rng.integers(0, hi - lo + 1))
        current = self.code[rows]
        first, last = _run_edges(rows)
        coded = np.where(change, drawn, current)[_last_anchor(first | change)]
        changes = np.cumsum(change)
        run_first = _last_anchor(first)
        flipped = (changes - changes[run_first] + change[run_first]) % 2 == 1
        steps = np.where(two, np.where(flipped, lo + hi - current, current), coded)
        self.code[rows[last]] = steps[last]
        return steps


def _run_edges(rows: I64) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Marks the first and the last reading of each sensor's run in ``rows`` (grouped by sensor)."""
    change = rows[1:] != rows[:-1]
    return np.concatenate(([True], change)), np.concatenate((change, [True]))


def _last_anchor(anchor: npt.NDArray[np.bool_]) -> I64:
    """For each position, the index of the last ``True`` at or before it (position 0 is one)."""
    idx = np.where(anchor, np.arange(anchor.size, dtype=np.int64), 0)
    return np.maximum.accumulate(idx)


def _ms(seconds: float) -> int:
    return round(seconds * 1000.0)
