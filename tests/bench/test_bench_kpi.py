"""`seamline bench kpi` as a smoke run: a minute of the reference factory, its events back-filled
over a short span, every KPI answer timed. Nothing here asserts a speed."""

from __future__ import annotations

from typing import Any

import orjson
from typer.testing import CliRunner

from seamline.cli import app


def test_a_small_run_reports_latency_backfill_and_every_kpi_answer() -> None:
    result = CliRunner().invoke(
        app, ["bench", "kpi", "--minutes", "2", "--days", "0.05", "--runs", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    r: dict[str, Any] = orjson.loads(result.stdout.strip().splitlines()[-1])
    live, back = r["live"], r["backfill"]
    assert live["events"] > 100  # machine states, scans, badges ... of two factory minutes
    assert 0 <= live["lag_p50_s"] <= live["lag_p99_s"] <= live["lag_max_s"]
    assert back["copies"] == 36  # 0.05 days of 2-minute copies
    assert back["events"] >= 36 * live["events"]  # every stored event, each copy (more than the lags cover)
    assert back["records"] > 0
    assert set(r["goals"]) == {"event_to_kpi_p99_s", "backfill_30_days_s", "kpi_p95_ms"}
    assert "wip of a line" in r["kpis"]
    assert all(0 <= q["p50_ms"] <= q["p95_ms"] for q in r["kpis"].values())
    assert r["saved"]["bytes"] > 0  # the back-filled ledger saved as the engine saves it, and read back
    assert r["saved"]["save_s"] >= 0
    assert r["saved"]["load_s"] >= 0
