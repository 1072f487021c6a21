"""Backend-independent arithmetic of rollups and state timelines, on numpy arrays.

A backend keeps, per sensor and bucket, a :class:`Buckets` row: enough to answer
:meth:`~seamline.store.base.Store.aggregates` for any range and to rebuild the state timeline for
:meth:`~seamline.store.base.Store.state_durations` without the raw readings:

- ``count``, ``min``, ``max``, ``sum``, ``first``/``first_ts`` and ``last``/``last_ts`` (first and
  last in reading order);
- ``inc``: for counters, the increase *within* the bucket (each reading after the bucket's first
  adds ``counter_delta(previous, value)``); the step from the previous bucket's last reading to
  this bucket's first is added when buckets are put together (:func:`to_aggregates`,
  :func:`compose`), so a late reading only ever changes its own bucket;
- for state channels, the *breaks* inside the bucket: readings whose code differs from the
  previous reading's in the same bucket, or that follow it by more than ``STATE_HOLD_MS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from seamline.store.base import STATE_HOLD_MS, Aggregates, Resolution, StateDurations

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Buckets:
    """Rollup rows of one sensor in bucket order (parallel arrays); ``inc`` is None unless a counter."""

    bucket: I64
    count: I64
    min: F64
    max: F64
    sum: F64
    first: F64
    last: F64
    first_ts: I64
    last_ts: I64
    inc: F64 | None

    def __len__(self) -> int:
        return int(self.bucket.shape[0])

    @classmethod
    def from_columns(cls, cols: dict[str, Any], *, counter: bool) -> Buckets:
        """From fetched columns named like the rollup tables, sorted here by bucket."""
        bucket = np.asarray(cols["bucket"], np.int64)
        order = np.argsort(bucket, kind="stable")

        def f(name: str) -> F64:
            return np.asarray(cols[name], np.float64)[order]

        def i(name: str) -> I64:
            return np.asarray(cols[name], np.int64)[order]

        inc = np.nan_to_num(np.asarray(cols["inc"], np.float64)[order]) if counter else None
        return cls(
            bucket[order],
            i("count"),
            f("min"),
            f("max"),
            f("sum"),
            f("first"),
            f("last"),
            i("first_ts"),
            i("last_ts"),
            inc,
        )

    @classmethod
    def concat(cls, parts: list[Buckets], *, counter: bool) -> Buckets:
        """Put disjoint sets of buckets together, in bucket order."""
        cols: dict[str, Any] = {
            name: np.concatenate([getattr(p, name) for p in parts]) if parts else np.empty(0)
            for name in ("bucket", "count", "min", "max", "sum", "first", "last", "first_ts", "last_ts")
        }
        cols["inc"] = (
            np.concatenate([p.inc if p.inc is not None else np.zeros(len(p)) for p in parts])
            if parts
            else np.empty(0)
        )
        return cls.from_columns(cols, counter=counter)


def from_readings(ts_ms: I64, values: F64, width_ms: int, *, counter: bool) -> Buckets:
    """Buckets of ``width_ms`` of one sensor's raw readings (any order), by the definitions above.

    NaN readings: ``min`` ignores them, ``max`` becomes NaN (as in SQL engines that sort NaN last).
    """
    if not len(ts_ms):
        return Buckets.concat([], counter=counter)
    order = np.lexsort((values, ts_ms))
    ts, v = ts_ms[order], values[order]
    b = ts - ts % width_ms
    starts = np.flatnonzero(np.concatenate(([True], b[1:] != b[:-1])))
    ends = np.concatenate((starts[1:], [len(ts)])) - 1
    inc = None
    if counter:
        step = np.zeros(len(v))
        step[1:] = counter_deltas(v[:-1], v[1:])
        step[starts] = 0.0
        inc = np.add.reduceat(step, starts)
    return Buckets(
        b[starts],
        np.diff(np.append(starts, len(ts))).astype(np.int64),
        np.fmin.reduceat(v, starts),
        np.maximum.reduceat(v, starts),
        np.add.reduceat(v, starts),
        v[starts],
        v[ends],
        ts[starts],
        ts[ends],
        inc,
    )


def counter_deltas(previous: F64, values: F64) -> F64:
    """:func:`~seamline.store.base.counter_delta` element-wise."""
    return np.where(values >= previous, values - previous, values)


def compose(b: Buckets, width_ms: int) -> Buckets:
    """Coarser buckets of ``width_ms`` from finer ones (e.g. hours from minutes), exactly."""
    if not len(b):
        return b
    coarse = b.bucket - b.bucket % width_ms
    starts = np.flatnonzero(np.concatenate(([True], coarse[1:] != coarse[:-1])))
    ends = np.concatenate((starts[1:], [len(b)])) - 1
    inc = None
    if b.inc is not None:
        step = np.zeros(len(b))
        step[1:] = counter_deltas(b.last[:-1], b.first[1:])
        step[starts] = 0.0  # the step into a coarse bucket is added when coarse buckets are joined
        inc = np.add.reduceat(b.inc + step, starts)
    return Buckets(
        coarse[starts],
        np.add.reduceat(b.count, starts),
        np.minimum.reduceat(b.min, starts),
        np.maximum.reduceat(b.max, starts),
        np.add.reduceat(b.sum, starts),
        b.first[starts],
        b.last[ends],
        b.first_ts[starts],
        b.last_ts[ends],
        inc,
    )


def to_aggregates(
    b: Buckets, sensor_id: int, resolution: Resolution, value_before: float | None
) -> Aggregates:
    """The public form: mean from sum, and each counter bucket's increase including the step from
    the previous reading (``value_before`` is the reading just before the first bucket's first)."""
    increase = None
    if b.inc is not None:
        previous = np.empty(len(b))
        if len(b):
            previous[0] = b.first[0] if value_before is None else value_before
            previous[1:] = b.last[:-1]
        increase = b.inc + counter_deltas(previous, b.first)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = b.sum / b.count
    return Aggregates(sensor_id, resolution, b.bucket, b.count, b.min, b.max, mean, b.last, increase)


def merge_groups(a: Aggregates, max_points: int) -> Aggregates:
    """At most ``max_points`` entries, by joining runs of consecutive buckets (exactly: min of the
    mins, max of the maxes, count-weighted mean, last of the last, summed increase)."""
    n = len(a)
    if n <= max_points:
        return a
    per = -(-n // max_points)
    starts = np.arange(0, n, per)
    ends = np.minimum(starts + per, n) - 1
    count = np.add.reduceat(a.count, starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.add.reduceat(a.mean * a.count, starts) / count
    return Aggregates(
        a.sensor_id,
        a.resolution,
        a.bucket_ms[starts],
        count,
        np.minimum.reduceat(a.min, starts),
        np.maximum.reduceat(a.max, starts),
        mean,
        a.last[ends],
        np.add.reduceat(a.increase, starts) if a.increase is not None else None,
    )


# -- state timelines -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateBuckets:
    """What state sensors' timelines are rebuilt from: their rollup rows and breaks, each row with
    its sensor, covering at least ``[start - STATE_HOLD_MS, end + STATE_HOLD_MS)`` of the range asked
    for. :func:`merge_states` puts them in (sensor, time) order."""

    first_sensor: I64
    first_ts: I64
    first_code: F64  # NaN: not a finite code
    last_ts: I64
    break_sensor: I64
    break_ts: I64
    break_code: F64
    break_prev_ts: I64


def codes_of(values: F64) -> F64:
    """Codes of state values: ``int(value)``, NaN where the value is not finite."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values), np.trunc(values), np.nan)


def state_from_readings(
    sensors: I64, ts_ms: I64, values: F64, width_ms: int, hold_ms: int = STATE_HOLD_MS
) -> StateBuckets:
    """What :func:`segments` needs, straight from state sensors' raw readings."""
    order = np.lexsort((values, ts_ms, sensors))
    sid, ts, code = sensors[order], ts_ms[order], codes_of(values[order])
    b = ts - ts % width_ms
    first = np.ones(len(ts), bool)
    first[1:] = (b[1:] != b[:-1]) | (sid[1:] != sid[:-1])
    last = np.ones(len(ts), bool)
    last[:-1] = first[1:]
    prev_code = np.concatenate(([np.nan], code[:-1])) if len(ts) else np.zeros(0)
    prev_ts = np.concatenate(([0], ts[:-1])) if len(ts) else np.zeros(0, np.int64)
    changed = ~((code == prev_code) | (np.isnan(code) & np.isnan(prev_code)))
    brk = ~first & (changed | (ts - prev_ts > hold_ms))  # never a sensor's first: no cross-sensor pairs
    return StateBuckets(
        sid[first], ts[first], code[first], ts[last], sid[brk], ts[brk], code[brk], prev_ts[brk]
    )


def merge_states(parts: list[StateBuckets]) -> StateBuckets:
    """Put together state buckets of disjoint bucket sets, in (sensor, time) order."""

    def cat(name: str) -> Any:
        return np.concatenate([getattr(p, name) for p in parts])

    first_sensor, first_ts, break_sensor, break_ts = (
        cat(n) for n in ("first_sensor", "first_ts", "break_sensor", "break_ts")
    )
    order = np.lexsort((first_ts, first_sensor))
    korder = np.lexsort((break_ts, break_sensor))
    return StateBuckets(
        first_sensor[order],
        first_ts[order],
        cat("first_code")[order],
        cat("last_ts")[order],
        break_sensor[korder],
        break_ts[korder],
        cat("break_code")[korder],
        cat("break_prev_ts")[korder],
    )


NO_SPANS: tuple[I64, I64, I64, F64] = (
    np.empty(0, np.int64),
    np.empty(0, np.int64),
    np.empty(0, np.int64),
    np.empty(0, np.float64),
)  # no sensor's state known at any time


def segments(sb: StateBuckets, hold_ms: int = STATE_HOLD_MS) -> tuple[I64, I64, I64, F64]:
    """The (sensor, start, end, code) spans during which each sensor's state is known, in (sensor,
    time) order, from buckets in that order (:func:`merge_states`)."""
    nb = len(sb.first_ts)
    if nb == 0:
        return NO_SPANS
    bs = sb.first_sensor
    new = np.ones(nb, bool)  # a sensor's first bucket
    new[1:] = bs[1:] != bs[:-1]
    # a break's bucket is one of its sensor's buckets; one whose sensor has none cannot be placed
    has = np.isin(sb.break_sensor, bs)
    ks, kts, kprev = sb.break_sensor[has], sb.break_ts[has], sb.break_prev_ts[has]
    sensor = np.concatenate((bs, ks))
    start = np.concatenate((sb.first_ts, kts))
    code = np.concatenate((sb.first_code, sb.break_code[has]))
    # when this event opens a span, the span before it (of the same sensor) closes at:
    prev_last = np.empty(nb, np.int64)
    prev_last[1:] = sb.last_ts[:-1]
    prev_last[new] = sb.first_ts[new]
    closes = np.concatenate((np.minimum(prev_last + hold_ms, sb.first_ts), np.minimum(kprev + hold_ms, kts)))
    kind = np.concatenate(
        (np.zeros(nb, np.int8), np.ones(len(ks), np.int8))
    )  # a bucket opens before its breaks
    order = np.lexsort((kind, start, sensor))
    sensor, start, code, closes = sensor[order], start[order], code[order], closes[order]
    # each span ends where the next of its sensor opens; a sensor's last, a hold after its last reading
    end = np.empty_like(closes)
    end[:-1] = closes[1:]
    final = np.ones(len(sensor), bool)
    final[:-1] = sensor[1:] != sensor[:-1]
    last_of = np.ones(nb, bool)
    last_of[:-1] = new[1:]
    end[final] = sb.last_ts[last_of] + hold_ms  # sensors in the same order: both sorted by sensor
    return sensor, start, end, code


def durations(
    sensor_ids: tuple[int, ...],
    timelines: tuple[I64, I64, I64, F64],
    start_ms: int,
    end_ms: int,
    interval_ms: int,
) -> StateDurations:
    """Per sensor, interval and code, the time spent, from the sensors' :func:`segments` (each
    sensor's spans are disjoint)."""
    edges = np.minimum(np.arange(start_ms, end_ms + interval_ms, interval_ms, dtype=np.int64), end_ms)
    edges = edges[np.concatenate(([True], edges[1:] != edges[:-1]))]
    widths = np.diff(edges)
    unique_ids, row_of = np.unique(np.asarray(sensor_ids, np.int64), return_inverse=True)
    sensor, s, e, c = timelines
    s, e = np.maximum(s, edges[0]), np.minimum(e, edges[-1])
    keep = np.isfinite(c) & (e > s) & np.isin(sensor, unique_ids)
    sensor, s, e, c = sensor[keep], s[keep], e[keep], c[keep]
    all_codes = np.unique(c)
    n_int, n_codes = len(widths), len(all_codes)
    # each span's share of each interval it touches, summed per (sensor, interval, code)
    first = np.searchsorted(edges, s, "right") - 1
    touched = np.searchsorted(edges, e, "left") - first  # intervals the span reaches into
    span = np.repeat(np.arange(len(s)), touched)
    k = first[span] + np.arange(len(span)) - np.repeat(np.cumsum(touched) - touched, touched)
    share = np.minimum(e[span], edges[k + 1]) - np.maximum(s[span], edges[k])
    cell = (np.searchsorted(unique_ids, sensor)[span] * n_int + k) * n_codes + np.searchsorted(all_codes, c)[
        span
    ]
    # float sums of integer ms stay exact far beyond a day of intervals (below 2**53)
    total = np.bincount(cell, weights=share, minlength=len(unique_ids) * n_int * n_codes)
    per_id = np.rint(total).astype(np.int64).reshape(len(unique_ids), n_int, n_codes)
    out = per_id[row_of]
    unknown = widths[None, :] - out.sum(axis=2)
    return StateDurations(
        sensor_ids,
        start_ms,
        end_ms,
        interval_ms,
        edges[:-1].copy(),
        all_codes.astype(np.int64),
        out,
        unknown,
    )
