"""The public benchmark instances, read where the project's shared folder keeps them."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Where the instances may be: SEAMLINE_BENCHDATA, the shared folder beside the repository (tests/brain
# -> tests -> the repository -> the folder holding it and ``shared/``), or the development machines'.
CANDIDATES = [
    *([Path(os.environ["SEAMLINE_BENCHDATA"])] if os.environ.get("SEAMLINE_BENCHDATA") else []),
    Path(__file__).resolve().parents[3] / "shared" / "benchdata",
    Path("/work/shared/benchdata"),
]
BENCHDATA = next((p for p in CANDIDATES if p.is_dir()), CANDIDATES[0])


@pytest.fixture(scope="session")
def bench() -> Path:
    if not BENCHDATA.is_dir():  # a clone elsewhere: say where the instances are, never pass silently
        pytest.fail(
            "the public benchmark instances are in none of "
            + ", ".join(str(p) for p in CANDIDATES)
            + "; set SEAMLINE_BENCHDATA to the folder holding jssp/, fjsp/, salbp/ and alwabp/"
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
