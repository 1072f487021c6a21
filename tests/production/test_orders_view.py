"""Due-date risk on the orders page, worked out by hand on the small factory (UTC, shifts back to
back from 08:00): work left x garment SAM, queued per line in due-date order, against attended
operators x efficiency x minutes to the end of the due date."""

from __future__ import annotations

from pathlib import Path

from seamline.model.loader import parse_factory
from seamline.production.ledger import ProductionLedger
from seamline.production.orders_view import orders_snapshot, risk_of

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
NOW = 1_796_025_600_000  # 2026-11-30T08:00:00Z
MIN = 60_000


def _ledger() -> ProductionLedger:
    lg = ProductionLedger(parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML)))
    seats = [("L1", "L1-OP03", "L1-S01"), ("L1", "L1-OP04", "L1-S02")] + [
        ("L2", f"L2-OP0{i}", f"L2-S0{i}") for i in range(1, 5)
    ]
    for line, operator, seat in seats:  # logged in half an hour ago: too little to measure efficiency
        lg.update(f"{line}-BADGEREADER01", NOW - 30 * MIN, "badge",
                  {"operator": operator, "workstation": seat, "action": "login"})  # fmt: skip
    return lg


def test_each_orders_load_against_its_lines_capacity_until_its_due_date() -> None:
    lg = _ledger()
    snap = orders_snapshot(lg, lg.factory, now_ms=NOW, planned_efficiency=0.5)
    lines = {x["line"]: x for x in snap["lines"]}
    # 2 operators logged in on L1, 4 on L2, at the planned 50 %: 60 and 120 SAM-minutes an hour
    got = [
        (x["operators"], x["operators_source"], x["efficiency_source"], x["sam_min_per_hour"])
        for x in lines.values()
    ]
    assert got == [
        (2, "logged_in", "planned", 60.0), (4, "logged_in", "planned", 120.0),
    ]  # fmt: skip
    rows = {o["id"]: o for o in snap["orders"]}
    # PO-1 (L1, due 1 Dec): 2,000 x 1.75 SAM = 3,500 min; 48 h to 2 Dec 08:00 x 1 SAM-min/min = 2,880
    po1 = rows["PO-1"]
    assert (po1["work_left_min"], po1["capacity_min"], po1["load_pct"], po1["risk"]) == (
        3500.0,
        2880.0,
        121.5,
        "at_risk",
    )
    # PO-2 (L2, due 1 Dec): 40 x 1.75 = 70 min against 2 x 2,880 = 5,760: 1.2 %
    po2 = rows["PO-2"]
    assert (po2["load_min"], po2["capacity_min"], po2["load_pct"], po2["risk"]) == (
        70.0,
        5760.0,
        1.2,
        "on_track",
    )
    # PO-3 (L2, due 3 Dec) comes after PO-2: 70 + 1,000 x 1.15 = 1,220 min against 2 x 5,760 = 11,520
    po3 = rows["PO-3"]
    assert (po3["load_min"], po3["capacity_min"], po3["load_pct"], po3["risk"]) == (
        1220.0,
        11520.0,
        10.6,
        "on_track",
    )
    assert [o["id"] for o in snap["orders"]] == ["PO-1", "PO-2", "PO-3"]  # as the API lists them
    assert (po1["ordered"], po1["finished"], po1["bundles"], po1["status"]) == (2000, 0, 400, "planned")


def test_an_order_past_its_due_date_is_late_and_the_thresholds_hold() -> None:
    lg = _ledger()
    snap = orders_snapshot(lg, lg.factory, now_ms=NOW + 3 * 86_400_000, planned_efficiency=0.5)
    assert {o["id"]: o["risk"] for o in snap["orders"]} == {
        "PO-1": "late",
        "PO-2": "late",
        "PO-3": "on_track",
    }
    assert [risk_of(load_pct=x, overdue=False) for x in (85.0, 85.1, 100.0, 100.1, None)] == [
        "on_track", "tight", "tight", "at_risk", "no_line",
    ]  # fmt: skip
