"""`seamline bench query` as a smoke run: a tiny store built through the real write path, every
query kind timed, and the build reused by the next run. Nothing here asserts a speed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from seamline.bench.querybench import DEFAULT_START_MS
from seamline.bench.workload import Workload
from seamline.cli import app
from seamline.model.factory import Factory
from seamline.store.duckdb import DuckDBStore

HOURS = "0.02"  # 72 s of the reference factory, ~1.1 M readings
LATEST = ("latest_sensor", "latest_device", "latest_line", "latest_factory")


def bench(data_dir: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["bench", "query", "--json", "--hours", HOURS, "--runs", "3", "--data-dir", str(data_dir), *args]
    )
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = orjson.loads(result.stdout.strip().splitlines()[-1])
    return out


def test_a_small_run_reports_every_query_kind_and_the_readings_it_built(
    tmp_path: Path, factory: Factory
) -> None:
    r = bench(tmp_path)
    build = r["build"]
    expected = Workload(factory, start_ms=DEFAULT_START_MS, seed=0).total_readings(float(HOURS) * 3600)
    assert expected > 1_000_000
    assert build["readings"] == build["expected_readings"] == expected
    with DuckDBStore(tmp_path).opened(factory) as store, store.snapshot() as cur:
        counted = cur.execute("SELECT count(*) FROM readings").fetchall()[0][0]
    assert counted == expected
    assert build["bytes_per_reading"] == pytest.approx(build["disk_bytes"] / build["readings"], abs=1e-4)
    assert build["disk_bytes"] > 0
    assert build["build_s"] >= build["write_s"] + build["maintain_s"] > 0
    assert set(LATEST) | {"raw_10min"} <= set(r["queries"])
    for kind, q in r["queries"].items():
        assert q["runs"] == 3, kind
        assert 0 < q["p50_ms"] <= q["p95_ms"] <= q["max_ms"], kind
        assert q["cpu_p50_ms"] >= 0, kind
    assert r["goal"]["worst_p95_ms"] == max(q["p95_ms"] for q in r["queries"].values())


def test_a_second_run_reuses_the_store_and_a_different_one_is_refused(tmp_path: Path) -> None:
    first = bench(tmp_path)
    again = bench(tmp_path)
    assert again["build"] == first["build"]  # the very same build report: nothing was written again
    result = CliRunner().invoke(app, ["bench", "query", "--hours", "0.01", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "holds a benchmark store of 0.02 h (seed 0), not of 0.01 h" in result.stderr
