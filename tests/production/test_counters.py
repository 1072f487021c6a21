"""Controller counters become deltas: golden cases with the arithmetic written out (resets, repeats,
late and back-filled readings, a counter going down), a property over arrival orders, the numpy
path over whole batches, and the rebuild from the store's rollups."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.model.loader import load_factory
from seamline.production.counters import CounterBook
from seamline.production.hours import HOUR_MS
from seamline.store.duckdb import DuckDBStore
from seamline.telemetry import DeviceBatch, Event

KEY = ("M1", "run_time_s")
H = HOUR_MS


def book() -> CounterBook:
    return CounterBook.for_channels({7: KEY})


def feed(b: CounterBook, readings: list[tuple[int, int, float]]) -> CounterBook:
    for boot, ts, value in readings:
        b.reading(KEY, boot, ts, value)
    return b


def hourly(b: CounterBook) -> dict[int, float]:
    return {hour: d[KEY] for hour, d in sorted(b.by_hour.items()) if d.get(KEY)}


def test_a_baseline_counts_from_its_first_reading_and_a_new_boot_from_zero() -> None:
    b = feed(
        book(),
        [
            (0, 0, 1000.0),  # the first reading Seamline sees: a baseline, counts 0
            (0, 10_000, 1004.0),  # +4
            (0, H + 5_000, 1010.0),  # +6, in the second hour
            (1, H + 20_000, 3.0),  # the controller reset: boot 1 counts from 0, +3
            (1, H + 30_000, 8.0),  # +5
        ],
    )
    assert hourly(b) == {0: 4.0, H: 6.0 + 3.0 + 5.0}
    assert b.totals(0, 2 * H) == {"M1": {"run_time_s": 18.0}}
    assert [(e.boot, e.from_zero, e.counted) for e in b.epochs("M1")] == [(0, False, 10.0), (1, True, 8.0)]
    assert not b.anomaly_count


def test_a_repeated_reading_adds_nothing() -> None:
    readings = [(0, 0, 5.0), (0, 10_000, 9.0), (0, 20_000, 12.0)]
    once = hourly(feed(book(), readings))
    twice = hourly(feed(book(), readings + readings[1:] + readings[:1]))
    assert once == twice == {0: 7.0}  # 12 - 5


def test_readings_out_of_order_slot_into_their_place() -> None:
    # in order: 10, 14 | 20, 25 | 31  -> hour 0: +4, hour 1: +6 +5, hour 2: +6
    b = feed(book(), [(0, 2 * H + 1, 31.0), (0, H + 9, 25.0), (0, 5, 14.0), (0, H + 1, 20.0), (0, 1, 10.0)])
    assert hourly(b) == {0: 4.0, H: 11.0, 2 * H: 6.0}
    assert not b.anomaly_count


def test_a_back_filled_outage_fills_its_hours_by_device_time() -> None:
    """A gateway offline from 01:00 to 03:00 sends the two hours after the newer readings."""
    live = [(0, 0, 0.0), (0, 30 * 60_000, 100.0), (0, 3 * H + 60_000, 700.0)]
    outage = [(0, H + 60_000, 250.0), (0, 2 * H + 60_000, 480.0)]
    b = feed(book(), live)
    assert hourly(b) == {0: 100.0, 3 * H: 600.0}  # before the back-fill: the gap lands after it
    feed(b, outage)
    assert hourly(b) == {0: 100.0, H: 150.0, 2 * H: 230.0, 3 * H: 220.0}
    assert sum(hourly(b).values()) == 700.0


@pytest.mark.parametrize("in_one_commit", [False, True])
def test_a_counter_going_down_without_a_reset_is_an_anomaly_not_a_negative_delta(in_one_commit: bool) -> None:
    # 10 -> 20 (+10) -> 5 (a drop: +0, counted) -> 15 (+10); next hour 12 (a drop again) -> 13 (+1)
    readings = [(0, 0, 10.0), (0, 1_000, 20.0), (0, 2_000, 5.0), (0, 3_000, 15.0)]
    b = book()
    if in_one_commit:
        ids, ts = np.full(4, 7, np.int32), np.array([r[1] for r in readings])
        b.update([DeviceBatch("M1", 0, 0, 0, 0, ids, ts, np.array([r[2] for r in readings]))])
    else:
        feed(b, readings)
    feed(b, [(0, H, 12.0), (0, H + 1_000, 13.0)])
    assert hourly(b) == {0: 20.0, H: 1.0}
    assert b.anomaly_count[KEY] == 2
    assert [(a.previous, a.value) for a in b.anomalies] == [(20.0, 5.0), (15.0, 12.0)]


def test_a_reset_event_makes_the_first_boot_count_from_zero_even_when_it_comes_last() -> None:
    factory = load_factory()
    b = CounterBook(factory)
    device = "L01-S01"
    sid = factory.devices_by_id[device].sensor_id("piece_count")
    readings = DeviceBatch(
        device,
        3,
        1,
        0,
        0,
        np.array([sid, 1, sid], np.int32),
        np.array([0, 0, 10_000]),
        np.array([2.0, 9.0, 6.0]),
    )
    b.update([readings])
    assert b.totals(0, H)[device]["piece_count"] == 4.0  # a baseline: 6 - 2
    reset = DeviceBatch(
        device, 3, 0, 0, 0, np.array([], np.int32), np.array([], np.int64), np.array([]),
        (Event(device, 0, "counter_reset", {"channel": "piece_count"}),),
    )  # fmt: skip
    b.update([reset])  # the boot's first message, with its reset, arrives after the later ones
    assert b.totals(0, H)[device]["piece_count"] == 6.0  # from 0


def test_a_lower_boot_arriving_late_turns_the_higher_one_into_a_reset() -> None:
    b = feed(book(), [(2, H, 4.0), (2, H + 10_000, 9.0)])
    assert hourly(b) == {H: 5.0}  # boot 2 alone: a baseline
    feed(b, [(1, 0, 50.0), (1, 10_000, 70.0)])
    assert hourly(b) == {0: 20.0, H: 9.0}  # boot 1 is the baseline; boot 2 counts from 0


def test_only_the_followed_channels_of_a_batch_are_taken() -> None:
    factory = load_factory()
    b = CounterBook(factory)
    device = factory.devices_by_id["L01-S01"]
    names = ["run_time_s", "energy_wh", "piece_count", "run_time_s", "stitch_count"]
    sids = np.array([device.sensor_id(n) for n in names], np.int32)
    batch = DeviceBatch(
        "L01-S01", 0, 1, 0, 0, sids, np.array([0, 0, 0, 20_000, 0]), np.array([100.0, 7.0, 3.0, 160.0, 50.0])
    )
    other = DeviceBatch("L01-S01", 0, 2, 0, 0, sids[:1], np.array([30_000]), np.array([175.0]))
    b.update([batch, other])
    assert b.totals(0, H) == {"L01-S01": {"run_time_s": 75.0}}  # the others' first readings count 0
    assert {e.channel for e in b.epochs("L01-S01")} == {"run_time_s", "piece_count", "stitch_count"}
    assert b.readings == 5


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(1, 400_000), st.integers(0, 50)), min_size=1, max_size=40),
    resets=st.sets(st.integers(0, 39), max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_arrival_order_with_repeats_gives_the_in_order_deltas(
    steps: list[tuple[int, int]], resets: set[int], seed: int
) -> None:
    readings, boot, ts, value = [], 0, 0, 100.0
    for i, (dt_ms, inc) in enumerate(steps):
        if i in resets:
            boot, value = boot + 1, 0.0
        ts += dt_ms
        value += inc
        readings.append((boot, ts, value))
    want = {h: round(v, 6) for h, v in hourly(feed(book(), readings)).items()}
    rng = random.Random(seed)
    shuffled = readings + rng.sample(readings, len(readings) // 3)
    rng.shuffle(shuffled)
    got = feed(book(), shuffled)
    assert {h: round(v, 6) for h, v in hourly(got).items()} == want
    assert not got.anomaly_count
    batched = book()  # the same readings in messages of a few readings, committed a few at a time
    cuts = sorted(rng.sample(range(1, len(shuffled)), min(len(shuffled) - 1, len(shuffled) // 3)))
    messages = [shuffled[a:z] for a, z in itertools.pairwise([0, *cuts, len(shuffled)])]
    batches = [
        DeviceBatch("M1", boot, 0, 0, 0, np.full(len(ms), 7, np.int32), np.array([r[1] for r in ms]),
                    np.array([r[2] for r in ms]))
        for m in messages for boot in {r[0] for r in m} for ms in [[r for r in m if r[0] == boot]]
    ]  # fmt: skip
    for i in range(0, len(batches), 3):
        batched.update(batches[i : i + 3])
    assert {h: round(v, 6) for h, v in hourly(batched).items()} == want
    assert not batched.anomaly_count
    assert batched.readings == len(shuffled)
    # each boot counts its last value; the first boot (a baseline) less its first value
    truth = sum(rs[-1][2] - (rs[0][2] if b == readings[0][0] else 0.0) for b in {r[0] for r in readings}
                for rs in [[r for r in readings if r[0] == b]])  # fmt: skip
    assert sum(want.values()) == pytest.approx(truth)


def test_a_restart_rebuilds_hours_from_the_rollups_and_counts_on_from_the_newest_stored_reading(
    tmp_path: Path,
) -> None:
    factory = load_factory()
    device = factory.devices_by_id["L01-S01"]
    sid = device.sensor_id("run_time_s")

    def batch(seq: int, boot: int, ts: list[int], values: list[float]) -> DeviceBatch:
        return DeviceBatch(
            device.id, boot, seq, 0, 0, np.full(len(ts), sid, np.int32), np.array(ts), np.array(values)
        )

    stored = [batch(1, 0, [0, 600_000], [40.0, 100.0]), batch(2, 0, [H + 60_000], [160.0]),
              batch(1, 1, [H + 120_000, H + 180_000], [5.0, 30.0])]  # fmt: skip
    live = CounterBook(factory)
    live.update(stored)
    with DuckDBStore(tmp_path).opened(factory) as store:
        store.write_batch(stored)
        again = CounterBook(factory)
        assert again.rebuild(store) == 2  # two hours with readings
    assert again.totals(0, 2 * H) == live.totals(0, 2 * H) == {"L01-S01": {"run_time_s": 60.0 + 60.0 + 30.0}}
    again.update([batch(2, 1, [H + 240_000], [42.0])])  # the controller goes on after the restart
    assert again.totals(0, 2 * H)["L01-S01"]["run_time_s"] == 150.0 + 12.0
