"""The SALBP-2 cycle-time search: its bounds, its proofs and balances, and its determinism."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from seamline.brain import LineBalance, Salbp2, Status, balance_violations, read_salbp2, solve
from seamline.brain.salbp_kernel import FAILED, FOUND
from seamline.brain.salbp_search import CycleSearch, quick_lower_bound


def _optimum(bench: Path, instance: str) -> int:
    with (bench / "salbp" / "salbp2_scholl_instances.csv").open(newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["instance"] == instance)
    assert row["lower_bound"] == row["upper_bound"]
    return int(row["upper_bound"])


def test_pairs_of_long_tasks_lift_the_bound() -> None:
    # three tasks of 5 on two stations: two of them share one, so no cycle below 10
    line = Salbp2("pairs", (5, 5, 5), (), stations=2)
    assert line.trivial_lower_bound() == 8
    assert quick_lower_bound(line) == 10


def test_a_chain_needs_its_heads_and_tails() -> None:
    # 1 -> 2 -> 3 with times 4, 1, 4 on two stations: cycle 5 fits (4+1 | 4), 4 does not
    line = Salbp2("chain", (4, 1, 4), ((0, 1), (1, 2)), stations=2)
    search = CycleSearch(line)
    assert search.trial(4, 1000) == FAILED
    assert search.low == 5
    assert search.trial(5, 1000) == FOUND
    assert search.high == 5
    assert search.best is not None
    assert sorted(map(sorted, search.best)) == [[0, 1], [2]]


@pytest.mark.parametrize(
    ("graph", "stations"),
    [("BUXEY", 13), ("SAWYER30", 10), ("KILBRID", 8), ("TONGE70", 15), ("WARNECKE", 11)],
)
def test_scholl_optima_are_proved(bench: Path, graph: str, stations: int) -> None:
    line = read_salbp2(bench / "salbp" / "scholl" / f"{graph}.IN2", stations)
    solution = solve(line, time_limit_s=20, seed=0, workers=1)
    assert isinstance(solution, LineBalance)
    assert solution.objective == _optimum(bench, f"{graph}_m{stations}")
    assert (solution.lower_bound, solution.status) == (solution.objective, Status.OPTIMAL)
    assert balance_violations(line, solution.stations, solution.objective) == []


def test_the_search_refuses_what_cannot_fit(bench: Path) -> None:
    # one below the optimum is proved impossible, the optimum itself is reached
    line = read_salbp2(bench / "salbp" / "scholl" / "SAWYER30.IN2", 10)
    best = _optimum(bench, "SAWYER30_m10")
    search = CycleSearch(line)
    assert search.trial(best - 1, 10_000_000) == FAILED
    assert search.trial(best, 10_000_000) == FOUND
    assert search.best is not None
    loads = [sum(line.task_times[i] for i in s) for s in search.best]
    assert max(loads) <= best
    assert sorted(i for s in search.best for i in s) == list(range(line.n_tasks))


def test_same_seed_same_balance(bench: Path) -> None:
    line = read_salbp2(bench / "salbp" / "scholl" / "WARNECKE.IN2", 23)
    first = solve(line, time_limit_s=20, seed=3, workers=1).as_dict()
    second = solve(line, time_limit_s=20, seed=3, workers=1).as_dict()
    first.pop("elapsed_s")
    second.pop("elapsed_s")
    assert first == second
