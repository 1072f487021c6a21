"""The quality page's figures, worked out by hand: DHU and RFT per hour and per working day, the
Paretos by code, operation and operator, and the control chart, on the small factory (UTC, first
shift 08:00)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seamline.model.loader import parse_factory
from seamline.production.ledger import ProductionLedger
from seamline.quality.views import entry_form, quality_snapshot

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
T0 = 1_793_606_400_000  # 2026-11-02T08:00:00Z: the working day's start
HOUR = 3_600_000
DAY = 24 * HOUR


def _eol(checked: int, defective: int, code: str, n: int) -> dict[str, Any]:
    defects = [{"code": code, "count": n, "severity": "minor"}] if n else []
    return {"kind": "end_of_line", "bundle": "PO-1-B0001", "operator": "L1-OP03", "workstation": "L1-S07",
            "checked": checked, "defective": defective, "defects": defects}  # fmt: skip


def _inline(operation: str, operator: str, defects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "inline", "bundle": "PO-1-B0001", "operation": operation, "operator": operator,
            "workstation": "L1-S02", "checked": 5, "defective": 1, "defects": defects}  # fmt: skip


@pytest.fixture(scope="module")
def ledger() -> ProductionLedger:
    lg = ProductionLedger(parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML)))
    scanner = "L1-BUNDLESCANNER01"
    lg.update(scanner, T0 + 600_000, "inspection", _eol(100, 5, "skipped_stitch", 6))
    lg.update(scanner, T0 + HOUR + 600_000, "inspection", _eol(100, 10, "puckering", 12))
    lg.update(
        "L2-BUNDLESCANNER01", T0 + 900_000, "inspection", {**_eol(50, 0, "", 0), "workstation": "L2-S05"}
    )
    lg.update(scanner, T0 + 1_200_000, "inspection", _inline("A020", "L1-OP03", [
        {"code": "skipped_stitch", "count": 2, "severity": "minor"},
        {"code": "open_seam", "count": 1, "severity": "major"},
    ]))  # fmt: skip
    one_skip = [{"code": "skipped_stitch", "count": 1, "severity": "minor"}]
    lg.update(scanner, T0 + 1_300_000, "inspection", _inline("A010", "L1-OP04", one_skip))
    lg.update(scanner, T0 - 3 * DAY + HOUR, "inspection", _eol(100, 1, "stain", 1))  # three days before
    return lg


def test_today_hour_by_hour(ledger: ProductionLedger) -> None:
    snap = quality_snapshot(ledger, ledger.factory, now_ms=T0 + 2 * HOUR + 60_000, span="today", line=None)
    t = snap["trends"]
    assert (t["hourly"], t["buckets"]) == (True, [T0, T0 + HOUR, T0 + 2 * HOUR])
    l1, l2 = t["lines"]
    # L1: 6 defects x 100 / 100 checked = DHU 6, 5 defective: RFT 95; then 12 and 90; nothing yet at 10:00
    assert (l1["dhu"], l1["rft"]) == ([6.0, 12.0, None], [95.0, 90.0, None])
    assert (l2["dhu"], l2["rft"]) == ([0.0, None, None], [100.0, None, None])
    # end of line today: 18 defects x 100 / 250 checked = 7.2; 15 defective: RFT 100 - 6 = 94
    eol = snap["summary"]["end_of_line"]
    assert (eol["inspections"], eol["checked"], eol["defects"], eol["dhu"], eol["rft_pct"]) == (
        3,
        250,
        18,
        7.2,
        94.0,
    )
    p = snap["pareto"]
    # puckering 12, skipped stitch 6 + 2 + 1 = 9, open seam 1: 22 in all; 12/22 = 54.5 %, 21/22 = 95.5 %
    assert [(c["code"], c["defects"], c["cumulative_pct"]) for c in p["codes"]] == [
        ("puckering", 12, 54.5), ("skipped_stitch", 9, 95.5), ("open_seam", 1, 100.0),
    ]  # fmt: skip
    assert p["codes"][2]["severities"] == {"major": 1}
    # inline only: A020 3 defects in 5 pieces (DHU 60), A010 1 in 5 (DHU 20)
    assert [(r["id"], r["name"], r["defects"], r["dhu"]) for r in p["operations"]] == [
        ("A020", "Attach neck", 3, 60.0), ("A010", "Join shoulders", 1, 20.0),
    ]  # fmt: skip
    assert [(r["id"], r["defects"]) for r in p["operators"]] == [("L1-OP03", 3), ("L1-OP04", 1)]
    spc = snap["spc"]  # L1's p chart: 5/100 and 10/100 around 15/200
    assert (spc["line"], [x["value"] for x in spc["points"]], spc["centre"]) == ("L1", [0.05, 0.10], 0.075)


def test_seven_days_day_by_day_for_one_line(ledger: ProductionLedger) -> None:
    snap = quality_snapshot(ledger, ledger.factory, now_ms=T0 + 2 * HOUR, span="7d", line="L1")
    t = snap["trends"]
    assert (t["hourly"], t["buckets"]) == (False, [T0 - d * DAY for d in range(6, -1, -1)])
    (l1,) = t["lines"]
    # 3 days ago: 1 defect in 100 pieces; today: 18 in 200 (DHU 9), 15 defective (RFT 92.5)
    assert l1["dhu"] == [None, None, None, 1.0, None, None, 9.0]
    assert l1["rft"] == [None, None, None, 99.0, None, None, 92.5]
    assert [c["code"] for c in snap["pareto"]["codes"]] == [
        "puckering",
        "skipped_stitch",
        "open_seam",
        "stain",
    ]


def test_the_entry_form_offers_each_lines_seats_operations_and_bundles(ledger: ProductionLedger) -> None:
    form = entry_form(ledger, ledger.factory, now_ms=T0 + 2 * HOUR)
    l1 = form["lines"][0]
    assert (l1["id"], l1["workstations"][-1], [o["id"] for o in l1["operations"]][:2]) == (
        "L1",
        "L1-S07",
        ["A010", "A020"],
    )
    assert l1["bundles"][0] == "PO-1-B0001"
    assert [o["id"] for o in l1["orders"]] == ["PO-1"]
    assert form["codes"] == ["open_seam", "puckering", "skipped_stitch", "stain"]
