"""A run starts in the middle of an order: yesterday's bundles are queued at every operation."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sim_helpers import START, Run, run, state_timeline

from seamline.model.factory import Factory, Operation
from seamline.model.loader import load_factory
from seamline.sim import FloorSimulation, FloorTruth, SimConfig
from seamline.sim.wip import start_progress


@pytest.fixture(scope="module")
def wip_run(small: Factory) -> Run:
    """The first ten minutes of a shift with the defaults (work in progress at the start)."""
    return run(small, 600.0, seed=3)


def _earned_min(truth: FloorTruth, factory: Factory, line_id: str) -> float:
    sam = {o.id: o.sam_min for s in factory.styles.values() for b in s.bulletins for o in b.operations}
    return sum(n * sam[op] for (line, op), n in truth.pieces_by_operation.items() if line == line_id)


def _ready(ops: list[Operation], done: frozenset[str]) -> set[str]:
    return {o.id for o in ops if o.id not in done and all(p in done for p in o.predecessors)}


def test_start_progress_queues_bundles_at_each_operation_in_proportion_to_its_seats(small: Factory) -> None:
    ops = list(small.styles["TEST-A"].bulletin.operations)
    seats = {"A010": 1, "A020": 2, "A030": 1, "A040": 2, "A050": 1}  # line L1's set-up
    # spans end at A010 1, A030 1, A020 1 + 2 = 3, A040 max(3, 1) + 2 = 5, A050 5 + 1 = 6; twelve
    # bundles sit at positions 5.75, 5.25, ..., 0.25 (every half unit), the oldest furthest along
    progress = start_progress(ops, {k: float(v) for k, v in seats.items()}, 12)
    assert [len(done) for done in progress] == [4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 0, 0]
    assert progress[0] == {"A010", "A020", "A030", "A040"}
    assert progress[6] == {"A010", "A030"}
    queued: dict[str, int] = defaultdict(int)
    for done in progress:
        for op_id in _ready(ops, done):
            queued[op_id] += 1
    assert {op_id: queued[op_id] / seats[op_id] for op_id in seats} == dict.fromkeys(seats, 2.0)


@st.composite
def _bulletins(draw: st.DrawFn) -> list[Operation]:
    n = draw(st.integers(1, 12))
    ops: list[Operation] = []
    for i in range(n):
        preds = draw(st.sets(st.sampled_from([o.id for o in ops]), max_size=3)) if ops else set()
        ops.append(Operation(f"O{i}", "op", 0.5, "snls", tuple(sorted(preds))))
    return ops


@given(_bulletins(), st.lists(st.integers(1, 4), min_size=12, max_size=12), st.integers(1, 60))
def test_start_progress_is_closed_under_precedence_and_feeds_every_seat(
    ops: list[Operation], seat_counts: list[int], n: int
) -> None:
    weight = {o.id: float(w) for o, w in zip(ops, seat_counts, strict=False)}
    progress = start_progress(ops, weight, n)
    assert len(progress) == n
    by_id = {o.id: o for o in ops}
    end: dict[str, float] = {}
    for o in ops:
        end[o.id] = max((end[p] for p in o.predecessors), default=0.0) + weight[o.id]
    span = max(end.values())
    queued: dict[str, int] = defaultdict(int)
    for older, done in itertools.pairwise(progress):
        assert older >= done  # the older bundle is at least as far along
    for done in progress:
        assert len(done) < len(ops)
        assert all(p in done for op_id in done for p in by_id[op_id].predecessors)
        for op_id in _ready(ops, done):
            queued[op_id] += 1
    for o in ops:
        assert queued[o.id] >= math.floor(weight[o.id] * n / span + 1e-9)
        if n >= span:
            assert queued[o.id] >= weight[o.id]  # a bundle for every seat


def test_every_seat_sews_within_five_minutes_and_garments_come_out(wip_run: Run, small: Factory) -> None:
    assert wip_run.truth is not None
    t0 = wip_run.messages[0]["sent_ts"] - 1000
    timelines = state_timeline(wip_run.events)
    seated = {ws for a in wip_run.truth.attendance for ws in a.seated.values()}
    assert len(seated) >= 10
    for line in small.lines:
        for w in line.workstations:
            if w.id in seated:
                first = min((ts for ts, code in timelines[w.device_id] if code == 2), default=math.inf)
                assert first - t0 <= 300_000, w.id
        assert wip_run.truth.pieces_by_line[line.id] > 0, line.id  # within the first ten minutes


def test_the_start_wip_is_the_first_bundles_of_each_lines_order(wip_run: Run, small: Factory) -> None:
    truth = wip_run.truth
    assert truth is not None
    ops = {o.id: o for o in small.styles["TEST-A"].bulletin.operations}
    for line in small.lines:
        wip = [w for w in truth.wip_at_start if w.line_id == line.id]
        seats = next(a for a in truth.attendance if a.line_id == line.id).seated
        order = next(o for o in small.orders if o.line_id == line.id)
        cap = math.ceil(1.5 * len(seats))  # SimConfig.wip_bundles_per_station per staffed seat
        assert [w.bundle_id for w in wip] == [b.id for b in order.bundles()[: len(wip)]]
        assert len(wip) == min(cap, len(order.bundles()))
        for w in wip:
            assert all(p in w.done for op_id in w.done for p in ops[op_id].predecessors)
            assert all(op_id not in w.done and 0 < n < w.pieces for op_id, n in w.started.items())
        # the line holds its WIP cap; only bundles fed during the run count as released
        held = len(wip) + truth.bundles_released.get(line.id, 0) - truth.bundles_done.get(line.id, 0)
        assert held == min(cap, len(order.bundles()) - truth.bundles_done.get(line.id, 0))
    assert truth.bundles_released.get("L2", 0) == 0  # PO-2 was all in the line already


def test_pieces_sewn_before_the_run_are_not_counted_as_sewn_in_it(day_run: Run, small: Factory) -> None:
    truth = day_run.truth
    assert truth is not None
    # L2 held all of PO-2 (8 bundles of 5) at the start and changed over once they were done, so
    # the TEST-A pieces it sewed in the run are exactly what was left of those bundles
    assert truth.changeovers[0][0] == "L2"
    wip = [w for w in truth.wip_at_start if w.line_id == "L2"]
    assert len(wip) == 8
    assert any(w.done for w in wip)
    for op in small.styles["TEST-A"].bulletin.operations:
        left = sum(w.pieces - w.started.get(op.id, 0) for w in wip if op.id not in w.done)
        assert truth.pieces_by_operation.get(("L2", op.id), 0) == left, op.id
    scanned = [e for _, e in day_run.events if e["type"] == "scan" and e["bundle"].startswith("PO-2-")]
    assert sorted((e["bundle"], e["operation"]) for e in scanned) == sorted(
        (w.bundle_id, op.id)
        for w in wip
        for op in small.styles["TEST-A"].bulletin.operations
        if op.id not in w.done
    )


def test_scans_of_start_wip_follow_the_precedence(wip_run: Run, small: Factory) -> None:
    assert wip_run.truth is not None
    ops = {o.id: o for o in small.styles["TEST-A"].bulletin.operations}
    done = {w.bundle_id: set(w.done) for w in wip_run.truth.wip_at_start}
    scans = [e for _, e in wip_run.events if e["type"] == "scan"]
    assert any(e["bundle"] in done for e in scans)
    for e in scans:
        before = done.setdefault(e["bundle"], set())
        assert e["operation"] not in before
        assert all(p in before for p in ops[e["operation"]].predecessors)
        before.add(e["operation"])


def test_operators_resume_the_style_near_their_trained_pace(small: Factory) -> None:
    def earned_30min(config: SimConfig) -> float:
        sim = FloorSimulation(small, seed=2, start=START, config=config)
        sim.advance(1800.0)
        present = next(a for a in sim.truth.attendance if a.line_id == "L1").present
        return _earned_min(sim.truth, small, "L1") / (len(present) * 30.0)

    resumed = earned_30min(SimConfig(telemetry=False))
    first_day = earned_30min(SimConfig(telemetry=False, learning_resume_days=(0.01, 0.01)))
    assert 0.45 <= resumed <= 0.9
    assert resumed > 1.5 * first_day


def test_the_reference_factory_works_at_its_usual_pace_from_the_start() -> None:
    factory = load_factory()
    sim = FloorSimulation(
        factory,
        seed=1,
        start=dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC),
        config=SimConfig(shift_from_start=True, telemetry=False),
    )
    sim.advance(300.0)
    truth = sim.truth
    for line in factory.lines:
        used = {o.machine_type_id for o in factory.styles[line.style_id or ""].bulletin.operations}
        seated = next(a for a in truth.attendance if a.line_id == line.id).seated.values()
        for w in line.workstations:
            if w.id in seated and w.machine_type_id in used:
                assert truth.state_s[w.device_id]["running"] > 0, w.id
    sim.advance(1800.0)
    truth = sim.truth
    for line in factory.lines:
        present = next(a for a in truth.attendance if a.line_id == line.id).present
        assert truth.pieces_by_line[line.id] > 0, line.id
        assert 0.45 <= _earned_min(truth, factory, line.id) / (len(present) * 30.0) <= 0.9, line.id


def test_without_start_wip_lines_start_empty(small: Factory) -> None:
    r = run(small, 600.0, seed=3, config=SimConfig(initial_wip=False), keep_messages=False)
    truth = r.truth
    assert truth is not None
    assert truth.wip_at_start == ()
    ops = {o.id: o for o in small.styles["TEST-A"].bulletin.operations}
    done: dict[str, set[str]] = defaultdict(set)
    scans = [e for _, e in r.events if e["type"] == "scan"]
    assert scans
    for e in scans:
        assert all(p in done[e["bundle"]] for p in ops[e["operation"]].predecessors)
        done[e["bundle"]].add(e["operation"])
    for line in small.lines:
        seats = next(a for a in truth.attendance if a.line_id == line.id).seated
        order = next(o for o in small.orders if o.line_id == line.id)
        fed = math.ceil(1.5 * len(seats)) + truth.bundles_done.get(line.id, 0)
        assert truth.bundles_released[line.id] == min(fed, len(order.bundles()))
