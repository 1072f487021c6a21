"""``seamline bench plan``: how fast the brain answers a breakdown with a new plan, and how good it is.

Each run draws a synthetic floor (:func:`seamline.brain.plan_bench.synthetic_plan_problem`: by
default 200 orders on 10 lines), plans it, breaks its busiest line down for four hours on day 3,
and times :func:`seamline.brain.reschedule` end to end (advance to now, apply the event, solve,
validate, explain). The goal (issue 13): 200 orders on 10 lines rescheduled in 5 s or less. Beside
the time: the weighted tardiness if the plan is kept as it is and with the proposal, and how much
the proposal changes (orders moved to another line, start-time deviation).
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Final

import orjson
import typer

GOAL_S: Final = 5.0


def plan(
    orders: Annotated[int, typer.Option(help="orders on the floor", min=1)] = 200,
    lines: Annotated[int, typer.Option(help="sewing lines", min=1)] = 10,
    repeats: Annotated[
        int, typer.Option(help="floors drawn and rescheduled (seeds seed, seed+1, ...)", min=1)
    ] = 5,
    time_limit: Annotated[float, typer.Option(help="the reschedule's time limit, seconds", min=0)] = 1.0,
    seed: Annotated[int, typer.Option(help="the first floor's seed")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Reschedule ORDERS orders on LINES lines after a breakdown: seconds per proposal, its effect."""
    result = run_plan_bench(orders, lines, repeats, time_limit, seed)
    if json_out:
        typer.echo(orjson.dumps(result).decode())
        return
    typer.echo(
        f"reschedule after a breakdown: {orders} orders on {lines} lines, time limit {time_limit:g} s,"
        f" {repeats} floors; load average {result['load_average']}"
    )
    typer.echo(
        "  seed  seconds  late kept  late new  w.tard kept  w.tard new  moved  start dev h  changeovers"
    )
    for r in result["runs"]:
        typer.echo(
            f"  {r['seed']:4d}  {r['elapsed_s']:7.2f}  {r['late_kept']:9d}  {r['late_new']:8d}"
            f"  {r['weighted_tardiness_kept']:11,d}  {r['weighted_tardiness_new']:10,d}"
            f"  {r['moved_orders']:5d}  {r['start_deviation_h']:11.1f}"
            f"  {r['changeovers_kept']:>4d} -> {r['changeovers_new']}"
        )
    typer.echo(
        f"median {result['median_s']:.2f} s, max {result['max_s']:.2f} s (goal <= {GOAL_S:g} s):"
        f" {'met' if result['goal_met'] else 'NOT met'}"
    )


def run_plan_bench(orders: int, lines: int, repeats: int, time_limit_s: float, seed: int) -> dict[str, Any]:
    from seamline.brain.plan_bench import reschedule_benchmark  # noqa: PLC0415  # keep `--help` instant

    bench = reschedule_benchmark(orders, lines, repeats=repeats, time_limit_s=time_limit_s, seed=seed)
    runs = []
    for r in bench.runs:
        p = r.proposal
        assert p.keep is not None  # a reschedule always has the plan kept as it is
        runs.append(
            {
                "seed": r.seed,
                "elapsed_s": r.elapsed_s,
                "late_kept": p.keep.metrics.late_orders,
                "late_new": p.plan.metrics.late_orders,
                "weighted_tardiness_kept": p.keep.metrics.weighted_tardiness,
                "weighted_tardiness_new": p.plan.metrics.weighted_tardiness,
                "lower_bound": p.plan.lower_bound,
                "moved_orders": p.plan.metrics.moved_orders,
                "start_deviation_h": round(p.plan.metrics.start_deviation_min / 60, 1),
                "changeovers_kept": p.keep.metrics.changeovers,
                "changeovers_new": p.plan.metrics.changeovers,
            }
        )
    return {
        "orders": orders,
        "lines": lines,
        "time_limit_s": time_limit_s,
        "median_s": round(bench.median_s, 3),
        "max_s": round(bench.max_s, 3),
        "goal_s": GOAL_S,
        "goal_met": bench.max_s <= GOAL_S,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
    }
