"""What every Store backend must do. Add a backend to ``BACKENDS`` and the whole suite runs on it."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from postgres_helpers import POSTGRES_URL, fresh_schema

from seamline.ingest import DeviceBatch, Event
from seamline.model.factory import NO_SIGNAL_CODE, Factory
from seamline.store import (
    STATE_HOLD_MS,
    Aggregates,
    DuckDBStore,
    Resolution,
    RetentionClass,
    RetentionPolicy,
    Store,
    StoreQueryError,
    counter_delta,
)
from seamline.store.postgres import PostgresStore

T0 = 1_795_363_200_000
DEVICE = "L01-S03"


class OpenStore(Protocol):
    def __call__(self, retention: RetentionPolicy | None = None) -> Store: ...


@contextmanager
def _duckdb(tmp_path: Path, factory: Factory) -> Iterator[OpenStore]:
    def make(retention: RetentionPolicy | None = None) -> Store:
        return DuckDBStore(tmp_path, retention=retention).opened(factory)

    yield make


@contextmanager
def _postgres(tmp_path: Path, factory: Factory) -> Iterator[OpenStore]:
    with fresh_schema() as schema:

        def make(retention: RetentionPolicy | None = None) -> Store:
            return PostgresStore(POSTGRES_URL, schema=schema, retention=retention).opened(factory)

        yield make


# Each backend's place for one test's store: a data directory, a PostgreSQL schema dropped after.
BACKENDS: dict[str, Callable[[Path, Factory], AbstractContextManager[OpenStore]]] = {
    "duckdb": _duckdb,
    "postgres": _postgres,
}
# The backends that implement rollups, state durations and maintenance (base.py's extension).
# DuckDBStore raises NotImplementedError there for now: add "duckdb" when it lands.
EXTENDED_BACKENDS = ("duckdb", "postgres")


def _opener(backend: str, tmp_path: Path, factory: Factory) -> Iterator[OpenStore]:
    opened: list[Store] = []
    with BACKENDS[backend](tmp_path, factory) as make:

        def open_one(retention: RetentionPolicy | None = None) -> Store:
            store = make(retention)
            opened.append(store)
            return store

        try:
            yield open_one
        finally:
            for store in opened:
                store.close()


@pytest.fixture(params=sorted(BACKENDS))
def open_store(request: pytest.FixtureRequest, tmp_path: Path, factory: Factory) -> Iterator[OpenStore]:
    """Opens the backend in this test's own place; every store opened is closed at the end."""
    yield from _opener(request.param, tmp_path, factory)


@pytest.fixture(params=EXTENDED_BACKENDS)
def open_extended_store(
    request: pytest.FixtureRequest, tmp_path: Path, factory: Factory
) -> Iterator[OpenStore]:
    """Like ``open_store``, for the backends that implement rollups and maintenance."""
    yield from _opener(request.param, tmp_path, factory)


def batch(
    factory: Factory,
    seq: int,
    readings: list[tuple[int, int, float]] = (),  # type: ignore[assignment]  # (channel, ts, value)
    *,
    device: str = DEVICE,
    boot: int = 0,
    events: tuple[Event, ...] = (),
) -> DeviceBatch:
    base = factory.devices_by_id[device].sensor_base
    return DeviceBatch(
        device,
        boot,
        seq,
        T0,
        T0 + 5,
        np.array([base + ch for ch, _, _ in readings], np.int32),
        np.array([ts for _, ts, _ in readings], np.int64),
        np.array([v for _, _, v in readings], np.float64),
        events,
    )


def sensor(factory: Factory, channel: int, device: str = DEVICE) -> int:
    return factory.devices_by_id[device].sensor_base + channel


