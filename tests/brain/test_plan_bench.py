"""`seamline bench plan` and `seamline plan`: the commands run end to end and say what they did."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import orjson
from typer.testing import CliRunner

from seamline.brain.plan_bench import synthetic_plan_problem
from seamline.brain.plan_io import problem_to_json
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


def test_seamline_plan_prints_the_factory_plan_and_reads_a_problem_file(tmp_path: Path) -> None:
    now = "2026-12-07T02:00:00+00:00"  # Monday 08:00 in Dhaka
    shown = CliRunner().invoke(app, ["plan", "--time-limit", "1", "--now", now])
    assert shown.exit_code == 0, shown.output
    first = shown.stdout.splitlines()[0]
    assert first.startswith("6 orders on ")
    assert "PO-24018" in shown.stdout
    problem = synthetic_plan_problem(8, 2, seed=4)
    path = tmp_path / "problem.json"
    path.write_bytes(orjson.dumps(problem_to_json(problem)))
    as_json = CliRunner().invoke(app, ["plan", str(path), "--time-limit", "1", "--json"])
    assert as_json.exit_code == 0, as_json.output
    plan = orjson.loads(as_json.stdout)
    assert sorted(p["order_id"] for p in plan["orders"]) == sorted(o.id for o in problem.orders)
    bad = dataclasses.replace(problem, orders=(dataclasses.replace(problem.orders[0], quantity=0),))
    path.write_bytes(orjson.dumps(problem_to_json(bad)))
    refused = CliRunner().invoke(app, ["plan", str(path), "--time-limit", "1"])
    assert refused.exit_code == 2
    assert "quantity 0" in refused.output
