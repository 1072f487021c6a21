"""``seamline bench solve FAMILY``: the brain's solvers on a public benchmark family, beside CP-SAT.

Every instance of the family (or those named with ``--instances``) is solved by the brain
(:func:`seamline.brain.solve`) and, with ``--peer cpsat``, right after it by the textbook CP-SAT
model (:func:`seamline.brain.solve_cpsat`) with the same time limit, seed and workers: one solver
at a time, so neither slows the other. Each row gives the objective, the best known value, the gap
to it, (objective - best) / best, and the seconds taken; the means close the table. The machine's
load average is kept beside the figures, since a busy machine gets less done in the same time.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from seamline.bench.solve_families import FAMILIES, Instance, family_instances, find_benchdata

PEERS = ("cpsat",)


def _gap_pct(objective: int, best: int) -> float:
    """(objective - best) / best in percent.

    >>> _gap_pct(1242, 1231)
    0.8936
    """
    return round(100.0 * (objective - best) / best, 4) if best else 0.0


def _one(
    solver: Callable[..., Any], instance: Instance, time_limit_s: float, seed: int, workers: int
) -> dict[str, Any]:
    solution = solver(instance.read(), time_limit_s, seed=seed, workers=workers)
    return {
        "objective": solution.objective,
        "lower_bound": solution.lower_bound,
        "status": solution.status.value,
        "gap_pct": _gap_pct(solution.objective, instance.best_known),
        "elapsed_s": round(solution.elapsed_s, 3),
        "method": solution.method,
    }


def _means(rows: list[dict[str, Any]], side: str) -> dict[str, Any]:
    results = [row[side] for row in rows if row.get(side)]
    if not results:
        return {}
    return {
        "mean_gap_pct": round(statistics.fmean(r["gap_pct"] for r in results), 4),
        "mean_elapsed_s": round(statistics.fmean(r["elapsed_s"] for r in results), 3),
        "best_known_reached": sum(1 for r in results if r["gap_pct"] <= 0),
        "instances": len(results),
    }


def run_solve_bench(
    instances: list[Instance],
    *,
    time_limit_s: float,
    seed: int,
    workers: int,
    peer: str | None,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Solve every instance with the brain (and the peer); one JSON-ready dict of rows and means."""
    from seamline.brain import solve, solve_cpsat  # noqa: PLC0415  # keep `--help` instant

    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    for i, instance in enumerate(instances, 1):
        row: dict[str, Any] = {"instance": instance.name, "best_known": instance.best_known}
        row["brain"] = _one(solve, instance, time_limit_s, seed, workers)
        said = f"{i}/{len(instances)} {instance.name}: brain {row['brain']['objective']}"
        if peer == "cpsat":
            row["peer"] = _one(solve_cpsat, instance, time_limit_s, seed, workers)
            said += f", cpsat {row['peer']['objective']}"
        progress(f"{said} (best known {instance.best_known}, load {os.getloadavg()[0]:.2f})")
        rows.append(row)
    return {
        "time_limit_s": time_limit_s,
        "seed": seed,
        "workers": workers,
        "peer": peer,
        "cores": os.cpu_count(),
        "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "rows": rows,
        "brain": _means(rows, "brain"),
        "peer_means": _means(rows, "peer") if peer else None,
    }


def _table(family: str, result: dict[str, Any]) -> str:
    peer = result["peer"]
    head = f"{'instance':<14}{'best':>8} {'brain':>8}{'gap %':>8}{'s':>7}"
    if peer:
        head += f"  {peer:>8}{'gap %':>8}{'s':>7}"
    lines = [
        f"seamline bench solve {family}: {result['time_limit_s']:g} s, {result['workers']} workers,"
        f" seed {result['seed']} (load average {result['load_average']['before']:.2f} before,"
        f" {result['load_average']['after']:.2f} after, {result['cores']} cores)",
        head,
    ]
    for row in result["rows"]:
        b = row["brain"]
        line = f"{row['instance']:<14}{row['best_known']:>8} {b['objective']:>8}{b['gap_pct']:>8.2f}"
        line += f"{b['elapsed_s']:>7.1f}"
        if peer:
            p = row["peer"]
            line += f"  {p['objective']:>8}{p['gap_pct']:>8.2f}{p['elapsed_s']:>7.1f}"
        lines.append(line)
    for label, means in (("brain", result["brain"]), (peer, result["peer_means"])):
        if means:
            lines.append(
                f"{label}: mean gap {means['mean_gap_pct']:.2f} %, best known on"
                f" {means['best_known_reached']}/{means['instances']}, mean {means['mean_elapsed_s']:.1f} s"
            )
    return "\n".join(lines)


def solve_bench(
    family: Annotated[str, typer.Argument(help=f"one of {', '.join(FAMILIES)}")],
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="seconds per instance and solver", min=0.01)
    ],
    peer: Annotated[str | None, typer.Option(help="also run the textbook CP-SAT model: cpsat")] = None,
    workers: Annotated[int, typer.Option(help="workers (threads) for each solver", min=1)] = 2,
    seed: Annotated[int, typer.Option(help="random seed of both solvers")] = 0,
    instances: Annotated[
        str | None, typer.Option(help="only these instances, comma-separated (e.g. ta01,ta06)")
    ] = None,
    benchdata: Annotated[
        Path | None,
        typer.Option(
            envvar="SEAMLINE_BENCHDATA",
            help="the benchmark folder (holding jssp/, fjsp/, salbp/, alwabp/); by default"
            " ../shared/benchdata, or the one beside the repository",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Solve a benchmark family: objective, best known, gap and time per instance, and the means."""
    if family not in FAMILIES:
        raise typer.BadParameter(f"use one of {', '.join(FAMILIES)}", param_hint="FAMILY")
    if peer is not None and peer not in PEERS:
        raise typer.BadParameter(f"use one of {', '.join(PEERS)}", param_hint="--peer")
    folder = find_benchdata(benchdata)
    if folder is None:
        raise typer.BadParameter(
            "no benchmark folder found; give --benchdata or SEAMLINE_BENCHDATA", param_hint="--benchdata"
        )
    chosen = family_instances(folder, family)
    if instances:
        wanted = [name.strip() for name in instances.split(",") if name.strip()]
        unknown = sorted(set(wanted) - {i.name for i in chosen})
        if unknown:
            raise typer.BadParameter(f"not in {family}: {', '.join(unknown)}", param_hint="--instances")
        chosen = [i for i in chosen if i.name in wanted]
    result = run_solve_bench(
        chosen,
        time_limit_s=time_limit,
        seed=seed,
        workers=workers,
        peer=peer,
        progress=lambda s: typer.echo(f"bench: {s}", err=True),
    )
    result["family"] = family
    if json_out:
        typer.echo(orjson.dumps(result).decode())
    else:
        typer.echo(_table(family, result))
