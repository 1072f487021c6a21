"""The benchmark families ``seamline bench solve`` runs, read from the shared benchmark folder.

Each family is a table of instances with their best known value (the READMEs of the folder say
where each comes from): its rows, in file order, become :class:`Instance` values that know how to
read their problem. Families: ``ta``, ``la``, ``ft`` and ``jssp`` (all three) from
``jssp/jssp_bks.csv``; ``mk``, ``edata`` and ``fjsp`` (both) from ``fjsp/fjsp_bks.csv``; ``salbp2``
from ``salbp/salbp2_scholl_instances.csv``; ``heskia``, ``roszieg`` and ``alwabp`` (both) from
``alwabp/alwabp_best.csv``.

>>> sorted(FAMILIES)[:4]
['alwabp', 'edata', 'fjsp', 'ft']
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seamline.brain import Problem


@dataclass(frozen=True, slots=True)
class Instance:
    """One benchmark instance: its name, problem kind, file, best known value and lower bound."""

    name: str
    kind: str
    path: Path
    best_known: int
    lower_bound: int
    stations: int | None = None

    def read(self) -> Problem:
        from seamline.brain import read_problem  # noqa: PLC0415  # keep `seamline --help` instant

        return read_problem(self.kind, self.path, stations=self.stations)


@dataclass(frozen=True, slots=True)
class Family:
    table: str  # relative to the benchmark folder
    kind: str
    keep: Callable[[str], bool]


FAMILIES: dict[str, Family] = {
    "ta": Family("jssp/jssp_bks.csv", "jobshop", lambda name: name.startswith("ta")),
    "la": Family("jssp/jssp_bks.csv", "jobshop", lambda name: name.startswith("la")),
    "ft": Family("jssp/jssp_bks.csv", "jobshop", lambda name: name.startswith("ft")),
    "jssp": Family("jssp/jssp_bks.csv", "jobshop", lambda name: True),
    "mk": Family("fjsp/fjsp_bks.csv", "fjsp", lambda name: name.startswith("mk")),
    "edata": Family("fjsp/fjsp_bks.csv", "fjsp", lambda name: name.endswith("_edata")),
    "fjsp": Family("fjsp/fjsp_bks.csv", "fjsp", lambda name: True),
    "salbp2": Family("salbp/salbp2_scholl_instances.csv", "salbp2", lambda name: True),
    "heskia": Family("alwabp/alwabp_best.csv", "alwabp", lambda name: name.startswith("heskia")),
    "roszieg": Family("alwabp/alwabp_best.csv", "alwabp", lambda name: name.startswith("roszieg")),
    "alwabp": Family("alwabp/alwabp_best.csv", "alwabp", lambda name: True),
}


def _row_instance(family: Family, folder: Path, row: dict[str, str]) -> Instance:
    name = row["instance"]
    if family.kind == "alwabp":
        group, number = name.rsplit("_", 1)
        best = int(row["best_cycle_time"])
        return Instance(name, "alwabp", folder / "instances" / group / number, best, best)
    stations = int(row["n_stations"]) if family.kind == "salbp2" else None
    return Instance(
        name, family.kind, folder / row["file"], int(row["upper_bound"]), int(row["lower_bound"]), stations
    )


def family_instances(benchdata: Path, family_name: str) -> list[Instance]:
    """The instances of ``family_name`` (a key of :data:`FAMILIES`), in the order of its table."""
    family = FAMILIES[family_name]
    table = benchdata / family.table
    with table.open(newline="") as f:
        rows = [row for row in csv.DictReader(f) if family.keep(row["instance"])]
    return [_row_instance(family, table.parent, row) for row in rows]


def find_benchdata(given: Path | None) -> Path | None:
    """``given``, else ``../shared/benchdata`` from here, else the one beside the repository."""
    candidates = [given] if given is not None else []
    candidates += [Path("../shared/benchdata"), Path(__file__).resolve().parents[4] / "shared" / "benchdata"]
    return next((p for p in candidates if (p / "jssp").is_dir()), None)
