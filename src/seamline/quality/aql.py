"""ISO 2859-1 (= ANSI/ASQ Z1.4) single sampling: the plan for a lot, and the verdict on it.

:func:`code_letter` reads Table I; :func:`single_plan` reads Table II-A, II-B or II-C and follows
its arrows to the first plan with acceptance and rejection numbers (the sample size changes with
the arrow); :func:`judge` applies a plan to the nonconforming count found in the sample.

>>> plan = single_plan(1000, "II", "2.5")
>>> (plan.code_letter, plan.sample_size, plan.accept, plan.reject)
('J', 80, 5, 6)
>>> judge(plan, 6).accepted
False
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from seamline.quality.errors import SamplingInputError
from seamline.quality.tables import Cell, InspectionSeverity, tables

MIN_LOT_SIZE = 2  # Table I starts at 2


class InspectionLevel(StrEnum):
    """The inspection level of Table I: general I, II (the default, ISO 2859-1 10.1) and III,
    special S-1 to S-4."""

    S1 = "S-1"
    S2 = "S-2"
    S3 = "S-3"
    S4 = "S-4"
    I = "I"  # noqa: E741 - the standard's name for general level I
    II = "II"
    III = "III"


@dataclass(frozen=True, slots=True)
class SamplingPlan:
    """A single sampling plan for one lot.

    ``code_letter`` is Table I's letter for the lot; ``plan_letter`` the row whose plan the arrows
    led to, and ``sample_size`` that row's sample size. A lot is accepted when the nonconforming
    count is at most ``accept`` and rejected when it is at least ``reject``; under reduced
    inspection (Z1.4 Table II-C) the two may leave a gap (see :func:`judge`).
    """

    lot_size: int
    level: InspectionLevel
    aql: str  # as the standard prints it: "0.010", "2.5", "10", "1000"
    inspection: InspectionSeverity
    code_letter: str
    plan_letter: str
    sample_size: int
    accept: int
    reject: int

    @property
    def hundred_percent(self) -> bool:
        """The sample is as large as the lot or larger: inspect every unit (ISO 2859-1 Table II note)."""
        return self.sample_size >= self.lot_size

    @property
    def units_to_inspect(self) -> int:
        return min(self.sample_size, self.lot_size)

    @property
    def table(self) -> str:
        return self.inspection.table

    def as_dict(self) -> dict[str, Any]:
        """The plan as the CLI's ``--json`` and the HTTP API print it."""
        return {
            "standard": "ISO 2859-1 / ANSI/ASQ Z1.4 single sampling",
            "table": self.table,
            "lot_size": self.lot_size,
            "level": self.level.value,
            "aql": float(self.aql),
            "inspection": self.inspection.value,
            "code_letter": self.code_letter,
            "plan_letter": self.plan_letter,
            "sample_size": self.sample_size,
            "units_to_inspect": self.units_to_inspect,
            "accept": self.accept,
            "reject": self.reject,
            "hundred_percent": self.hundred_percent,
        }


@dataclass(frozen=True, slots=True)
class LotVerdict:
    """A plan applied to one lot's sample on original inspection.

    ``accepted_one_step_tighter`` feeds the switching score (ISO 2859-1:1999 9.3.3.2): whether the
    lot would also have been accepted with the AQL one step tighter. It is None unless the plan
    is a normal one with an acceptance number of 2 or more, the only case where the score asks.
    """

    plan: SamplingPlan
    nonconforming: int
    accepted: bool
    accepted_one_step_tighter: bool | None

    @property
    def between_accept_and_reject(self) -> bool:
        """Ac < d < Re, possible only in Z1.4's reduced plans: the lot is accepted but normal
        inspection is reinstated (ANSI/ASQ Z1.4 10.1.4)."""
        return self.plan.accept < self.nonconforming < self.plan.reject


def parse_level(value: str | InspectionLevel) -> InspectionLevel:
    text = str(value).strip().upper()
    for level in InspectionLevel:
        if text in (level.value, level.value.replace("-", "")):
            return level
    raise SamplingInputError("level", value, f"one of {', '.join(v.value for v in InspectionLevel)}")


