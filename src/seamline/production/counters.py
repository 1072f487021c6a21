"""Machine counters as deltas per machine and hour: needle time, pieces, stitches, power-on time.

A sewing-machine controller keeps monotonic counters and snapshots them as readings, every 10 s in
the reference factory; it restarts them from 0 when it resets, with a new boot number and a
``counter_reset`` event (apparel-domain.md 1.2, 7; docs/telemetry.md). Seamline turns them into
deltas on the server, so that what a machine counted in an hour is known however its messages
arrived:

- **Epochs.** The readings of one boot of one device form an epoch, ordered by device time (the
  store's reading order: time, then value; within a boot it follows the messages' sequence). A
  boot above another one of the same device, or one a ``counter_reset`` event announced, counts
  from 0: its first reading is all counted. The device's lowest boot otherwise is a *baseline*:
  its first reading counts nothing (what the controller counted before Seamline listened is not
  ours), or, after a restart, what it adds to the newest stored reading (``seed``).
- **Late, back-filled and repeated readings** slot into their place: per epoch and hour only the
  first and the last reading and the counts between them are kept, so a reading older than an
  hour's first or newer than its last extends it, a repeated one adds nothing, and the deltas of
  the hour and of the next one are recomputed. The total of an epoch is its last value (less its
  baseline), whatever order its readings came in.
- **Anomalies.** A counter that goes down within an epoch (no reset announced) adds no negative
  delta; the drop is counted and listed in :attr:`CounterBook.anomalies`. A reading that lands
  between two readings already seen in its hour and breaks their order is an anomaly too.

Only the channels of :data:`COUNTERS` are followed: ``run_time_s`` (needle time: the motor
running), ``power_on_s``, ``piece_count`` (the plausibility check of the scans) and
``stitch_count``. A commit's batches are sifted with one numpy lookup, and its counter readings
sorted into runs of one epoch and hour, each added in one step.

>>> key = ("M1", "run_time_s")
>>> book = CounterBook.for_channels({7: key})
>>> for boot, ts_ms, value in [(0, 0, 500.0), (0, 10_000, 504.0),  # boot 0: a baseline, from 500
...                            (1, 30_000, 3.0),  # a reset: the new boot counts from 0
...                            (0, 20_000, 509.0), (0, 10_000, 504.0)]:  # late, and a repeat
...     book.reading(key, boot, ts_ms, value)
>>> book.totals(0, HOUR_MS)["M1"]["run_time_s"]  # (504 - 500) + (509 - 504) + 3
12.0
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np

from seamline.model.factory import Factory
from seamline.production.hours import HOUR_MS, spans
from seamline.store.base import Aggregates, Resolution, Store, counter_delta
from seamline.telemetry import DeviceBatch

COUNTERS: Final = ("run_time_s", "power_on_s", "piece_count", "stitch_count")
RESET_EVENT: Final = "counter_reset"
ANOMALIES_KEPT: Final = 1000  # the newest anomalies listed; all are counted
REBUILD_DAYS: Final = 31  # hours read back from the store's rollups at start
REBUILD_THREADS: Final = 4

_Key = tuple[str, str]  # (device, channel)


@dataclass(frozen=True, slots=True)
class CounterAnomaly:
    """A counter that went down within an epoch: from ``previous`` to ``value`` at ``ts_ms``."""

    device_id: str
    channel: str
    boot: int
    ts_ms: int
    previous: float
    value: float


@dataclass(frozen=True, slots=True)
class Epoch:
    """One boot of one counter as seen so far: what it counted, from 0 or from a baseline."""

    device_id: str
    channel: str
    boot: int
    from_zero: bool
    first_ts_ms: int
    last_ts_ms: int
    last_value: float
    counted: float


class _Hour:
    """The readings of one epoch in one hour: the first, the last, and the counts between them."""

    __slots__ = ("delta", "drop", "first_ts", "first_v", "inner", "last_ts", "last_v")

    def __init__(self, ts: int, value: float) -> None:
        self.first_ts, self.first_v, self.last_ts, self.last_v = ts, value, ts, value
        self.inner = 0.0  # counted from the first to the last reading
        self.delta = 0.0  # what the hour adds: inner + the step from the epoch's previous reading
        self.drop = False  # the step from the previous hour's last reading goes down


class _Epoch:
    __slots__ = ("boot", "counted", "hours", "spans")

    def __init__(self, boot: int) -> None:
        self.boot = boot
        self.hours: list[int] = []  # ascending
        self.spans: dict[int, _Hour] = {}
        self.counted = 0.0


class CounterBook:
    """Counter deltas per (device, channel) and hour, updated batch by batch (see the module)."""

    def __init__(self, factory: Factory, channels: Sequence[str] = COUNTERS) -> None:
        """Follows ``channels`` of every device that has them."""
        self._init(
            {
                d.sensor_id(c): (d.id, c)
                for d in factory.devices
                for c in channels
                if c in d.machine_type.channel_index
            }
        )

    @classmethod
    def for_channels(cls, sensors: Mapping[int, _Key]) -> CounterBook:
        """A book following exactly ``sensors`` (sensor id -> (device, channel)): for examples."""
        book = cls.__new__(cls)
        book._init(sensors)
        return book

    def _init(self, sensors: Mapping[int, _Key]) -> None:
        self.sensors = dict(sensors)
        self._keys: list[_Key] = list(sensors.values())
        # sensor id -> index in _keys; -1 for the rest, the last entry for every id beyond the table
        self._lut = np.full(max(sensors, default=0) + 2, -1, np.int32)
        for i, sid in enumerate(sensors):
            self._lut[sid] = i
        self._device_keys: dict[str, list[_Key]] = {}
        for key in self._keys:
            self._device_keys.setdefault(key[0], []).append(key)
        self.by_hour: dict[int, dict[_Key, float]] = {}  # hour -> (device, channel) -> delta
        self._epochs: dict[_Key, dict[int, _Epoch]] = {}  # -> boot -> epoch
        self._reset: set[tuple[str, int]] = set()  # (device, boot) a counter_reset event announced
        self.seeds: dict[_Key, tuple[int, float]] = {}  # the newest stored reading at start
        self.anomalies: deque[CounterAnomaly] = deque(maxlen=ANOMALIES_KEPT)
        self.anomaly_count: Counter[_Key] = Counter()
        self.readings = 0
        self.rebuilt_hours = 0

    # -- input ---------------------------------------------------------------------------------------

    def update(self, batches: Sequence[DeviceBatch]) -> None:
        """Take one commit's batches: their counter readings and ``counter_reset`` events.

        The readings are sorted into runs of one epoch and hour with numpy, and each run is added
        at once (its first and last reading and what it counted between them): a back-fill of an
        hour costs one step per counter, not one per reading."""
        for b in batches:
            for e in b.events:
                if e.type == RESET_EVENT:
                    self._announce(b.device_id, b.boot)
        if not batches:
            return
        codes = self._lut.take(np.concatenate([b.sensor_ids for b in batches]), mode="clip")
        picked = np.flatnonzero(codes >= 0)
        if not picked.size:
            return
        sizes = np.array([b.sensor_ids.shape[0] for b in batches])
        ends = np.cumsum(sizes)
        owner = np.searchsorted(ends, picked, side="right")  # the batch of each picked reading
        at = (picked - (ends - sizes)[owner]).tolist()  # and its place in it
        got = [batches[i] for i in owner.tolist()]
        boot = np.array([b.boot for b in got], np.int64)
        ts = np.array([b.ts_ms[j] for b, j in zip(got, at, strict=True)], np.int64)
        value = np.array([b.values[j] for b, j in zip(got, at, strict=True)], np.float64)
        code = codes[picked]
        hour = ts - ts % HOUR_MS
        order = np.lexsort((value, ts, hour, boot, code))  # by counter, boot, hour, then reading order
        code, boot, hour, ts, value = code[order], boot[order], hour[order], ts[order], value[order]
        n = code.shape[0]
        cut = np.ones(n, bool)
        cut[1:] = (code[1:] != code[:-1]) | (boot[1:] != boot[:-1]) | (hour[1:] != hour[:-1])
        starts = np.flatnonzero(cut)
        step = np.zeros(n)
        step[1:] = np.where(cut[1:], 0.0, np.diff(value))
        inner = np.add.reduceat(np.maximum(step, 0.0), starts).tolist()
        drops = set(np.flatnonzero(step < 0).tolist())
        self.readings += n
        c, bt, t, v = code.tolist(), boot.tolist(), ts.tolist(), value.tolist()
        for g, (a, z) in enumerate(itertools.pairwise([*starts.tolist(), n])):
            key = self._keys[c[a]]
            if self._run(key, bt[a], t[a], v[a], t[z - 1], v[z - 1], inner[g]):
                for k in sorted(drops.intersection(range(a + 1, z))) if drops else ():
                    self._anomaly(key, bt[k], t[k], v[k - 1], v[k])
            else:  # it interleaves with readings already there: one by one
                for k in range(a, z):
                    self._one(key, bt[k], t[k], v[k])

    def reading(self, key: _Key, boot: int, ts_ms: int, value: float) -> None:
        """One counter reading of ``key`` = (device, channel) in boot ``boot``, in any order."""
        self.readings += 1
        self._one(key, boot, ts_ms, value)

    def _one(self, key: _Key, boot: int, ts_ms: int, value: float) -> None:
        if self._run(key, boot, ts_ms, value, ts_ms, value, 0.0):
            return
        h = self._epoch(key, boot).spans[ts_ms - ts_ms % HOUR_MS]
        if not h.first_v <= value <= h.last_v:  # between two readings seen, out of their order
            self._anomaly(key, boot, ts_ms, h.first_v, value)
        # else: a repeat, or a reading between two seen, which changes nothing counted

    def _run(
        self, key: _Key, boot: int, first_ts: int, first_v: float, last_ts: int, last_v: float, inner: float
    ) -> bool:
        """Add readings of one epoch and hour, in order from (first_ts, first_v) to (last_ts,
        last_v), having counted ``inner`` between them; False (nothing added) when they fall among
        readings already seen in that hour."""
        ep = self._epoch(key, boot)
        hour = first_ts - first_ts % HOUR_MS
        h = ep.spans.get(hour)
        if h is None:
            h = ep.spans[hour] = _Hour(first_ts, first_v)
            h.last_ts, h.last_v, h.inner = last_ts, last_v, inner
            bisect.insort(ep.hours, hour)
            self._refresh(key, ep, hour)
            self._refresh_next(key, ep, hour)
        elif (first_ts, first_v) > (h.last_ts, h.last_v):
            if first_v < h.last_v:
                self._anomaly(key, boot, first_ts, h.last_v, first_v)
            h.inner += max(0.0, first_v - h.last_v) + inner
            h.last_ts, h.last_v = last_ts, last_v
            self._refresh(key, ep, hour)
            self._refresh_next(key, ep, hour)
        elif (last_ts, last_v) < (h.first_ts, h.first_v):
            if last_v > h.first_v:
                self._anomaly(key, boot, h.first_ts, last_v, h.first_v)
            h.inner += inner + max(0.0, h.first_v - last_v)
            h.first_ts, h.first_v = first_ts, first_v
            self._refresh(key, ep, hour)
        else:
            return False
        return True

    def _epoch(self, key: _Key, boot: int) -> _Epoch:
        epochs = self._epochs.setdefault(key, {})
        ep = epochs.get(boot)
        if ep is None:
            ep = epochs[boot] = _Epoch(boot)
            if len(epochs) > 1 and boot == min(epochs):  # the old baseline now follows a lower boot
                old = epochs[min(b for b in epochs if b != boot)]
                if old.hours:
                    self._refresh(key, old, old.hours[0])
        return ep

    def _announce(self, device_id: str, boot: int) -> None:
        """A ``counter_reset`` event: that boot's counters count from 0."""
        if (device_id, boot) in self._reset:
            return
        self._reset.add((device_id, boot))
        for key in self._device_keys.get(device_id, ()):
            ep = self._epochs.get(key, {}).get(boot)
            if ep is not None:
                self._refresh(key, ep, ep.hours[0])

    def _from_zero(self, key: _Key, boot: int) -> bool:
        return (key[0], boot) in self._reset or boot > min(self._epochs[key])

    def _refresh(self, key: _Key, ep: _Epoch, hour: int) -> None:
        """Recompute what ``hour`` adds to epoch ``ep``, and carry the change into the hour table."""
        h = ep.spans[hour]
        i = bisect.bisect_left(ep.hours, hour)
        if i:
            prev = ep.spans[ep.hours[i - 1]]
            step = h.first_v - prev.last_v
            if step < 0 and not h.drop:
                self._anomaly(key, ep.boot, h.first_ts, prev.last_v, h.first_v)
            h.drop = step < 0
            step = max(0.0, step)
        elif self._from_zero(key, ep.boot):
            step = h.first_v
        else:
            seed = self.seeds.get(key)
            step = counter_delta(seed[1], h.first_v) if seed is not None and seed[0] <= h.first_ts else 0.0
        change = h.inner + step - h.delta
        if change:
            h.delta += change
            ep.counted += change
            bucket = self.by_hour.setdefault(hour, {})
            bucket[key] = bucket.get(key, 0.0) + change

    def _refresh_next(self, key: _Key, ep: _Epoch, hour: int) -> None:
        i = bisect.bisect_right(ep.hours, hour)
        if i < len(ep.hours):
            self._refresh(key, ep, ep.hours[i])

    def _anomaly(self, key: _Key, boot: int, ts_ms: int, previous: float, value: float) -> None:
        self.anomaly_count[key] += 1
        self.anomalies.append(CounterAnomaly(key[0], key[1], boot, ts_ms, previous, value))

    # -- start ---------------------------------------------------------------------------------------

    def rebuild(self, store: Store, *, days: float = REBUILD_DAYS) -> int:
        """Read back, per counter, its increase hour by hour from the store's 1-hour rollups over the
        ``days`` before its newest stored reading, and that reading as the seed live readings count
        from; return the hours read. Bounded by hours, not readings: a month is about 720 rows per
        counter. The rollups treat a drop as a restart (``counter_delta``), with no boot numbers."""
        for latest in store.latest(list(self.sensors)):
            self.seeds[self.sensors[latest.sensor_id]] = (latest.ts_ms, latest.value)

        def read(sid: int) -> Aggregates:
            ts = self.seeds[self.sensors[sid]][0]
            end = ts - ts % HOUR_MS + HOUR_MS
            return store.aggregates(sid, end - int(days * 24) * HOUR_MS, end, Resolution.HOUR)

        seeded = [sid for sid, key in self.sensors.items() if key in self.seeds]
        # each query costs mostly its scan of the readings not yet rolled up, which DuckDB runs
        # outside the GIL: a few at once take half the time on two cores
        with ThreadPoolExecutor(REBUILD_THREADS, thread_name_prefix="seamline-counters") as pool:
            answers = list(pool.map(read, seeded))
        for sid, agg in zip(seeded, answers, strict=True):
            if agg.increase is None:
                continue
            key = self.sensors[sid]
            for hour, increase in zip(agg.bucket_ms.tolist(), agg.increase.tolist(), strict=True):
                if increase:
                    bucket = self.by_hour.setdefault(hour, {})
                    bucket[key] = bucket.get(key, 0.0) + increase
            self.rebuilt_hours += len(agg)
        return self.rebuilt_hours

    # -- answers -------------------------------------------------------------------------------------

    def hours(self, start_ms: int, end_ms: int) -> Iterable[tuple[int, dict[_Key, float]]]:
        """(hour, (device, channel) -> delta) of the hours overlapping ``[start_ms, end_ms)``."""
        if not self.by_hour:
            return
        lo = max(start_ms - start_ms % HOUR_MS, min(self.by_hour))
        for hour, _ in spans(lo, min(end_ms, max(self.by_hour) + HOUR_MS), whole_days=False):
            bucket = self.by_hour.get(hour)
            if bucket:
                yield hour, bucket

    def totals(self, start_ms: int, end_ms: int) -> dict[str, dict[str, float]]:
        """device -> channel -> what it counted in the hours overlapping ``[start_ms, end_ms)``."""
        out: dict[str, dict[str, float]] = {}
        for _, bucket in self.hours(start_ms, end_ms):
            for (device, channel), delta in bucket.items():
                per = out.setdefault(device, {})
                per[channel] = per.get(channel, 0.0) + delta
        return out

    def epochs(self, device_id: str) -> list[Epoch]:
        """The epochs seen live of a device's counters, by channel and boot."""
        out = []
        for key in self._device_keys.get(device_id, ()):
            for boot, ep in sorted(self._epochs.get(key, {}).items()):
                first, last = ep.spans[ep.hours[0]], ep.spans[ep.hours[-1]]
                out.append(
                    Epoch(
                        device_id,
                        key[1],
                        boot,
                        self._from_zero(key, boot),
                        first.first_ts,
                        last.last_ts,
                        last.last_v,
                        ep.counted,
                    )
                )
        return out


__all__ = ["COUNTERS", "CounterAnomaly", "CounterBook", "Epoch"]
