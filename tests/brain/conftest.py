"""The public benchmark instances, read where the project's shared folder keeps them."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

# tests/brain -> tests -> the repository -> the folder that holds it and ``shared/``
BENCHDATA = Path(__file__).resolve().parents[3] / "shared" / "benchdata"


@pytest.fixture(scope="session")
def bench() -> Path:
    if not BENCHDATA.is_dir():
        pytest.skip(
            f"the benchmark instances are not at {BENCHDATA} (the shared folder beside the repository)"
        )
    return BENCHDATA


@pytest.fixture(scope="session")
def best_known(bench: Path) -> Callable[[str, str, str], int]:
    """``best_known(table, instance, column)``: one value of a benchmark table, e.g.
    ``best_known("jssp/jssp_bks.csv", "ft06", "upper_bound")``."""

    def look_up(table: str, instance: str, column: str) -> int:
        with (bench / table).open(newline="") as f:
            for row in csv.DictReader(f):
                if row[next(iter(row))] == instance:
                    return int(row[column])
        raise KeyError(f"{instance} is not in {table}")

    return look_up
