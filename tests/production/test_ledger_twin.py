"""The ledger reconciled with the twin: every piece the simulated floor sewed, per operator, per
operation of each line and per line, counted exactly once from the scanner and badge events."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.production.downtime import reason_pareto, reliability
from seamline.production.kpi import defect_pareto, quality_totals, totals
from seamline.production.ledger import ProductionLedger
from seamline.sim import FloorSimulation, FloorTruth, SimConfig

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)  # the small factory's shift start
HOURS = 2


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


def simulate(factory: Factory, config: SimConfig, seconds: float) -> tuple[list[dict[str, Any]], FloorTruth]:
    sim = FloorSimulation(factory, seed=4, start=START, config=config)
    events: list[dict[str, Any]] = []
    t = 0.0
    while t < seconds:
        t = min(seconds, t + 300.0)
        for m in sim.advance(t):  # messages in the order devices send them
            events.extend({"device": m["device"], **e} for e in m.get("events", ()))
    return events, sim.truth


def feed(factory: Factory, events: list[dict[str, Any]]) -> ProductionLedger:
    ledger = ProductionLedger(factory)
    for e in events:
        data = {k: v for k, v in e.items() if k not in ("device", "ts", "type")}
        ledger.update(e["device"], e["ts"], e["type"], data)
    return ledger


def test_a_floor_that_starts_empty_is_counted_exactly(small: Factory) -> None:
    events, truth = simulate(small, SimConfig(initial_wip=False), HOURS * 3600.0)
    ledger = feed(small, events)
    assert truth.scans > 50  # the run did real work
    assert [e for e in ledger.exceptions if e.status == "open"] == []
    by_operator = Counter[str]()
    by_operation = Counter[tuple[str, str]]()
    for r in ledger.records:
        by_operator[r.operator_id] += r.pieces
        by_operation[(r.line_id, r.operation_id)] += r.pieces
    assert dict(by_operator) == dict(truth.scanned_by_operator)
    assert dict(by_operation) == dict(truth.scanned_by_operation)
    assert len(ledger.records) == truth.scans
    for key, pieces in truth.pieces_by_operation.items():  # sewn = scanned + less than a bundle
        assert 0 <= pieces - by_operation[key] < 5 * len(small.lines_by_id[key[0]].workstations)
    t0 = int(START.timestamp() * 1000)
    lines = totals(ledger, t0, t0 + HOURS * 3_600_000, by=("line",))
    assert truth.changeovers  # a line changed style in the run: output counts both styles' garments
    for line in small.lines:
        assert lines[(line.id,)].output == truth.pieces_by_line.get(line.id, 0)


def test_a_floor_that_starts_mid_order_counts_only_the_work_of_the_run(small: Factory) -> None:
    events, truth = simulate(small, SimConfig(), HOURS * 3600.0)
    ledger = feed(small, events)
    assert [e for e in ledger.exceptions if e.status == "open"] == []
    by_operation = Counter[tuple[str, str]]()
    by_operator = Counter[str]()
    for r in ledger.records:
        by_operation[(r.line_id, r.operation_id)] += r.pieces
        by_operator[r.operator_id] += r.pieces
    assert truth.wip_at_start  # bundles part-sewn yesterday, first scanned mid-route
    assert dict(by_operation) == dict(truth.scanned_by_operation)
    assert dict(by_operator) == dict(truth.scanned_by_operator)


def test_dhu_and_rft_equal_what_the_quality_tablets_reported(small: Factory) -> None:
    events, truth = simulate(small, SimConfig(), HOURS * 3600.0)
    ledger = feed(small, events)
    t0 = int(START.timestamp() * 1000)
    got = quality_totals(ledger, t0, t0 + HOURS * 3_600_000, by=("line", "kind"))
    assert truth.reported_inspections  # inline and end-of-line checks were reported in the run
    assert set(got) == set(truth.reported_inspections)
    for (line, kind), want in truth.reported_inspections.items():
        t = got[(line, kind)]
        assert (t.inspections, t.checked, t.defective, t.defects) == (
            want.inspections,
            want.checked,
            want.defective,
            want.defects,
        )
        assert t.dhu == pytest.approx(want.dhu)
        assert t.rft_pct == pytest.approx(100.0 - want.defective_pct)
    pareto = defect_pareto(ledger, t0, t0 + HOURS * 3_600_000)
    assert sum(n for _, _, n in pareto) == sum(w.defects for w in truth.reported_inspections.values())
    assert [n for _, _, n in pareto] == sorted((n for _, _, n in pareto), reverse=True)


def test_machine_state_seconds_and_downtime_match_the_twin(small: Factory) -> None:
    events, truth = simulate(small, SimConfig(breakdown_scale=40.0), HOURS * 3600.0)
    ledger = feed(small, events)
    t0 = int(START.timestamp() * 1000)
    end = t0 + HOURS * 3_600_000
    seconds = ledger.machines.seconds(t0, end, now_ms=end)
    machines = [d.id for d in small.devices if d.machine_type.category.value == "sewing"]
    assert machines
    for device in machines:
        got = next(v for (_, dev), v in seconds.items() if dev == device)
        for state in ("idle", "running", "fault"):
            want = truth.state_s[device][state]
            assert got.get(state, 0.0) == pytest.approx(want, abs=max(1.0, 0.01 * want)), (device, state)
    breakdowns = [d for d in ledger.machines.downtimes if d.reason == "machine_breakdown"]
    assert len(breakdowns) == truth.breakdowns > 0
    rel = reliability(ledger.machines, t0, end, now_ms=end)
    assert sum(r.breakdowns for r in rel.values()) == truth.breakdowns
    assert all(r.mttr_min and r.mttr_min >= 2.0 for r in rel.values() if r.breakdowns)  # repairs last 120 s+
    pareto = reason_pareto(ledger.machines, t0, end, now_ms=end)
    assert [m for _, _, m in pareto] == sorted((m for _, _, m in pareto), reverse=True)
    assert {r for r, _, _ in pareto} >= {"machine_breakdown"}
