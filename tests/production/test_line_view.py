"""The line board's snapshot on a small hand-made half hour, with the arithmetic written out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seamline.model.factory import Factory, MachineState
from seamline.model.loader import parse_factory
from seamline.production.kpi import totals
from seamline.production.ledger import HOUR_MS, ProductionLedger
from seamline.production.line_view import line_snapshot
from seamline.production.states import LineStates, MachineStatus

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
SCANNER = "L1-BUNDLESCANNER01"
MIN = 60_000
T0 = 1_793_606_400_000  # 2026-11-02T08:00:00Z: the small factory's day starts at 08:00 UTC


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


def _event(
    lg: ProductionLedger, at_min: float, kind: str, data: dict[str, Any], device: str = SCANNER
) -> None:
    lg.update(device, T0 + int(at_min * MIN), kind, data)


def _half_hour(small: Factory) -> ProductionLedger:
    lg = ProductionLedger(small)
    _event(lg, 0, "badge", {"operator": "L1-OP03", "action": "login", "workstation": "L1-S01"})
    _event(lg, 0, "badge", {"operator": "L1-OP04", "action": "login", "workstation": "L1-S04"})
    # OP03 joins shoulders (A010, SAM 0.30) on bundles 1-4: 4 x 5 = 20 pieces, 20 x 0.30 = 6.0 min
    for i in range(1, 5):
        scan = {
            "bundle": f"PO-1-B{i:04d}",
            "operation": "A010",
            "operator": "L1-OP03",
            "workstation": "L1-S01",
        }
        _event(lg, 5 * i, "scan", scan | {"pieces": 5})
    # OP04 makes pockets (A030, SAM 0.35) on bundles 1-2: 10 pieces, 10 x 0.35 = 3.5 min
    for i, at in ((1, 12), (2, 24)):
        scan = {
            "bundle": f"PO-1-B{i:04d}",
            "operation": "A030",
            "operator": "L1-OP04",
            "workstation": "L1-S04",
        }
        _event(lg, at, "scan", scan | {"pieces": 5})
    # S05 idles 4 minutes (over the 2-minute threshold, no report): an unassigned stop
    _event(lg, 1, "state", {"state": "idle"}, device="L1-S05")
    _event(lg, 5, "state", {"state": "running"}, device="L1-S05")
    # a ticket no order has, on this line's scanner and on the other line's
    odd = {"bundle": "NOPE", "operation": "A010", "operator": "L1-OP03", "workstation": "L1-S01"}
    _event(lg, 26, "scan", odd)
    _event(lg, 27, "scan", odd | {"workstation": "L2-S01"}, device="L2-BUNDLESCANNER01")
    return lg


def _states(small: Factory) -> LineStates:
    line = small.lines_by_id["L1"]
    s01 = MachineStatus(
        "L1-S01", "L1-S01", 1, "overlock", MachineState.RUNNING, T0, T0 + 29 * MIN, None, 3000.0, 4.0
    )
    return LineStates(line, (s01,))


def test_the_line_board_figures_of_a_half_hour(small: Factory) -> None:
    lg = _half_hour(small)
    now = T0 + 30 * MIN
    snap = line_snapshot(lg, small, "L1", _states(small), planned_efficiency=0.7, now_ms=now)
    assert snap["day_start"] == T0
    assert snap["data_ts"] == T0 + 29 * MIN  # the newest machine reading drawn
    assert snap["style"] == "TEST-A"
    t = snap["totals"]
    # both operators logged in for 30 min: 60 attended minutes; earned 6.0 + 3.5 = 9.5 min
    assert t["pieces_today"] == 30
    assert t["efficiency_pct"] == 15.8  # 9.5 / 60 x 100 = 15.83
    # target = attended 60 min x 0.7 / garment SAM (0.30 + 0.40 + 0.35 + 0.45 + 0.25 = 1.75) = 24
    assert (t["output_today"], t["target_today"], t["output_hour"], t["target_hour"]) == (0, 24, 0, 24)
    assert t["operators"] == 2
    assert snap["hours"] == [{"start": T0, "output": 0, "target": 24.0, "efficiency_pct": 15.8}]

    seats = {s["workstation"]: s for s in snap["seats"]}
    assert [s["workstation"] for s in snap["seats"]] == [f"L1-S0{i}" for i in range(1, 8)]
    s01, s04, s05 = seats["L1-S01"], seats["L1-S04"], seats["L1-S05"]
    assert (s01["state"], s01["operations"], s01["pieces"], s01["efficiency_pct"]) == (
        "running",
        ["A010"],
        20,
        20.0,  # 6.0 / 30 x 100
    )
    assert s01["operator"]["name"] == "Jamal Ahmed"
    assert s01["operator"]["efficiency_pct"] == 20.0
    assert (s04["operations"], s04["pieces"], s04["efficiency_pct"]) == (["A030"], 10, 11.7)  # 3.5 / 30
    assert (s05["state"], s05["operator"], s05["pieces"], s05["efficiency_pct"]) == (None, None, 0, None)

    # bundles 1-2 have A010 and A030: they wait for A020 (A040 also needs A020); bundles 3-4 have
    # A010 only: they wait for A020 and for A030 (no predecessor)
    wip = {o["operation"]: o for o in snap["wip"]["operations"]}
    assert [o["operation"] for o in snap["wip"]["operations"]] == ["A010", "A020", "A030", "A040", "A050"]
    assert (snap["wip"]["bundles"], snap["wip"]["pieces"]) == (4, 20)
    assert (wip["A020"]["bundles"], wip["A020"]["pieces"]) == (4, 20)
    assert (wip["A030"]["bundles"], wip["A030"]["pieces"], wip["A030"]["done_today"]) == (2, 10, 10)
    assert wip["A010"]["name"] == "Join shoulders"
    assert snap["bottleneck"] == "A020"  # 20 pieces wait before it, 10 before A030
    _, _, waiting = lg.wip("L1")  # the API's numbers
    assert {
        o["operation"]: (o["bundles"], o["pieces"]) for o in snap["wip"]["operations"] if o["bundles"]
    } == waiting

    [stop] = snap["stops"]
    assert (stop["device"], stop["reason"], stop["source"]) == ("L1-S05", "unassigned", "state")
    assert (stop["start"], stop["end"], stop["duration_s"]) == (T0 + MIN, T0 + 5 * MIN, 240.0)
    assert snap["stops_unassigned"] == 1
    [exc] = snap["exceptions"]  # the other line's is not this line's
    assert (exc["reason"], exc["bundle"], exc["workstation"]) == ("unknown_bundle", "NOPE", "L1-S01")
    assert snap["exceptions_open"] == 1
    assert "thread_break" in snap["reasons"]


def test_the_board_agrees_with_the_kpi_totals_and_follows_a_given_reason(small: Factory) -> None:
    lg = _half_hour(small)
    now = T0 + 30 * MIN
    by_ws = totals(lg, T0, now + 1, by=("workstation",), where={"line": "L1"}, now_ms=now)
    snap = line_snapshot(lg, small, "L1", _states(small), planned_efficiency=0.7, now_ms=now)
    for seat in snap["seats"]:
        t = by_ws.get((seat["workstation"],))
        assert seat["pieces"] == (t.pieces if t else 0)
    stop_id = snap["stops"][0]["id"]
    stop = lg.machines.by_id[stop_id]
    lg.update("L1-S05", now, "decision", {"action": "assign", "exception": stop.key, "reason": "meeting"})
    later = line_snapshot(lg, small, "L1", _states(small), planned_efficiency=0.7, now_ms=now + HOUR_MS)
    assert (later["stops"][0]["reason"], later["stops_unassigned"]) == ("meeting", 0)
    assert later["hours"][-1]["start"] == T0 + HOUR_MS  # the next hour has begun
