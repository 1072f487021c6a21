"""Construction, arguments and pacing of the public API."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections import Counter
from typing import Any

import numpy as np
import orjson
import pytest
from sim_helpers import START, check_message

from seamline.model.factory import Factory
from seamline.model.loader import load_factory
from seamline.sim import FloorSimulation, SimConfig, SimulationError, run_paced


def test_the_default_start_is_todays_shift_start_at_the_factory() -> None:
    factory = load_factory()  # Asia/Dhaka (UTC+6), shift at 08:00
    start = FloorSimulation(factory, config=SimConfig(telemetry=False)).start
    assert start.tzinfo == dt.UTC
    assert (start.hour, start.minute) == (2, 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": dt.datetime(2026, 11, 2, 8, 0)}, "start"),  # naive on purpose
        ({"publish_interval_s": 0.0}, "publish_interval_s"),
        ({"publish_interval_s": 0.0004}, "publish_interval_s"),
        ({"config": SimConfig(thread_break_per_run_h=-1.0)}, "config.thread_break_per_run_h"),
        ({"config": SimConfig(inline_check_share=1.5)}, "config.inline_check_share"),
        ({"config": SimConfig(personal_time_share=0.5)}, "config.personal_time_share"),
        ({"config": SimConfig(bundle_handling_s=-1.0)}, "config.bundle_handling_s"),
        ({"config": SimConfig(learning_resume_days=(0.0, 3.0))}, "config.learning_resume_days"),
    ],
)
def test_bad_arguments_are_refused_with_the_field(small: Factory, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SimulationError) as err:
        FloorSimulation(small, **kwargs)
    assert err.value.field == field


def test_a_shorter_publish_interval_keeps_the_sampling_rate(small: Factory) -> None:
    sim = FloorSimulation(small, seed=4, start=START, publish_interval_s=0.5)
    msgs = sim.advance(60.0)
    assert len(msgs) == 2 * 60 * len(small.devices)
    for m in msgs:
        check_message(m, small, interval_ms=500)
    assert sim.readings_emitted == pytest.approx(60 * small.readings_per_s(), rel=0.01)


def test_floor_only_runs_produce_truth_but_no_messages(small: Factory) -> None:
    sim = FloorSimulation(small, seed=4, start=START, config=SimConfig(telemetry=False))
    assert sim.advance(3600.0) == []
    assert sim.now_s == 3600.0
    assert sum(sim.truth.pieces_by_line.values()) > 0


def test_run_paced_feeds_the_sink_tick_by_tick(small: Factory) -> None:
    sim = FloorSimulation(small, seed=4, start=START)
    batches: list[list[dict[str, Any]]] = []

    async def sink(messages: list[dict[str, Any]]) -> None:
        batches.append(messages)

    asyncio.run(run_paced(sim, sink, speed=600.0, duration_s=0.1, tick_s=2.0))
    assert 1 <= len(batches) <= 30  # at most the 30 ticks due within 0.1 wall seconds
    assert sim.now_s == 2.0 * len(batches)
    assert all(len(b) == 2 * len(small.devices) for b in batches)
    seqs = Counter(m["device"] for b in batches for m in b)
    assert set(seqs.values()) == {2 * len(batches)}


def test_run_paced_runs_until_cancelled(small: Factory) -> None:
    sim = FloorSimulation(small, seed=4, start=START)
    calls = 0

    async def main() -> None:
        enough = asyncio.Event()

        async def sink(messages: list[dict[str, Any]]) -> None:
            nonlocal calls
            calls += 1
            if calls == 3:
                enough.set()

        task = asyncio.create_task(run_paced(sim, sink, speed=1000.0))
        await enough.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert calls >= 3
    assert sim.now_s == float(calls)


@pytest.mark.parametrize("kwargs", [{"speed": 0.0}, {"tick_s": -1.0}])
def test_run_paced_refuses_a_bad_pace(small: Factory, kwargs: dict[str, float]) -> None:
    async def sink(messages: list[dict[str, Any]]) -> None:
        raise AssertionError

    sim = FloorSimulation(small, start=START)
    with pytest.raises(SimulationError):
        asyncio.run(run_paced(sim, sink, **kwargs))


def test_numpy_columns_carry_the_same_readings(small: Factory) -> None:
    lists = FloorSimulation(small, seed=8, start=START).advance(30.0)
    arrays = FloorSimulation(small, seed=8, start=START).advance(30.0, numpy_columns=True)
    assert len(lists) == len(arrays)
    for a, b in zip(lists, arrays, strict=True):
        r = b["readings"]
        assert r["ch"].dtype == np.int64
        assert r["ts"].dtype == np.int64
        assert r["v"].dtype == np.float64
        assert not r["v"].flags.writeable
        as_lists = {**b, "readings": {k: v.tolist() for k, v in r.items()}}
        assert orjson.dumps(as_lists) == orjson.dumps(a)


@pytest.mark.parametrize("until_s", [math.nan, math.inf])
def test_advance_refuses_a_time_that_is_not_finite(small: Factory, until_s: float) -> None:
    sim = FloorSimulation(small, start=START)
    with pytest.raises(SimulationError):
        sim.advance(until_s)
