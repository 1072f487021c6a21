"""Pure pieces of the floor model: the learning curve and the simple line set-up."""

from __future__ import annotations

import pytest

from seamline.model.factory import Factory, Operator
from seamline.sim.balance import assign, seat, staff
from seamline.sim.work import wright_slowdown


def test_wright_curve_costs_one_learning_rate_per_missing_doubling() -> None:
    # 375 pieces is two doublings short of a 1,500-piece plateau: 1 / 0.85^2 = 1.3841
    assert wright_slowdown(375, 1500, 0.85) == pytest.approx(1 / 0.85**2)
    assert wright_slowdown(750, 1500, 0.9) == pytest.approx(1 / 0.9)
    assert wright_slowdown(1500, 1500, 0.85) == 1.0
    assert wright_slowdown(9000, 1500, 0.85) == 1.0
    assert wright_slowdown(1, 1500, 0.8) == 3.0  # a first-day trainee's pace at most


def test_each_operation_gets_seats_of_its_machine_in_proportion_to_sam(small: Factory) -> None:
    line = small.lines_by_id["L1"]  # 3 overlock + 4 lockstitch seats
    bulletin = small.styles["TEST-A"].bulletin  # overlock 0.30 + 0.45; lockstitch 0.40, 0.35, 0.25
    setup = assign(line.workstations, bulletin)
    seats = {op.id: len(setup.seats_of(op.id)) for op in bulletin.operations}
    assert seats == {"A010": 1, "A020": 2, "A030": 1, "A040": 2, "A050": 1}
    assert setup.load_min["L1-S02"] == pytest.approx(0.45 / 2)
    assert sum(setup.load_min.values()) == pytest.approx(bulletin.garment_sam_min)


def test_short_staffing_keeps_every_machine_type_and_packs_operations(small: Factory) -> None:
    line = small.lines_by_id["L1"]
    bulletin = small.styles["TEST-A"].bulletin
    seats = staff(line.workstations, 3, bulletin)
    assert sorted(w.machine_type_id for w in seats) == ["overlock", "snls", "snls"]
    setup = assign(seats, bulletin)
    assert sorted(op.id for ops in setup.operations.values() for op in ops) == [
        "A010",
        "A020",
        "A030",
        "A040",
        "A050",
    ]
    # lockstitch: 0.40 + 0.35 + 0.25 packed longest first onto two seats: {0.40}, {0.35, 0.25}
    assert sorted(round(setup.load_min[w.id], 2) for w in seats if w.machine_type_id == "snls") == [0.4, 0.6]


def test_the_most_skilled_operator_takes_the_heaviest_seat(small: Factory) -> None:
    line = small.lines_by_id["L1"]
    bulletin = small.styles["TEST-A"].bulletin
    seats = staff(line.workstations, 2, bulletin)
    setup = assign(seats, bulletin)
    slow = Operator("SLOW", "Slow", "C", "L1", {"overlock": 0.6, "snls": 0.6})
    fast = Operator("FAST", "Fast", "A", "L1", {"overlock": 1.2, "snls": 0.9})
    seated = seat(seats, setup, [slow, fast])
    heaviest = max(seats, key=lambda w: setup.load_min[w.id])
    assert seated[heaviest.id].id == "FAST"
    assert len(seated) == 2
