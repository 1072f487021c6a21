"""The solvers on small instances with known optima, their determinism, and the textbook CP-SAT peer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from seamline.brain import (
    LineBalance,
    Schedule,
    Status,
    balance_violations,
    read_alwabp,
    read_fjsp,
    read_jobshop,
    read_salbp2,
    schedule_violations,
    solve,
    solve_cpsat,
)

BestKnown = Callable[[str, str, str], int]


def test_ft06_is_55(bench: Path) -> None:
    shop = read_jobshop(bench / "jssp" / "fisher-thompson" / "ft06.txt")
    solution = solve(shop, time_limit_s=20, seed=0, workers=1)
    assert isinstance(solution, Schedule)
    assert (solution.objective, solution.lower_bound, solution.status) == (55, 55, Status.OPTIMAL)
    assert len(solution.operations) == 36
    assert schedule_violations(shop, solution.operations, solution.objective) == []


def test_la01_reaches_its_optimum(bench: Path, best_known: BestKnown) -> None:
    shop = read_jobshop(bench / "jssp" / "lawrence" / "la01.txt")
    assert (
        solve(shop, time_limit_s=20).objective
        == best_known("jssp/jssp_bks.csv", "la01", "upper_bound")
        == 666
    )


def test_mk01_is_40(bench: Path, best_known: BestKnown) -> None:
    shop = read_fjsp(bench / "fjsp" / "brandimarte" / "mk01.txt")
    solution = solve(shop, time_limit_s=20, seed=0, workers=1)
    assert solution.objective == best_known("fjsp/fjsp_bks.csv", "mk01", "upper_bound") == 40
    assert solution.status is Status.OPTIMAL


def test_hand_made_fjsp(tmp_path: Path) -> None:
    # job 0: op 0 on M1 (2) or M2 (4), then op 1 on M2 (3); job 1: op 0 on M1 (3) or M2 (3).
    # Best: job 0 op 0 on M1 [0,2), op 1 on M2 [2,5); job 1 on M2 [0,3)? M2 busy [2,5) -> job 1 on
    # M1 [2,5) also gives 5, and no schedule beats the route 2 + 3 = 5.
    path = tmp_path / "hand.fjs"
    path.write_text("2 2\n2 2 1 2 2 4 1 2 3\n1 2 1 3 2 3\n")
    solution = solve(read_fjsp(path), time_limit_s=5)
    assert (solution.objective, solution.status) == (5, Status.OPTIMAL)


def test_mertens_on_5_stations_is_7(bench: Path, best_known: BestKnown) -> None:
    # Scholl's SALBP-1 table: m*(c=6) = 6 and m*(c=7) = 5 for Mertens, so 5 stations need c = 7
    assert best_known("salbp/salbp1_scholl.csv", "MERTENS_c6", "upper_bound") == 6
    assert best_known("salbp/salbp1_scholl.csv", "MERTENS_c7", "upper_bound") == 5
    line = read_salbp2(bench / "salbp" / "scholl" / "MERTENS.IN2", stations=5)
    solution = solve(line, time_limit_s=10)
    assert isinstance(solution, LineBalance)
    assert (solution.objective, solution.status) == (7, Status.OPTIMAL)
    assert balance_violations(line, solution.stations, solution.objective) == []


def test_buxey_on_7_stations(bench: Path, best_known: BestKnown) -> None:
    line = read_salbp2(bench / "salbp" / "scholl" / "BUXEY.IN2", stations=7)
    solution = solve(line, time_limit_s=20)
    assert (
        solution.objective == best_known("salbp/salbp2_scholl_instances.csv", "BUXEY_m7", "upper_bound") == 47
    )


@pytest.mark.parametrize("instance", ["roszieg_1", "heskia_1"])
def test_alwabp_best_known(bench: Path, best_known: BestKnown, instance: str) -> None:
    family, number = instance.split("_")
    line = read_alwabp(bench / "alwabp" / "instances" / family / number)
    solution = solve(line, time_limit_s=20, seed=0, workers=1)
    assert isinstance(solution, LineBalance)
    assert solution.objective == best_known("alwabp/alwabp_best.csv", instance, "best_cycle_time")
    assert sorted(s.worker for s in solution.stations if s.worker is not None) == list(range(line.n_workers))


def _same(a: Schedule | LineBalance, b: Schedule | LineBalance) -> None:
    left, right = a.as_dict(), b.as_dict()
    left.pop("elapsed_s")
    right.pop("elapsed_s")
    assert left == right


@pytest.mark.parametrize(
    ("kind", "relative"),
    [
        ("jobshop", "jssp/fisher-thompson/ft06.txt"),
        ("fjsp", "fjsp/brandimarte/mk01.txt"),
        ("alwabp", "alwabp/instances/roszieg/1"),
    ],
)
def test_same_seed_same_answer(bench: Path, kind: str, relative: str) -> None:
    reader = {"jobshop": read_jobshop, "fjsp": read_fjsp, "alwabp": read_alwabp}[kind]
    problem = reader(bench / relative)
    _same(
        solve(problem, time_limit_s=20, seed=7, workers=1), solve(problem, time_limit_s=20, seed=7, workers=1)
    )


def test_the_textbook_peer_agrees_on_ft06(bench: Path) -> None:
    shop = read_jobshop(bench / "jssp" / "fisher-thompson" / "ft06.txt")
    peer = solve_cpsat(shop, time_limit_s=20, seed=0, workers=1)
    assert (peer.objective, peer.status, peer.method) == (55, Status.OPTIMAL, "cpsat")
