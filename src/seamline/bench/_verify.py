"""Every reading stored once: per sensor, the count, the distinct timestamps and the sum of values.

The expected figures come from the workload itself (not from what the publisher says it sent);
the stored ones from the store's own SQL over everything it holds (DuckDB: the ``readings`` view,
hot rows and every compacted file; PostgreSQL: the ``readings`` table). Checked per sensor, a
reading lost in one sensor cannot hide behind a duplicate in another.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import numpy.typing as npt
import psycopg

from seamline.bench.workload import Chunk
from seamline.store.postgres_conn import split_schema

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
SUM_REL_TOL: Final = 1e-9
SUM_ABS_TOL: Final = 1e-6
EXAMPLES: Final = 5


@dataclass(frozen=True, slots=True)
class SensorTotals:
    """Per sensor id (ascending): readings, distinct timestamps among them, sum of the values."""

    sensor_ids: I64
    rows: I64
    distinct: I64
    sums: F64


def expected_totals(chunks: Iterable[Chunk]) -> SensorTotals:
    """What a store holding exactly ``chunks`` holds, per sensor."""
    counts = np.zeros(0, np.int64)
    sums = np.zeros(0, np.float64)
    for chunk in chunks:
        need = int(chunk.sensor_ids.max()) + 1 if len(chunk) else 0
        if need > counts.size:
            counts = np.concatenate((counts, np.zeros(need - counts.size, np.int64)))
            sums = np.concatenate((sums, np.zeros(need - sums.size, np.float64)))
        counts += np.bincount(chunk.sensor_ids, minlength=counts.size)
        sums += np.bincount(chunk.sensor_ids, weights=chunk.values, minlength=sums.size)
    ids = np.flatnonzero(counts).astype(np.int64)
    return SensorTotals(ids, counts[ids], counts[ids], sums[ids])


_PER_SENSOR_SQL: Final = (
    "SELECT sensor_id, count(*), count(DISTINCT {ts}), sum(value) FROM readings"
    " GROUP BY sensor_id ORDER BY sensor_id"
)


def stored_totals_duckdb(db_file: Path) -> SensorTotals:
    """Per-sensor totals of a closed DuckDB store (read-only; its compacted files included)."""
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        rows = con.execute(_PER_SENSOR_SQL.format(ts="ts_ms")).fetchall()
    finally:
        con.close()
    return _totals(rows)


def stored_totals_postgres(url: str) -> SensorTotals:
    """Per-sensor totals of the schema that ``url``'s ``?schema=`` names."""
    conninfo, schema = split_schema(url)
    with psycopg.connect(conninfo, autocommit=True, options=f"-c search_path={schema}") as pg:
        pg.execute("SET work_mem = '512MB'")  # the distinct pairs hashed in memory, not sorted on disk
        rows = pg.execute(_PER_SENSOR_SQL.format(ts="ts")).fetchall()
    return _totals(rows)


def _totals(rows: list[Any]) -> SensorTotals:
    if not rows:
        empty = np.zeros(0, np.int64)
        return SensorTotals(empty, empty, empty, np.zeros(0, np.float64))
    ids, n, distinct, sums = zip(*rows, strict=True)
    return SensorTotals(
        np.array(ids, np.int64),
        np.array(n, np.int64),
        np.array(distinct, np.int64),
        np.array([float(s) for s in sums], np.float64),
    )


def compare(expected: SensorTotals, stored: SensorTotals) -> dict[str, Any]:
    """``lost``, ``duplicated`` and ``unexpected`` readings and the sums, summed over sensors.

    - lost: expected readings minus the distinct timestamps stored, where that is positive;
    - duplicated: stored readings beyond the first at the same (sensor, timestamp);
    - unexpected: distinct timestamps beyond those expected (sensors never sent included);
    - value sums: each sensor's within ``SUM_REL_TOL`` (or ``SUM_ABS_TOL``) of the expected one.
    """
    ids = np.union1d(expected.sensor_ids, stored.sensor_ids)
    want_n = _aligned(ids, expected.sensor_ids, expected.rows, np.int64)
    want_sum = _aligned(ids, expected.sensor_ids, expected.sums, np.float64)
    got_rows = _aligned(ids, stored.sensor_ids, stored.rows, np.int64)
    got_distinct = _aligned(ids, stored.sensor_ids, stored.distinct, np.int64)
    got_sum = _aligned(ids, stored.sensor_ids, stored.sums, np.float64)
    sums_ok = np.array(
        [
            math.isclose(g, w, rel_tol=SUM_REL_TOL, abs_tol=SUM_ABS_TOL)
            for g, w in zip(got_sum.tolist(), want_sum.tolist(), strict=True)
        ],
        bool,
    )
    wrong = np.flatnonzero((got_rows != want_n) | (got_distinct != want_n) | ~sums_ok)
    return {
        "sensors": int(expected.sensor_ids.size),
        "sensors_stored": int(stored.sensor_ids.size),
        "sensors_wrong": int(wrong.size),
        "lost": int(np.maximum(want_n - got_distinct, 0).sum()),
        "duplicated": int((got_rows - got_distinct).sum()),
        "unexpected": int(np.maximum(got_distinct - want_n, 0).sum()),
        "value_sum_matches": bool(sums_ok.all()),
        "examples": [
            {
                "sensor_id": int(ids[i]),
                "expected_readings": int(want_n[i]),
                "stored_readings": int(got_rows[i]),
                "stored_distinct": int(got_distinct[i]),
                "expected_sum": float(want_sum[i]),
                "stored_sum": float(got_sum[i]),
            }
            for i in wrong[:EXAMPLES].tolist()
        ],
    }


def _aligned(ids: I64, have: I64, values: npt.NDArray[Any], dtype: type[Any]) -> npt.NDArray[Any]:
    """``values`` (given for ``have``, ascending) laid out along ``ids``; 0 where missing."""
    out = np.zeros(ids.size, dtype)
    out[np.searchsorted(ids, have)] = values
    return out
