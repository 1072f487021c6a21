"""`seamline bench plan`: the reschedule benchmark runs end to end and reports what it measured."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from seamline.cli import app


def test_bench_plan_reports_each_reschedule() -> None:
    args = [
        "bench",
        "plan",
        "--orders",
        "24",
        "--lines",
        "3",
        "--repeats",
        "2",
        "--time-limit",
        "0.5",
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert (report["orders"], report["lines"], report["goal_s"]) == (24, 3, 5.0)
    assert [r["seed"] for r in report["runs"]] == [0, 1]
    for run in report["runs"]:
        # the proposal never does worse than keeping the plan: keeping it is where its search starts
        assert run["weighted_tardiness_new"] <= run["weighted_tardiness_kept"]
        assert run["lower_bound"] <= run["weighted_tardiness_new"]
        assert run["elapsed_s"] > 0
    assert report["median_s"] <= report["max_s"]
