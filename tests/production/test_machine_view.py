"""The maintenance screens' data, with the arithmetic written out: the machines list is the API's
rows ordered by what fails most, and a machine's page carries its breakdowns, MTBF and MTTR."""

from __future__ import annotations

import pytest

from seamline.model.loader import load_factory
from seamline.production.hours import HOUR_MS
from seamline.production.ledger import ProductionLedger
from seamline.production.machine_view import machine_rows, machine_snapshot, machines_snapshot
from seamline.store.duckdb import DuckDBStore

MIN = 60_000
WS = "L01-S01"


def ledger() -> ProductionLedger:
    """L01-S01 for an hour: running 0-20 min, a breakdown 20-26 min (reported, in fault), running
    26-50, a second breakdown 50-54 (in fault), idle 54-60. L01-S02 idle all hour, no breakdown."""
    lg = ProductionLedger(load_factory())
    states = ((0, "running"), (20, "fault"), (26, "running"), (50, "fault"), (54, "idle"))
    events = [(ts * MIN, 0, "state", {"state": s}) for ts, s in states]
    for start, end in ((20, 26), (50, 54)):
        report = {"reason": "machine_breakdown", "workstation": WS}
        events.append((start * MIN, 1, "downtime", report))
        events.append((end * MIN, 1, "downtime", {**report, "duration_s": (end - start) * 60}))
    for ts, _, kind, data in sorted(events, key=lambda e: e[:2]):  # in time order, as they come
        lg.update(WS, ts, kind, data)
    lg.update("L01-S02", 0, "state", {"state": "idle"})
    return lg


def test_the_rows_give_utilisation_mtbf_and_mttr() -> None:
    rows = {r["device"]: r for r in machine_rows(ledger(), 0, HOUR_MS, line_id="L01", now_ms=HOUR_MS)}
    r = rows[WS]
    assert r["seconds"] == {"running": 2640.0, "fault": 600.0, "idle": 360.0}  # 44, 10 and 6 minutes
    assert r["utilisation_pct"] == pytest.approx(73.33)  # 44 running of 60 on
    assert r["breakdowns"] == 2
    assert r["mtbf_h"] == pytest.approx(0.367)  # 44 running minutes / 2 breakdowns = 22 min
    assert r["mttr_min"] == 5.0  # (6 + 4) / 2
    assert rows["L01-S02"]["breakdowns"] == 0
    assert rows["L01-S02"]["mtbf_h"] is None


def test_the_list_puts_the_machine_that_broke_down_most_first_and_the_page_shows_its_stops() -> None:
    factory = load_factory()
    store = DuckDBStore(":memory:").opened(factory)
    lg = ledger()
    listed = machines_snapshot(lg, factory, store, now_ms=HOUR_MS)
    first = listed["machines"][0]
    assert (first["device"], first["breakdowns"], first["stops"], first["downtime_min"]) == (WS, 2, 2, 10.0)
    assert len(listed["machines"]) == sum(len(line.workstations) for line in factory.lines)
    page = machine_snapshot(lg, factory, store, WS, now_ms=HOUR_MS)
    assert page["reliability"]["week"] == {"breakdowns": 2, "mtbf_h": 0.37, "mttr_min": 5.0}
    assert [(s["reason"], s["start"], s["duration_s"]) for s in page["stops"]] == [
        ("machine_breakdown", 50 * MIN, 240.0),
        ("machine_breakdown", 20 * MIN, 360.0),
    ]
    assert page["charted"] == ["motor_speed_spm", "motor_current_a", "motor_temp_c", "vibration_x_mm_s"]
    assert page["faults"] == []
    assert page["band"] == []  # nothing stored: the band has no state to draw
    store.close()
