"""What every Store backend must do. Add a backend to ``BACKENDS`` and the whole suite runs on it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seamline.ingest import DeviceBatch, Event
from seamline.model.factory import Factory
from seamline.store import DuckDBStore, Store

T0 = 1_795_363_200_000
DEVICE = "L01-S03"

OpenStore = Callable[[], Store]


def _duckdb(tmp_path: Path, factory: Factory) -> OpenStore:
    def open_store() -> Store:
        return DuckDBStore(tmp_path).opened(factory)

    return open_store


BACKENDS: dict[str, Callable[[Path, Factory], OpenStore]] = {"duckdb": _duckdb}


@pytest.fixture(params=sorted(BACKENDS))
def open_store(request: pytest.FixtureRequest, tmp_path: Path, factory: Factory) -> Iterator[OpenStore]:
    """Opens the backend on this test's own data directory; every store opened is closed at the end."""
    opened: list[Store] = []
    make = BACKENDS[request.param](tmp_path, factory)

    def open_one() -> Store:
        store = make()
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


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
