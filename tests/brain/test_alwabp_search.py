"""The ALWABP search: best known cycle times, refusal of lines with no balance, generated sewing lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from seamline.brain import (
    Alwabp,
    InfeasibleProblemError,
    LineBalance,
    Status,
    balance_violations,
    read_alwabp,
    solve,
)
from seamline.brain.alwabp_search import AlwabpSearch
from seamline.brain.generate import sewing_line
from seamline.brain.salbp_kernel import FAILED, FOUND

BestKnown = Callable[[str, str, str], int]


@pytest.mark.parametrize("instance", ["heskia_45", "heskia_33", "roszieg_52", "roszieg_70"])
def test_best_known_is_reached_and_proved(bench: Path, best_known: BestKnown, instance: str) -> None:
    family, number = instance.split("_")
    line = read_alwabp(bench / "alwabp" / "instances" / family / number)
    solution = solve(line, time_limit_s=20, seed=0, workers=1)
    assert isinstance(solution, LineBalance)
    assert solution.objective == best_known("alwabp/alwabp_best.csv", instance, "best_cycle_time")
    assert solution.status == Status.OPTIMAL
    assert balance_violations(line, solution.stations, solution.objective) == []


def test_one_below_the_optimum_is_proved_impossible(bench: Path, best_known: BestKnown) -> None:
    line = read_alwabp(bench / "alwabp" / "instances" / "roszieg" / "1")
    best = best_known("alwabp/alwabp_best.csv", "roszieg_1", "best_cycle_time")
    search = AlwabpSearch(line)
    assert search.trial(best - 1, 10_000_000) == FAILED
    assert search.trial(best, 10_000_000) == FOUND
    assert search.best is not None
    assert search.cycle_of(search.best) <= best


def test_a_line_with_no_balance_names_its_single_worker_tasks() -> None:
    # 1 -> 2 -> 3: tasks 1 and 3 only worker 0 can do, task 2 only worker 1; worker 0's one station
    # would have to come both before and after worker 1's
    line = Alwabp("split", ((3, None), (None, 3), (3, None)), ((0, 1), (1, 2)))
    with pytest.raises(InfeasibleProblemError, match="tasks only one worker can do: 1, 2, 3") as caught:
        solve(line, time_limit_s=5, seed=0, workers=1)
    assert caught.value.culprit == {"instance": "split", "single_worker_tasks": [1, 2, 3]}


def test_a_generated_sewing_line_is_balanced_and_checked() -> None:
    line = sewing_line(6)
    assert 30 <= line.n_tasks <= 80
    solution = solve(line, time_limit_s=5, seed=0, workers=1)
    assert isinstance(solution, LineBalance)
    assert balance_violations(line, solution.stations, solution.objective) == []
    assert solution.lower_bound is not None
    assert line.trivial_lower_bound() <= solution.lower_bound <= solution.objective
