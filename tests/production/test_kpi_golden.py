"""Each KPI on a small hand-made scenario, with the arithmetic written out; and properties that must
hold whatever the scans (levels add up; splitting the same work into more scans changes nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.production.kpi import quality_totals, totals
from seamline.production.ledger import HOUR_MS, ProductionLedger

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
SCANNER = "L1-BUNDLESCANNER01"
MIN = 60_000
T0 = 1_793_606_400_000  # 2026-11-02T08:00:00Z, an hour boundary


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


def login(lg: ProductionLedger, at_min: float, operator: str, ws: str) -> None:
    lg.update(
        SCANNER, T0 + int(at_min * MIN), "badge", {"operator": operator, "action": "login", "workstation": ws}
    )


def logout(lg: ProductionLedger, at_min: float, operator: str, ws: str) -> None:
    lg.update(
        SCANNER,
        T0 + int(at_min * MIN),
        "badge",
        {"operator": operator, "action": "logout", "workstation": ws},
    )


def scan(
    lg: ProductionLedger, at_min: float, bundle: str, op: str, operator: str, ws: str, pieces: int = 5
) -> None:
    data: dict[str, Any] = {"bundle": bundle, "operation": op, "operator": operator, "workstation": ws}
    lg.update(SCANNER, T0 + int(at_min * MIN), "scan", data | {"pieces": pieces})


def test_efficiency_of_two_operators_and_their_line(small: Factory) -> None:
    lg = ProductionLedger(small)
    login(lg, 0, "L1-OP03", "L1-S01")
    login(lg, 0, "L1-OP04", "L1-S02")
    # OP03 sews A010 (SAM 0.30) on bundles 1-4 (5 pieces each): 20 pieces, 20 x 0.30 = 6.0 min
    for i in range(1, 5):
        scan(lg, 5 * i, f"PO-1-B{i:04d}", "A010", "L1-OP03", "L1-S01")
    # OP04 sews A030 (SAM 0.35) on bundles 1-2: 10 pieces, 10 x 0.35 = 3.5 min
    scan(lg, 12, "PO-1-B0001", "A030", "L1-OP04", "L1-S02")
    scan(lg, 24, "PO-1-B0002", "A030", "L1-OP04", "L1-S02")
    logout(lg, 30, "L1-OP03", "L1-S01")  # attended 30 min
    logout(lg, 40, "L1-OP04", "L1-S02")  # attended 40 min
    got = totals(lg, T0, T0 + HOUR_MS, by=("operator",))
    assert got[("L1-OP03",)].earned_min == pytest.approx(6.0)
    assert got[("L1-OP03",)].attended_min == pytest.approx(30.0)
    assert got[("L1-OP03",)].efficiency_pct == pytest.approx(6.0 / 30.0 * 100)  # 20 %
    assert got[("L1-OP04",)].efficiency_pct == pytest.approx(3.5 / 40.0 * 100)  # 8.75 %
    line = totals(lg, T0, T0 + HOUR_MS, by=("line",))[("L1",)]
    assert (line.pieces, line.output) == (30, 0)  # no bundle reached A050, the last operation
    assert line.efficiency_pct == pytest.approx((6.0 + 3.5) / (30.0 + 40.0) * 100)  # 13.57 %


def test_output_counts_the_last_operation_and_hours_split_attendance(small: Factory) -> None:
    lg = ProductionLedger(small)
    login(lg, 30, "L1-OP07", "L1-S07")  # 08:30 to 09:30: 30 minutes in each hour
    for op, at in (("A010", 35), ("A020", 40), ("A030", 45), ("A040", 50), ("A050", 70)):
        scan(lg, at, "PO-1-B0001", op, "L1-OP07", "L1-S07")
    logout(lg, 90, "L1-OP07", "L1-S07")
    hours = totals(lg, T0, T0 + 2 * HOUR_MS, by=("hour",))
    first, second = hours[(T0,)], hours[(T0 + HOUR_MS,)]
    # 08:00-09:00: A010-A040 on 5 pieces: 5 x (0.30 + 0.40 + 0.35 + 0.45) = 7.5 min, in 30 min
    assert (first.pieces, first.output, first.earned_min, first.attended_min) == (
        20,
        0,
        pytest.approx(7.5),
        30.0,
    )
    # 09:00-10:00: A050 on 5 pieces: 5 x 0.25 = 1.25 min; the garments leave the line: output 5
    assert (second.pieces, second.output, second.earned_min, second.attended_min) == (5, 5, 1.25, 30.0)
    assert second.efficiency_pct == pytest.approx(1.25 / 30.0 * 100)


def test_a_repeat_punch_counts_once_and_a_rival_scan_is_an_exception(small: Factory) -> None:
    lg = ProductionLedger(small)
    login(lg, 0, "L1-OP03", "L1-S01")
    login(lg, 0, "L1-OP04", "L1-S02")
    scan(lg, 5, "PO-1-B0001", "A010", "L1-OP03", "L1-S01")
    scan(lg, 5.1, "PO-1-B0001", "A010", "L1-OP03", "L1-S01")  # the same ticket punched again
    scan(lg, 6, "PO-1-B0001", "A010", "L1-OP04", "L1-S02")  # someone else claims it
    assert [r.pieces for r in lg.records] == [5]
    assert lg.repeats == 1
    assert [(x.reason, x.status) for x in lg.exceptions] == [("operation_done", "open")]
    assert "already done by L1-OP03 at L1-S01" in lg.exceptions[0].detail


def test_re_timing_an_operation_does_not_rewrite_history(small: Factory) -> None:
    lg = ProductionLedger(small)
    login(lg, 0, "L1-OP03", "L1-S01")
    scan(lg, 5, "PO-1-B0001", "A010", "L1-OP03", "L1-S01")
    record = lg.records[0]
    assert (record.bulletin_version, record.sam_min) == (2, 0.3)  # stamped: TEST-A bulletin v2
    assert record.earned_min == pytest.approx(1.5)


def test_moving_seats_ends_the_old_session(small: Factory) -> None:
    lg = ProductionLedger(small)
    login(lg, 0, "L1-OP03", "L1-S01")
    login(lg, 20, "L1-OP03", "L1-S03")  # moved to seat 3 without badging out
    login(lg, 25, "L1-OP03", "L1-S03")  # badged again at the same seat: nothing changes
    logout(lg, 50, "L1-OP03", "L1-S03")
    by_ws = totals(lg, T0, T0 + HOUR_MS, by=("workstation",))
    assert by_ws[("L1-S01",)].attended_min == pytest.approx(20.0)
    assert by_ws[("L1-S03",)].attended_min == pytest.approx(30.0)
    scan(lg, 10, "PO-1-B0001", "A010", "L1-OP03", "L1-S03")  # at seat 3 before moving there
    assert [x.reason for x in lg.exceptions] == ["operator_not_logged_in"]


def test_dhu_defective_and_rft_of_one_line(small: Factory) -> None:
    lg = ProductionLedger(small)
    for at, checked, defective, defects in (
        (5, 100, 6, [("skip", 5), ("open_seam", 3)]),
        (40, 100, 9, [("skip", 12)]),
    ):
        lg.update(
            SCANNER,
            T0 + at * MIN,
            "inspection",
            {
                "kind": "end_of_line",
                "checked": checked,
                "defective": defective,
                "defects": [{"code": c, "count": n, "severity": "minor"} for c, n in defects],
            },
        )
    t = quality_totals(lg, T0, T0 + HOUR_MS, by=("line", "kind"))[("L1", "end_of_line")]
    # 200 checked, 15 defective, 20 defects: DHU 20 x 100 / 200 = 10; defective 7.5 %; RFT 92.5 %
    assert (t.inspections, t.checked, t.defective, t.defects) == (2, 200, 15, 20)
    assert (t.dhu, t.defective_pct, t.rft_pct) == (10.0, 7.5, 92.5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=12))
def test_splitting_the_same_work_into_more_scans_leaves_efficiency_unchanged(
    small: Factory, split: list[int]
) -> None:
    """The same pieces of one operation scanned as ``split`` (partial bundles, one scan each) or as
    full 5-piece bundles: the earned minutes and the efficiency are the same."""
    pieces = sum(split)
    full = [5] * (pieces // 5) + ([pieces % 5] if pieces % 5 else [])
    got = []
    for sizes in (split, full):
        lg = ProductionLedger(small)
        login(lg, 0, "L1-OP03", "L1-S01")
        for i, n in enumerate(sizes, start=1):
            scan(lg, i * 50 / len(sizes), f"PO-1-B{i:04d}", "A010", "L1-OP03", "L1-S01", pieces=n)
        logout(lg, 59, "L1-OP03", "L1-S01")
        got.append(totals(lg, T0, T0 + HOUR_MS, by=("operator",))[("L1-OP03",)])
    assert got[0].pieces == got[1].pieces == pieces
    assert got[0].earned_min == pytest.approx(got[1].earned_min) == pytest.approx(pieces * 0.3)
    assert got[0].efficiency_pct == pytest.approx(got[1].efficiency_pct)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["L1-OP03", "L1-OP04", "L1-OP05"]), st.sampled_from(["A010", "A030"])),
        min_size=1,
        max_size=20,
    )
)
def test_levels_add_up(small: Factory, work: list[tuple[str, str]]) -> None:
    """Whatever the scans, the line's pieces, earned and attended minutes are the sums of its
    operators' and of its hours'."""
    lg = ProductionLedger(small)
    seats = {"L1-OP03": "L1-S01", "L1-OP04": "L1-S02", "L1-OP05": "L1-S03"}
    for operator, ws in seats.items():
        login(lg, 0, operator, ws)
    for i, (operator, op) in enumerate(work, start=1):
        scan(lg, i * 4, f"PO-1-B{i:04d}", op, operator, seats[operator])
    for operator, ws in seats.items():
        logout(lg, 100, operator, ws)
    span = (T0, T0 + 2 * HOUR_MS)
    line = totals(lg, *span, by=("line",))[("L1",)]
    for parts in (totals(lg, *span, by=("operator",)), totals(lg, *span, by=("hour",))):
        assert sum(t.pieces for t in parts.values()) == line.pieces == 5 * len(work)
        assert sum(t.earned_min for t in parts.values()) == pytest.approx(line.earned_min)
        assert sum(t.attended_min or 0.0 for t in parts.values()) == pytest.approx(line.attended_min or 0.0)
    assert line.attended_min == pytest.approx(3 * 100.0)


def test_wip_waits_at_the_operations_whose_predecessors_are_done(small: Factory) -> None:
    lg = ProductionLedger(small)
    login(lg, 0, "L1-OP03", "L1-S01")
    # TEST-A: A010 -> A020; A030; (A020, A030) -> A040 -> A050
    scan(lg, 1, "PO-1-B0001", "A010", "L1-OP03", "L1-S01")  # bundle 1 waits at A020 and at A030
    scan(lg, 2, "PO-1-B0002", "A010", "L1-OP03", "L1-S01")
    scan(lg, 3, "PO-1-B0002", "A030", "L1-OP03", "L1-S01")  # bundle 2 waits at A020 only
    for op in ("A010", "A020", "A030", "A040", "A050"):  # bundle 3 is finished: no longer in progress
        scan(lg, 4, "PO-1-B0003", op, "L1-OP03", "L1-S01")
    bundles, pieces, waiting = lg.wip("L1")
    assert (bundles, pieces) == (2, 10)
    assert waiting == {"A020": (2, 10), "A030": (1, 5)}
    assert lg.wip("L2") == (0, 0, {})


def test_a_long_idle_with_no_report_becomes_an_unassigned_stop(small: Factory) -> None:
    lg = ProductionLedger(small, downtime_threshold_s=120)
    dev = "L1-S01"

    def state(at_min: float, s: str) -> None:
        lg.update(dev, T0 + int(at_min * MIN), "state", {"state": s})

    state(0, "running")
    state(1, "idle")
    state(2, "running")  # idle 60 s: under the threshold, no stop
    state(3, "idle")
    state(8, "running")  # idle 5 min, nobody said why: unassigned
    lg.update(dev, T0 + 10 * MIN, "downtime", {"reason": "thread_break", "workstation": "L1-S01"})
    state(10, "fault")
    state(14, "idle")  # a 4-minute fault the controller reported: no second stop
    lg.update(
        dev, T0 + 14 * MIN, "downtime", {"reason": "thread_break", "workstation": "L1-S01", "duration_s": 240}
    )
    stops = [
        (d.reason, d.source, (d.start_ms - T0) / MIN, (d.end_ms or 0) - d.start_ms)
        for d in lg.machines.downtimes
    ]
    assert stops == [("unassigned", "state", 3.0, 5 * MIN), ("thread_break", "reported", 10.0, 4 * MIN)]
    lg.update(
        dev,
        T0 + 20 * MIN,
        "decision",
        {"action": "assign", "exception": lg.machines.downtimes[0].key, "reason": "no_feeding", "by": "sup"},
    )
    assert (lg.machines.downtimes[0].reason, lg.machines.downtimes[0].assigned_by) == ("no_feeding", "sup")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(1, 200)), min_size=1, max_size=7), st.data())
def test_attendance_by_hour_whatever_order_the_badges_come_in(
    small: Factory, visits: list[tuple[int, int]], data: st.DataObject
) -> None:
    # visit i: operator i at seat i from minute `start` for `length` minutes, spanning hours
    who = [(f"L1-OP{i:02d}", f"L1-S{i + 1:02d}") for i in range(len(visits))]
    in_order = ProductionLedger(small)
    for at, i, action in sorted(
        [(a, i, "login") for i, (a, _) in enumerate(visits)]
        + [(a + n, i, "logout") for i, (a, n) in enumerate(visits)]
    ):
        (login if action == "login" else logout)(in_order, at, *who[i])
    # every login in any order, then every logout in any order, each followed by an unrelated scan
    # that moves the floor's clock on: open sessions' hours are counted before their logout comes
    mixed = ProductionLedger(small)
    for i in data.draw(st.permutations(range(len(visits)))):
        login(mixed, visits[i][0], *who[i])
        scan(mixed, 600, "NO-SUCH-BUNDLE", "A010", *who[i])
    for i in data.draw(st.permutations(range(len(visits)))):
        logout(mixed, sum(visits[i]), *who[i])
    expected = totals(in_order, T0, T0 + 9 * HOUR_MS, by=("hour", "workstation"))
    got = totals(mixed, T0, T0 + 9 * HOUR_MS, by=("hour", "workstation"))
    assert sum(t.attended_min or 0.0 for t in got.values()) == pytest.approx(sum(n for _, n in visits))
    assert {k: round(v.attended_min or 0.0, 6) for k, v in got.items()} == {
        k: round(v.attended_min or 0.0, 6) for k, v in expected.items()
    }


def test_a_death_is_no_signal_and_a_long_one_an_unassigned_stop(small: Factory) -> None:
    lg = ProductionLedger(small)
    machine = "L1-S01"
    lg.update(machine, T0, "state", {"state": "running"})
    lg.update(machine, T0 + 10 * MIN, "state", {"state": "off", "sparkplug": "NDEATH"})
    lg.update(machine, T0 + 40 * MIN, "state", {"state": "idle"})  # reborn 30 minutes later
    lg.update(machine, T0 + 41 * MIN, "state", {"state": "off"})  # switched off: not a stop
    lg.update(machine, T0 + 60 * MIN, "state", {"state": "running"})
    seconds = lg.machines.seconds(T0, T0 + HOUR_MS)[("L1", machine)]
    assert seconds == {"running": 600.0, "no_signal": 1800.0, "idle": 60.0, "off": 1140.0}
    (stop,) = lg.machines.downtimes
    assert (stop.reason, stop.start_ms - T0, stop.end_ms) == ("unassigned", 10 * MIN, T0 + 40 * MIN)
