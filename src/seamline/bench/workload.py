"""The synthetic workloads: every sensor of a factory, sampled at its own period.

The sensors are the factory's own (ids ``device.sensor_base + channel index``, kinds, periods,
resolutions and ranges from each :class:`~seamline.model.factory.ChannelSpec`), so a benchmark
pushes the ids and shapes the platform really sees. Values behave like the floor:

- gauges drift slowly (a sine with a period between 20 min and 12 h) with gaussian noise, about a
  fifth of them also step between two levels every 5-60 min; quantised to the channel's resolution
  and clipped to ``[low, high]``;
- counters only grow (in whole resolution steps, idle periods included) from a random lifetime
  value, except when the controller restarts (about every 12 h) and they start again from 0;
- states hold a code in ``[low, high]`` (0/1 for booleans) for 10 min to 4 h on average.

Timestamps are exact multiples of each sensor's period after a per-sensor phase, in ms.

That is the ``standard`` workload, the one every published figure was measured on. The ``jittered``
one is the same factory as real devices report it:

- timestamps carry device-clock jitter (gaussian, sd 5 % of the period up to 25 ms, never more than
  0.4 periods, so a sensor's readings stay in order), and each device's clock is off by a constant
  (up to +-250 ms) and drifts (up to +-50 ppm);
- irregular gaps: in each 30 s slot a sensor is silent for 0.5-20 s with probability 4 %, and a
  whole device (all its sensors, the same span) with probability 1 %;
- gauges are real sensor floats: the drift and noise as they are, not rounded to the channel's
  resolution (clipped to ``[low, high]``); counters and states stay whole steps, as devices count.

The readings are generated window by window (1 s of factory time by default) for all devices at once
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
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from seamline.bench._sensors import COUNTER, GAUGE, STATE, SensorTable, build_sensor_table
from seamline.model.factory import ChannelSpec, Factory

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U64 = npt.NDArray[np.uint64]

WorkloadKind = Literal["standard", "jittered"]
WORKLOAD_KINDS: Final = ("standard", "jittered")
# the jittered workload (see the module docstring)
GAP_SLOT_MS: Final = 30_000
SENSOR_GAP_P: Final = 0.04
DEVICE_GAP_P: Final = 0.01
GAP_MS: Final = (500, 20_000)
JITTER_SHARE: Final = 0.05  # sd of a timestamp's jitter, as a share of the period ...
JITTER_MAX_SD_MS: Final = 25.0  # ... at most this
JITTER_MAX_SHARE: Final = 0.4  # |jitter| < this share of the period: readings stay in order
CLOCK_OFFSET_MS: Final = 250
CLOCK_DRIFT_PPM: Final = 50.0


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

    Deterministic: the same factory, ``start_ms``, ``seed``, ``kind`` and window give the same
    readings, and a shorter run is a prefix of a longer one.
    """

    def __init__(
        self, factory: Factory, *, start_ms: int, seed: int = 0, kind: WorkloadKind = "standard"
    ) -> None:
        if kind not in WORKLOAD_KINDS:
            raise ValueError(f"unknown workload {kind!r}; use one of {', '.join(WORKLOAD_KINDS)}")
        self.factory = factory
        self.start_ms = int(start_ms)
        self.seed = seed
        self.kind: WorkloadKind = kind
        self._table = build_sensor_table(factory, seed)
        self._jitter = _Jitter(self._table, seed) if kind == "jittered" else None
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
        return int(self._count_before(_ms(seconds)).sum())

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
        while self._count_before(hi).sum() < readings:
            hi *= 2
        while hi - lo > 1:  # invariant: total(lo) < readings <= total(hi)
            mid = (lo + hi) // 2
            if self._count_before(mid).sum() >= readings:
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
        state = _State(self._table, self.seed, real_floats=self._jitter is not None)
        end = _ms(seconds)
        for w0 in range(0, end, window_ms):
            yield from self._window_chunks(state, w0, min(end, w0 + window_ms), max_readings_per_message)

    def _samples_before(self, rel_ms: int) -> I64:
        """Per sensor, how many samples of the regular schedule fall before ``start_ms + rel_ms``."""
        return _samples_before(self._table, rel_ms)

    def _count_before(self, rel_ms: int) -> I64:
        """Per sensor, how many readings (the regular schedule less any gaps) come before ``rel_ms``."""
        before = self._samples_before(rel_ms)
        return before if self._jitter is None else before - self._jitter.silent_before(rel_ms)

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
        if self._jitter is None:
            bounds = np.concatenate(([0], row_end))[t.device_start].tolist()
        else:
            keep = ~self._jitter.silent(rows, rel_ms)
            ts_ms = ts_ms + self._jitter.clock_error_ms(rows, rel_ms, state.rng)
            rows, ts_ms, values = rows[keep], ts_ms[keep], values[keep]
            sensor_ids, channel_idx = sensor_ids[keep], channel_idx[keep]
            bounds = np.searchsorted(rows, t.device_start).tolist()
        for col in (ts_ms, values, sensor_ids, channel_idx):
            col.flags.writeable = False
        for d, device_id in enumerate(self._device_ids):
            lo, hi = bounds[d], bounds[d + 1]
            channels = self._device_channels[d]
            for a in range(lo, hi, limit):
                b = min(hi, a + limit)
                yield Chunk(device_id, channel_idx[a:b], sensor_ids[a:b], ts_ms[a:b], values[a:b], channels)