def test_a_written_batch_reads_back(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    ev = Event(DEVICE, T0 + 3, "fault", {"code": 112, "severity": "error", "text": "jam"})
    result = store.write_batch(
        [batch(factory, 1, [(0, T0, 1.5), (0, T0 + 10, 2.5), (1, T0, -7.0)], events=(ev,))]
    )

    assert (result.messages, result.duplicates, result.readings, result.events) == (1, 0, 3, 1)
    assert (store.message_count(), store.reading_count()) == (1, 3)
    series = store.history(sensor(factory, 0), T0, T0 + 1000)
    assert series.sensor_id == sensor(factory, 0)
    assert series.ts_ms.tolist() == [T0, T0 + 10]
    assert series.values.tolist() == [1.5, 2.5]
    assert series.ts_ms.dtype == np.int64
    assert series.values.dtype == np.float64
    assert [(v.sensor_id, v.ts_ms, v.value) for v in store.latest()] == [
        (sensor(factory, 0), T0 + 10, 2.5),
        (sensor(factory, 1), T0, -7.0),
    ]
    (stored,) = store.events()
    assert (stored.device_id, stored.ts_ms, stored.received_ts_ms, stored.type) == (
        DEVICE,
        T0 + 3,
        T0 + 5,
        "fault",
    )
    assert stored.data == {"code": 112, "severity": "error", "text": "jam"}


def test_a_message_stored_before_is_skipped_with_its_readings(
    open_store: OpenStore, factory: Factory
) -> None:
    store = open_store()
    first = batch(factory, 1, [(0, T0, 1.0)], events=(Event(DEVICE, T0, "heartbeat", {}),))
    store.write_batch([first])
    again = store.write_batch([first, batch(factory, 2, [(0, T0 + 1, 2.0)])])

    assert (again.messages, again.duplicates, again.readings, again.events) == (1, 1, 1, 0)
    assert again.duplicate_keys == ((DEVICE, 0, 1),)
    assert (store.message_count(), store.reading_count()) == (2, 2)
    assert store.history(sensor(factory, 0), T0, T0 + 10).values.tolist() == [1.0, 2.0]
    assert len(store.events()) == 1


def test_duplicates_within_one_write_are_stored_once(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    b = batch(factory, 5, [(0, T0, 1.0)])
    result = store.write_batch([b, b, b])
    assert (result.messages, result.duplicates, result.readings) == (1, 2, 1)
    assert store.reading_count() == 1


def test_another_boot_is_another_message(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    result = store.write_batch(
        [batch(factory, 1, [(0, T0, 1.0)]), batch(factory, 1, [(0, T0 + 1, 2.0)], boot=1)]
    )
    assert result.messages == 2


def test_latest_is_the_newest_by_device_time_not_by_arrival(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    store.write_batch([batch(factory, 1, [(0, T0 + 500, 5.0), (0, T0 + 100, 1.0)])])
    store.write_batch([batch(factory, 2, [(0, T0 + 300, 3.0)])])  # a back-filled, older reading

    assert [(v.ts_ms, v.value) for v in store.latest([sensor(factory, 0)])] == [(T0 + 500, 5.0)]


def test_latest_survives_reopening(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    store.write_batch([batch(factory, 1, [(0, T0 + 500, 5.0), (1, T0, 1.0)])])
    store.write_batch([batch(factory, 2, [(0, T0 + 300, 3.0)])])
    before = store.latest()
    store.close()

    reopened = open_store()
    assert reopened.latest() == before
    assert (reopened.message_count(), reopened.reading_count()) == (2, 3)


def test_latest_of_chosen_sensors_skips_those_without_readings(
    open_store: OpenStore, factory: Factory
) -> None:
    store = open_store()
    store.write_batch([batch(factory, 1, [(0, T0, 5.0)])])
    got = store.latest([sensor(factory, 1), sensor(factory, 0), 10**9, -1])
    assert [(v.sensor_id, v.value) for v in got] == [(sensor(factory, 0), 5.0)]
    assert store.latest([]) == []


def test_reopening_keeps_everything(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    store.write_batch([batch(factory, 1, [(0, T0, 1.0)], events=(Event(DEVICE, T0, "heartbeat", {}),))])
    store.close()

    reopened = open_store()
    assert (reopened.message_count(), reopened.reading_count()) == (1, 1)
    assert reopened.history(sensor(factory, 0), T0, T0 + 1).values.tolist() == [1.0]
    assert [e.type for e in reopened.events()] == ["heartbeat"]
    assert reopened.write_batch([batch(factory, 1, [(0, T0, 1.0)])]).duplicates == 1


def test_history_range_is_start_inclusive_end_exclusive_in_time_order(
    open_store: OpenStore, factory: Factory
) -> None:
    store = open_store()
    store.write_batch([batch(factory, 1, [(0, T0 + t, float(t)) for t in (30, 10, 20, 0, 40)])])
    store.write_batch([batch(factory, 1, [(1, T0 + 20, 99.0)], device="L01-S04")])  # another sensor

    assert store.history(sensor(factory, 0), T0 + 10, T0 + 40).ts_ms.tolist() == [T0 + 10, T0 + 20, T0 + 30]
    assert store.history(sensor(factory, 0), T0, T0 + 100, limit=2).values.tolist() == [0.0, 10.0]
    empty = store.history(sensor(factory, 0), T0 + 41, T0 + 100)
    assert (len(empty.ts_ms), empty.ts_ms.dtype, empty.values.dtype) == (0, np.int64, np.float64)


def test_history_limit_over_days_of_sparse_and_late_starting_data(
    open_extended_store: OpenStore, factory: Factory
) -> None:
    """A reading every 20 minutes for 3 days, starting 10 days into a month-long range, the first
    2 days compacted: any limit gives the first readings in order, whatever windows a backend reads."""
    store = open_extended_store()
    start = T0 + 10 * 86_400_000
    times = [start + k * 1_200_000 for k in range(3 * 72)]
    for seq, chunk in enumerate((times[i : i + 24] for i in range(0, len(times), 24)), start=1):
        store.write_batch([batch(factory, seq, [(0, t, float(t - start) / 1000) for t in chunk])])
    store.maintain(now_ms=start + 2 * 86_400_000)
    sid = sensor(factory, 0)
    month = (T0, T0 + 31 * 86_400_000)
    for limit in (1, 5, 100, 215, 216, 10_000):
        got = store.history(sid, *month, limit=limit)
        assert got.ts_ms.tolist() == times[:limit], limit
    assert store.history(sid, times[100] + 1, month[1], limit=3).ts_ms.tolist() == times[101:104]
    assert store.history(sid, T0, start, limit=10).ts_ms.tolist() == []


def test_history_orders_readings_of_one_time_by_value_across_messages(
    open_store: OpenStore, factory: Factory
) -> None:
    store = open_store()
    for seq, (t, v) in enumerate([(20, 5.0), (10, 7.0), (20, 1.0), (0, 2.0), (20, 3.0)], start=1):
        store.write_batch([batch(factory, seq, [(0, T0 + t, v)])])

    got = store.history(sensor(factory, 0), T0, T0 + 100)
    assert got.ts_ms.tolist() == [T0, T0 + 10, T0 + 20, T0 + 20, T0 + 20]
    assert got.values.tolist() == [2.0, 7.0, 1.0, 3.0, 5.0]
    assert store.history(sensor(factory, 0), T0, T0 + 100, limit=3).values.tolist() == [2.0, 7.0, 1.0]


def test_events_newest_first_and_filtered(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    other = "L01-S04"
    store.write_batch(
        [
            batch(factory, 1, events=(Event(DEVICE, T0 + 1, "state", {"state": "idle"}),)),
            batch(factory, 2, events=(Event(DEVICE, T0 + 3, "fault", {"code": 5, "severity": "warning"}),)),
            batch(factory, 1, device=other, events=(Event(other, T0 + 2, "state", {"state": "running"}),)),
        ]
    )

    def seen(**kw: Any) -> list[tuple[str, int]]:
        return [(e.device_id, e.ts_ms - T0) for e in store.events(**kw)]

    assert seen() == [(DEVICE, 3), (other, 2), (DEVICE, 1)]
    assert seen(device_ids=[other]) == [(other, 2)]
    assert seen(types=["state"]) == [(other, 2), (DEVICE, 1)]
    assert seen(start_ms=T0 + 2) == [(DEVICE, 3), (other, 2)]
    assert seen(end_ms=T0 + 2) == [(DEVICE, 1)]
    assert seen(device_ids=[DEVICE], types=["state", "fault"], limit=1) == [(DEVICE, 3)]
    assert seen(device_ids=[]) == []


def test_state_changes_as_columns_oldest_first(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    other = "L01-S04"
    store.write_batch(
        [
            batch(
                factory,
                1,
                events=(
                    Event(DEVICE, T0 + 5, "state", {"state": "running"}),
                    Event(DEVICE, T0 + 1, "state", {"state": "idle"}),
                    Event(DEVICE, T0 + 5, "state", {"state": "idle"}),  # same time: storing order
                    Event(DEVICE, T0 + 3, "fault", {"code": 5, "severity": "warning"}),
                ),
            ),
            batch(factory, 1, device=other, events=(Event(other, T0 + 2, "state", {"state": "off"}),)),
            batch(
                factory,
                2,
                device=other,
                events=(Event(other, T0 + 7, "state", {"state": "off", "sparkplug": "NDEATH"}),),
            ),
        ]
    )

    def seen(**kw: Any) -> list[tuple[str, int, str]]:
        got = store.state_changes(**kw)
        return [
            (got.devices[d], t - T0, got.states[s])
            for d, t, s in zip(got.device.tolist(), got.ts_ms.tolist(), got.state.tolist(), strict=True)
        ]

    assert seen() == [
        (DEVICE, 1, "idle"),
        (other, 2, "off"),
        (DEVICE, 5, "running"),
        (DEVICE, 5, "idle"),
        (other, 7, "no_signal"),  # a death certificate: out of reach, not known to be off
    ]
    assert seen(start_ms=T0 + 2, end_ms=T0 + 5) == [(other, 2, "off")]
    assert len(store.state_changes(end_ms=T0)) == 0


def test_events_after_a_commit_are_those_of_later_commits_whatever_their_device_time(
    open_store: OpenStore, factory: Factory
) -> None:
    store = open_store()
    other = "L01-S04"
    assert store.wseq == 0
    store.write_batch([batch(factory, 1, events=(Event(DEVICE, T0 + 10, "state", {"state": "idle"}),))])
    first = store.wseq
    store.write_batch([batch(factory, 9)])  # a commit without events still counts
    assert store.wseq > first
    store.write_batch(  # back-filled: older device times, committed later
        [
            batch(factory, 2, events=(Event(DEVICE, T0 + 1, "state", {"state": "running"}),)),
            batch(factory, 1, device=other, events=(Event(other, T0 + 2, "scan", {"bundle": "B"}),)),
        ]
    )
    after = [(e.device_id, e.ts_ms - T0) for e in store.events(after_wseq=first)]
    assert after == [(other, 2), (DEVICE, 1)]
    assert [e.ts_ms - T0 for e in store.events(after_wseq=0)] == [10, 2, 1]
    assert store.events(after_wseq=store.wseq) == []
    got = store.state_changes(after_wseq=first)
    assert [
        (got.devices[d], t - T0) for d, t in zip(got.device.tolist(), got.ts_ms.tolist(), strict=True)
    ] == [(DEVICE, 1)]
    assert len(store.state_changes(after_wseq=store.wseq)) == 0
    newest = store.wseq
    store.close()
    store = open_store()  # numbering goes on after a restart: never a number used before
    assert store.wseq >= newest
    store.write_batch([batch(factory, 3, events=(Event(DEVICE, T0 + 3, "state", {"state": "off"}),))])
    assert [e.ts_ms - T0 for e in store.events(after_wseq=newest)] == [3]


def test_a_saved_state_is_replaced_whole_and_survives_reopening(open_store: OpenStore) -> None:
    store = open_store()
    assert store.load_state("production") is None
    big = bytes(range(256)) * 40_000  # binary, zero bytes included, 10 MB
    store.save_state("production", 7, b"first")
    store.save_state("production", 9, big)
    store.save_state("other", 1, b"")
    store.close()
    store = open_store()
    saved = store.load_state("production")
    assert saved is not None
    assert (saved.name, saved.upto, saved.data == big) == ("production", 9, True)
    assert saved.saved_ms > T0 - 10 * 365 * 86_400_000
    assert store.wseq >= 9  # commits after a reopening are after what a saved state holds
    other = store.load_state("other")
    assert other is not None
    assert (other.upto, other.data) == (1, b"")


def test_counts_start_at_zero(open_store: OpenStore) -> None:
    store = open_store()
    assert (store.message_count(), store.reading_count(), store.latest(), store.events()) == (0, 0, [], [])
    assert store.write_batch([]).messages == 0


def test_readers_on_other_threads_while_the_writer_writes(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                store.history(sensor(factory, 0), T0, T0 + 10**6)
                store.events(limit=5)
                store.latest()
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    for seq in range(30):
        store.write_batch([batch(factory, seq, [(0, T0 + seq, float(seq))])])
    done.set()
    for t in readers:
        t.join()

    assert errors == []
    assert store.history(sensor(factory, 0), T0, T0 + 100).values.tolist() == [float(s) for s in range(30)]


def test_readings_round_trip_bit_for_bit(open_store: OpenStore, factory: Factory) -> None:
    store = open_store()
    sensors = iter(factory.sensors())  # a sensor of its own for each example
    seqs = itertools.count(1)

    @settings(max_examples=20, deadline=None)
    @given(
        st.dictionaries(
            st.integers(0, 10**9),  # ms after T0, unique: the order of equal times is not pinned
            st.floats(allow_nan=False, allow_infinity=False),
            min_size=1,
            max_size=30,
        )
    )
    def check(points: dict[int, float]) -> None:
        s = next(sensors)
        channel = s.id - factory.devices_by_id[s.device_id].sensor_base
        readings = [(channel, T0 + t, v) for t, v in points.items()]
        store.write_batch([batch(factory, next(seqs), readings, device=s.device_id)])
        got = store.history(s.id, T0, T0 + 10**9 + 1)
        want = sorted(points.items())
        assert got.ts_ms.tolist() == [T0 + t for t, _ in want]
        assert got.values.tobytes() == np.array([v for _, v in want], np.float64).tobytes()

    check()


# -- rollups, state durations, maintenance (base.py's extension) ----------------------------------

S = 1000
MIN = 60 * S


def _agg_rows(agg: Aggregates) -> list[tuple[Any, ...]]:
    inc = agg.increase.tolist() if agg.increase is not None else [None] * len(agg)
    return list(
        zip(
            [(b - T0) // S for b in agg.bucket_ms.tolist()],
            agg.count.tolist(),
            agg.min.tolist(),
            agg.max.tolist(),
            agg.mean.tolist(),
            agg.last.tolist(),
            inc,
            strict=True,
        )
    )


def test_minute_aggregates_of_a_counter_with_a_restart(
    open_extended_store: OpenStore, factory: Factory
) -> None:
    store = open_extended_store()
    counter = sensor(factory, 0)
    store.write_batch(
        [
            batch(factory, 1, [(0, T0 + 10 * S, 100.0), (0, T0 + 20 * S, 105.0), (0, T0 + 50 * S, 110.0)]),
            batch(factory, 2, [(0, T0 + 70 * S, 3.0), (0, T0 + 80 * S, 7.0), (0, T0 + 130 * S, 7.0)]),
        ]
    )
    # bucket (s after T0), count, min, max, mean, last, increase
    whole = [
        (0, 3, 100.0, 110.0, 105.0, 110.0, 10.0),  # first reading ever: 0, then +5 +5
        (60, 2, 3.0, 7.0, 5.0, 7.0, 7.0),  # restart: 110 -> 3 counts 3, then +4
        (120, 1, 7.0, 7.0, 7.0, 7.0, 0.0),
    ]
    clipped = [
        (0, 2, 105.0, 110.0, 107.5, 110.0, 10.0),  # 100 -> 105 (previous reading before the range), +5
        (60, 1, 3.0, 3.0, 3.0, 3.0, 3.0),
    ]
    hour = [(0, 6, 3.0, 110.0, 332 / 6, 7.0, 17.0)]
    for _ in range(2):  # before and after maintenance: the same answers
        assert _agg_rows(store.aggregates(counter, T0, T0 + 180 * S, Resolution.MINUTE)) == whole
        assert _agg_rows(store.aggregates(counter, T0 + 15 * S, T0 + 75 * S, Resolution.MINUTE)) == clipped
        assert _agg_rows(store.aggregates(counter, T0, T0 + 3600 * S, Resolution.HOUR)) == hour
        store.maintain(T0 + 3600 * S)


def test_a_late_reading_updates_its_bucket_and_the_next_increase(
    open_extended_store: OpenStore, factory: Factory
) -> None:
    store = open_extended_store()
    counter = sensor(factory, 0)
    store.write_batch(
        [batch(factory, 1, [(0, T0 + 50 * S, 110.0), (0, T0 + 70 * S, 3.0), (0, T0 + 80 * S, 7.0)])]
    )
    store.maintain(T0 + 3600 * S)
    store.write_batch([batch(factory, 2, [(0, T0 + 65 * S, 120.0)])])  # late, between 110 and 3

    expected = [(0, 1, 110.0, 110.0, 110.0, 110.0, 0.0), (60, 3, 3.0, 120.0, 130 / 3, 7.0, 10.0 + 3.0 + 4.0)]
    assert _agg_rows(store.aggregates(counter, T0, T0 + 120 * S, Resolution.MINUTE)) == expected
    store.maintain(T0 + 3600 * S)
    assert _agg_rows(store.aggregates(counter, T0, T0 + 120 * S, Resolution.MINUTE)) == expected
    assert _agg_rows(store.aggregates(counter, T0, T0 + 3600 * S, Resolution.HOUR)) == [
        (0, 4, 3.0, 120.0, 240 / 4, 7.0, 17.0)
    ]


def test_gauges_have_no_increase_and_equal_times_order_by_value(
    open_extended_store: OpenStore, factory: Factory
) -> None:
    store = open_extended_store()
    gauge = sensor(factory, 18)
    store.write_batch([batch(factory, 1, [(18, T0 + S, 5.0), (18, T0 + S, 3.0), (18, T0 + 2 * S, -1.0)])])
    store.write_batch([batch(factory, 2, [(18, T0 + 2 * S, -4.0)])])
    agg = store.aggregates(gauge, T0, T0 + MIN, Resolution.MINUTE)
    assert agg.increase is None
    assert (agg.sensor_id, agg.resolution) == (gauge, Resolution.MINUTE)
    assert _agg_rows(agg) == [(0, 4, -4.0, 5.0, 3 / 4, -1.0, None)]  # at T0+2s, -1 > -4 counts as later
    assert agg.bucket_ms.dtype == np.int64
    assert agg.count.dtype == np.int64
    empty = store.aggregates(gauge, T0 + MIN, T0 + 2 * MIN, Resolution.HOUR)
    assert (len(empty), empty.bucket_ms.dtype, empty.mean.dtype) == (0, np.int64, np.float64)


def test_raw_is_not_an_aggregate_resolution(open_extended_store: OpenStore, factory: Factory) -> None:
    store = open_extended_store()
    with pytest.raises(StoreQueryError) as info:
        store.aggregates(sensor(factory, 0), T0, T0 + MIN, Resolution.RAW)
    assert info.value.field == "resolution"


def test_state_durations_hold_each_code_until_the_next_reading_at_most_the_hold(
    open_extended_store: OpenStore, factory: Factory
) -> None:
    store = open_extended_store()
    runtime, fault = sensor(factory, 13), sensor(factory, 14)
    assert STATE_HOLD_MS == 300 * S
    store.write_batch(
        [
            batch(
                factory,
                1,
                [
                    (13, T0 - 60 * S, 1.0),  # before the range; holds until the next reading at 30 s
                    (13, T0 + 30 * S, 2.0),
                    (13, T0 + 100 * S, 2.0),  # holds 300 s, to 400 s: then unknown until 700 s
                    (13, T0 + 700 * S, 3.0),  # holds to 1000 s, the end of the range
                ],
            )
        ]
    )
    got = store.state_durations([runtime, fault], T0, T0 + 1000 * S, 300 * S)

    assert got.sensor_ids == (runtime, fault)
    assert (got.start_ms, got.end_ms, got.interval_ms) == (T0, T0 + 1000 * S, 300 * S)
    assert ((got.bucket_ms - T0) // S).tolist() == [0, 300, 600, 900]  # the last interval is 100 s
    assert got.codes.tolist() == [1, 2, 3]
    # interval [0, 300): code 1 for 30 s, code 2 for 270 s; [300, 600): code 2 100 s, unknown 200 s;
    # [600, 900): unknown 100 s, code 3 200 s; [900, 1000): code 3 100 s.
    assert (got.duration_ms[0] // S).tolist() == [[30, 270, 0], [0, 100, 0], [0, 0, 200], [0, 0, 100]]
    assert (got.unknown_ms[0] // S).tolist() == [0, 200, 100, 0]
    assert (got.duration_ms[1] // S).tolist() == [[0, 0, 0]] * 4  # no readings: all unknown
    assert (got.unknown_ms[1] // S).tolist() == [300, 300, 300, 100]


def test_a_death_ends_the_state_at_its_time_even_in_the_same_millisecond(
    open_extended_store: OpenStore, factory: Factory
) -> None:
    """What ingest stores for a death certificate (a runtime_state reading of NO_SIGNAL_CODE at the
    death) ends the machine's state there, before and after rollups, and is its latest state; the
    newest reading holds for the hold and no longer (line states and durations build on both)."""
    store = open_extended_store()
    channel = factory.devices_by_id[DEVICE].machine_type.channel_index["runtime_state"]
    runtime = sensor(factory, channel)
    store.write_batch([batch(factory, 1, [(channel, T0, 2.0), (channel, T0 + 100 * S, 2.0)])])
    # the death arrives after the last reading, with the same device time
    store.write_batch([batch(factory, 2, [(channel, T0 + 100 * S, float(NO_SIGNAL_CODE))])])

    def answer() -> tuple[list[int], list[Any], list[Any]]:
        got = store.state_durations([runtime], T0, T0 + 1000 * S, 300 * S)
        return got.codes.tolist(), (got.duration_ms[0] // S).tolist(), (got.unknown_ms[0] // S).tolist()

    # running [0, 100) s (the greater value is the later one at 100 s: 255, not 2), no signal for the
    # hold, [100, 400), then unknown: [0, 300) 100 + 200; [300, 600) 100 + unknown 200; then unknown.
    expected = ([2, NO_SIGNAL_CODE], [[100, 200], [0, 100], [0, 0], [0, 0]], [0, 200, 300, 100])
    assert answer() == expected
    assert [(v.ts_ms, v.value) for v in store.latest([runtime])] == [(T0 + 100 * S, 255.0)]
    store.maintain(T0 + 3600 * S)
    assert answer() == expected
    assert [(v.ts_ms, v.value) for v in store.latest([runtime])] == [(T0 + 100 * S, 255.0)]


def test_state_durations_refuse_what_they_cannot_answer(
    open_extended_store: OpenStore, factory: Factory
) -> None:
    store = open_extended_store()
    cases = [
        ([sensor(factory, 18)], 60 * S, "sensor_ids"),  # a gauge
        ([sensor(factory, 13)], 999, "interval_ms"),
        ([sensor(factory, 13)], 1, "interval_ms"),
    ]
    for ids, interval, field in cases:
        with pytest.raises(StoreQueryError) as info:
            store.state_durations(ids, T0, T0 + 3600 * S, interval)
        assert info.value.field == field
    with pytest.raises(StoreQueryError) as info:
        store.state_durations([sensor(factory, 13)], T0, T0 + 10_001 * S, S)
    assert info.value.field == "interval_ms"
    assert store.state_durations([sensor(factory, 13)], T0, T0 + 10_000 * S, S).unknown_ms.shape == (
        1,
        10_000,
    )


def test_retention_drops_raw_readings_and_keeps_their_rollups(
    open_extended_store: OpenStore, factory: Factory
) -> None:
    day, hour = 86_400 * S, 3600 * S
    policy = RetentionPolicy(default=RetentionClass(raw_ms=day, minute_ms=2 * day, hour_ms=None))
    store = open_extended_store(policy)
    assert store.retention == policy
    counter = sensor(factory, 0)
    old = [(0, T0 + k * MIN, float(k)) for k in range(5)]
    store.write_batch(
        [
            batch(factory, 1, old),
            batch(factory, 2, [(0, T0 + day + 30 * MIN, 10.0), (0, T0 + day + 2 * hour, 12.0)]),
        ]
    )
    now = T0 + 2 * day + hour  # raw kept from T0 + 1 day + 1 h; minute buckets ending after T0 + 1 h
    report = store.maintain(now)

    assert report.dropped_readings == 6
    assert report.dropped_buckets == 5  # the minute buckets of the 5 oldest readings
    assert store.history(counter, T0, now).values.tolist() == [12.0]
    assert _agg_rows(store.aggregates(counter, T0, T0 + hour, Resolution.HOUR)) == [
        (0, 5, 0.0, 4.0, 2.0, 4.0, 4.0)
    ]
    assert _agg_rows(store.aggregates(counter, T0, T0 + hour, Resolution.MINUTE)) == []
    assert _agg_rows(store.aggregates(counter, T0 + day, T0 + day + hour, Resolution.MINUTE)) == [
        ((day + 30 * MIN) // S, 1, 10.0, 10.0, 10.0, 10.0, 6.0)  # 4 -> 10, from the kept rollups
    ]
    again = store.maintain(now)
    assert (again.dropped_readings, again.dropped_buckets) == (0, 0)


def test_retention_classes_by_channel_kind(open_extended_store: OpenStore, factory: Factory) -> None:
    hour = 3600 * S
    short = RetentionClass("short", raw_ms=hour, minute_ms=hour, hour_ms=hour)
    store = open_extended_store(RetentionPolicy(by_kind={"gauge": short}))
    store.write_batch([batch(factory, 1, [(0, T0, 1.0), (18, T0, 2.0), (18, T0 + 2 * hour, 3.0)])])
    report = store.maintain(T0 + 2 * hour)

    assert report.dropped_readings == 1  # the gauge's first reading; the counter keeps 30 days
    assert report.dropped_buckets == 2  # the gauge's minute and hour buckets at T0
    assert store.history(sensor(factory, 0), T0, T0 + 3 * hour).values.tolist() == [1.0]
    assert store.history(sensor(factory, 18), T0, T0 + 3 * hour).values.tolist() == [3.0]
    assert len(store.aggregates(sensor(factory, 0), T0, T0 + hour, Resolution.HOUR)) == 1
    assert len(store.aggregates(sensor(factory, 18), T0, T0 + hour, Resolution.HOUR)) == 0


def test_disk_bytes_counts_what_is_stored(open_extended_store: OpenStore, factory: Factory) -> None:
    store = open_extended_store()
    empty = store.disk_bytes()
    store.write_batch([batch(factory, s, [(ch, T0 + s, float(ch)) for ch in range(60)]) for s in range(200)])
    assert 0 < empty < store.disk_bytes()


def _reference(readings: list[tuple[int, float]], start: int, end: int, width: int) -> list[tuple[Any, ...]]:
    """The definition of base.Aggregates for a counter, written out over all of a sensor's readings."""
    ordered = sorted(readings)  # by ts, then by value: the reading order
    out: dict[int, list[float]] = {}
    inc: dict[int, float] = {}
    for i, (ts, v) in enumerate(ordered):
        if not start <= ts < end:
            continue
        b = ts - ts % width
        out.setdefault(b, []).append(v)
        inc[b] = inc.get(b, 0.0) + (counter_delta(ordered[i - 1][1], v) if i else 0.0)
    return [
        ((b - T0) // S, len(vs), min(vs), max(vs), sum(vs) / len(vs), vs[-1], inc[b])
        for b, vs in sorted(out.items())
    ]


def test_aggregates_match_their_definition(open_extended_store: OpenStore, factory: Factory) -> None:
    """Random counter readings written in several batches, with or without maintenance between."""
    store = open_extended_store()
    counters = iter([s for s in factory.sensors() if s.channel.kind == "counter"])
    seqs = itertools.count()

    @settings(max_examples=25, deadline=None)
    @given(
        readings=st.lists(
            st.tuples(st.integers(0, 3 * 3600), st.integers(0, 40).map(float)), min_size=1, max_size=40
        ),
        cuts=st.lists(st.booleans(), min_size=40, max_size=40),
        maintain_between=st.booleans(),
        window=st.tuples(st.integers(-600, 3 * 3600 + 600), st.integers(1, 4 * 3600)),
        hourly=st.booleans(),
    )
    def check(
        readings: list[tuple[int, float]],
        cuts: list[bool],
        maintain_between: bool,
        window: tuple[int, int],
        hourly: bool,
    ) -> None:
        counter = next(counters)  # a sensor of its own for each example
        device = factory.devices_by_id[counter.device_id]
        channel = counter.id - device.sensor_base
        points = [(T0 + t * S, v) for t, v in readings]
        groups: list[list[tuple[int, float]]] = [[]]
        for point, cut in zip(points, cuts, strict=False):
            groups[-1].append(point)
            if cut:
                groups.append([])
        for group in filter(None, groups):
            readings_of = [(channel, t, v) for t, v in group]
            store.write_batch([batch(factory, next(seqs), readings_of, device=device.id)])
            if maintain_between:
                store.maintain(T0 + 10 * 3600 * S)
        resolution = Resolution.HOUR if hourly else Resolution.MINUTE
        start = T0 + window[0] * S
        end = start + window[1] * S
        got = _agg_rows(store.aggregates(counter.id, start, end, resolution))
        want = _reference(points, start, end, resolution.bucket_ms)
        exact = [(*g[:4], g[5]) for g in got], [(*w[:4], w[5]) for w in want]
        assert exact[0] == exact[1]  # bucket, count, min, max, last
        assert [g[4] for g in got] == pytest.approx([w[4] for w in want])  # mean
        assert [g[6] for g in got] == pytest.approx([w[6] for w in want])  # increase

    check()


def test_state_durations_outlive_raw_retention_through_the_minute_rollups(
    open_extended_store: OpenStore, factory: Factory
) -> None:
    """The same answer from raw readings, from rollups mixed with late raw readings, and from the
    rollups alone once raw retention dropped every reading."""
    day = 86_400 * S
    store = open_extended_store(RetentionPolicy(default=RetentionClass(raw_ms=day, minute_ms=None)))
    runtime, fault = sensor(factory, 13), sensor(factory, 14)
    early = [(13, T0, 1.0), (13, T0 + 20 * S, 1.0), (13, T0 + 40 * S, 2.0), (13, T0 + 90 * S, 2.0)]
    early += [(13, T0 + 100 * S, 0.0), (13, T0 + 800 * S, 1.0), (13, T0 + 830 * S, 1.0)]
    late = [(13, T0 + 30 * S, 3.0), (13, T0 + 100 * S, 5.0)]  # into minutes already rolled up

    def answer() -> tuple[list[int], list[Any], list[Any]]:
        got = store.state_durations([runtime, fault], T0, T0 + 900 * S, 300 * S)
        return got.codes.tolist(), (got.duration_ms // S).tolist(), (got.unknown_ms // S).tolist()

    store.write_batch([batch(factory, 1, early)])
    store.maintain(T0 + 3600 * S)
    store.write_batch([batch(factory, 2, late)])
    mixed = answer()
    # 1 for 30 s, 3 for 10 s, 2 for 60 s, then at 100 s code 0 and 5 (greater value, later): 5 holds
    # 300 s, unknown until 800 s, then 1.
    assert mixed == (
        [1, 2, 3, 5],
        [[[30, 60, 10, 200], [0, 0, 0, 100], [100, 0, 0, 0]], [[0, 0, 0, 0]] * 3],
        [[0, 200, 200], [300, 300, 300]],
    )
    store.maintain(T0 + 3600 * S)
    assert answer() == mixed
    assert store.maintain(T0 + 3 * day).dropped_readings == len(early) + len(late)  # every raw reading
    assert store.history(runtime, T0, T0 + 900 * S).ts_ms.size == 0
    assert answer() == mixed
