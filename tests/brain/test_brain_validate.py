"""The validators on their own: a good solution passes, and each kind of broken one is refused by name."""

from __future__ import annotations

import dataclasses

import pytest

from seamline.brain import (
    Alwabp,
    FlexibleJobShop,
    InvalidSolutionError,
    JobShop,
    Salbp2,
    ScheduledOperation,
    Station,
    Step,
    balance_violations,
    check_balance,
    check_schedule,
    schedule_violations,
)

# job 0: machine 0 for 3, then machine 1 for 2; job 1: machine 1 for 4, then machine 0 for 1
SHOP = JobShop("tiny", 2, ((Step(0, 3), Step(1, 2)), (Step(1, 4), Step(0, 1))))
GOOD = (
    ScheduledOperation(0, 0, 0, 0, 3),
    ScheduledOperation(0, 1, 1, 4, 6),
    ScheduledOperation(1, 0, 1, 0, 4),
    ScheduledOperation(1, 1, 0, 4, 5),
)


def replace(ops: tuple[ScheduledOperation, ...], index: int, **change: int) -> list[ScheduledOperation]:
    out = list(ops)
    out[index] = dataclasses.replace(out[index], **change)
    return out


def test_a_good_schedule_passes() -> None:
    assert schedule_violations(SHOP, GOOD, 6) == []
    check_schedule(SHOP, GOOD, 6)


@pytest.mark.parametrize(
    ("ops", "makespan", "says"),
    [
        (replace(GOOD, 1, start=2, end=4), 6, "starts at 2, before operation 0 ends at 3"),  # precedence
        (replace(GOOD, 0, end=2), 6, "lasts 2 on machine 0, not 3"),  # duration
        (replace(GOOD, 0, machine=1), 6, "on machine 1, which cannot run it"),  # eligibility
        (list(GOOD[:3]), 6, "job 1 operation 1 is not scheduled"),
        ([*GOOD, GOOD[0]], 6, "job 0 operation 0 scheduled 2 times"),
        ([*GOOD, ScheduledOperation(0, 7, 0, 9, 10)], 10, "job 0 has no operation 7"),
        (list(GOOD), 5, "makespan 5 is not the last end 6"),
        (replace(GOOD, 2, start=-1, end=3), 6, "starts before 0"),
    ],
)
def test_broken_schedules_are_refused(ops: list[ScheduledOperation], makespan: int, says: str) -> None:
    with pytest.raises(InvalidSolutionError) as caught:
        check_schedule(SHOP, ops, makespan)
    assert any(says in v for v in caught.value.violations), caught.value.violations
    assert caught.value.details()["kind"] == "jobshop"


def test_overlap_on_a_machine() -> None:
    ops = replace(GOOD, 3, start=2, end=3)  # job 1 op 1 on machine 0 inside job 0 op 0's [0, 3)
    ops[2] = dataclasses.replace(ops[2], start=0, end=4)
    assert any(
        "machine 0 runs job 0 op 0 [0, 3) and job 1 op 1 [2, 3) at once" in v
        for v in schedule_violations(SHOP, ops, 6)
    )


def test_fjsp_machine_choice_and_its_duration() -> None:
    shop = FlexibleJobShop("flex", 2, (((Step(0, 3), Step(1, 5)),),))
    assert schedule_violations(shop, [ScheduledOperation(0, 0, 1, 0, 5)], 5) == []
    assert schedule_violations(shop, [ScheduledOperation(0, 0, 1, 0, 3)], 3) == [
        "job 0 operation 0 lasts 3 on machine 1, not 5"
    ]


LINE = Salbp2("line", (3, 4, 2, 5), ((0, 1), (1, 3)), stations=2)  # 1 -> 2 -> 4; task 3 free


def test_a_good_balance_passes() -> None:
    stations = [Station((1, 3), 5), Station((2, 4), 9)]
    assert balance_violations(LINE, stations, 9) == []


@pytest.mark.parametrize(
    ("stations", "cycle", "says"),
    [
        (
            [Station((2, 3), 6), Station((1, 4), 8)],
            8,
            "task 1 (station 1) must not come after task 2 (station 0)",
        ),
        ([Station((1, 3), 5), Station((2,), 4)], 5, "tasks [4] are at no station"),
        ([Station((1, 3), 5), Station((2, 3, 4), 11)], 11, "task 3 is at 2 stations"),
        ([Station((1, 3), 5), Station((2, 4), 9)], 8, "cycle time 8 is not the largest station load 9"),
        ([Station((1, 3), 5), Station((2, 4), 8)], 8, "station 1 carries 9, not the stated 8"),
        ([Station((1, 2, 3, 4), 14)], 14, "1 stations, not 2"),
        ([Station((1, 3, 9), 5), Station((2, 4), 9)], 9, "task 9 does not exist"),
    ],
)
def test_broken_salbp_balances_are_refused(stations: list[Station], cycle: int, says: str) -> None:
    with pytest.raises(InvalidSolutionError) as caught:
        check_balance(LINE, stations, cycle)
    assert any(says in v for v in caught.value.violations), caught.value.violations


# worker 0 cannot do task 2; worker 1 is slow on task 1
WORKERS = Alwabp("crew", ((2, 6), (None, 3), (4, 4)), ((0, 1),))


def test_alwabp_workers_and_their_times() -> None:
    assert balance_violations(WORKERS, [Station((1, 3), 6, worker=0), Station((2,), 3, worker=1)], 6) == []
    cannot = balance_violations(WORKERS, [Station((1, 2), 2, worker=0), Station((3,), 4, worker=1)], 4)
    assert "worker 0 (station 0) cannot do task 2 (time Inf)" in cannot
    twice = balance_violations(WORKERS, [Station((1,), 2, worker=0), Station((2, 3), 7, worker=0)], 7)
    assert "worker 0 is at 2 stations, not 1" in twice
    assert "worker 1 is at 0 stations, not 1" in twice
    own_times = balance_violations(WORKERS, [Station((2, 3), 7, worker=1), Station((1,), 2, worker=0)], 7)
    assert "task 1 (station 1) must not come after task 2 (station 0)" in own_times
    assert "station 1 carries 2, not the stated 2" not in own_times