def parse_aql(value: str | float | Decimal) -> str:
    """The standard's label of an AQL given as text or number: ``"2.50"`` and ``2.5`` are ``"2.5"``."""
    labels = tables().aqls
    try:
        column = tables().aql_column(Decimal(str(value).strip()))
    except InvalidOperation:
        column = None
    if column is None:
        raise SamplingInputError("aql", value, f"one of the standard's AQL values {', '.join(labels)}")
    return labels[column]


def parse_inspection(value: str | InspectionSeverity) -> InspectionSeverity:
    try:
        return InspectionSeverity(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(v.value for v in InspectionSeverity)
        raise SamplingInputError("inspection", value, f"one of {allowed}") from None


def check_lot_size(lot_size: int) -> int:
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < MIN_LOT_SIZE:
        raise SamplingInputError("lot_size", lot_size, f"a whole number of units, {MIN_LOT_SIZE} or more")
    return lot_size


def code_letter(lot_size: int, level: str | InspectionLevel = InspectionLevel.II) -> str:
    """The sample size code letter of ISO 2859-1 Table I.

    >>> code_letter(1000), code_letter(1000, "S-3"), code_letter(500_001, "III")
    ('J', 'E', 'R')
    """
    check_lot_size(lot_size)
    lvl = parse_level(level)
    t = tables()
    column = t.levels.index(lvl.value)
    for up_to, letters in t.code_letter_rows:
        if up_to is None or lot_size <= up_to:
            return letters[column]
    raise AssertionError("Table I's last row has no upper bound")  # the data file says so


def single_plan(
    lot_size: int,
    level: str | InspectionLevel = InspectionLevel.II,
    aql: str | float | Decimal = "2.5",
    inspection: str | InspectionSeverity = InspectionSeverity.NORMAL,
) -> SamplingPlan:
    """The single sampling plan for a lot: Table I's code letter, then Table II-A/B/C, arrows followed.

    Raises :class:`~seamline.quality.errors.SamplingInputError` for a lot size under 2, an unknown
    level or inspection, or an AQL that is not one of the standard's columns.
    """
    check_lot_size(lot_size)
    lvl = parse_level(level)
    label = parse_aql(aql)
    severity = parse_inspection(inspection)
    letter = code_letter(lot_size, lvl)
    master = tables().masters[severity]
    plan_letter, cell = master.resolve(letter, tables().aqls.index(label))
    return SamplingPlan(
        lot_size=lot_size,
        level=lvl,
        aql=label,
        inspection=severity,
        code_letter=letter,
        plan_letter=plan_letter,
        sample_size=master.sample_size[plan_letter],
        accept=cell.accept,
        reject=cell.reject,
    )


def judge(plan: SamplingPlan, nonconforming: int) -> LotVerdict:
    """Apply ``plan`` to the count of nonconforming items (or nonconformities, for AQLs above 10)
    found in its sample (ISO 2859-1 11.1): accepted when the count is at most Ac, not accepted when
    it is Re or more; a count in between (Z1.4 reduced plans only) accepts the lot.

    >>> v = judge(single_plan(1000, "II", "2.5"), 3)  # J, n 80, Ac 5; one step tighter (1.5): Ac 3
    >>> v.accepted, v.accepted_one_step_tighter
    (True, True)
    """
    if isinstance(nonconforming, bool) or not isinstance(nonconforming, int) or nonconforming < 0:
        raise SamplingInputError("nonconforming", nonconforming, "a count of 0 or more")
    tighter = None
    if plan.inspection is InspectionSeverity.NORMAL and plan.accept >= 2:  # 9.3.3.2 a) 1)
        tighter = nonconforming <= _tighter_accept(plan)
    # Below Re, not only up to Ac: in Z1.4's reduced plans a count between them still accepts the lot.
    return LotVerdict(plan, nonconforming, nonconforming < plan.reject, tighter)


def _tighter_accept(plan: SamplingPlan) -> int:
    """Ac of the same sample at the AQL one step tighter: the cell left of the plan's in its row."""
    t = tables()
    cell = t.masters[plan.inspection].rows[plan.plan_letter][t.aqls.index(plan.aql) - 1]
    if not isinstance(cell, Cell):  # an Ac >= 2 cell always has a plan to its left in Table II-A
        raise AssertionError(f"no plan left of {plan.plan_letter} at AQL {plan.aql}")
    return cell.accept
