"""The tabu search for job shops and flexible job shops: optima on small shops, determinism, validity."""

from __future__ import annotations

from pathlib import Path

from seamline.brain import (
    FlexibleJobShop,
    ScheduledOperation,
    Status,
    Step,
    read_fjsp,
    read_jobshop,
    schedule_violations,
    solve,
)
from seamline.brain.dispatch import best_dispatch
from seamline.brain.tabu import TabuSearch


def _makespan(schedule: list[ScheduledOperation]) -> int:
    return max(o.end for o in schedule)


def test_tabu_finds_ft06_and_ft10_optima_from_dispatch(bench: Path) -> None:
    for name, optimum in (("ft06", 55), ("ft10", 930)):
        shop = read_jobshop(bench / "jssp" / "fisher-thompson" / f"{name}.txt")
        start = best_dispatch(shop.as_flexible(), seed=0)
        assert _makespan(start) > optimum  # the rules alone do not get there
        search = TabuSearch(shop.as_flexible(), start, seed=0)
        search.run(5.0, lower_bound=optimum, clock=False)
        schedule = search.best_schedule()
        assert search.best_makespan == _makespan(schedule) == optimum
        assert schedule_violations(shop, schedule, optimum) == []


def test_same_seed_same_search_different_seed_other_path(bench: Path) -> None:
    shop = read_jobshop(bench / "jssp" / "taillard" / "ta01js.txt").as_flexible()
    start = best_dispatch(shop, seed=0)
    runs = []
    for seed in (3, 3, 4):
        search = TabuSearch(shop, start, seed=seed)
        search.run(0.2, clock=False)
        runs.append((search.best_makespan, search.iterations, search.best_schedule()))
    assert runs[0] == runs[1]
    assert runs[0][2] != runs[2][2]


def test_resuming_in_chunks_is_the_same_as_one_run(bench: Path) -> None:
    shop = read_jobshop(bench / "jssp" / "lawrence" / "la16.txt").as_flexible()
    start = best_dispatch(shop, seed=0)
    whole = TabuSearch(shop, start, seed=1)
    whole.run(0.3, clock=False)
    pieces = TabuSearch(shop, start, seed=1)
    for _ in range(3):
        pieces.run(0.1, clock=False)
    assert (pieces.best_makespan, pieces.iterations) == (whole.best_makespan, whole.iterations)


def test_flexible_search_moves_operations_between_machines(bench: Path) -> None:
    shop = read_fjsp(bench / "fjsp" / "brandimarte" / "mk01.txt")
    start = best_dispatch(shop, seed=0)
    search = TabuSearch(shop, start, seed=0)
    search.run(1.0, lower_bound=40, clock=False)
    schedule = search.best_schedule()
    assert search.best_makespan == _makespan(schedule) < _makespan(start)
    assert schedule_violations(shop, schedule, _makespan(schedule)) == []
    before = {(o.job, o.op): o.machine for o in start}
    assert any(before[o.job, o.op] != o.machine for o in schedule)


def test_a_job_visiting_one_machine_twice_and_zero_durations_stay_valid() -> None:
    # job 0 uses machine 0 twice in a row; zero durations make ties everywhere
    shop = FlexibleJobShop(
        "twice",
        2,
        (
            ((Step(0, 3),), (Step(0, 0), Step(1, 2)), (Step(0, 2),)),
            ((Step(1, 0),), (Step(0, 4), Step(1, 5)), (Step(1, 1),)),
            ((Step(0, 2), Step(1, 2)), (Step(1, 0),), (Step(0, 3), Step(1, 1))),
        ),
    )
    start = best_dispatch(shop, seed=0)
    search = TabuSearch(shop, start, seed=0)
    search.run(0.05, clock=False)
    schedule = search.best_schedule()
    assert search.best_makespan <= _makespan(start)
    assert schedule_violations(shop, schedule, _makespan(schedule)) == []


def test_brain_on_two_workers_proves_ft06_and_repeats_itself(bench: Path) -> None:
    shop = read_jobshop(bench / "jssp" / "fisher-thompson" / "ft06.txt")
    first = solve(shop, time_limit_s=10, seed=5, workers=2)
    assert (first.objective, first.lower_bound, first.status) == (55, 55, Status.OPTIMAL)
    assert "tabu" in first.method
    again = solve(shop, time_limit_s=10, seed=5, workers=2)
    assert again.objective == 55
    assert schedule_violations(shop, again.operations, again.objective) == []
