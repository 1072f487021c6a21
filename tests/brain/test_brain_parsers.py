"""The benchmark formats: every shipped instance reads, and a broken file names its line and what was due."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamline.brain import (
    JobShop,
    NoEligibleMachineError,
    NoEligibleWorkerError,
    PrecedenceCycleError,
    ProblemFileError,
    Step,
    read_alwabp,
    read_fjsp,
    read_jobshop,
    read_problem,
    read_salbp2,
)


def test_every_shipped_instance_reads(bench: Path) -> None:
    jobshops = sorted((bench / "jssp").rglob("*.txt"))
    fjsps = sorted((bench / "fjsp").rglob("*.txt"))
    scholl = sorted((bench / "salbp" / "scholl").glob("*.IN2"))
    alwabp = sorted(p for p in (bench / "alwabp" / "instances").rglob("*") if p.is_file())
    assert (len(jobshops), len(fjsps), len(scholl), len(alwabp)) == (
        93,
        81,
        25,
        161,
    )  # ta01-50, la01-40, ft; mk01-15, edata; Scholl; ALWABP
    for path in jobshops:
        read_jobshop(path)
    for path in fjsps:
        read_fjsp(path)
    for path in scholl:
        read_salbp2(path, stations=3)
    for path in alwabp:
        read_alwabp(path)


def test_ft06_as_in_the_file(bench: Path) -> None:
    shop = read_jobshop(bench / "jssp" / "fisher-thompson" / "ft06.txt")
    assert (len(shop.jobs), shop.n_machines, shop.n_operations) == (6, 6, 36)
    # first line of jobs: "2 1 0 3 1 6 3 7 5 3 4 6"
    assert shop.jobs[0][:3] == (Step(2, 1), Step(0, 3), Step(1, 6))
    assert shop.trivial_lower_bound() == 47  # the longest job (ft06's optimum is 55)


def test_brandimarte_machines_become_zero_based(bench: Path) -> None:
    shop = read_fjsp(bench / "fjsp" / "brandimarte" / "mk01.txt")
    assert (len(shop.jobs), shop.n_machines, shop.n_operations) == (10, 6, 55)
    # job 0 starts "6  2 1 5 3 4  3 5 3 3 5 2 1": op 0 runs on machine 1 for 5 or on machine 3 for 4
    assert shop.jobs[0][0] == (Step(0, 5), Step(2, 4))
    assert shop.jobs[0][1] == (Step(4, 3), Step(2, 5), Step(1, 1))


def test_hurink_header_with_tabs_and_an_average(bench: Path) -> None:
    shop = read_fjsp(bench / "fjsp" / "hurink" / "edata" / "la01.txt")
    assert (len(shop.jobs), shop.n_machines) == (10, 5)


def test_mertens_and_the_remarks_after_the_terminator(bench: Path) -> None:
    line = read_salbp2(bench / "salbp" / "scholl" / "MERTENS.IN2", stations=5)
    assert line.task_times == (1, 5, 4, 3, 5, 6, 5)
    assert line.arcs == ((0, 1), (0, 3), (1, 2), (1, 4), (3, 6), (4, 5))
    assert line.trivial_lower_bound() == 6  # max(ceil(29 / 5), 6)
    # ARC111 ends with German remarks in the DOS code page, and lists 3 deleted arcs after them
    arcus = read_salbp2(bench / "salbp" / "scholl" / "ARC111.IN2", stations=9)
    assert arcus.n_tasks == 111


def test_alwabp_inf_and_names(bench: Path) -> None:
    line = read_alwabp(bench / "alwabp" / "instances" / "roszieg" / "1")
    assert (line.name, line.n_tasks, line.n_workers) == ("roszieg_1", 25, 4)
    assert line.times[5] == (4, None, None, 4)  # "4 Inf Inf 4"
    assert line.arcs[0] == (0, 2)  # "1 3"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("2 2\n0 3 1 4\n1 2 x 5\n", 3, "the machine of job 1 (numbered from 0) operation 1, 0..1"),
        ("2 2\n0 3 1 4\n1 2 2 5\n", 3, "the machine of job 1 (numbered from 0) operation 1, 0..1"),
        ("2 2\n0 3 1 4\n1 2 0\n", 3, "the duration of job 1 (numbered from 0) operation 1"),
        ("2 2\n0 3 1 4\n1 2 0 5 1\n", 3, "the end of the file after 2 jobs of 2 operations"),
        ("two 2\n", 1, "the number of jobs n"),
    ],
)
def test_jobshop_errors_name_the_line(tmp_path: Path, text: str, line: int, expected: str) -> None:
    path = write(tmp_path, "bad.txt", text)
    with pytest.raises(ProblemFileError) as caught:
        read_jobshop(path)
    assert caught.value.line == line
    assert expected in caught.value.expected
    assert caught.value.message.startswith(f"{path}:{line}: expected ")


def test_fjsp_errors(tmp_path: Path) -> None:
    with pytest.raises(ProblemFileError) as caught:
        read_fjsp(write(tmp_path, "a.fjs", "1 2 1\n2 1 3 4 1 1 5\n"))  # machine 3 of 2
    assert (caught.value.line, caught.value.found) == (2, "3")
    with pytest.raises(ProblemFileError) as caught:
        read_fjsp(write(tmp_path, "b.fjs", "1 2\n1 2 1 4 1 5\n"))  # machine 1 twice
    assert "machine 1 twice" in caught.value.message
    with pytest.raises(NoEligibleMachineError) as no_machine:
        read_fjsp(write(tmp_path, "c.fjs", "2 2\n1 1 1 4\n2 1 2 3 0\n"))
    assert (no_machine.value.job, no_machine.value.op) == (1, 1)
    assert no_machine.value.details() == {"culprit": {"job": 1, "op": 1}}


def test_salbp_errors(tmp_path: Path) -> None:
    with pytest.raises(ProblemFileError) as caught:
        read_salbp2(write(tmp_path, "a.IN2", "3\n1\n2\n3\n1,2\n2;3\n-1,-1\n"), stations=2)
    assert (caught.value.line, caught.value.found) == (6, "'2;3'")
    with pytest.raises(ProblemFileError) as caught:
        read_salbp2(write(tmp_path, "b.IN2", "3\n1\n2\n"), stations=2)
    assert "the time of task 3" in caught.value.expected
    assert caught.value.found == "the end of the file"
    with pytest.raises(ProblemFileError) as caught:
        read_salbp2(write(tmp_path, "c.IN2", "2\n1\n2\n1,3\n"), stations=2)
    assert caught.value.line == 4


def test_a_precedence_cycle_names_its_tasks(tmp_path: Path) -> None:
    with pytest.raises(PrecedenceCycleError) as caught:
        read_salbp2(write(tmp_path, "loop.IN2", "4\n1\n1\n1\n1\n1,2\n2,3\n3,4\n4,2\n-1,-1\n"), stations=2)
    assert caught.value.tasks == (2, 3, 4)
    assert "2 -> 3 -> 4 -> 2" in caught.value.message
    with pytest.raises(PrecedenceCycleError):
        read_alwabp(write(tmp_path, "loop", "2\n1 1\n1 1\n1 2\n2 1\n-1 -1\n"))


def test_alwabp_errors(tmp_path: Path) -> None:
    with pytest.raises(NoEligibleWorkerError) as caught:
        read_alwabp(write(tmp_path, "a", "3\n1 2\nInf Inf\n3 4\n1 2\n-1 -1\n"))
    assert caught.value.task == 2
    assert "no worker can do task 2" in caught.value.message
    with pytest.raises(ProblemFileError) as bad:
        read_alwabp(write(tmp_path, "b", "2\n1 2\n3 4 5\n-1 -1\n"))
    assert (bad.value.line, bad.value.found) == (3, "3 values")
    with pytest.raises(ProblemFileError) as bad:
        read_alwabp(write(tmp_path, "c", "2\n1 2\n3 -\n"))
    assert bad.value.line == 3


def test_missing_file_and_missing_stations(tmp_path: Path) -> None:
    with pytest.raises(ProblemFileError, match="no such file"):
        read_problem("jobshop", tmp_path / "nope.txt")
    with pytest.raises(ProblemFileError, match="--stations"):
        read_problem("salbp2", write(tmp_path, "a.IN2", "1\n1\n-1,-1\n"))


routes = st.integers(1, 4).flatmap(
    lambda m: st.tuples(
        st.just(m),
        st.lists(
            st.lists(st.tuples(st.integers(0, m - 1), st.integers(0, 99)), min_size=m, max_size=m),
            min_size=1,
            max_size=5,
        ),
    )
)


@given(routes)
def test_jobshop_text_round_trip(
    tmp_path_factory: pytest.TempPathFactory, shop: tuple[int, list[list[tuple[int, int]]]]
) -> None:
    m, jobs = shop
    text = f"{len(jobs)} {m}\n" + "".join(" ".join(f"{a} {d}" for a, d in job) + "\n" for job in jobs)
    path = tmp_path_factory.mktemp("shop") / "shop.txt"
    path.write_text(text)
    assert read_jobshop(path) == JobShop("shop", m, tuple(tuple(Step(a, d) for a, d in job) for job in jobs))
