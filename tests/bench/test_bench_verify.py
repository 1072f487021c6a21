"""The benchmark's per-sensor check: what it catches, on plain arrays and on a compacted store."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from seamline.bench._verify import SensorTotals, compare, expected_totals, stored_totals_duckdb
from seamline.bench.workload import Chunk, Workload
from seamline.model.factory import Factory
from seamline.store.duckdb import DB_FILENAME, DuckDBStore
from seamline.telemetry import DeviceBatch

T0 = 1_795_363_200_000  # 2026-11-22T16:00:00Z


def totals(ids: list[int], rows: list[int], distinct: list[int], sums: list[float]) -> SensorTotals:
    return SensorTotals(
        np.array(ids, np.int64), np.array(rows, np.int64), np.array(distinct, np.int64), np.array(sums)
    )


def test_a_loss_in_one_sensor_does_not_hide_behind_a_duplicate_in_another() -> None:
    expected = totals([1, 2, 3], [10, 10, 10], [10, 10, 10], [5.0, 6.0, 7.0])
    # the same 30 readings in all, the same total sum: a check of the totals would pass
    stored = totals([1, 2, 3], [9, 11, 10], [9, 10, 10], [4.5, 6.5, 7.0])
    out = compare(expected, stored)
    assert (out["lost"], out["duplicated"], out["unexpected"]) == (1, 1, 0)
    assert out["value_sum_matches"] is False
    assert out["sensors_wrong"] == 2
    assert [e["sensor_id"] for e in out["examples"]] == [1, 2]


def test_missing_and_unexpected_sensors_and_a_wrong_sum_are_found() -> None:
    expected = totals([1, 2], [3, 4], [3, 4], [1.0, 2.0])
    stored = totals([2, 9], [4, 2], [4, 2], [2.5, 1.0])
    out = compare(expected, stored)
    assert (out["lost"], out["duplicated"], out["unexpected"]) == (3, 0, 2)
    assert out["value_sum_matches"] is False
    assert (out["sensors"], out["sensors_stored"], out["sensors_wrong"]) == (2, 2, 3)


def test_exactly_the_expected_readings_pass() -> None:
    expected = totals([1, 2], [3, 4], [3, 4], [1.0, 2.0])
    out = compare(expected, dataclasses.replace(expected, sums=expected.sums * (1 + 1e-12)))
    assert (out["lost"], out["duplicated"], out["unexpected"], out["sensors_wrong"]) == (0, 0, 0, 0)
    assert out["value_sum_matches"] is True
    assert out["examples"] == []


def batch(chunk: Chunk, seq: int) -> DeviceBatch:
    sent = int(chunk.ts_ms[-1])
    return DeviceBatch(chunk.device_id, 0, seq, sent, sent, chunk.sensor_ids, chunk.ts_ms, chunk.values)


@pytest.mark.parametrize("kind", ["standard", "jittered"])
def test_a_compacted_store_is_read_whole_and_a_rewritten_message_counts_as_duplicated(
    factory: Factory, tmp_path: Path, kind: str
) -> None:
    small = dataclasses.replace(factory, devices=factory.devices[:6])
    chunks = list(Workload(small, start_ms=T0, seed=2, kind=kind).chunks(150.0, window_s=10.0))  # type: ignore[arg-type]  # parametrized
    expected = expected_totals(chunks)
    assert int(expected.rows.sum()) == sum(len(c) for c in chunks)
    with DuckDBStore(tmp_path).opened(small) as store:
        store.write_batch([batch(c, i + 1) for i, c in enumerate(chunks)])
        report = store.maintain(now_ms=T0 + 86_400_000, close_all=True)
    assert report.compacted_readings == int(expected.rows.sum())  # all of it in compacted files now
    out = compare(expected, stored_totals_duckdb(tmp_path / DB_FILENAME))
    assert (out["lost"], out["duplicated"], out["unexpected"], out["sensors_wrong"]) == (0, 0, 0, 0)
    assert out["value_sum_matches"] is True

    again = chunks[3]  # the same readings under a new message key: the store keeps both
    with DuckDBStore(tmp_path).opened(small) as store:
        store.write_batch([batch(again, 10_000)])
    out = compare(expected, stored_totals_duckdb(tmp_path / DB_FILENAME))
    assert (out["lost"], out["duplicated"]) == (0, len(again))
    assert out["sensors_wrong"] == np.unique(again.sensor_ids).size
