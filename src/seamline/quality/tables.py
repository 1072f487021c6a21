"""The ISO 2859-1 / ANSI/ASQ Z1.4 single sampling tables, read once from ``data/iso2859_1_single.toml``.

The data file holds the tables as the standard prints them (Table I and the master Tables II-A,
II-B, II-C, arrows included); this module parses them into frozen structures and follows the
arrows. Nothing here knows about lots or switching; :mod:`seamline.quality.aql` does.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

DOWN = "↓"  # use the first plan below the arrow
UP = "↑"  # use the first plan above the arrow
NO_PLAN = "·"


class InspectionSeverity(StrEnum):
    """Normal, tightened or reduced inspection (ISO 2859-1 clause 9); not a defect's severity class."""

    NORMAL = "normal"
    TIGHTENED = "tightened"
    REDUCED = "reduced"

    @property
    def table(self) -> str:
        """The master table of single sampling plans for this inspection."""
        return {"normal": "II-A", "tightened": "II-B", "reduced": "II-C"}[self.value]


@dataclass(frozen=True, slots=True)
class Cell:
    """One acceptance (Ac) and rejection (Re) number pair of a master table."""

    accept: int
    reject: int


@dataclass(frozen=True, slots=True)
class MasterTable:
    """One of Tables II-A/B/C: per code letter, the sample size and a cell or arrow per AQL column."""

    severity: InspectionSeverity
    letters: tuple[str, ...]  # top to bottom, as printed
    sample_size: dict[str, int]
    rows: dict[str, tuple[Cell | str, ...]]  # str: DOWN, UP or NO_PLAN

    def resolve(self, letter: str, column: int) -> tuple[str, Cell]:
        """Follow the arrows from ``letter``'s cell in ``column`` to the first plan; its letter and cell."""
        i = self.letters.index(letter)
        while True:
            cell = self.rows[self.letters[i]][column]
            if isinstance(cell, Cell):
                return self.letters[i], cell
            if cell == DOWN:
                i += 1
            elif cell == UP:
                i -= 1
            else:  # the data file is wrong: an arrow points at a blank cell
                raise LookupError(
                    f"Table {self.severity.table}: no plan at {self.letters[i]}, column {column}"
                )


@dataclass(frozen=True, slots=True)
class Tables:
    aqls: tuple[str, ...]  # the AQL column labels, as printed: "0.010" ... "1000"
    levels: tuple[str, ...]  # "S-1" ... "III", the order of Table I's columns
    code_letter_rows: tuple[tuple[int | None, tuple[str, ...]], ...]  # (largest lot size or None, letters)
    masters: dict[InspectionSeverity, MasterTable]

    def aql_column(self, aql: Decimal) -> int | None:
        for i, label in enumerate(self.aqls):
            if Decimal(label) == aql:
                return i
        return None


@cache
def tables() -> Tables:
    """The shipped tables, parsed and shape-checked once."""
    text = (resources.files("seamline.quality") / "data" / "iso2859_1_single.toml").read_text("utf-8")
    return _parse(tomllib.loads(text))


def _parse(raw: dict[str, Any]) -> Tables:
    aqls = tuple(str(a) for a in raw["aql"])
    levels = tuple(str(v) for v in raw["code_letters"]["levels"])
    letter_rows: list[tuple[int | None, tuple[str, ...]]] = []
    for up_to, *letters in raw["code_letters"]["rows"]:
        if len(letters) != len(levels):
            raise ValueError(f"Table I row {up_to}: {len(letters)} letters for {len(levels)} levels")
        letter_rows.append((int(up_to) or None, tuple(str(x) for x in letters)))
    masters = {}
    for severity in InspectionSeverity:
        sizes = {str(k): int(v) for k, v in raw["sample_size"][severity.value].items()}
        rows = {}
        for letter, line in raw[severity.value].items():
            cells = tuple(_cell(token) for token in str(line).split())
            if len(cells) != len(aqls):
                raise ValueError(f"Table {severity.table} row {letter}: {len(cells)} cells, not {len(aqls)}")
            rows[str(letter)] = cells
        masters[severity] = MasterTable(severity, tuple(rows), sizes, rows)
    return Tables(aqls, levels, tuple(letter_rows), masters)


def _cell(token: str) -> Cell | str:
    if token in (DOWN, UP, NO_PLAN):
        return token
    accept, reject = token.split("/")
    return Cell(int(accept), int(reject))
