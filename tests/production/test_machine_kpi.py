"""Machine KPIs with the arithmetic written out: needle utilisation, machine OEE (ISO 22400-2 as
apparel-domain.md 2.3 maps it) and the plausibility of the scans against the piece counter."""

from __future__ import annotations

from typing import Any

import pytest

from seamline.model.loader import load_factory
from seamline.production.hours import HOUR_MS
from seamline.production.ledger import ProductionLedger
from seamline.production.machine_kpi import machine_kpis, plausibility

MIN = 60_000
SCANNER = "L01-BUNDLESCANNER01"
WS = "L01-S01"  # its machine is the device L01-S01


def ledger() -> ProductionLedger:
    """An hour at L01-S01: logged in 60 min, the machine in fault 6 min, needle time 15 min, two
    bundles of 20 pieces of P010 (SAM 0.45), an inline check of 20 pieces with 1 defective."""
    lg = ProductionLedger(load_factory())
    who: dict[str, Any] = {"operator": "L01-OP01", "workstation": WS}
    lg.update(SCANNER, 0, "badge", {**who, "action": "login"})
    lg.update(WS, 0, "state", {"state": "running"})
    for i, bundle in enumerate(("PO-24017-B0001", "PO-24017-B0002")):
        lg.update(SCANNER, (20 + 20 * i) * MIN, "scan", {**who, "bundle": bundle, "operation": "P010"})
    lg.update(WS, 50 * MIN, "state", {"state": "fault"})
    lg.update(WS, 56 * MIN, "state", {"state": "idle"})
    lg.update(SCANNER, 45 * MIN, "inspection", {**who, "kind": "inline", "bundle": "PO-24017-B0001",
              "operation": "P010", "checked": 20, "defective": 1,
              "defects": [{"code": "skip", "count": 1, "severity": "minor"}]})  # fmt: skip
    lg.update(SCANNER, 60 * MIN, "badge", {**who, "action": "logout"})
    for ts, run_s, pieces in ((0, 5_000.0, 100.0), (30 * MIN, 5_500.0, 120.0), (59 * MIN, 5_900.0, 145.0)):
        lg.counters.reading((WS, "run_time_s"), 0, ts, run_s)
        lg.counters.reading((WS, "piece_count"), 0, ts, pieces)
    lg.counters.reading((WS, "piece_count"), 0, HOUR_MS + 30 * MIN, 235.0)  # 90 more, none scanned
    return lg


def test_machine_oee_is_availability_times_effectiveness_times_quality() -> None:
    k = machine_kpis(ledger(), 0, HOUR_MS, now_ms=HOUR_MS)[WS]
    assert (k.attended_min, k.fault_min, k.earned_min, k.needle_time_s) == (60.0, 6.0, 18.0, 900.0)
    assert k.needle_utilisation_pct == pytest.approx(25.0)  # 15 needle minutes of 60 attended
    assert k.availability == pytest.approx(0.9)  # APT = 60 - 6 = 54 of PBT 60
    assert k.effectiveness == pytest.approx(1 / 3)  # 2 x 20 x 0.45 = 18 earned minutes in 54
    assert k.quality_rate == pytest.approx(0.95)  # 1 - 1 / 20
    assert k.oee == pytest.approx(0.285)  # 0.9 x 1/3 x 0.95 = 18 / 60 x 0.95


def test_a_machine_without_inline_checks_has_no_oee_and_an_idle_seat_no_utilisation() -> None:
    kpis = machine_kpis(ledger(), HOUR_MS, 2 * HOUR_MS, now_ms=2 * HOUR_MS)
    k = kpis[WS]
    assert (k.attended_min, k.needle_utilisation_pct, k.availability, k.oee) == (0.0, None, None, None)
    assert kpis["L01-S02"].quality_rate is None


def test_the_piece_counter_checks_the_scans_within_a_bundle() -> None:
    rows = plausibility(ledger(), 0, 2 * HOUR_MS)
    got = [(r.hour_ms, r.counted, r.scanned, r.tolerance, r.flagged) for r in rows]
    assert got == [
        (0, 45.0, 40, 20 + 4.5, False),  # 145 - 100 counted; 2 x 20 scanned; a bundle of 20 + 10 % of 45
        (HOUR_MS, 90.0, 0, 30 + 9.0, True),  # nothing scanned: the factory's largest bundle, 30, + 9
    ]
    assert [r.flagged for r in plausibility(ledger(), 0, 2 * HOUR_MS, tolerance_pct=200)] == [False, False]