class _Jitter:
    """The jittered workload's departures from the schedule: gaps, clock errors (module docstring).

    Gaps are pure functions of (sensor, 30 s slot), so they can be counted without generating the
    readings; the jitter proper is drawn from the workload's random stream.
    """

    def __init__(self, table: SensorTable, seed: int) -> None:
        self.t = table
        self.seed = seed
        self.device = np.repeat(np.arange(table.device_start.size - 1), np.diff(table.device_start))
        row = np.arange(table.n, dtype=np.int64)
        drawn = _uniform(seed, self.device, self.device, 3)
        self.offset_ms = np.rint((drawn - 0.5) * 2.0 * CLOCK_OFFSET_MS)[row]
        self.drift = ((_uniform(seed, self.device, self.device, 4) - 0.5) * 2e-6 * CLOCK_DRIFT_PPM)[row]
        period = table.period_ms.astype(np.float64)
        self.sd_ms = np.minimum(period * JITTER_SHARE, JITTER_MAX_SD_MS)
        self.max_ms = np.floor(period * JITTER_MAX_SHARE)

    def gap(self, rows: I64, slot: I64) -> tuple[I64, I64]:
        """The silent span ``[a, b)`` (ms after start) of sensors ``rows`` in ``slot``; a == b: none."""
        by_sensor = _uniform(self.seed, rows, slot, 0) < SENSOR_GAP_P
        device = self.device[rows]
        by_device = _uniform(self.seed, device + (1 << 40), slot, 0) < DEVICE_GAP_P
        owner = np.where(by_device, device + (1 << 40), rows)
        length = GAP_MS[0] + _uniform(self.seed, owner, slot, 1) * (GAP_MS[1] - GAP_MS[0])
        a = slot * GAP_SLOT_MS + np.floor(_uniform(self.seed, owner, slot, 2) * (GAP_SLOT_MS - length))
        b = a + np.floor(length)
        hit = by_sensor | by_device
        return a.astype(np.int64), np.where(hit, b, a).astype(np.int64)

    def silent(self, rows: I64, rel_ms: I64) -> npt.NDArray[np.bool_]:
        a, b = self.gap(rows, rel_ms // GAP_SLOT_MS)
        return (rel_ms >= a) & (rel_ms < b)

    def silent_before(self, rel_ms: int) -> I64:
        """Per sensor, how many scheduled samples before ``rel_ms`` fall into a gap."""
        slots = -(-rel_ms // GAP_SLOT_MS)
        if slots <= 0:
            return np.zeros(self.t.n, np.int64)
        rows = np.repeat(np.arange(self.t.n, dtype=np.int64), slots)
        a, b = self.gap(rows, np.tile(np.arange(slots, dtype=np.int64), self.t.n))
        a, b = np.minimum(a, rel_ms), np.minimum(b, rel_ms)
        period, phase = self.t.period_ms[rows], self.t.phase_ms[rows]
        n = _ceil_div_nonneg(b - phase, period) - _ceil_div_nonneg(a - phase, period)
        return np.asarray(n.reshape(self.t.n, slots).sum(axis=1), np.int64)

    def clock_error_ms(self, rows: I64, rel_ms: I64, rng: np.random.Generator) -> I64:
        """The device clock's error at each reading: offset and drift, plus jitter."""
        jitter = np.clip(
            np.rint(rng.standard_normal(rows.size) * self.sd_ms[rows]), -self.max_ms[rows], self.max_ms[rows]
        )
        error = self.offset_ms[rows] + np.rint(self.drift[rows] * rel_ms) + jitter
        return np.asarray(error, np.int64)


class _State:
    """What carries over from one window to the next: counter totals, state codes, the noise."""

    def __init__(self, table: SensorTable, seed: int, *, real_floats: bool = False) -> None:
        self.t = table
        self.rng = np.random.default_rng([seed, 0xDA7A])
        self.counter = table.counter_init.copy()
        self.code = table.state_init.copy()
        self.real_floats = real_floats  # gauges not rounded to their resolution

    def values(self, rows: I64, rel_ms: I64) -> F64:
        """Values of the readings of sensors ``rows`` (grouped by row) at ``rel_ms`` after start."""
        t = self.t
        kind = t.kind[rows]
        steps = np.empty(rows.size, np.int64)
        g = np.flatnonzero(kind == GAUGE)
        x = self._gauges(rows[g], rel_ms[g]) if g.size else np.empty(0)
        if g.size and not self.real_floats:
            steps[g] = np.clip(
                np.rint(x * t.to_steps[rows[g]]).astype(np.int64), t.step_lo[rows[g]], t.step_hi[rows[g]]
            )
        elif g.size:
            steps[g] = 0
        c = np.flatnonzero(kind == COUNTER)
        if c.size:
            steps[c] = self._counters(rows[c])
        s = np.flatnonzero(kind == STATE)
        if s.size:
            steps[s] = self._states(rows[s])
        values = t.value_of(rows, steps)
        if g.size and self.real_floats:
            r = rows[g]
            values[g] = np.clip(x, t.value_of(r, t.step_lo[r]), t.value_of(r, t.step_hi[r]))
        return values

    def _gauges(self, rows: I64, rel_ms: I64) -> F64:
        """The gauges' true values (drift, steps and noise), before any rounding."""
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
        return x

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


def _samples_before(t: SensorTable, rel_ms: int) -> I64:
    """Per sensor, how many samples of the regular schedule fall before ``rel_ms``."""
    ahead = rel_ms - t.phase_ms
    return np.where(ahead > 0, (ahead + t.period_ms - 1) // t.period_ms, 0)


def _ceil_div_nonneg(a: I64, b: I64) -> I64:
    """``ceil(a / b)`` for ``b > 0``, and 0 where ``a <= 0``."""
    return np.where(a > 0, (a + b - 1) // b, 0)


def _uniform(seed: int, a: I64, b: I64, salt: int) -> F64:
    """A uniform [0, 1) per pair ``(a, b)``: splitmix64 of the pair, the seed and ``salt``."""
    x = np.asarray(a, np.int64).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    x ^= np.asarray(b, np.int64).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    x ^= np.full_like(x, (seed * 0x165667B1 + salt * 0x27D4EB2F) & 0xFFFFFFFFFFFFFFFF)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _ms(seconds: float) -> int:
    return round(seconds * 1000.0)
