"""Line-balancing benchmark: the brain (and optionally the textbook CP-SAT peer) on public instances.

    .venv/bin/python bench/balance.py salbp2 --time-limit 10            # Scholl, <= 150 tasks
    .venv/bin/python bench/balance.py alwabp --time-limit 10            # heskia + roszieg
    .venv/bin/python bench/balance.py sewing --time-limit 10 --peer cpsat   # generated sewing lines

One line per instance (objective, best known, gap, seconds, status), then the share reaching the
best known value and the mean gap. ``--every K`` takes every K-th instance, ``--only NAME`` those
whose name contains NAME. The instances are read from SEAMLINE_BENCHDATA or ../shared/benchdata;
``sewing`` instances are generated (seamline.brain.generate) and their best known value is the best
of long runs recorded in ``--best FILE`` (a CSV the script writes with ``--record SECONDS``).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from seamline.brain import NoSolutionFoundError, read_alwabp, read_salbp2, solve, solve_cpsat
from seamline.brain.generate import sewing_line
from seamline.brain.problems import Alwabp, Salbp2

ROOT = Path(__file__).resolve().parents[1]
BENCHDATA = Path(os.environ.get("SEAMLINE_BENCHDATA") or ROOT.parent / "shared" / "benchdata")

Instance = tuple[str, Salbp2 | Alwabp, int]


def salbp2_instances() -> Iterator[Instance]:
    with (BENCHDATA / "salbp" / "salbp2_scholl_instances.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if int(row["n_tasks"]) <= 150:
                line = read_salbp2(BENCHDATA / "salbp" / row["file"], int(row["n_stations"]))
                yield row["instance"], line, int(row["upper_bound"])


def alwabp_instances() -> Iterator[Instance]:
    with (BENCHDATA / "alwabp" / "alwabp_best.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            family, number = row["instance"].split("_")
            if family in {"heskia", "roszieg"}:
                line = read_alwabp(BENCHDATA / "alwabp" / "instances" / family / number)
                yield row["instance"], line, int(row["best_cycle_time"])


def sewing_instances(best_file: Path, count: int) -> Iterator[Instance]:
    best: dict[str, int] = {}
    if best_file.is_file():
        with best_file.open(newline="") as f:
            best = {row["instance"]: int(row["best"]) for row in csv.DictReader(f)}
    for seed in range(count):
        line = sewing_line(seed)
        yield line.name, line, best.get(line.name, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("family", choices=["salbp2", "alwabp", "sewing"])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--only", default="")
    parser.add_argument("--peer", choices=["cpsat"], default=None)
    parser.add_argument("--best", type=Path, default=ROOT / "bench" / "sewing_best.csv")
    parser.add_argument("--count", type=int, default=10, help="sewing: how many generated lines")
    parser.add_argument("--record", action="store_true", help="sewing: write the best found as --best")
    args = parser.parse_args()
    source = {
        "salbp2": salbp2_instances,
        "alwabp": alwabp_instances,
        "sewing": lambda: sewing_instances(args.best, args.count),
    }[args.family]
    instances = [i for k, i in enumerate(source()) if k % args.every == 0 and args.only in i[0]]
    runners = [("brain", solve)] + ([("cpsat", solve_cpsat)] if args.peer else [])
    gaps: dict[str, list[float]] = {name: [] for name, _ in runners}
    hits: dict[str, int] = dict.fromkeys(gaps, 0)
    seconds: dict[str, list[float]] = {name: [] for name, _ in runners}
    missing: dict[str, int] = dict.fromkeys(gaps, 0)
    recorded: list[tuple[str, int]] = []
    print(f"{'instance':16s} {'best':>7s} " + " ".join(f"{n:>8s} {'gap%':>6s} {'s':>5s}" for n in gaps))
    for name, problem, best in instances:
        cells = []
        found = []
        for runner, fn in runners:
            began = time.perf_counter()
            try:
                solution = fn(problem, args.time_limit, args.seed, args.workers)
            except NoSolutionFoundError:
                missing[runner] += 1
                cells.append(f"{'-':>8s} {'-':>6s} {time.perf_counter() - began:5.1f}")
                continue
            took = time.perf_counter() - began
            found.append(solution.objective)
            reference = best or solution.objective
            gap = (solution.objective - reference) / reference * 100 if reference else 0.0
            gaps[runner].append(gap)
            hits[runner] += solution.objective <= reference
            seconds[runner].append(took)
            cells.append(f"{solution.objective:8d} {gap:6.2f} {took:5.1f}")
        if found:
            recorded.append((name, min([*found, best] if best else found)))
        print(f"{name:16s} {best:7d} " + " ".join(cells), flush=True)
    for runner, runner_gaps in gaps.items():
        count = len(runner_gaps) + missing[runner]
        print(
            f"{runner}: best known on {hits[runner]}/{count} = {100 * hits[runner] / max(count, 1):.1f} %,"
            f" no solution on {missing[runner]},"
            f" mean gap {statistics.fmean(runner_gaps or [0]):.3f} % (where solved),"
            f" median time {statistics.median(seconds[runner] or [0]):.2f} s,"
            f" load {os.getloadavg()[0]:.2f}"
        )
    if args.record:
        with args.best.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["instance", "best"])
            writer.writerows(recorded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
